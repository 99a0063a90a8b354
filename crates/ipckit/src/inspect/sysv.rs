//! Listing of System V IPC objects (`/proc/sysvipc/{msg,shm,sem}`) and the kernel's System V
//! limits (`/proc/sys/kernel/{msgmax,msgmnb,msgmni,shmmax,shmall,shmmni,sem}`).
//!
//! `/proc/sysvipc` lists every object in the caller's IPC namespace, whatever its
//! permissions (this is what `ipcs` and `lsipc` read). The values are typed: ids and
//! counters as integers, times as `Option<SystemTime>` (`None` for "never"), keys as
//! [`Key`].
//!
//! ```
//! use ipckit::inspect::sysv;
//! use ipckit::sysv::{key::Key, msg::MessageQueue};
//! let q = MessageQueue::builder(Key::PRIVATE).create_new()?;
//! q.send(1, b"abc")?;
//! let listed = sysv::queues()?.into_iter().find(|i| i.id == q.id()).unwrap();
//! assert_eq!((listed.qnum, listed.cbytes), (1, 3));
//! assert!(sysv::limits()?.msgmax >= 1);
//! # Ok::<(), ipckit::Error>(())
//! ```
//!
//! # References
//! <https://man7.org/linux/man-pages/man5/proc_sysvipc.5.html>,
//! <https://man7.org/linux/man-pages/man1/ipcs.1.html>

use std::collections::HashMap;
use std::time::SystemTime;

use crate::error::Context;
use crate::sysv::key::Key;
use crate::sysv::sem::SemaphoreSet;
use crate::sysv::{kernel_limit, time, Perm};
use crate::{Error, ErrorKind, Result};

/// Where the kernel lists System V message queues.
pub const MSG_PATH: &str = "/proc/sysvipc/msg";
/// Where the kernel lists System V shared-memory segments.
pub const SHM_PATH: &str = "/proc/sysvipc/shm";
/// Where the kernel lists System V semaphore sets.
pub const SEM_PATH: &str = "/proc/sysvipc/sem";

/// One message queue as `/proc/sysvipc/msg` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueInfo {
    /// The queue's id (`msqid`).
    pub id: i32,
    /// Key, owner, creator and permission bits.
    pub perm: Perm,
    /// Bytes of text queued.
    pub cbytes: u64,
    /// Messages queued.
    pub qnum: u64,
    /// Pid of the last sender (0: none).
    pub lspid: i32,
    /// Pid of the last receiver (0: none).
    pub lrpid: i32,
    /// Last send, `None` if never.
    pub stime: Option<SystemTime>,
    /// Last receive, `None` if never.
    pub rtime: Option<SystemTime>,
    /// Creation or last change.
    pub ctime: Option<SystemTime>,
}

/// One shared-memory segment as `/proc/sysvipc/shm` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentInfo {
    /// The segment's id (`shmid`).
    pub id: i32,
    /// Key, owner, creator and permission bits.
    pub perm: Perm,
    /// Size in bytes.
    pub size: u64,
    /// Creator's pid.
    pub cpid: i32,
    /// Pid of the last attach/detach.
    pub lpid: i32,
    /// Current attachments.
    pub nattch: u64,
    /// Last attach, `None` if never.
    pub atime: Option<SystemTime>,
    /// Last detach, `None` if never.
    pub dtime: Option<SystemTime>,
    /// Creation or last change.
    pub ctime: Option<SystemTime>,
    /// Resident bytes.
    pub rss: u64,
    /// Swapped-out bytes.
    pub swap: u64,
    /// Marked for removal (`SHM_DEST`): goes away at the last detach.
    pub dest: bool,
    /// Locked in memory (`SHM_LOCKED`).
    pub locked: bool,
}

/// One semaphore set as `/proc/sysvipc/sem` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetInfo {
    /// The set's id (`semid`).
    pub id: i32,
    /// Key, owner, creator and permission bits.
    pub perm: Perm,
    /// Number of semaphores.
    pub nsems: u64,
    /// Last `semop`, `None` if never.
    pub otime: Option<SystemTime>,
    /// Creation or last change.
    pub ctime: Option<SystemTime>,
}

/// One semaphore of a set, as `semctl(GETVAL/GETNCNT/GETZCNT/GETPID)` report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SemaphoreInfo {
    /// Its index in the set (`semnum`).
    pub semnum: u16,
    /// The current value (`semval`).
    pub value: u16,
    /// Processes waiting for the value to grow (`semncnt`).
    pub ncnt: u32,
    /// Processes waiting for the value to be zero (`semzcnt`).
    pub zcnt: u32,
    /// Pid of the last `semop` on it (`sempid`, 0: none).
    pub pid: i32,
}

/// The kernel's System V limits, with current use where it can be counted.
///
/// # References
/// <https://man7.org/linux/man-pages/man5/proc_sys_kernel.5.html>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest message, bytes (`msgmax`).
    pub msgmax: u64,
    /// Default capacity of a new queue, bytes (`msgmnb`).
    pub msgmnb: u64,
    /// Most message queues (`msgmni`).
    pub msgmni: u64,
    /// Largest segment, bytes (`shmmax`).
    pub shmmax: u64,
    /// Most shared memory in all segments, pages (`shmall`).
    pub shmall: u64,
    /// Most segments (`shmmni`).
    pub shmmni: u64,
    /// Most semaphores per set (`semmsl`, first field of `sem`).
    pub semmsl: u64,
    /// Most semaphores in all sets (`semmns`).
    pub semmns: u64,
    /// Most operations per `semop` call (`semopm`).
    pub semopm: u64,
    /// Most semaphore sets (`semmni`).
    pub semmni: u64,
    /// Message queues in use.
    pub queues_used: u64,
    /// Segments in use.
    pub segments_used: u64,
    /// Pages used by all segments (sizes rounded up to pages).
    pub shm_pages_used: u64,
    /// Semaphore sets in use.
    pub sets_used: u64,
    /// Semaphores in all sets.
    pub semaphores_used: u64,
}

/// A parsed `/proc/sysvipc` table: one map from column name to value per row.
fn table(path: &'static str) -> Result<Vec<HashMap<String, i128>>> {
    let text = std::fs::read_to_string(path).ctx("read", path)?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .map(|h| h.split_whitespace().collect())
        .unwrap_or_default();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < header.len() {
                return Err(Error::new(ErrorKind::Other, "parse", path)
                    .with_detail(format!("short line {line:?}")));
            }
            header
                .iter()
                .zip(&fields)
                .map(|(name, v)| {
                    let n = if *name == "perms" {
                        i128::from_str_radix(v, 8)
                    } else {
                        v.parse::<i128>()
                    };
                    n.map(|n| (name.to_string(), n)).map_err(|_| {
                        Error::new(ErrorKind::Other, "parse", path)
                            .with_detail(format!("column {name} is {v:?}"))
                    })
                })
                .collect()
        })
        .collect()
}

struct Row<'a>(&'a HashMap<String, i128>);

impl Row<'_> {
    fn get(&self, name: &str) -> i128 {
        self.0.get(name).copied().unwrap_or(0)
    }
    fn u64(&self, name: &str) -> u64 {
        u64::try_from(self.get(name)).unwrap_or(0)
    }
    fn i32(&self, name: &str) -> i32 {
        i32::try_from(self.get(name)).unwrap_or(0)
    }
    fn u32(&self, name: &str) -> u32 {
        u32::try_from(self.get(name)).unwrap_or(0)
    }
    fn time(&self, name: &str) -> Option<SystemTime> {
        time(i64::try_from(self.get(name)).unwrap_or(0))
    }
    fn perm(&self) -> Perm {
        Perm {
            key: Key::new(self.get("key") as i32),
            uid: self.u32("uid"),
            gid: self.u32("gid"),
            cuid: self.u32("cuid"),
            cgid: self.u32("cgid"),
            mode: self.u32("perms") & 0o777,
        }
    }
}

/// Every System V message queue (`/proc/sysvipc/msg`), in the kernel's order.
///
/// # Errors
/// [`ErrorKind::NotFound`] if `/proc/sysvipc` is missing (no procfs, or a kernel without
/// System V IPC); [`ErrorKind::Other`] if a line cannot be parsed.
///
/// # Examples
/// ```
/// let all = ipckit::inspect::sysv::queues()?;
/// assert!(all.iter().all(|q| q.id >= 0));
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man5/proc_sysvipc.5.html>
pub fn queues() -> Result<Vec<QueueInfo>> {
    Ok(table(MSG_PATH)?
        .iter()
        .map(|r| {
            let r = Row(r);
            QueueInfo {
                id: r.i32("msqid"),
                perm: r.perm(),
                cbytes: r.u64("cbytes"),
                qnum: r.u64("qnum"),
                lspid: r.i32("lspid"),
                lrpid: r.i32("lrpid"),
                stime: r.time("stime"),
                rtime: r.time("rtime"),
                ctime: r.time("ctime"),
            }
        })
        .collect())
}

/// Every System V shared-memory segment (`/proc/sysvipc/shm`).
///
/// # Errors
/// As [`queues`].
///
/// # Examples
/// ```
/// let all = ipckit::inspect::sysv::segments()?;
/// assert!(all.iter().all(|s| s.size >= 1));
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man5/proc_sysvipc.5.html>
pub fn segments() -> Result<Vec<SegmentInfo>> {
    Ok(table(SHM_PATH)?
        .iter()
        .map(|r| {
            let r = Row(r);
            let mode = r.u32("perms");
            SegmentInfo {
                id: r.i32("shmid"),
                perm: r.perm(),
                size: r.u64("size"),
                cpid: r.i32("cpid"),
                lpid: r.i32("lpid"),
                nattch: r.u64("nattch"),
                atime: r.time("atime"),
                dtime: r.time("dtime"),
                ctime: r.time("ctime"),
                rss: r.u64("rss"),
                swap: r.u64("swap"),
                dest: mode & crate::sys::sysv::SHM_DEST != 0,
                locked: mode & crate::sys::sysv::SHM_LOCKED != 0,
            }
        })
        .collect())
}

/// Every System V semaphore set (`/proc/sysvipc/sem`).
///
/// # Errors
/// As [`queues`].
///
/// # Examples
/// ```
/// let all = ipckit::inspect::sysv::sets()?;
/// assert!(all.iter().all(|s| s.nsems >= 1));
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man5/proc_sysvipc.5.html>
pub fn sets() -> Result<Vec<SetInfo>> {
    Ok(table(SEM_PATH)?
        .iter()
        .map(|r| {
            let r = Row(r);
            SetInfo {
                id: r.i32("semid"),
                perm: r.perm(),
                nsems: r.u64("nsems"),
                otime: r.time("otime"),
                ctime: r.time("ctime"),
            }
        })
        .collect())
}

/// The message queue with id `id`, as [`queues`] lists it; `None` if there is none.
///
/// # Errors
/// As [`queues`].
///
/// # Examples
/// ```
/// use ipckit::sysv::{key::Key, msg::MessageQueue};
/// let q = MessageQueue::builder(Key::PRIVATE).create_new()?;
/// assert_eq!(ipckit::inspect::sysv::queue(q.id())?.map(|i| i.qnum), Some(0));
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man5/proc_sysvipc.5.html>
pub fn queue(id: i32) -> Result<Option<QueueInfo>> {
    Ok(queues()?.into_iter().find(|q| q.id == id))
}

/// The shared-memory segment with id `id`, as [`segments`] lists it; `None` if there is
/// none.
///
/// # Errors
/// As [`queues`].
///
/// # Examples
/// ```
/// use ipckit::sysv::{key::Key, shm::SharedMemory};
/// let seg = SharedMemory::builder(Key::PRIVATE, 100).create_new()?;
/// assert_eq!(ipckit::inspect::sysv::segment(seg.id())?.map(|s| s.size), Some(100));
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man5/proc_sysvipc.5.html>
pub fn segment(id: i32) -> Result<Option<SegmentInfo>> {
    Ok(segments()?.into_iter().find(|s| s.id == id))
}

/// The semaphore set with id `id`, as [`sets`] lists it; `None` if there is none.
///
/// # Errors
/// As [`queues`].
///
/// # Examples
/// ```
/// use ipckit::sysv::{key::Key, sem::SemaphoreSet};
/// let set = SemaphoreSet::builder(Key::PRIVATE, 3).create_new()?;
/// assert_eq!(ipckit::inspect::sysv::set(set.id())?.map(|s| s.nsems), Some(3));
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man5/proc_sysvipc.5.html>
pub fn set(id: i32) -> Result<Option<SetInfo>> {
    Ok(sets()?.into_iter().find(|s| s.id == id))
}

/// Each semaphore of the set with id `id`: value, waiters and last pid (what `ipcs -s -i`
/// shows).
///
/// # Errors
/// [`ErrorKind::NotFound`] if there is no such set (`EINVAL`, `EIDRM`);
/// [`ErrorKind::PermissionDenied`] without read permission on it.
///
/// # Examples
/// ```
/// use ipckit::sysv::{key::Key, sem::SemaphoreSet};
/// let set = SemaphoreSet::builder(Key::PRIVATE, 2).values(&[4, 5]).create_new()?;
/// let sems = ipckit::inspect::sysv::semaphores(set.id())?;
/// assert_eq!(sems.iter().map(|s| s.value).collect::<Vec<_>>(), [4, 5]);
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/semctl.2.html>
pub fn semaphores(id: i32) -> Result<Vec<SemaphoreInfo>> {
    let set = SemaphoreSet::from_id(id)?;
    set.values()?
        .into_iter()
        .enumerate()
        .map(|(n, value)| {
            let semnum = n as u16;
            Ok(SemaphoreInfo {
                semnum,
                value,
                ncnt: set.ncnt(semnum)?,
                zcnt: set.zcnt(semnum)?,
                pid: set.pid(semnum)?,
            })
        })
        .collect()
}

/// The System V limits from `/proc/sys/kernel`, and how much of them is in use (counted
/// from `/proc/sysvipc`).
///
/// # Errors
/// [`ErrorKind::NotFound`] if a limit file is missing; as [`queues`] for the counts.
///
/// # Examples
/// ```
/// let l = ipckit::inspect::sysv::limits()?;
/// assert!(l.msgmax <= l.msgmnb || l.msgmnb > 0);
/// assert!(l.semopm >= 1);
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man5/proc_sys_kernel.5.html>
pub fn limits() -> Result<Limits> {
    let get = |name: &'static str| {
        kernel_limit(name).ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                "read",
                format!("/proc/sys/kernel/{name}"),
            )
        })
    };
    let crate::limits::SemLimits {
        semmsl,
        semmns,
        semopm,
        semmni,
    } = crate::limits::sem().ok_or_else(|| {
        Error::new(ErrorKind::NotFound, "read", "/proc/sys/kernel/sem")
            .with_detail("expected 4 numbers: semmsl semmns semopm semmni")
    })?;
    let page = crate::sys::inspect::page_size();
    let segs = segments()?;
    let sets = sets()?;
    Ok(Limits {
        msgmax: get("msgmax")?,
        msgmnb: get("msgmnb")?,
        msgmni: get("msgmni")?,
        shmmax: get("shmmax")?,
        shmall: get("shmall")?,
        shmmni: get("shmmni")?,
        semmsl,
        semmns,
        semopm,
        semmni,
        queues_used: queues()?.len() as u64,
        segments_used: segs.len() as u64,
        shm_pages_used: segs.iter().map(|s| s.size.div_ceil(page)).sum(),
        sets_used: sets.len() as u64,
        semaphores_used: sets.iter().map(|s| s.nsems).sum(),
    })
}

/// Whether segment `s` is stale: its creator (`shm_cpid`) is dead and nobody has it attached
/// (`shm_nattch` 0), so nothing will ever detach it and nothing knows its id. A creator pid
/// reused by a new process makes it look alive (never removed by mistake); a creator outside
/// this pid namespace (shown as 0) counts as alive.
///
/// Note that `ipcmk` and `ipckit mk -M` make exactly such segments on purpose (they exit
/// after creating them): "stale" means no process is left that made or uses it, not that
/// nobody ever will.
///
/// # References
/// <https://man7.org/linux/man-pages/man2/shmctl.2.html>
pub fn is_stale_segment(s: &SegmentInfo) -> bool {
    s.nattch == 0 && !crate::sys::inspect::pid_alive(s.cpid)
}

/// The stale shared-memory segments ([`is_stale_segment`]), in the kernel's order; only
/// those with one of `keys` if `keys` is not empty (`Key::PRIVATE` selects every private
/// segment).
///
/// # Errors
/// As [`segments`].
///
/// # Examples
/// ```
/// use ipckit::sysv::{key::Key, shm::SharedMemory};
/// let seg = SharedMemory::builder(Key::PRIVATE, 100).create_new()?;
/// // Its creator (this process) lives: not stale.
/// let stale = ipckit::inspect::sysv::stale_segments(&[])?;
/// assert!(stale.iter().all(|s| s.id != seg.id()));
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man5/proc_sysvipc.5.html>
pub fn stale_segments(keys: &[Key]) -> Result<Vec<SegmentInfo>> {
    Ok(segments()?
        .into_iter()
        .filter(|s| keys.is_empty() || keys.contains(&s.perm.key))
        .filter(is_stale_segment)
        .collect())
}

/// Removes the segment with id `id` if it is stale, checked again just before
/// (`shmctl(IPC_RMID)`), and says whether it did; a segment with a live creator or an
/// attachment is left alone (`Ok(false)`), as is one that is gone already.
///
/// A process attaching it by id between the check and the removal keeps its attachment (the
/// segment is then only marked for removal and goes at its detach).
///
/// # Errors
/// [`ErrorKind::PermissionDenied`] if the caller may not remove it (`EPERM`); as
/// [`segments`].
///
/// # References
/// <https://man7.org/linux/man-pages/man2/shmctl.2.html>
pub fn remove_stale_segment(id: i32) -> Result<bool> {
    match segment(id)? {
        Some(s) if is_stale_segment(&s) => match crate::sysv::shm::SharedMemory::remove_id(id) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        },
        _ => Ok(false),
    }
}
