//! `ipckit mk`: make an IPC object that outlives ipckit (like `ipcmk`), print its id.

use std::io::Write;
use std::process::ExitCode;

use ipckit::sysv::key::Key;
use ipckit::sysv::msg::MessageQueue;
use ipckit::sysv::sem::SemaphoreSet;
use ipckit::sysv::shm::SharedMemory;

use super::{parse_key, parse_mode};

/// Flags of `ipckit mk`.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("what").required(true).multiple(false))]
pub struct MkArgs {
    /// Make a System V message queue.
    #[arg(short = 'Q', long = "queue", group = "what")]
    pub queue: bool,
    /// Make a System V shared-memory segment of SIZE bytes.
    #[arg(short = 'M', long = "shmem", value_name = "SIZE", group = "what")]
    pub shmem: Option<usize>,
    /// Make a System V semaphore set of NSEMS semaphores (values 0 unless --value).
    #[arg(short = 'S', long = "semaphore", value_name = "NSEMS", group = "what")]
    pub semaphore: Option<usize>,
    /// The System V key: decimal, 0x hex, or ftok:PATH:ID (default: IPC_PRIVATE, key 0).
    #[arg(short = 'k', long, value_name = "KEY", value_parser = parse_key)]
    pub key: Option<Key>,
    /// Derive the System V key with ftok(3) from an existing PATH and a project ID (only
    /// its low 8 bits count).
    #[arg(long, value_name = "PATH:ID", conflicts_with = "key")]
    pub ftok: Option<String>,
    /// Permission bits in octal (default 0600).
    #[arg(short = 'p', long, value_name = "MODE", value_parser = parse_mode, default_value = "0600")]
    pub mode: u32,
    /// The initial value of every semaphore of a new set (-S).
    #[arg(long, value_name = "N", requires = "semaphore", default_value_t = 0)]
    pub value: u16,
}

/// Runs `ipckit mk`.
pub fn run(args: MkArgs) -> anyhow::Result<ExitCode> {
    let key = match (&args.key, &args.ftok) {
        (Some(k), _) => *k,
        (None, Some(f)) => parse_key(&format!("ftok:{f}")).map_err(anyhow::Error::msg)?,
        (None, None) => Key::PRIVATE,
    };
    let id = if args.queue {
        let mut q = MessageQueue::builder(key).mode(args.mode).create_new()?;
        q.persist();
        q.id()
    } else if let Some(size) = args.shmem {
        let mut s = SharedMemory::builder(key, size)
            .mode(args.mode)
            .create_new()?;
        s.persist();
        s.id()
    } else if let Some(n) = args.semaphore {
        let mut s = SemaphoreSet::builder(key, n)
            .mode(args.mode)
            .values(&vec![args.value; n])
            .create_new()?;
        s.persist();
        s.id()
    } else {
        unreachable!("clap requires one kind")
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "{id}")?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
