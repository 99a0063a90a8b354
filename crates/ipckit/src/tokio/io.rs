//! The readiness loop every fd flavor shares: wait on tokio's reactor, try the sync code's
//! non-blocking call, clear the readiness on `WouldBlock`.

use std::os::fd::{BorrowedFd, OwnedFd};
use std::task::{ready, Context, Poll};

use ::tokio::io::unix::AsyncFd;

use crate::{Error, ErrorKind, Result};

/// Registers a duplicate of `fd` with the current tokio runtime's reactor (`epoll`). A
/// duplicate, so that ends sharing one fd (the receivers of one POSIX queue) each have their
/// own registration; it is closed with the end.
pub(crate) fn register(
    fd: BorrowedFd<'_>,
    object: &dyn std::fmt::Display,
) -> Result<AsyncFd<OwnedFd>> {
    let dup = fd
        .try_clone_to_owned()
        .map_err(|e| io_error(e, "fcntl(F_DUPFD_CLOEXEC)", object))?;
    crate::sys::reactor::register(dup).map_err(|e| io_error(e, "epoll_ctl", object))
}

/// An `std::io::Error` from tokio's reactor as an ipckit error.
pub(crate) fn io_error(
    e: std::io::Error,
    op: &'static str,
    object: &dyn std::fmt::Display,
) -> Error {
    let kind = match e.raw_os_error() {
        Some(libc::EMFILE | libc::ENFILE | libc::ENOMEM | libc::ENOSPC) => ErrorKind::LimitReached,
        _ => ErrorKind::Other,
    };
    Error::new(kind, op, object.to_string()).with_detail(e.to_string())
}

/// Which readiness an operation waits for.
#[derive(Clone, Copy)]
pub(crate) enum Interest {
    Read,
    Write,
}

/// Polls `op` until it does not return `WouldBlock`, waiting for `interest` on `afd`
/// between tries. `op` must be non-blocking; it runs at least once per readiness event.
pub(crate) fn poll_io<T>(
    afd: &AsyncFd<OwnedFd>,
    cx: &mut Context<'_>,
    interest: Interest,
    object: &dyn std::fmt::Display,
    mut op: impl FnMut() -> Result<T>,
) -> Poll<Result<T>> {
    loop {
        let ready = match interest {
            Interest::Read => afd.poll_read_ready(cx),
            Interest::Write => afd.poll_write_ready(cx),
        };
        let mut guard = match ready!(ready) {
            Ok(g) => g,
            Err(e) => return Poll::Ready(Err(io_error(e, "epoll_wait", object))),
        };
        match op() {
            Err(e) if e.kind() == ErrorKind::WouldBlock => guard.clear_ready(),
            r => return Poll::Ready(r),
        }
    }
}
