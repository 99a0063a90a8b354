//! `ipckit mk`: make an IPC object that outlives ipckit (like `ipcmk`), print its id (System
//! V) or name (POSIX).

use std::io::Write;
use std::process::ExitCode;

use ipckit::posix::mq::MessageQueue as PosixQueue;
use ipckit::posix::sem::Semaphore as PosixSemaphore;
use ipckit::posix::shm::SharedMemory as PosixShm;
use ipckit::sysv::key::Key;
use ipckit::sysv::msg::MessageQueue;
use ipckit::sysv::sem::SemaphoreSet;
use ipckit::sysv::shm::SharedMemory;
use ipckit::Named;

use crate::parse::{parse_key, parse_mode, parse_size};

/// Flags of `ipckit mk`.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("what").required(true).multiple(false))]
pub struct MkArgs {
    /// Make a System V message queue.
    #[arg(short = 'Q', long = "queue", group = "what")]
    pub queue: bool,
    /// Make a System V shared-memory segment of SIZE bytes (suffixes K, M, G, T: powers of
    /// 1024).
    #[arg(short = 'M', long = "shmem", value_name = "SIZE", value_parser = parse_size, group = "what")]
    pub shmem: Option<usize>,
    /// Make a System V semaphore set of NSEMS semaphores (values 0 unless --value).
    #[arg(short = 'S', long = "semaphore", value_name = "NSEMS", group = "what")]
    pub semaphore: Option<usize>,
    /// Make a POSIX message queue NAME (e.g. /orders), with --maxmsg and --msgsize.
    #[arg(long = "posix-mq", value_name = "NAME", group = "what")]
    pub posix_mq: Option<String>,
    /// Make a POSIX shared-memory object NAME (e.g. /frames) of --size bytes.
    #[arg(
        long = "posix-shm",
        value_name = "NAME",
        group = "what",
        requires = "size"
    )]
    pub posix_shm: Option<String>,
    /// Make a POSIX named semaphore NAME (e.g. /jobs) with --value.
    #[arg(long = "posix-sem", value_name = "NAME", group = "what")]
    pub posix_sem: Option<String>,
    /// The most messages a new POSIX queue holds (--posix-mq only; default:
    /// /proc/sys/fs/mqueue/msg_default).
    #[arg(long, value_name = "N")]
    pub maxmsg: Option<usize>,
    /// The largest message in bytes of a new POSIX queue (--posix-mq only; suffixes as
    /// --size; default: /proc/sys/fs/mqueue/msgsize_default).
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub msgsize: Option<usize>,
    /// The size in bytes of a new POSIX shared-memory object (--posix-shm only; suffixes K,
    /// M, G, T, optionally with iB or B, all powers of 1024: 4K = 4KiB = 4096; e.g. 1T,
    /// sparse on tmpfs).
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub size: Option<usize>,
    /// The System V key (-Q, -M, -S only): decimal, 0x hex, or ftok:PATH:ID (default:
    /// IPC_PRIVATE, key 0).
    #[arg(short = 'k', long, value_name = "KEY", value_parser = parse_key)]
    pub key: Option<Key>,
    /// Derive the System V key with ftok(3) from an existing PATH and a project ID (only
    /// its low 8 bits count).
    #[arg(long, value_name = "PATH:ID", conflicts_with = "key")]
    pub ftok: Option<String>,
    /// Permission bits in octal (default 0600).
    #[arg(short = 'p', long, value_name = "MODE", value_parser = parse_mode, default_value = "0600")]
    pub mode: u32,
    /// The initial value of every semaphore of a new System V set (-S, at most 32767), or of a
    /// new POSIX semaphore (--posix-sem) [default: 0].
    #[arg(long, value_name = "N")]
    pub value: Option<u32>,
}

/// The kind of object the arguments ask for, as `mk` names it in its errors.
fn kind(args: &MkArgs) -> &'static str {
    if args.queue {
        "a System V message queue (-Q)"
    } else if args.shmem.is_some() {
        "a System V shared-memory segment (-M)"
    } else if args.semaphore.is_some() {
        "a System V semaphore set (-S)"
    } else if args.posix_mq.is_some() {
        "a POSIX message queue (--posix-mq)"
    } else if args.posix_shm.is_some() {
        "a POSIX shared-memory object (--posix-shm)"
    } else {
        "a POSIX semaphore (--posix-sem)"
    }
}

/// Refuses a flag that does not apply to the kind of object asked for, naming both (a flag
/// is never silently ignored).
fn check_flags(args: &MkArgs) -> anyhow::Result<()> {
    let sysv = args.queue || args.shmem.is_some() || args.semaphore.is_some();
    let checks: [(&str, bool, bool, &str); 6] = [
        (
            "--maxmsg",
            args.maxmsg.is_some(),
            args.posix_mq.is_some(),
            "--posix-mq",
        ),
        (
            "--msgsize",
            args.msgsize.is_some(),
            args.posix_mq.is_some(),
            "--posix-mq",
        ),
        (
            "--size",
            args.size.is_some(),
            args.posix_shm.is_some(),
            "--posix-shm",
        ),
        ("--key", args.key.is_some(), sysv, "-Q, -M or -S"),
        ("--ftok", args.ftok.is_some(), sysv, "-Q, -M or -S"),
        (
            "--value",
            args.value.is_some(),
            args.semaphore.is_some() || args.posix_sem.is_some(),
            "-S or --posix-sem",
        ),
    ];
    for (flag, given, applies, for_what) in checks {
        if given && !applies {
            anyhow::bail!(
                "mk: {flag} does not apply to {} (it is for {for_what})",
                kind(args)
            );
        }
    }
    Ok(())
}

/// Runs `ipckit mk`.
pub fn run(args: MkArgs) -> anyhow::Result<ExitCode> {
    check_flags(&args)?;
    let posix = if let Some(name) = &args.posix_mq {
        Some(mk_posix_queue(name, args.mode, args.maxmsg, args.msgsize)?)
    } else if let Some(name) = &args.posix_shm {
        let size = args.size.unwrap_or(0);
        Some(mk_posix_shm(name, args.mode, size)?)
    } else if let Some(name) = &args.posix_sem {
        Some(mk_posix_sem(name, args.mode, args.value.unwrap_or(0))?)
    } else {
        None
    };
    if let Some(name) = posix {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{name}")?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let value = u16::try_from(args.value.unwrap_or(0))
        .map_err(|_| anyhow::anyhow!("mk: --value of a System V semaphore is at most 32767"))?;
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
            .values(&vec![value; n])
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

/// `mk --posix-mq`: creates a queue that stays, prints its name.
fn mk_posix_queue(
    name: &str,
    mode: u32,
    maxmsg: Option<usize>,
    msgsize: Option<usize>,
) -> ipckit::Result<String> {
    let mut b = PosixQueue::builder(name).mode(mode);
    if let Some(n) = maxmsg {
        b = b.maxmsg(n);
    }
    if let Some(n) = msgsize {
        b = b.msgsize(n);
    }
    let mut q = b.create_new()?;
    q.persist();
    Ok(q.name().to_string())
}

/// `mk --posix-shm`: creates a zero-filled object of `size` bytes that stays.
fn mk_posix_shm(name: &str, mode: u32, size: usize) -> ipckit::Result<String> {
    let mut s = PosixShm::builder(name).mode(mode).size(size).create_new()?;
    s.persist();
    Ok(s.name().to_string())
}

/// `mk --posix-sem`: creates a named semaphore with `value` that stays.
fn mk_posix_sem(name: &str, mode: u32, value: u32) -> ipckit::Result<String> {
    let mut s = PosixSemaphore::builder(name)
        .mode(mode)
        .value(value)
        .create_new()?;
    s.persist();
    Ok(s.name().to_string())
}
