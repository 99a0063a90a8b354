//! `ipckit ipcmk`: util-linux's `ipcmk` (2.38): the same flags, the same output ("Shared
//! memory id: N", "Message queue id: N", "Semaphore id: N"), the same messages and exit
//! codes.
//!
//! Like util-linux it makes each object with a random key; unlike it, the key is never one an
//! existing object has (`IPC_CREAT | IPC_EXCL`, another key on `EEXIST`), so `ipcmk` never
//! hands out somebody else's queue. Sizes take the one size parser's suffixes (K = KiB =
//! 1024, see `parse::parse_size`). The objects stay after ipckit exits.

use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::process::ExitCode;

use ipckit::sysv::key::Key;
use ipckit::sysv::msg::MessageQueue;
use ipckit::sysv::sem::SemaphoreSet;
use ipckit::sysv::shm::SharedMemory;
use ipckit::{ErrorKind, Named};

use crate::parse::parse_size;

/// Flags of `ipckit ipcmk` (util-linux's).
#[derive(Debug, clap::Args)]
pub struct IpcmkArgs {
    /// Create shared memory segment of size `<size>` (suffixes K, M, G, T, also KiB or KB:
    /// all powers of 1024).
    #[arg(short = 'M', long = "shmem", value_name = "size")]
    pub shmem: Option<String>,
    /// Create semaphore array with `<number>` elements.
    #[arg(
        short = 'S',
        long = "semaphore",
        value_name = "number",
        allow_negative_numbers = true
    )]
    pub semaphore: Option<String>,
    /// Create message queue.
    #[arg(short = 'Q', long = "queue")]
    pub queue: bool,
    /// Permission for the resource (default is 0644).
    #[arg(short = 'p', long = "mode", value_name = "mode")]
    pub mode: Option<String>,
}

/// A key no object has yet: random, never `IPC_PRIVATE`.
fn random_key() -> Key {
    loop {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64),
        );
        let k = h.finish() as i32;
        if k != 0 {
            return Key::new(k);
        }
    }
}

/// Makes an object with a fresh random key (`create`), another key while one is taken.
fn with_random_key<T>(mut create: impl FnMut(Key) -> ipckit::Result<T>) -> ipckit::Result<T> {
    let mut tries = 0;
    loop {
        match create(random_key()) {
            Err(e) if e.kind() == ErrorKind::AlreadyExists && tries < 100 => tries += 1,
            r => return r,
        }
    }
}

/// `err(3)`'s form: `ipckit ipcmk: MESSAGE: strerror`.
fn fail(what: &str, e: &ipckit::Error) -> ExitCode {
    let why = e
        .errno()
        .map_or_else(|| e.to_string(), |n| n.description().to_string());
    eprintln!("ipckit ipcmk: {what}: {why}");
    ExitCode::FAILURE
}

/// Runs `ipckit ipcmk`.
pub fn run(args: IpcmkArgs) -> anyhow::Result<ExitCode> {
    let mode = match &args.mode {
        None => 0o644,
        Some(m) => match u32::from_str_radix(m, 8) {
            Ok(m) => m,
            Err(_) => {
                eprintln!("ipckit ipcmk: failed to parse mode: '{m}'");
                return Ok(ExitCode::FAILURE);
            }
        },
    };
    let size = match &args.shmem {
        None => None,
        Some(s) => match parse_size(s) {
            Ok(n) => Some(n),
            Err(_) => {
                eprintln!("ipckit ipcmk: failed to parse size: '{s}'");
                return Ok(ExitCode::FAILURE);
            }
        },
    };
    let nsems = match &args.semaphore {
        None => None,
        Some(s) => match s.parse::<i32>() {
            Ok(n) => Some(n),
            Err(_) => {
                eprintln!("ipckit ipcmk: failed to parse elements: '{s}'");
                return Ok(ExitCode::FAILURE);
            }
        },
    };
    if size.is_none() && nsems.is_none() && !args.queue {
        eprintln!("ipckit ipcmk: bad usage");
        eprintln!("Try 'ipckit ipcmk --help' for more information.");
        return Ok(ExitCode::FAILURE);
    }
    let mut out = std::io::stdout().lock();
    if let Some(size) = size {
        match with_random_key(|k| SharedMemory::builder(k, size).mode(mode).create_new()) {
            Ok(mut s) => {
                s.persist();
                writeln!(out, "Shared memory id: {}", s.id())?;
            }
            Err(e) => return Ok(fail("create share memory failed", &e)),
        }
    }
    if args.queue {
        match with_random_key(|k| MessageQueue::builder(k).mode(mode).create_new()) {
            Ok(mut q) => {
                q.persist();
                writeln!(out, "Message queue id: {}", q.id())?;
            }
            Err(e) => return Ok(fail("create message queue failed", &e)),
        }
    }
    if let Some(n) = nsems {
        let made = usize::try_from(n)
            .map_err(|_| {
                ipckit::Error::from_errno(
                    ipckit::Errno::EINVAL,
                    "semget",
                    format!("{n} semaphores"),
                )
            })
            .and_then(|n| with_random_key(|k| SemaphoreSet::builder(k, n).mode(mode).create_new()));
        match made {
            Ok(mut s) => {
                s.persist();
                writeln!(out, "Semaphore id: {}", s.id())?;
            }
            Err(e) => return Ok(fail("create semaphore failed", &e)),
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
