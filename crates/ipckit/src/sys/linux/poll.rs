//! `poll(2)` on one fd with an optional [`Deadline`], and the file type of an fd. No
//! `unsafe` here: nix wraps these calls.

use std::os::fd::BorrowedFd;
use std::time::Duration;

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout};

use crate::sys::Deadline;

/// Milliseconds for `poll`, rounded up so that a wait never returns before the deadline and
/// never spins on a sub-millisecond remainder.
fn poll_timeout(d: Duration) -> PollTimeout {
    let ms = d.as_nanos().div_ceil(1_000_000);
    PollTimeout::try_from(ms.min(i32::MAX as u128) as i32).unwrap_or(PollTimeout::MAX)
}

/// Waits until `fd` reports one of `events` (or an error/hangup condition), or until
/// `deadline` passes (`None`: no deadline). Returns the reported events, empty if the deadline
/// passed. `EINTR` is retried with the time that is left.
pub(crate) fn wait_fd(
    fd: BorrowedFd<'_>,
    events: PollFlags,
    deadline: Option<Deadline>,
) -> Result<PollFlags, Errno> {
    loop {
        let timeout = match deadline {
            None => PollTimeout::NONE,
            Some(d) => poll_timeout(d.remaining()),
        };
        let mut fds = [PollFd::new(fd, events)];
        match nix::poll::poll(&mut fds, timeout) {
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
            Ok(0) => match deadline {
                Some(d) if d.remaining().is_zero() => return Ok(PollFlags::empty()),
                _ => continue,
            },
            Ok(_) => return Ok(fds[0].revents().unwrap_or(PollFlags::empty())),
        }
    }
}

/// The file type bits (`st_mode & S_IFMT`) of the file `fd` refers to.
pub(crate) fn file_type(fd: BorrowedFd<'_>) -> Result<u32, Errno> {
    Ok(nix::sys::stat::fstat(fd)?.st_mode & libc::S_IFMT)
}
