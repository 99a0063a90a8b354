//! System V IPC (`sysvipc(7)`): keys, message queues, semaphore sets, shared memory.
//!
//! System V objects are named by a [`Key`] and live in the kernel until removed
//! (`IPC_RMID`), outliving the processes that use them. In ipckit:
//!
//! - each object is opened through a builder with an explicit creation mode:
//!   `create_new()` (fails with [`ErrorKind::AlreadyExists`](crate::ErrorKind) if the key is
//!   taken), `open()` (fails with `NotFound` if not), `open_or_create()`;
//! - permissions default to `0o600`; anything wider is asked for with `.mode(...)`;
//! - the handle that *created* the object removes it when dropped, unless
//!   [`Named::persist`](crate::Named::persist) was called on it; a handle that only opened
//!   an object never removes it on drop (call [`Named::remove`](crate::Named::remove) to
//!   remove explicitly). Every handle implements [`crate::Named`];
//! - handles hold the object's id (not a pointer): a handle is cheap, `Send` and `Sync`, and
//!   the id is what `ipcs`/`ipckit ls` show.
//!
//! | type | kernel object | calls |
//! |---|---|---|
//! | [`msg::MessageQueue`] | message queue | `msgget`, `msgsnd`, `msgrcv`, `msgctl` |
//! | [`sem::SemaphoreSet`] | semaphore set | `semget`, `semop`, `semtimedop`, `semctl` |
//! | [`shm::SharedMemory`], [`shm::Attachment`] | shared-memory segment | `shmget`, `shmat`, `shmdt`, `shmctl` |

use std::time::{Duration, SystemTime};

use crate::creation::open_with;
use crate::sys::{retry_eintr, sysv as sys};
use crate::{Errno, Error, Result};

pub mod key;
pub mod msg;
pub mod sem;
pub mod shm;

use key::Key;

/// The ownership and permission fields every System V object has (`struct ipc_perm`).
///
/// # References
/// <https://man7.org/linux/man-pages/man2/msgctl.2.html>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Perm {
    /// The key the object was created with ([`Key::PRIVATE`] for private objects and, for
    /// shared memory, once the segment is marked for removal).
    pub key: Key,
    /// Owner's user id.
    pub uid: u32,
    /// Owner's group id.
    pub gid: u32,
    /// Creator's user id.
    pub cuid: u32,
    /// Creator's group id.
    pub cgid: u32,
    /// Permission bits (`0o777` mask: owner/group/other read and write).
    pub mode: u32,
}

impl Perm {
    pub(crate) fn from_sys(p: &sys::IpcPerm) -> Perm {
        Perm {
            key: Key::new(p.key),
            uid: p.uid,
            gid: p.gid,
            cuid: p.cuid,
            cgid: p.cgid,
            mode: p.mode & 0o777,
        }
    }
}

/// A kernel `time_t` in seconds as a time, `None` for 0 ("never").
pub(crate) fn time(secs: i64) -> Option<SystemTime> {
    (secs > 0).then(|| SystemTime::UNIX_EPOCH + Duration::from_secs(secs as u64))
}

/// A value of `/proc/sys/kernel/NAME` (`msgmax`, `shmmax`, ...), `None` if unreadable
/// (through [`crate::limits`]).
pub(crate) fn kernel_limit(name: &str) -> Option<u64> {
    crate::limits::proc_sys(&format!("kernel/{name}"))
}

pub(crate) use crate::creation::Creation;

/// Runs a `*get` call for `how`; returns the id and whether this call created the object.
///
/// `get(flags)` receives `IPC_CREAT|IPC_EXCL|mode` or `0`; the creation modes run through
/// [`open_with`](crate::creation::open_with), so exactly one of several racing callers is
/// told it created the object.
pub(crate) fn get_object(
    op: &'static str,
    object: &dyn Fn() -> String,
    key: Key,
    how: Creation,
    mode: u32,
    get: impl Fn(i32) -> std::result::Result<i32, Errno>,
) -> Result<(i32, bool)> {
    let perm = (mode & 0o777) as i32;
    let create = sys::IPC_CREAT | sys::IPC_EXCL | perm;
    let err = |e: Errno| Error::from_errno(e, op, object());
    if key.is_private() && how != Creation::CreateNew {
        if how == Creation::Open {
            return Err(Error::new(crate::ErrorKind::InvalidInput, op, object())
                .with_detail("IPC_PRIVATE cannot be opened, only created: open by id instead"));
        }
        return retry_eintr(|| get(create))
            .map(|id| (id, true))
            .map_err(err);
    }
    open_with(how, |excl| {
        retry_eintr(|| get(if excl { create } else { 0 })).map_err(err)
    })
    .map_err(|e| {
        if how == Creation::CreateNew && e.errno() == Some(Errno::EEXIST) {
            e.with_detail("the key is taken: open() it, or remove it first")
        } else {
            e
        }
    })
}

/// Maps the errno of a call on an existing id: `EINVAL`/`EIDRM` on an id that no longer
/// exists is [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) (`EIDRM` while blocked
/// stays `PeerGone`: the object was removed under the caller).
pub(crate) fn gone_if_invalid(e: Error, exists: impl FnOnce() -> bool) -> Error {
    if e.errno() == Some(Errno::EINVAL) && !exists() {
        e.with_kind(crate::ErrorKind::NotFound)
            .with_detail("no such id: the object was removed")
    } else {
        e
    }
}
