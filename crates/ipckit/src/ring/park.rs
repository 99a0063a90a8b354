//! Parking asynchronously: the doorbell protocol that lets an event loop (`epoll`, `poll`)
//! wait for a ring end on an fd instead of a futex, with the synchronous fast path unchanged.
//!
//! The doorbell is the connection's Unix seqpacket socket (layout/handshake version 3;
//! version 2 passed four eventfds): it is the one fd a parked end waits on, readable when
//! the peer rang (one-byte records) and when the peer is gone (hang-up).
//!
//! A waiter that an event loop drives (`ipckit::tokio::ring`, `channel::Select`) does, after
//! an operation returned `WouldBlock`:
//!
//! 1. [`park`]: store [`PARKED`] in its waiter word, full fence (or `membarrier` in
//!    asymmetric mode, as for the futex path), re-load the peer's index. If the index moved
//!    (or the peer closed) it clears the word and says "retry now".
//! 2. Otherwise the loop waits until the socket is readable (or a timer of the check
//!    interval fires).
//! 3. On waking it *drains* the socket (`recv(MSG_DONTWAIT)`, at most
//!    [`sys::DRAIN_MAX`] records), only then clears the event loop's readiness (tokio:
//!    `clear_ready` of the guard that reported it, whose readiness tick keeps an event that
//!    came after the guard from being cleared), clears the word ([`unpark`]) and retries the
//!    operation.
//!
//! The publisher (sync or async alike, [`wait::publish`](super::wait)) stores its index,
//! fences, loads the waiter word, and only if it holds [`PARKED`] sends one byte on its end
//! of the socket with `send(MSG_DONTWAIT | MSG_NOSIGNAL)` ([`sys::ring_bell`]): with no
//! parked waiter the publish costs what it did before (one load of the word, which is
//! zero).
//!
//! **No lost wake-up**, by the same Dekker argument as the futex path: of the two fences,
//! the later orders its side's load after the other side's store, so either the re-load in
//! step 1 sees the new index (no wait), or the publisher sees [`PARKED`] and rings. Such a
//! ring is sent after the publisher's load, hence after the waiter's [`PARKED`] store,
//! hence after the waiter's previous drain and readiness clear (step 3 of the previous
//! wait precedes step 1 of this one). So the byte arrives in a socket whose earlier
//! readiness was consumed: it makes the socket readable (level: `poll`) and is a new event
//! (edge: `epoll` with `EPOLLET`, as tokio registers, raises one per queued record), which
//! the wait in step 2 sees. A byte that arrives between a wake-up and its drain is drained
//! (the retry after it re-checks the ring anyway) and at worst leaves a readiness that
//! makes the next wait return once more: a spurious wake-up, never a lost one. If the
//! peer's queue is full, `send` fails with `EAGAIN` and we ignore it: the waiter's socket
//! then holds unread records, so it is readable and will wake (and drain) anyway.
//!
//! **Never blocking the ringer.** `MSG_DONTWAIT` makes each `send` non-blocking whatever
//! the flags of the socket's file description, and each side's description is its own (the
//! peer holds the other end of the connection): unlike the eventfd, which both processes
//! shared and a hostile peer could make blocking, nothing the peer does (clearing
//! `O_NONBLOCK`, filling its queue, never reading) can make a ring wait.
//!
//! **Two halves, one socket.** The sender and the receiver of one side share the socket,
//! so a byte may be for either of this side's parked ends (data available, space
//! available); a byte for the other one only makes this end re-check (spurious). But a
//! drain by one half can take the byte meant for the other before the other's event loop
//! saw it (`epoll_wait` re-polls a socket before reporting it, and an emptied one is not
//! reported). So a drain that took any record *kicks* the other half ([`Kicks`]): it sets
//! that half's flag and wakes the task waker the half registered; a parked async end
//! checks its flag after registering its waker and before it waits, and treats a kick as
//! a wake-up. (A synchronous end sleeps on the futex and never drains; a `Select` drains
//! only for its ring receivers, whose sender half a channel receiver never parks.)
//!
//! **Level vs edge, and floods.** Because every wake-up drains the socket before its
//! readiness is cleared, a level-triggered `poll` (a `Select`) does not see it readable
//! again after a ring it already handled, and an edge-triggered one (tokio's `AsyncFd`)
//! never loses the edge of a byte that arrived after the drain. A drain is bounded: if it
//! stops at the bound the readiness is left set (tokio) or the socket stays readable
//! (`poll`), so the next wait returns at once and drains more; a peer that floods the
//! socket costs us wake-ups in proportion to what it sends, never a spin on its own, and
//! never a blocked call.
//!
//! Everything here is read from shared memory only as a hint: the operation itself
//! validates what it reads, and a hostile peer that rings, sets bits or floods the socket
//! causes spurious wake-ups or a fallback to the check interval.

use std::os::fd::{AsFd, BorrowedFd};
use std::sync::atomic::{fence, AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::task::Waker;
use std::time::Duration;

use super::receiver::Receiver;
use super::sender::Sender;
use super::shm::{Flag, Ring, PARKED};
use super::sys;
use super::wait::{Link, WaitConfig};

/// How the two halves of one side tell each other that a drain took doorbell records that
/// may have been for the other (see the module docs). Index 0 is the receiver (waits for
/// data), 1 the sender (waits for space).
#[derive(Debug, Default)]
pub(super) struct Kicks {
    kicked: [AtomicBool; 2],
    wakers: Mutex<[Option<Waker>; 2]>,
}

impl Kicks {
    fn wakers(&self) -> std::sync::MutexGuard<'_, [Option<Waker>; 2]> {
        self.wakers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Kicks half `to`: sets its flag, then wakes the waker it registered (if any).
    fn kick(&self, to: usize) {
        self.kicked[to].store(true, Ordering::SeqCst);
        let w = self.wakers()[to].take();
        if let Some(w) = w {
            w.wake();
        }
    }

    /// Registers `waker` for half `me`, then takes its flag: `true` if it was kicked. A
    /// kick either finds the waker (registered under the lock before the kicker takes it)
    /// or is seen here (its flag was set before the kicker took the lock).
    fn register_and_take(&self, me: usize, waker: &Waker) -> bool {
        {
            let mut w = self.wakers();
            match &w[me] {
                Some(old) if old.will_wake(waker) => {}
                _ => w[me] = Some(waker.clone()),
            }
        }
        self.kicked[me].swap(false, Ordering::SeqCst)
    }
}

/// The [`Kicks`] index of the half that waits with `waiter`.
fn half(waiter: Flag) -> usize {
    match waiter {
        Flag::SpaceWaiter | Flag::ConsumerClosed => 1,
        Flag::DataWaiter | Flag::ProducerClosed => 0,
    }
}

/// Drains the doorbell records on the link's socket for the half that waits with
/// `waiter`, kicking the other half if any were taken; `true` if the drain stopped at its
/// bound (more may be queued).
fn drain(link: &Link, waiter: Flag) -> bool {
    let d = sys::drain(link.sock.as_fd());
    if d.records > 0 {
        link.kicks.kick(1 - half(waiter));
    }
    d.more
}

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

/// The end of step 3: clears the waiter word (the drain is the caller's, before it clears
/// its readiness: [`Receiver::drain_doorbell`]).
fn unpark(ring: &Ring, waiter: Flag) {
    ring.flag(waiter).store(0, Ordering::Relaxed);
}

/// The parts of the protocol both ends share: the doorbell socket, its drain, the kicks.
macro_rules! doorbell_methods {
    ($waiter:expr) => {
        /// The connection's socket: the doorbell this end parks on (readable when the peer
        /// rang) and the peer's liveness (hung up when it is gone).
        pub(crate) fn socket_fd(&self) -> BorrowedFd<'_> {
            self.link.sock.as_fd()
        }

        /// How often a parked end should re-check without a doorbell.
        pub(crate) fn check_interval(&self) -> Duration {
            self.cfg.check_interval
        }

        /// Step 3 of the protocol (module docs): drains the doorbell records on the socket
        /// without blocking, at most [`sys::DRAIN_MAX`], kicking this side's other half if
        /// any were taken. Call it after the socket was reported readable and *before*
        /// clearing that readiness. `true`: the bound was reached, more may be queued
        /// (leave the readiness set, so that the next wait returns at once and drains on).
        pub(crate) fn drain_doorbell(&self) -> bool {
            drain(&self.link, $waiter)
        }

        /// Registers `waker` to be woken when this side's other half drains records that
        /// may have been meant for this end, then says whether that happened since the last
        /// call (a parked end then re-checks, as after a ring).
        pub(crate) fn kicked(&self, waker: &Waker) -> bool {
            self.link.kicks.register_and_take(half($waiter), waker)
        }
    };
}

impl Receiver {
    /// Parks this end for an event loop after a `try_*` receive said `WouldBlock` (see the
    /// module docs): `true` means wait until [`Receiver::socket_fd`] is readable (or the
    /// check interval passed, or [`Receiver::kicked`]), then [`Receiver::drain_doorbell`],
    /// clear the readiness, call [`Receiver::unpark`] and retry; `false` means retry now.
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
        unpark(&self.ring, Flag::DataWaiter);
    }

    doorbell_methods!(Flag::DataWaiter);
}

/// How a `channel::Select` parks a ring receiver: once, when it starts to wait on it, and
/// then for as long as the member stays in the set (no fence per wait, and the peer rings
/// only while it is parked).
impl Receiver {
    /// Whether a `try_*` receive now may return something other than `WouldBlock`: a record
    /// already read but not consumed, a new producer index, the producer closed, or an
    /// earlier corruption. If not, the end is left parked ([`Receiver::park`]) and `true`
    /// returned: wait on [`Receiver::socket_fd`] (level-triggered is fine: drain it with
    /// [`Receiver::drain_doorbell`] when it is readable, before calling this again) and
    /// the check interval. `parked` says the caller parked it before and has not
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
        unpark(&self.ring, Flag::SpaceWaiter);
    }

    doorbell_methods!(Flag::SpaceWaiter);
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
