//! The channel layer's byte and message I/O on a file descriptor: `read(2)`, `write(2)`,
//! `writev(2)`, `send(2)`/`sendmsg(2)` with `MSG_NOSIGNAL`, readiness waits (`poll(2)`),
//! and the few `fstat`/`getsockopt` questions the channel asks of an fd. No `unsafe` here:
//! nix wraps these calls. Every function returns ipckit's own [`Errno`]; none retries
//! `EINTR` (the callers decide, so that a timeout keeps counting down).

use std::io::IoSlice;
use std::os::fd::{AsRawFd, BorrowedFd};

use nix::poll::PollFlags;
use nix::sys::socket::{MsgFlags, UnixAddr};

use crate::sys::{errno, Deadline};
use crate::Errno;

/// Whether `fd` is a socket (`fstat(2)`: `S_IFSOCK`); `false` if `fstat` fails.
pub(crate) fn is_socket(fd: BorrowedFd<'_>) -> bool {
    crate::sys::poll::file_type(fd).is_ok_and(|t| t == libc::S_IFSOCK)
}

/// One `read(2)` into `dst`: the number of bytes read, `0` at the end of the stream.
pub(crate) fn read(fd: BorrowedFd<'_>, dst: &mut [u8]) -> Result<usize, Errno> {
    nix::unistd::read(fd, dst).map_err(errno)
}

/// One `write(2)` of `buf`: the number of bytes written.
pub(crate) fn write(fd: BorrowedFd<'_>, buf: &[u8]) -> Result<usize, Errno> {
    nix::unistd::write(fd, buf).map_err(errno)
}

/// One `writev(2)` of `bufs`: the number of bytes written.
pub(crate) fn writev(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> Result<usize, Errno> {
    nix::sys::uio::writev(fd, bufs).map_err(errno)
}

/// One `send(2)` of `buf` on a socket with `MSG_NOSIGNAL` (a gone reader is `EPIPE`, never
/// `SIGPIPE`): the number of bytes sent.
pub(crate) fn send_nosignal(fd: BorrowedFd<'_>, buf: &[u8]) -> Result<usize, Errno> {
    nix::sys::socket::send(fd.as_raw_fd(), buf, MsgFlags::MSG_NOSIGNAL).map_err(errno)
}

/// One `sendmsg(2)` of `bufs` on a connected socket with `MSG_NOSIGNAL`: the gathering
/// `writev` of a socket. Returns the number of bytes sent.
pub(crate) fn sendv_nosignal(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> Result<usize, Errno> {
    nix::sys::socket::sendmsg::<UnixAddr>(fd.as_raw_fd(), bufs, &[], MsgFlags::MSG_NOSIGNAL, None)
        .map_err(errno)
}

/// Waits (`poll(2)`, `POLLIN`) until `fd` is readable, has hung up or failed, or until
/// `deadline` passes (`None`: forever). `true` if ready, `false` if the deadline passed.
/// `EINTR` is retried with the time left; any deadline, up to a saturated
/// `Duration::MAX` one, is valid.
pub(crate) fn wait_readable(fd: BorrowedFd<'_>, deadline: Option<Deadline>) -> Result<bool, Errno> {
    crate::sys::poll::wait_fd(fd, PollFlags::POLLIN, deadline)
        .map(|ready| !ready.is_empty())
        .map_err(errno)
}

/// Like [`wait_readable`] for `POLLOUT`: room to write, a hang-up or an error.
pub(crate) fn wait_writable(fd: BorrowedFd<'_>, deadline: Option<Deadline>) -> Result<bool, Errno> {
    crate::sys::poll::wait_fd(fd, PollFlags::POLLOUT, deadline)
        .map(|ready| !ready.is_empty())
        .map_err(errno)
}

/// The socket's send buffer size in bytes (`getsockopt(SO_SNDBUF)`).
pub(crate) fn send_buffer_size(fd: BorrowedFd<'_>) -> Result<usize, Errno> {
    nix::sys::socket::getsockopt(&fd, nix::sys::socket::sockopt::SndBuf).map_err(errno)
}

/// Whether the file `fd` refers to has no name left (`fstat(2)`: `st_nlink == 0`): a POSIX
/// message queue (or a file) that was unlinked.
pub(crate) fn is_unlinked(fd: BorrowedFd<'_>) -> Result<bool, Errno> {
    nix::sys::stat::fstat(fd)
        .map(|st| st.st_nlink == 0)
        .map_err(errno)
}

/// What `poll(2)` reported for one fd of [`poll_readable`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Revents {
    /// `POLLIN`: data (or a connection) waits.
    pub(crate) readable: bool,
    /// `POLLHUP`: the peer closed.
    pub(crate) hangup: bool,
    /// `POLLERR` / `POLLNVAL`.
    pub(crate) error: bool,
}

impl Revents {
    /// Whether anything at all was reported.
    pub(crate) fn any(&self) -> bool {
        self.readable || self.hangup || self.error
    }
}

/// Waits (`poll(2)`, `POLLIN` on every fd) until at least one of `fds` is readable, has hung
/// up or failed, or until `deadline` passes (`None`: forever). Fills `out` with one
/// [`Revents`] per fd, in order (all empty if the deadline passed). `EINTR` is retried with
/// the time left.
pub(crate) fn poll_readable(
    fds: &[BorrowedFd<'_>],
    deadline: Option<Deadline>,
    out: &mut Vec<Revents>,
) -> Result<(), Errno> {
    use nix::poll::{PollFd, PollTimeout};
    out.clear();
    out.resize(fds.len(), Revents::default());
    let mut pfds: Vec<PollFd<'_>> = fds
        .iter()
        .map(|fd| PollFd::new(*fd, PollFlags::POLLIN))
        .collect();
    loop {
        let timeout = match deadline {
            None => PollTimeout::NONE,
            Some(d) => {
                let ms = d.remaining().as_nanos().div_ceil(1_000_000);
                PollTimeout::try_from(ms.min(i32::MAX as u128) as i32).unwrap_or(PollTimeout::MAX)
            }
        };
        match nix::poll::poll(&mut pfds, timeout) {
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(errno(e)),
            Ok(0) => match deadline {
                Some(d) if d.remaining().is_zero() => return Ok(()),
                _ => continue,
            },
            Ok(_) => break,
        }
    }
    for (slot, p) in out.iter_mut().zip(&pfds) {
        let r = p.revents().unwrap_or(PollFlags::empty());
        *slot = Revents {
            readable: r.contains(PollFlags::POLLIN),
            hangup: r.contains(PollFlags::POLLHUP),
            error: r.intersects(PollFlags::POLLERR | PollFlags::POLLNVAL),
        };
    }
    Ok(())
}

/// The largest write to a pipe or FIFO the kernel makes atomic (`PIPE_BUF`, 4096 on Linux):
/// it never interleaves with another writer's.
pub(crate) const PIPE_BUF: usize = libc::PIPE_BUF;

/// Whether `fd` is a pipe or FIFO (`fstat(2)`: `S_IFIFO`); `false` if `fstat` fails.
pub(crate) fn is_fifo(fd: BorrowedFd<'_>) -> bool {
    crate::sys::poll::file_type(fd).is_ok_and(|t| t == libc::S_IFIFO)
}

/// `flock(2)`: takes an exclusive lock on the file `fd` refers to (waiting for it), or
/// releases it (`lock == false`). The lock belongs to the open file description. Does not
/// retry `EINTR`.
pub(crate) fn flock_exclusive(fd: BorrowedFd<'_>, lock: bool) -> Result<(), Errno> {
    use nix::fcntl::FlockArg;
    let arg = if lock {
        FlockArg::LockExclusive
    } else {
        FlockArg::Unlock
    };
    #[allow(deprecated)] // `Flock<T>` wants to own the fd; this lock is per frame
    nix::fcntl::flock(fd.as_raw_fd(), arg).map_err(errno)
}

/// `flock(LOCK_EX | LOCK_NB)`: `Ok(true)` if the exclusive lock was taken, `Ok(false)` if
/// another open file description holds it. Does not retry `EINTR`.
#[cfg(feature = "tokio")]
pub(crate) fn try_flock_exclusive(fd: BorrowedFd<'_>) -> Result<bool, Errno> {
    #[allow(deprecated)] // as flock_exclusive: the lock is per frame
    match nix::fcntl::flock(fd.as_raw_fd(), nix::fcntl::FlockArg::LockExclusiveNonblock) {
        Ok(()) => Ok(true),
        Err(nix::errno::Errno::EWOULDBLOCK) => Ok(false),
        Err(e) => Err(errno(e)),
    }
}
