//! `epoll(7)` with edge-triggered interest, for the one thing `poll(2)` cannot wait for: a
//! new write to an eventfd whose counter stays non-zero (a ring's doorbell, which is never
//! read; see `ring::park`). No `unsafe` here: nix wraps these calls.

use std::os::fd::{AsFd, BorrowedFd};

use nix::poll::PollTimeout;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags};

use crate::sys::errno;
use crate::Errno;

/// An epoll instance (`epoll_create1(EPOLL_CLOEXEC)`) whose members are registered
/// edge-triggered: each becomes ready once per event on it (`EPOLLIN | EPOLLET`), and
/// [`EdgeSet::take`] collects and clears what is ready. Its own fd is readable (for an
/// outer `poll(2)`) while any member is ready.
#[derive(Debug)]
pub(crate) struct EdgeSet {
    epoll: Epoll,
}

impl EdgeSet {
    /// A new, empty set.
    pub(crate) fn new() -> Result<EdgeSet, Errno> {
        Ok(EdgeSet {
            epoll: Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC).map_err(errno)?,
        })
    }

    /// `epoll_ctl(EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLET)`, reported as `key`. The caller
    /// must [`remove`](EdgeSet::remove) `fd` before closing it: the interest belongs to the
    /// file description, which another process may keep open.
    pub(crate) fn add(&self, fd: BorrowedFd<'_>, key: u64) -> Result<(), Errno> {
        let ev = EpollEvent::new(EpollFlags::EPOLLIN | EpollFlags::EPOLLET, key);
        self.epoll.add(fd, ev).map_err(errno)
    }

    /// `epoll_ctl(EPOLL_CTL_DEL, fd)`; an fd that was not registered is not an error.
    pub(crate) fn remove(&self, fd: BorrowedFd<'_>) {
        let _ = self.epoll.delete(fd);
    }

    /// `epoll_wait` with a zero timeout until nothing more is ready: appends the key of
    /// every member that had an event since the last call (each once per call, however
    /// many events) to `keys`. Never blocks.
    pub(crate) fn take(&self, keys: &mut Vec<u64>) -> Result<(), Errno> {
        let mut events = [EpollEvent::empty(); 32];
        loop {
            let n = match self.epoll.wait(&mut events, PollTimeout::ZERO) {
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(errno(e)),
                Ok(n) => n,
            };
            keys.extend(events[..n].iter().map(EpollEvent::data));
            if n < events.len() {
                return Ok(());
            }
        }
    }
}

impl AsFd for EdgeSet {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.epoll.0.as_fd()
    }
}
