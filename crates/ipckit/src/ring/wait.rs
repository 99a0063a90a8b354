//! Waiting for the peer: spin, then sleep on a futex, noticing the peer's death.

use std::os::fd::AsFd;
use std::sync::atomic::{compiler_fence, fence, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::shm::{Flag, Ring, PARKED, SLEEPING};
use super::sys;
use crate::net::unix::{PeerCred, UnixSeqpacket};
use crate::{Error, ErrorKind, Result};

/// The default spin window: 50 µs of polling before a blocked call sleeps.
pub const DEFAULT_SPIN: Duration = Duration::from_micros(50);
/// The default liveness interval: a sleeping call wakes this often to check that the peer's
/// socket is still connected (so a `kill -9` is noticed within this time plus a syscall).
pub const DEFAULT_CHECK_INTERVAL: Duration = Duration::from_millis(20);

/// How one side waits (local settings, never shared with the peer).
#[derive(Debug, Clone, Copy)]
pub(super) struct WaitConfig {
    pub(super) spin: Duration,
    pub(super) check_interval: Duration,
    /// Both processes registered for `membarrier(GLOBAL_EXPEDITED)`: the sleeper issues it
    /// and the waker needs no fence (see [`wait`]).
    pub(super) asymmetric: bool,
}

/// The most a large message adds to the spin window (see [`WaitConfig::for_message`]).
const SPIN_FOR_SIZE_MAX: Duration = Duration::from_millis(1);

impl WaitConfig {
    /// These settings for a wait whose message is about `bytes` long: the spin window grows
    /// by 0.5 ns per byte (the time a peer takes to copy that much in or out at about
    /// 2 GB/s, so a peer still busy with a large message is waited for by polling rather
    /// than through two futex calls), at most [`SPIN_FOR_SIZE_MAX`] more. A window of zero
    /// (always sleep) stays zero.
    pub(super) fn for_message(&self, bytes: u64) -> WaitConfig {
        let mut cfg = *self;
        if !cfg.spin.is_zero() {
            cfg.spin += Duration::from_nanos(bytes / 2).min(SPIN_FOR_SIZE_MAX);
        }
        cfg
    }
}

impl Default for WaitConfig {
    fn default() -> WaitConfig {
        WaitConfig {
            spin: DEFAULT_SPIN,
            check_interval: DEFAULT_CHECK_INTERVAL,
            asymmetric: false,
        }
    }
}

/// The connection's socket, shared by the sender and the receiver of one side: its hang-up
/// tells that the peer process is gone, and the peer rings our doorbell on it (see
/// `ring::park`).
#[derive(Debug)]
pub(super) struct Link {
    pub(super) sock: UnixSeqpacket,
    pub(super) cred: PeerCred,
    pub(super) name: String,
    /// How one half tells the other that it drained doorbell records that may have been
    /// for it (see `ring::park`).
    pub(super) kicks: super::park::Kicks,
}

impl Link {
    pub(super) fn hung_up(&self) -> bool {
        sys::hung_up(self.sock.as_fd())
    }
}

/// When a wait gives up.
#[derive(Debug, Clone, Copy)]
pub(super) enum Until {
    /// Do not wait (`try_*`).
    Now,
    /// Wait until this instant (`*_timeout`).
    At(Instant),
    /// Wait as long as the peer lives.
    Forever,
}

impl Until {
    pub(super) fn after(timeout: Duration) -> Until {
        match Instant::now().checked_add(timeout) {
            Some(at) => Until::At(at),
            None => Until::Forever,
        }
    }

    fn remaining(self) -> Duration {
        match self {
            Until::Now => Duration::ZERO,
            Until::At(at) => at.saturating_duration_since(Instant::now()),
            Until::Forever => Duration::MAX,
        }
    }
}

/// What a wait is for: which index moves, who sleeps, and which flag says the peer closed.
pub(super) struct Side {
    /// Our waiter flag.
    pub(super) waiter: Flag,
    /// The peer's "closed" flag.
    pub(super) peer_closed: Flag,
    /// The operation named in errors.
    pub(super) op: &'static str,
}

/// The peer is gone (closed its end or died).
pub(super) fn peer_gone(link: &Link, op: &'static str) -> Error {
    Error::new(ErrorKind::PeerGone, op, &link.name).with_detail("the peer closed or died")
}

/// Waits until `ready(index value)` says yes: spins for `cfg.spin` (see
/// [`WaitConfig::for_message`]), then sleeps on
/// the futex of `index` with the waiter flag set, waking every `check_interval` to look at
/// the peer's socket. `ready` validates what it reads and may fail with `InvalidData`.
///
/// The no-lost-wake-up argument: the waiter stores its flag, issues a SeqCst fence, then
/// loads the index; the waker stores the index, issues a SeqCst fence, then loads the flag.
/// By the fences' total order one of the two loads sees the other side's store: either the
/// waiter sees the new index (and does not sleep) or the waker sees the flag (and wakes it).
/// `FUTEX_WAIT` is given the value the waiter saw, so a store between its load and the
/// kernel's check makes the wait return at once.
///
/// In asymmetric mode (both processes registered for `membarrier`), the waker's fence is
/// only a compiler fence and the waiter's fence is `membarrier(GLOBAL_EXPEDITED)`, which runs
/// a full barrier on every CPU running the waker, at some point in its instruction stream,
/// before it returns. If that point falls before the waker's index store, the waker's later
/// load sees our flag; if after, the store is visible to our load that follows. The fence
/// per message moves from the hot path (every publish) to the sleeper, which is idle anyway.
/// A peer that claims registration falsely delays wake-ups meant for us by at most the
/// check interval (every sleep is bounded by it).
pub(super) fn wait(
    ring: &Ring,
    index: &AtomicU64,
    side: &Side,
    link: &Link,
    cfg: &WaitConfig,
    until: Until,
    mut ready: impl FnMut(u64) -> Result<bool>,
) -> Result<()> {
    if ready(index.load(Ordering::Acquire))? {
        return Ok(());
    }
    let gone = |ready: &mut dyn FnMut(u64) -> Result<bool>| -> Result<bool> {
        if ring.flag(side.peer_closed).load(Ordering::Acquire) != 0 || link.hung_up() {
            // Deliver what the peer committed before it went.
            if ready(index.load(Ordering::Acquire))? {
                return Ok(false);
            }
            return Err(peer_gone(link, side.op));
        }
        Ok(true)
    };
    if let Until::Now = until {
        gone(&mut ready)?;
        return Err(Error::new(ErrorKind::WouldBlock, side.op, &link.name));
    }
    // Spin.
    let start = Instant::now();
    loop {
        // No `pause` between polls: on this machine's cores it costs ~140 cycles, which
        // is added to the latency of the hand-off it delays (measured: p50 round trip of
        // 64 B ~5% lower without it); the window bounds the cost.
        for _ in 0..16 {
            if ready(index.load(Ordering::Acquire))? {
                return Ok(());
            }
        }
        if start.elapsed() >= cfg.spin || until.remaining().is_zero() {
            break;
        }
    }
    // Sleep.
    let flag = ring.flag(side.waiter);
    let result = loop {
        match gone(&mut ready) {
            Ok(true) => {}
            Ok(false) => break Ok(()),
            Err(e) => break Err(e),
        }
        let left = until.remaining();
        if left.is_zero() {
            break Err(Error::new(ErrorKind::TimedOut, side.op, &link.name));
        }
        flag.store(SLEEPING, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        if cfg.asymmetric {
            // It cannot fail after both registrations; if it did, the check interval would
            // bound the cost of a wake-up missed because of it.
            let _ = sys::membarrier_global();
        }
        let seen = index.load(Ordering::Acquire);
        match ready(seen) {
            Ok(true) => break Ok(()),
            Ok(false) => {}
            Err(e) => break Err(e),
        }
        sys::futex_wait(index, seen as u32, left.min(cfg.check_interval));
        match ready(index.load(Ordering::Acquire)) {
            Ok(true) => break Ok(()),
            Ok(false) => {}
            Err(e) => break Err(e),
        }
    };
    flag.store(0, Ordering::Relaxed);
    result
}

/// Publishes `value` in `index` (Release), then wakes the peer if its waiter flag is set.
/// The fence between the store and the flag's load is a full one, or in asymmetric mode a
/// compiler fence whose hardware half the sleeper supplies with `membarrier`.
#[inline]
pub(super) fn publish(
    ring: &Ring,
    index: &AtomicU64,
    value: u64,
    peer_waiter: Flag,
    cfg: &WaitConfig,
    link: &Link,
) {
    index.store(value, Ordering::Release);
    if cfg.asymmetric {
        compiler_fence(Ordering::SeqCst);
    } else {
        fence(Ordering::SeqCst);
    }
    let waiter = ring.flag(peer_waiter).load(Ordering::Relaxed);
    if waiter != 0 {
        wake(index, waiter, link);
    }
}

/// Wakes a waiter whose flag word read `waiter`: `FUTEX_WAKE` if it has [`SLEEPING`], its
/// doorbell (one byte on the connection's socket, never blocking: [`sys::ring_bell`]) if it
/// has [`PARKED`]. The word comes from shared memory: any other bits are ignored, and a
/// peer that sets bits it is not waiting with only costs us syscalls.
#[cold]
#[inline(never)]
fn wake(index: &AtomicU64, waiter: u64, link: &Link) {
    if waiter & SLEEPING != 0 {
        sys::futex_wake(index);
    }
    if waiter & PARKED != 0 {
        sys::ring_bell(link.sock.as_fd());
    }
}

/// Marks our end closed (flag `ours`) and wakes a peer that sleeps on `index` (woken
/// unconditionally) or is parked (flag `peer_waiter` holds [`PARKED`]: the same Dekker
/// pairing as [`publish`], the "closed" store against the waiter's [`PARKED`] store).
pub(super) fn close(ring: &Ring, index: &AtomicU64, ours: Flag, peer_waiter: Flag, link: &Link) {
    ring.flag(ours).store(1, Ordering::Release);
    fence(Ordering::SeqCst);
    sys::futex_wake(index);
    if ring.flag(peer_waiter).load(Ordering::Relaxed) & PARKED != 0 {
        sys::ring_bell(link.sock.as_fd());
    }
}

/// The link shared by the two halves of one side.
pub(super) type SharedLink = Arc<Link>;
