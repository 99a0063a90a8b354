//! Registration with tokio's reactor (feature `tokio`): the one `unsafe` the async ends
//! need, `AsyncFd::register`, for types known to own their fd.

use std::os::fd::{AsRawFd, OwnedFd};

use tokio::io::unix::AsyncFd;

/// A type that owns exactly one fd for its whole life: `as_raw_fd` always returns it and it
/// is closed only when the value drops. Sealed: implemented here for ipckit's own types.
pub(crate) trait OwnsFd: AsRawFd {}

impl OwnsFd for OwnedFd {}
impl OwnsFd for crate::signal::SignalFd {}
impl OwnsFd for crate::net::unix::UnixStream {}
impl OwnsFd for crate::net::unix::UnixSeqpacket {}
impl OwnsFd for crate::net::unix::UnixDatagram {}

/// `AsyncFd::register(inner)` (`epoll_ctl(EPOLL_CTL_ADD)` on the current runtime's reactor).
///
/// # Panics
/// Outside a tokio runtime with its I/O driver, as `AsyncFd::register`.
pub(crate) fn register<T: OwnsFd>(inner: T) -> std::io::Result<AsyncFd<T>> {
    // SAFETY: `T: OwnsFd` owns one open fd for its whole life and `as_raw_fd` always returns
    // it (OwnedFd, and the ipckit types that hold an OwnedFd field no method replaces); the
    // AsyncFd owns `inner`, so the fd stays open and the same until the AsyncFd is dropped
    // or gives `inner` back with `into_inner`, which deregisters first.
    unsafe { AsyncFd::register(inner) }.map_err(std::io::Error::from)
}
