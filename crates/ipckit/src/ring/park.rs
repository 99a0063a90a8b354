//! Parking asynchronously: the doorbell protocol that lets an event loop wait for a ring
//! end on an fd (`epoll`) instead of a futex, with the synchronous fast path unchanged.
//!
//! A waiter that an event loop drives (`ipckit::tokio::ring`) does, after an operation
//! returned `WouldBlock`:
//!
//! 1. [`park`]: store [`PARKED`] in its waiter word, full fence (or `membarrier` in
//!    asymmetric mode, as for the futex path), re-load the peer's index. If the index moved
//!    (or the peer closed) it clears the word and says "retry now".
//! 2. Otherwise the loop waits until the doorbell eventfd (or the connection's socket, which
//!    hangs up when the peer dies, or a timer of the check interval) is readable.
//! 3. [`unpark`]: clear the word and retry the operation.
//!
//! The publisher (sync or async alike, [`wait::publish`](super::wait)) stores its index,
//! fences, loads the waiter word, and writes the eventfd only if it holds [`PARKED`]: with
//! no parked waiter the publish costs what it did before (one load of the word, which is
//! zero). No lost wake-up, by the same Dekker argument as the futex path: of the two
//! fences, the later orders its side's load after the other side's store, so either the
//! re-load in step 1 sees the new index (no wait), or the publisher sees [`PARKED`] and
//! rings. The wait in step 2 is for an *edge*: the fd is registered edge-triggered
//! (`EPOLLET`, as tokio does), and every eventfd write makes a new event whether or not the
//! counter was already non-zero, so a ring after the previous wait's readiness was cleared
//! makes the next wait return (tokio's readiness tick keeps such an event from being cleared
//! by a stale guard). The counter is therefore never read: it only counts (2^64 - 2 rings
//! before it saturates, when [`sys::eventfd_ring`] stops writing and the waiter falls back
//! to its check interval). Not reading it matters: the peer shares the file description and
//! could clear `O_NONBLOCK`, which would make a read of an empty counter block us forever.
//! Everything here is read from shared memory only as a hint: the operation itself
//! validates what it reads, and a hostile peer that rings, sets bits, fills the counter or
//! sends on the socket causes spurious wake-ups or a fallback to the check interval.

use std::os::fd::{AsFd, BorrowedFd};
use std::sync::atomic::{fence, AtomicU64, Ordering};
use std::time::Duration;

use super::receiver::Receiver;
use super::sender::Sender;
use super::shm::{Flag, Ring, PARKED};
use super::sys;
use super::wait::WaitConfig;

/// Step 1 of the protocol: `true` means "wait on the doorbell", `false` "retry now" (the
/// index is no longer `seen`, or the peer closed).
fn park(
    ring: &Ring,
    index: &AtomicU64,
    seen: u64,
    waiter: Flag,
    peer_closed: Flag,
    cfg: &WaitConfig,
) -> bool {
    let flag = ring.flag(waiter);
    flag.store(PARKED, Ordering::Relaxed);
    fence(Ordering::SeqCst);
    if cfg.asymmetric {
        // As in `wait::wait`: the publisher's fence is a compiler fence, this supplies the
        // hardware half; a failure is bounded by the check interval.
        let _ = sys::membarrier_global();
    }
    if index.load(Ordering::Acquire) != seen || ring.flag(peer_closed).load(Ordering::Acquire) != 0
    {
        flag.store(0, Ordering::Relaxed);
        return false;
    }
    true
}

/// Step 3: clears the waiter word and drops whatever a peer sent on the socket (nothing,
/// under the protocol; `recv(MSG_DONTWAIT)` never blocks) so that it does not keep the
/// socket readable.
fn unpark(ring: &Ring, waiter: Flag, sock: BorrowedFd<'_>) {
    ring.flag(waiter).store(0, Ordering::Relaxed);
    if !sys::hung_up(sock) {
        sys::discard_pending(sock);
    }
}

impl Receiver {
    /// Parks this end for an event loop after a `try_*` receive said `WouldBlock` (see the
    /// module docs): `true` means wait until [`Receiver::doorbell_fd`] or
    /// [`Receiver::socket_fd`] is readable (or the check interval passed), then call
    /// [`Receiver::unpark`] and retry; `false` means retry now.
    pub(crate) fn park(&mut self) -> bool {
        park(
            &self.ring,
            self.ring.tail(),
            self.tail,
            Flag::DataWaiter,
            Flag::ProducerClosed,
            &self.cfg,
        )
    }

    /// Ends a park (see [`Receiver::park`]); call it before retrying, also when the wait was
    /// cancelled.
    pub(crate) fn unpark(&mut self) {
        unpark(&self.ring, Flag::DataWaiter, self.link.sock.as_fd());
    }

    /// The "data available" doorbell (an `O_NONBLOCK` eventfd) this end parks on.
    pub(crate) fn doorbell_fd(&self) -> BorrowedFd<'_> {
        self.ring.bell(Flag::DataWaiter)
    }

    /// The connection's socket: readable (hung up) when the peer is gone.
    pub(crate) fn socket_fd(&self) -> BorrowedFd<'_> {
        self.link.sock.as_fd()
    }

    /// How often a parked end should re-check without a doorbell.
    pub(crate) fn check_interval(&self) -> Duration {
        self.cfg.check_interval
    }
}

/// How a `channel::Select` parks a ring receiver: once, when it starts to wait on it, and
/// then for as long as the member stays in the set (no fence per wait, and the peer rings
/// only while it is parked).
impl Receiver {
    /// Whether a `try_*` receive now may return something other than `WouldBlock`: a record
    /// already read but not consumed, a new producer index, the producer closed, or an
    /// earlier corruption. If not, the end is left parked ([`Receiver::park`]) and `true`
    /// returned: wait on [`Receiver::doorbell_fd`] (edge-triggered), [`Receiver::socket_fd`]
    /// and the check interval. `parked` says the caller parked it before and has not
    /// unparked it since: if the waiter word still holds [`PARKED`], every publish since
    /// then rang the doorbell, so a plain load of the index suffices (no fence); if the word
    /// was cleared (a blocking receive in between, or the peer), it parks again.
    ///
    /// When it returns `false` the end is not parked (the word is cleared), so a sender
    /// whose records flow pays nothing for the doorbell, as with a synchronous receiver;
    /// the next wait that finds the ring idle parks it again, with the fence.
    pub(crate) fn park_idle(&mut self, parked: bool) -> bool {
        let flag = self.ring.flag(Flag::DataWaiter);
        if self.broken || self.head != self.tail {
            flag.store(0, Ordering::Relaxed);
            return false;
        }
        if !(parked && flag.load(Ordering::Relaxed) & PARKED != 0) {
            return self.park();
        }
        let idle = self.ring.tail().load(Ordering::Acquire) == self.tail
            && self.ring.flag(Flag::ProducerClosed).load(Ordering::Acquire) == 0;
        if !idle {
            flag.store(0, Ordering::Relaxed);
        }
        idle
    }

    /// Whether the connection's socket hung up (the peer is gone); never blocks.
    pub(crate) fn hung_up(&self) -> bool {
        sys::hung_up(self.link.sock.as_fd())
    }

    /// Drops what a peer sent on the connection's socket (nothing, under the protocol),
    /// without blocking, so that it does not keep the socket readable.
    pub(crate) fn discard_socket(&self) {
        sys::discard_pending(self.link.sock.as_fd());
    }
}

impl Sender {
    /// Parks this end for an event loop after a `try_*` send said `WouldBlock`; as
    /// [`Receiver::park`], for space.
    pub(crate) fn park(&mut self) -> bool {
        park(
            &self.ring,
            self.ring.head(),
            self.head,
            Flag::SpaceWaiter,
            Flag::ConsumerClosed,
            &self.cfg,
        )
    }

    /// Ends a park (see [`Sender::park`]).
    pub(crate) fn unpark(&mut self) {
        unpark(&self.ring, Flag::SpaceWaiter, self.link.sock.as_fd());
    }

    /// The "space available" doorbell (an `O_NONBLOCK` eventfd) this end parks on.
    pub(crate) fn doorbell_fd(&self) -> BorrowedFd<'_> {
        self.ring.bell(Flag::SpaceWaiter)
    }

    /// The connection's socket: readable (hung up) when the peer is gone.
    pub(crate) fn socket_fd(&self) -> BorrowedFd<'_> {
        self.link.sock.as_fd()
    }

    /// How often a parked end should re-check without a doorbell.
    pub(crate) fn check_interval(&self) -> Duration {
        self.cfg.check_interval
    }
}

/// Registers `fd` with the current tokio reactor for readiness to read
/// (`AsyncFd::register_with_interest`, which tokio 1.54 made `unsafe` for its I/O-safety
/// contract). Here rather than in `crate::tokio` because `unsafe` lives only in `src/sys/`
/// and `src/ring/`.
///
/// # Panics
/// Outside a tokio runtime with IO enabled.
#[cfg(feature = "tokio")]
pub(crate) fn register_readable(
    fd: std::os::fd::OwnedFd,
) -> std::io::Result<tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>> {
    // SAFETY: the `AsyncFd` takes ownership of the `OwnedFd`, so the descriptor stays open
    // and refers to the same file description until the `AsyncFd` is dropped (or
    // `into_inner` hands it back), and `OwnedFd::as_raw_fd` always returns that descriptor.
    unsafe { tokio::io::unix::AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE) }
        .map_err(|e| e.into_parts().1)
}
