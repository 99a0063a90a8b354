//! Listing of POSIX IPC objects: shared memory and named semaphores (`/dev/shm`) and message
//! queues (the `mqueue` filesystem).
//!
//! # How names are shown
//! Every POSIX object is shown by the name a program passes to `shm_open`, `sem_open` or
//! `mq_open`: **with its leading slash**, for all three kinds. The semaphore whose file is
//! `/dev/shm/sem.jobs` is `/jobs`; the shared-memory file `/dev/shm/frames` is `/frames`; the
//! queue `/dev/mqueue/orders` is `/orders`. (`lsipc` shows queues with a slash and the others
//! without; ipckit uses one rule, so a name copied from a listing works as an argument.)
//!
//! # The mqueue filesystem
//! Message queues exist whether or not the `mqueue` filesystem is mounted, but they can only
//! be listed through it. [`list_mq`] finds it in `/proc/self/mounts`; if it is not mounted the
//! error says so and how to mount it (`mount -t mqueue none /dev/mqueue`, or
//! [`mount_mqueue`] / `ipckit ls --mount-mqueue` as root). As root, [`list_mq_private`]
//! lists them without mounting anything the system sees: it mounts the filesystem in a
//! private mount namespace of its own thread, reads it, and lets the namespace go.
//! [`list_mq_anywhere`] tries the mounted filesystem, then that, and says where the list came
//! from ([`MqSource`]).
//!
//! # References
//! <https://man7.org/linux/man-pages/man7/shm_overview.7.html>,
//! <https://man7.org/linux/man-pages/man7/sem_overview.7.html>,
//! <https://man7.org/linux/man-pages/man7/mq_overview.7.html>

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::Context;
use crate::posix::mq::MessageQueue;
use crate::posix::sem::SEM_NAME_MAX;
use crate::posix::validate_name;
use crate::sys::posix::{NamedSem, SemOps, SEM_SIZE};
use crate::{Error, ErrorKind, Result};

/// Where POSIX shared memory and named semaphores live on Linux.
pub const SHM_DIR: &str = "/dev/shm";
/// Where the mqueue filesystem is conventionally mounted.
pub const MQUEUE_DIR: &str = "/dev/mqueue";

/// What every POSIX object listing shows: name, permissions, owner and last change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Common {
    /// The name with its leading slash (see [the rule](self#how-names-are-shown)).
    pub name: String,
    /// Permission bits (`mode & 0o777`).
    pub perms: u32,
    /// Owner's user id.
    pub uid: u32,
    /// Owner's group id.
    pub gid: u32,
    /// Last modification time of the object's file (`st_mtime`).
    pub mtime: SystemTime,
}

/// A POSIX shared-memory object (a regular file in `/dev/shm` not named `sem.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shm {
    /// Name, permissions, owner, mtime.
    pub common: Common,
    /// Size in bytes (`SIZE`).
    pub size: u64,
}

/// A POSIX named semaphore (`/dev/shm/sem.NAME`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sem {
    /// Name, permissions, owner, mtime.
    pub common: Common,
    /// The current value (`SVAL`, from `sem_getvalue`); `None` if this process may not open it.
    pub value: Option<u32>,
}

/// A POSIX message queue (a file in the mqueue filesystem).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mq {
    /// Name, permissions, owner, mtime.
    pub common: Common,
    /// Bytes the queued messages take in the kernel (`USEDBYTES`, `QSIZE` in the file).
    pub used_bytes: u64,
    /// Messages waiting (`MSGS`, `mq_curmsgs`); `None` if this process may not open it.
    pub msgs: Option<u64>,
    /// Capacity in messages (`mq_maxmsg`), when the queue could be opened.
    pub maxmsg: Option<u64>,
    /// Largest message in bytes (`mq_msgsize`), when the queue could be opened.
    pub msgsize: Option<u64>,
    /// The process registered with `mq_notify`, if any (`NOTIFY_PID`).
    pub notify_pid: Option<u32>,
}

fn common(name: String, md: &std::fs::Metadata) -> Common {
    Common {
        name,
        perms: md.mode() & 0o777,
        uid: md.uid(),
        gid: md.gid(),
        mtime: md.modified().unwrap_or(SystemTime::UNIX_EPOCH),
    }
}

/// Regular files directly in `dir`, with their metadata, sorted by file name.
fn files(dir: &Path) -> Result<Vec<(String, std::fs::Metadata)>> {
    let shown = dir.display().to_string();
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).ctx("opendir", &shown)? {
        let entry = entry.ctx("readdir", &shown)?;
        // An object removed between readdir and stat is simply gone.
        let Ok(md) = entry.metadata() else { continue };
        if !md.is_file() {
            continue;
        }
        if let Ok(name) = entry.file_name().into_string() {
            out.push((name, md));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Lists POSIX shared-memory objects: the regular files in `/dev/shm` except `sem.*`.
///
/// # Errors
/// If `/dev/shm` cannot be read ([`ErrorKind::NotFound`] where it does not exist).
///
/// # Examples
/// ```
/// use ipckit::{inspect::posix, posix::shm::SharedMemory};
/// # let name = format!("/ipckit-doc-lsshm-{}", std::process::id());
/// let _shm = SharedMemory::builder(&name).size(123).create_new()?;
/// let found = posix::list_shm()?.into_iter().find(|s| s.common.name == name).unwrap();
/// assert_eq!((found.size, found.common.perms), (123, 0o600));
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man7/shm_overview.7.html>
pub fn list_shm() -> Result<Vec<Shm>> {
    list_shm_in(Path::new(SHM_DIR))
}

/// [`list_shm`] reading `dir` instead of `/dev/shm`.
///
/// # Errors
/// As [`list_shm`].
pub fn list_shm_in(dir: &Path) -> Result<Vec<Shm>> {
    Ok(files(dir)?
        .into_iter()
        .filter(|(n, _)| !n.starts_with("sem."))
        .map(|(n, md)| Shm {
            size: md.len(),
            common: common(format!("/{n}"), &md),
        })
        .collect())
}

/// Lists POSIX named semaphores (`/dev/shm/sem.NAME`, shown as `/NAME`) with their values.
///
/// The value is read by opening the semaphore (`sem_open` without `O_CREAT`, which changes
/// nothing) and `sem_getvalue`.
///
/// # Errors
/// If `/dev/shm` cannot be read.
///
/// # Examples
/// ```
/// use ipckit::{inspect::posix, posix::sem::Semaphore};
/// # let name = format!("/ipckit-doc-lssem-{}", std::process::id());
/// let _s = Semaphore::builder(&name).value(4).create_new()?;
/// let found = posix::list_sem()?.into_iter().find(|s| s.common.name == name).unwrap();
/// assert_eq!(found.value, Some(4));
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man7/sem_overview.7.html>
pub fn list_sem() -> Result<Vec<Sem>> {
    let dir = Path::new(SHM_DIR);
    Ok(files(dir)?
        .into_iter()
        .filter_map(|(n, md)| {
            let name = format!("/{}", n.strip_prefix("sem.")?);
            // A file too short to hold a sem_t is not a semaphore: mapping it would fault.
            let value = (md.len() >= SEM_SIZE as u64)
                .then(|| validate_name(&name, "sem_open", SEM_NAME_MAX).ok())
                .flatten()
                .and_then(|c| NamedSem::open(&c, 0, 0, 0).ok())
                .and_then(|s| s.value().ok())
                .map(|v| u32::try_from(v).unwrap_or(0));
            Some(Sem {
                common: common(name, &md),
                value,
            })
        })
        .collect())
}

/// Where the mqueue filesystem is mounted (from `/proc/thread-self/mounts`), preferring
/// `/dev/mqueue`; `None` if it is not mounted.
///
/// # Examples
/// ```
/// match ipckit::inspect::posix::mqueue_mount() {
///     Some(dir) => println!("queues are listed in {}", dir.display()),
///     None => println!("mqueue filesystem not mounted"),
/// }
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man7/mq_overview.7.html>
pub fn mqueue_mount() -> Option<PathBuf> {
    let found = crate::sys::inspect::mqueue_mounts();
    found
        .iter()
        .find(|d| d.as_path() == Path::new(MQUEUE_DIR))
        .or(found.first())
        .cloned()
}

/// The error [`list_mq`] returns when the mqueue filesystem is not mounted, saying how to
/// mount it.
pub fn mqueue_not_mounted() -> Error {
    Error::new(ErrorKind::NotFound, "list", "mqueue filesystem").with_detail(format!(
        "it is not mounted, so message queues cannot be listed (they still work); \
         mount it with `mount -t mqueue none {MQUEUE_DIR}` (as root; `mkdir -p {MQUEUE_DIR}` \
         first if needed) or `ipckit ls --mount-mqueue`"
    ))
}

/// Lists POSIX message queues from the mqueue filesystem.
///
/// `USEDBYTES` comes from the queue file's `QSIZE` field; the message count and capacity from
/// `mq_getattr` on a read-only, non-blocking descriptor (opening a queue changes nothing).
///
/// # Errors
/// [`ErrorKind::NotFound`] with [`mqueue_not_mounted`]'s explanation if the filesystem is not
/// mounted; errors reading the directory.
///
/// # Examples
/// ```
/// use ipckit::{inspect::posix, ErrorKind};
/// match posix::list_mq() {
///     Ok(queues) => for q in queues { println!("{} {}", q.common.name, q.used_bytes) },
///     Err(e) if e.kind() == ErrorKind::NotFound => eprintln!("{e}"),
///     Err(e) => return Err(e),
/// }
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man7/mq_overview.7.html>
pub fn list_mq() -> Result<Vec<Mq>> {
    let dir = mqueue_mount().ok_or_else(mqueue_not_mounted)?;
    list_mq_in(&dir)
}

/// [`list_mq`] reading the mqueue filesystem mounted at `dir`.
///
/// # Errors
/// Errors reading the directory.
pub fn list_mq_in(dir: &Path) -> Result<Vec<Mq>> {
    Ok(files(dir)?
        .into_iter()
        .map(|(n, md)| {
            let name = format!("/{n}");
            let text = std::fs::read_to_string(dir.join(&n)).unwrap_or_default();
            let field = |key: &str| -> Option<u64> {
                text.split_whitespace()
                    .find_map(|kv| kv.strip_prefix(key)?.strip_prefix(':')?.parse().ok())
            };
            let attr = MessageQueue::builder(&name)
                .read_only()
                .nonblocking()
                .open()
                .and_then(|q| q.attr())
                .ok();
            Mq {
                used_bytes: field("QSIZE").unwrap_or(0),
                msgs: attr.map(|a| a.curmsgs as u64),
                maxmsg: attr.map(|a| a.maxmsg as u64),
                msgsize: attr.map(|a| a.msgsize as u64),
                notify_pid: field("NOTIFY_PID")
                    .and_then(|p| u32::try_from(p).ok())
                    .filter(|&p| p != 0),
                common: common(name, &md),
            }
        })
        .collect())
}

/// Lists POSIX message queues without the mqueue filesystem mounted: a new thread leaves
/// this process's mount namespace (`unshare(CLONE_NEWNS)`), makes its mounts private, mounts
/// an mqueue filesystem at a fresh empty directory in the temporary directory, lists it as
/// [`list_mq_in`] does, unmounts it and ends, taking its namespace with it. Nothing is
/// mounted or unmounted in the caller's namespace, nor propagated anywhere; the directory is
/// removed afterwards. Needs root (`CAP_SYS_ADMIN`).
///
/// # Errors
/// [`ErrorKind::PermissionDenied`] without the capability; errors creating the directory or
/// mounting.
///
/// # Examples
/// ```
/// use ipckit::{inspect::posix, ErrorKind};
/// match posix::list_mq_private() {
///     Ok(queues) => println!("{} queues", queues.len()),
///     Err(e) if e.kind() == ErrorKind::PermissionDenied => eprintln!("{e}"),
///     Err(e) => return Err(e),
/// }
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man7/mount_namespaces.7.html>,
/// <https://man7.org/linux/man-pages/man7/mq_overview.7.html>
pub fn list_mq_private() -> Result<Vec<Mq>> {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("ipckit-mqueue-{}-{n}", std::process::id()));
    let shown = dir.display().to_string();
    std::fs::create_dir(&dir).ctx("mkdir", &shown)?;
    let listed = crate::sys::inspect::in_private_mount_ns(|| {
        crate::sys::inspect::mount_mqueue(&dir).ctx("mount", &shown)?;
        let queues = list_mq_in(&dir);
        let _ = crate::sys::inspect::unmount(&dir);
        queues
    });
    let _ = std::fs::remove_dir(&dir);
    match listed {
        Ok(r) => r,
        Err(errno) => Err(
            Error::from_errno(errno, "unshare", "mount namespace").with_detail(
                "listing POSIX message queues without the mqueue filesystem mounted needs root \
             (CAP_SYS_ADMIN) for a private mount namespace",
            ),
        ),
    }
}

/// Where a list of POSIX message queues came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MqSource {
    /// The mqueue filesystem mounted at this directory (in this thread's mount namespace).
    Mounted(PathBuf),
    /// A private mount namespace of its own ([`list_mq_private`]): it is not mounted here.
    PrivateMount,
}

/// Lists POSIX message queues wherever they can be: through the mounted mqueue filesystem
/// ([`list_mq`]), else through a private mount namespace ([`list_mq_private`], root only);
/// with where the list came from.
///
/// # Errors
/// [`ErrorKind::NotFound`] with [`mqueue_not_mounted`]'s explanation when it is not mounted
/// and a private mount namespace cannot be had (not root); errors reading the directory.
///
/// # Examples
/// ```
/// use ipckit::{inspect::posix, ErrorKind};
/// match posix::list_mq_anywhere() {
///     Ok((queues, from)) => println!("{} queues ({from:?})", queues.len()),
///     Err(e) if e.kind() == ErrorKind::NotFound => eprintln!("{e}"),
///     Err(e) => return Err(e),
/// }
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man7/mq_overview.7.html>
pub fn list_mq_anywhere() -> Result<(Vec<Mq>, MqSource)> {
    if let Some(dir) = mqueue_mount() {
        return Ok((list_mq_in(&dir)?, MqSource::Mounted(dir)));
    }
    match list_mq_private() {
        Ok(queues) => Ok((queues, MqSource::PrivateMount)),
        Err(e) if e.kind() == ErrorKind::PermissionDenied => {
            Err(mqueue_not_mounted().with_detail(format!(
                "{}; as root ipckit would list them through a private mount namespace",
                mqueue_not_mounted().detail().unwrap_or_default()
            )))
        }
        Err(e) => Err(e),
    }
}

/// `mount(2)`s the mqueue filesystem at `dir` (usually [`MQUEUE_DIR`]), creating the directory
/// if needed: what `mount -t mqueue none /dev/mqueue` does. Needs root (`CAP_SYS_ADMIN`).
///
/// # Errors
/// [`ErrorKind::PermissionDenied`] without the capability; [`ErrorKind::AlreadyExists`] if an
/// mqueue filesystem is already mounted at `dir`.
///
/// # Examples
/// ```no_run
/// ipckit::inspect::posix::mount_mqueue("/dev/mqueue".as_ref())?;
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/mount.2.html>
pub fn mount_mqueue(dir: &Path) -> Result<()> {
    let shown = dir.display().to_string();
    if mqueue_mount().is_some_and(|d| d == dir) {
        return Err(Error::new(ErrorKind::AlreadyExists, "mount", &shown)
            .with_detail("the mqueue filesystem is already mounted there"));
    }
    std::fs::create_dir_all(dir).ctx("mkdir", &shown)?;
    crate::sys::inspect::mount_mqueue(dir)
        .ctx("mount", &shown)
        .map_err(|e| {
            if e.kind() == ErrorKind::PermissionDenied {
                e.with_detail("mounting needs root (CAP_SYS_ADMIN)")
            } else {
                e
            }
        })
}
