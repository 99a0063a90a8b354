//! `ipckit rm`: remove IPC objects by id or key (like `ipcrm`).

use std::process::ExitCode;

use ipckit::inspect::sysv as inspect;
use ipckit::posix::mq::MessageQueue as PosixQueue;
use ipckit::posix::sem::Semaphore as PosixSemaphore;
use ipckit::posix::shm::SharedMemory as PosixShm;
use ipckit::sysv::key::Key;

use crate::parse::parse_key;
use crate::sysv_remove::{Found, SysvKind};

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
    /// Remove every System V object you may remove (all kinds, or only =q, =m or =s),
    /// printing each one (and how many unread messages a queue held) as it goes. Careful:
    /// this includes other programs' objects, and queues that still hold messages.
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
    /// Remove what `ipckit ls --stale` lists, each checked again just before: Unix socket
    /// files nobody listens on and System V segments whose creator is dead and that nobody
    /// attaches (never a socket with a listener, nor a segment with a live creator or an
    /// attachment). Prints each object it removed. Careful without TARGETS: every such
    /// segment goes, including those `ipcmk`/`ipckit mk -M` made to outlive their creator.
    #[arg(long, group = "what")]
    pub stale: bool,
    /// With --stale, where to look, as for `ipckit ls --stale`: existing directories (their
    /// socket files, not recursively) and System V keys. Without any: the current directory,
    /// $XDG_RUNTIME_DIR and /tmp, and every segment.
    #[arg(value_name = "DIR|KEY", requires = "stale")]
    pub targets: Vec<String>,
}

/// One object `rm` was asked to remove, as the command line named it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    SysvId(SysvKind, i32),
    SysvKey(SysvKind, Key),
    PosixMq(String),
    PosixShm(String),
    PosixSem(String),
}

impl Target {
    /// Removes it (a System V segment is marked for removal; a POSIX name is unlinked).
    fn remove(&self) -> ipckit::Result<()> {
        match self {
            Target::SysvId(kind, id) => kind.remove_id(*id),
            Target::SysvKey(kind, key) => kind.remove_key(*key),
            Target::PosixMq(name) => PosixQueue::unlink(name),
            Target::PosixShm(name) => PosixShm::unlink(name),
            Target::PosixSem(name) => PosixSemaphore::unlink(name),
        }
    }
}

/// The line that announces the removal of an object `--all` found.
fn announce(kind: SysvKind, f: &Found) -> String {
    let (id, key) = (f.id, f.key);
    match (kind, f.messages) {
        (SysvKind::Msg, Some(n)) if n > 0 => {
            format!("removing message queue id {id} (key {key}) with {n} unread message(s)")
        }
        (SysvKind::Msg, _) => format!("removing message queue id {id} (key {key})"),
        (SysvKind::Shm, _) => format!("removing shared-memory segment id {id} (key {key})"),
        (SysvKind::Sem, _) => format!("removing semaphore set id {id} (key {key})"),
    }
}

/// Every object the arguments name, in the order `rm` has always tried them: System V
/// queues (ids, `--all`, keys), segments, sets, then POSIX queues, shared memory and
/// semaphores; each object `--all` found comes with the line that announces its removal
/// (with the unread messages of a queue), so `--all` never removes anything silently.
fn targets(args: RmArgs) -> anyhow::Result<Vec<(Target, Option<String>)>> {
    let all = |kind: AllKind| args.all.is_some_and(|a| a == AllKind::All || a == kind);
    let named = |t: Target| (t, None);
    let mut t: Vec<(Target, Option<String>)> = Vec::new();
    let sysv = [
        (SysvKind::Msg, AllKind::Q, &args.queue_id, &args.queue_key),
        (SysvKind::Shm, AllKind::M, &args.shmem_id, &args.shmem_key),
        (
            SysvKind::Sem,
            AllKind::S,
            &args.semaphore_id,
            &args.semaphore_key,
        ),
    ];
    for (kind, all_kind, ids, keys) in sysv {
        t.extend(ids.iter().map(|&id| named(Target::SysvId(kind, id))));
        if all(all_kind) {
            t.extend(
                kind.all()?
                    .iter()
                    .map(|f| (Target::SysvId(kind, f.id), Some(announce(kind, f)))),
            );
        }
        t.extend(keys.iter().map(|&k| named(Target::SysvKey(kind, k))));
    }
    t.extend(args.posix_mq.into_iter().map(|n| named(Target::PosixMq(n))));
    t.extend(
        args.posix_shm
            .into_iter()
            .map(|n| named(Target::PosixShm(n))),
    );
    t.extend(
        args.posix_sem
            .into_iter()
            .map(|n| named(Target::PosixSem(n))),
    );
    Ok(t)
}

/// Runs `ipckit rm`: tries every named object, reports each failure, exits 1 if any failed.
pub fn run(args: RmArgs) -> anyhow::Result<ExitCode> {
    let mut failed = false;
    if args.stale {
        failed |= remove_stale(&args.targets)?;
        if args_name_only_stale(&args) {
            return Ok(exit(failed));
        }
    }
    for (target, announce) in targets(args)? {
        if let Some(line) = announce {
            println!("{line}");
        }
        if let Err(e) = target.remove() {
            eprintln!("ipckit: {e}");
            failed = true;
        }
    }
    Ok(exit(failed))
}

fn exit(failed: bool) -> ExitCode {
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Whether `--stale` is all the arguments ask for.
fn args_name_only_stale(a: &RmArgs) -> bool {
    a.queue_id.is_empty()
        && a.queue_key.is_empty()
        && a.shmem_id.is_empty()
        && a.shmem_key.is_empty()
        && a.semaphore_id.is_empty()
        && a.semaphore_key.is_empty()
        && a.posix_mq.is_empty()
        && a.posix_shm.is_empty()
        && a.posix_sem.is_empty()
        && a.all.is_none()
}

/// `rm --stale TARGETS`: removes each stale object that is still stale when its turn comes,
/// printing `removed socket PATH` / `removed segment ID (key KEY)`; whether any failed.
fn remove_stale(targets: &[String]) -> anyhow::Result<bool> {
    let found = crate::command::ls::find_stale(&crate::parse::stale_targets(targets)?)?;
    let mut failed = false;
    for path in &found.sockets {
        match ipckit::inspect::remove_stale_socket(path) {
            Ok(true) => println!("removed socket {}", path.display()),
            Ok(false) => {}
            Err(e) if e.kind() == ipckit::ErrorKind::NotFound => {}
            Err(e) => {
                eprintln!("ipckit: {e}");
                failed = true;
            }
        }
    }
    for s in &found.segments {
        match inspect::remove_stale_segment(s.id) {
            Ok(true) => println!("removed segment {} (key {})", s.id, s.perm.key),
            Ok(false) => {}
            Err(e) => {
                eprintln!("ipckit: {e}");
                failed = true;
            }
        }
    }
    Ok(failed)
}
