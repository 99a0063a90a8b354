//! Record locks: open file description locks (`fcntl(F_OFD_SETLK/F_OFD_SETLKW/F_OFD_GETLK)`)
//! and `flock(2)`.

use std::os::fd::{AsRawFd, BorrowedFd};

use nix::fcntl::{fcntl, FcntlArg};

use crate::sys::{errno, retry_eintr};
use crate::Errno;

/// What a lock request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// `F_RDLCK` / `LOCK_SH`.
    Shared,
    /// `F_WRLCK` / `LOCK_EX`.
    Exclusive,
    /// `F_UNLCK` / `LOCK_UN`.
    Unlock,
}

/// Whether a request waits for a conflicting lock to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// `F_OFD_SETLKW` / no `LOCK_NB`: waits (`EINTR` is retried).
    Block,
    /// `F_OFD_SETLK` / `LOCK_NB`: `EAGAIN` at once.
    Try,
}

/// A lock another open file description holds (from `F_OFD_GETLK`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Held {
    pub(crate) exclusive: bool,
    pub(crate) start: u64,
    /// 0: to the end of the file and beyond.
    pub(crate) len: u64,
    /// -1 for an OFD lock; the holder's pid for a classic POSIX lock.
    pub(crate) pid: i32,
}

fn flock_struct(op: Op, start: u64, len: u64) -> Result<libc::flock, Errno> {
    let start = i64::try_from(start).map_err(|_| Errno::EINVAL)?;
    let len = i64::try_from(len).map_err(|_| Errno::EINVAL)?;
    // SAFETY: `libc::flock` is plain old data (integers); all-zero is a valid value, and
    // l_pid must be 0 for OFD requests.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = match op {
        Op::Shared => libc::F_RDLCK,
        Op::Exclusive => libc::F_WRLCK,
        Op::Unlock => libc::F_UNLCK,
    } as libc::c_short;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    fl.l_start = start;
    fl.l_len = len;
    Ok(fl)
}

/// `fcntl(F_OFD_SETLK or F_OFD_SETLKW)` over `start..start+len` (`len` 0: to EOF and beyond).
pub(crate) fn ofd_setlk(
    fd: BorrowedFd<'_>,
    op: Op,
    start: u64,
    len: u64,
    wait: Wait,
) -> Result<(), Errno> {
    let fl = flock_struct(op, start, len)?;
    retry_eintr(|| {
        let arg = match wait {
            Wait::Block => FcntlArg::F_OFD_SETLKW(&fl),
            Wait::Try => FcntlArg::F_OFD_SETLK(&fl),
        };
        fcntl(fd, arg).map(drop)
    })
    .map_err(errno)
}

/// `fcntl(F_OFD_GETLK)`: the first lock of another open file description that would
/// conflict with `op` over the range, if any.
pub(crate) fn ofd_getlk(
    fd: BorrowedFd<'_>,
    op: Op,
    start: u64,
    len: u64,
) -> Result<Option<Held>, Errno> {
    let mut fl = flock_struct(op, start, len)?;
    retry_eintr(|| fcntl(fd, FcntlArg::F_OFD_GETLK(&mut fl)).map(drop)).map_err(errno)?;
    if fl.l_type == libc::F_UNLCK as libc::c_short {
        return Ok(None);
    }
    Ok(Some(Held {
        exclusive: fl.l_type == libc::F_WRLCK as libc::c_short,
        start: fl.l_start as u64,
        len: fl.l_len as u64,
        pid: fl.l_pid,
    }))
}

/// `flock(2)` on the whole file.
pub(crate) fn flock(fd: BorrowedFd<'_>, op: Op, wait: Wait) -> Result<(), Errno> {
    let mut how = match op {
        Op::Shared => libc::LOCK_SH,
        Op::Exclusive => libc::LOCK_EX,
        Op::Unlock => libc::LOCK_UN,
    };
    if wait == Wait::Try {
        how |= libc::LOCK_NB;
    }
    retry_eintr(|| {
        // SAFETY: flock takes an fd number and flags; the fd is borrowed, hence open.
        let r = unsafe { libc::flock(fd.as_raw_fd(), how) };
        if r == 0 {
            Ok(())
        } else {
            Err(nix::errno::Errno::last())
        }
    })
    .map_err(errno)
}

/// `fcntl(F_SETLK)`: a classic per-process POSIX lock, for tests that show its pitfall.
#[cfg(test)]
pub(crate) fn classic_setlk(fd: BorrowedFd<'_>, op: Op, start: u64, len: u64) -> Result<(), Errno> {
    let fl = flock_struct(op, start, len)?;
    fcntl(fd, FcntlArg::F_SETLK(&fl)).map(drop).map_err(errno)
}
