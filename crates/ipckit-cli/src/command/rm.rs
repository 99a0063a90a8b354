//! `ipckit rm`: remove IPC objects by id or key (like `ipcrm`).

use std::process::ExitCode;

use ipckit::inspect::sysv as inspect;
use ipckit::sysv::key::Key;
use ipckit::sysv::msg::MessageQueue;
use ipckit::sysv::sem::SemaphoreSet;
use ipckit::sysv::shm::SharedMemory;
use ipckit::Named;

use super::parse_key;

/// Which kinds `rm --all` removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AllKind {
    /// Every System V object.
    All,
    /// System V message queues.
    Q,
    /// System V shared-memory segments.
    M,
    /// System V semaphore sets.
    S,
}

/// Flags of `ipckit rm` (each may repeat; all named objects are tried, and the exit status
/// is 1 if any could not be removed).
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("what").required(true).multiple(true))]
pub struct RmArgs {
    /// Remove the System V message queue with this id.
    #[arg(short = 'q', long = "queue-id", value_name = "ID", group = "what")]
    pub queue_id: Vec<i32>,
    /// Remove the System V message queue with this key (decimal, 0x hex, ftok:PATH:ID).
    #[arg(short = 'Q', long = "queue-key", value_name = "KEY", value_parser = parse_key, group = "what")]
    pub queue_key: Vec<Key>,
    /// Mark the System V shared-memory segment with this id for removal (it goes when the
    /// last process detaches).
    #[arg(short = 'm', long = "shmem-id", value_name = "ID", group = "what")]
    pub shmem_id: Vec<i32>,
    /// Mark the System V shared-memory segment with this key for removal.
    #[arg(short = 'M', long = "shmem-key", value_name = "KEY", value_parser = parse_key, group = "what")]
    pub shmem_key: Vec<Key>,
    /// Remove the System V semaphore set with this id.
    #[arg(short = 's', long = "semaphore-id", value_name = "ID", group = "what")]
    pub semaphore_id: Vec<i32>,
    /// Remove the System V semaphore set with this key.
    #[arg(short = 'S', long = "semaphore-key", value_name = "KEY", value_parser = parse_key, group = "what")]
    pub semaphore_key: Vec<Key>,
    /// Remove (unlink) the POSIX message queue NAME (e.g. /orders).
    #[arg(long = "posix-mq", value_name = "NAME", group = "what")]
    pub posix_mq: Vec<String>,
    /// Remove (unlink) the POSIX shared-memory object NAME; processes that have it mapped
    /// keep their mapping.
    #[arg(long = "posix-shm", value_name = "NAME", group = "what")]
    pub posix_shm: Vec<String>,
    /// Remove (unlink) the POSIX named semaphore NAME.
    #[arg(long = "posix-sem", value_name = "NAME", group = "what")]
    pub posix_sem: Vec<String>,
    /// Remove every System V object you may remove (all kinds, or only =q, =m or =s).
    /// Careful: this includes other programs' objects.
    #[arg(
        short = 'a',
        long = "all",
        value_name = "KIND",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "all",
        group = "what"
    )]
    pub all: Option<AllKind>,
}

/// Runs `ipckit rm`.
pub fn run(args: RmArgs) -> anyhow::Result<ExitCode> {
    let mut failed = false;
    let mut report = |r: ipckit::Result<()>| {
        if let Err(e) = r {
            eprintln!("ipckit: {e}");
            failed = true;
        }
    };
    let mut queue_ids = args.queue_id.clone();
    let mut shmem_ids = args.shmem_id.clone();
    let mut sem_ids = args.semaphore_id.clone();
    if let Some(kind) = args.all {
        if matches!(kind, AllKind::All | AllKind::Q) {
            queue_ids.extend(inspect::queues()?.iter().map(|q| q.id));
        }
        if matches!(kind, AllKind::All | AllKind::M) {
            shmem_ids.extend(inspect::segments()?.iter().map(|s| s.id));
        }
        if matches!(kind, AllKind::All | AllKind::S) {
            sem_ids.extend(inspect::sets()?.iter().map(|s| s.id));
        }
    }
    for id in queue_ids {
        report(MessageQueue::remove_id(id));
    }
    for key in args.queue_key {
        report(
            MessageQueue::builder(key)
                .open()
                .and_then(MessageQueue::remove),
        );
    }
    for id in shmem_ids {
        report(SharedMemory::remove_id(id));
    }
    for key in args.shmem_key {
        report(
            SharedMemory::builder(key, 0)
                .open()
                .and_then(SharedMemory::remove),
        );
    }
    for id in sem_ids {
        report(SemaphoreSet::remove_id(id));
    }
    for key in args.semaphore_key {
        report(
            SemaphoreSet::builder(key, 0)
                .no_init_wait()
                .open()
                .and_then(SemaphoreSet::remove),
        );
    }
    super::posix::rm(
        &args.posix_mq,
        &args.posix_shm,
        &args.posix_sem,
        &mut report,
    );
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
