//! How a [`Select`] waits: one `poll(2)` over
//! - the fd of each member that has one (level-triggered, as before rings joined);
//! - for each `shm-ring:` receiver, its connection's socket: the ring's doorbell (the sender
//!   sends it a byte for a parked receiver) and the sender's liveness (it hangs up when the
//!   sender dies, even by `SIGKILL`). Level-triggered: a readable socket is drained
//!   (bounded, never blocking, see `ring::park`) before the ring is re-checked, so a ring
//!   already handled does not make the next poll return, and a sender that floods the
//!   socket causes spurious wake-ups in proportion to its bytes, never a spin. (Version 2
//!   rang eventfds whose counters were never read, which needed an edge-triggered `epoll`
//!   beside the poll; with the socket as the doorbell, that `epoll` is gone.)
//! - for each pending `shm-ring:` handshake, its socket (readable when the hello arrived);
//!
//! with a timeout bounded by the caller's, by the shortest check interval of the parked
//! rings (the protocol's fallback: a doorbell can be missed only if the peer misbehaves)
//! and by the earliest handshake deadline.
//!
//! Before each poll every ring receiver is checked in memory and parked if idle
//! (`ring::Receiver::park_idle`): one with a record waiting, a new index or a closed
//! producer is ready without waiting. After a doorbell (the socket readable) the socket is
//! drained and the ring checked again, so a ring whose record was already taken is not
//! reported. Parked rings stay parked while
//! in the set (their sender rings the doorbell per publish only while the set holds them
//! and has not looked); [`Select::remove`] unparks.

use std::os::fd::BorrowedFd;
use std::time::Duration;

use super::{Event, Member, Readiness, Select, Token};
use crate::sys::{io, Deadline};
use crate::{Error, ErrorKind, Result};

/// What one polled fd is.
#[derive(Debug, Clone, Copy)]
enum Polled {
    /// The fd of the member in this slot.
    Member(usize),
    /// The connection socket of the ring receiver in this slot.
    RingSocket(usize),
    /// A pending handshake of the ring listener in this slot.
    Handshake(usize),
}

/// Buffers every wait reuses.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    /// The ready members of the last wait, by token, each once.
    pub(super) ready: Vec<Event>,
    polled: Vec<Polled>,
    revents: Vec<io::Revents>,
    /// Ring listeners whose handshakes to advance.
    handshakes: Vec<usize>,
}

const READABLE: Readiness = Readiness {
    readable: true,
    hangup: false,
    error: false,
};

const HANGUP: Readiness = Readiness {
    readable: true,
    hangup: true,
    error: false,
};

impl Select {
    /// Waits until at least one member is ready or `timeout` passed; fills
    /// `self.scratch.ready` (empty: timed out).
    pub(super) fn poll(&mut self, timeout: Option<Duration>) -> Result<()> {
        let deadline = timeout.map(Deadline::after);
        if self.slots.iter().all(Option::is_none) && deadline.is_none() {
            return Err(Error::new(ErrorKind::InvalidInput, "poll", "select")
                .with_detail("the set is empty: waiting forever on nothing"));
        }
        loop {
            self.scratch.ready.clear();
            self.scratch.handshakes.clear();
            let next = self.check_in_memory();
            self.poll_once(deadline, next)?;
            self.advance_handshakes();
            if !self.scratch.ready.is_empty() {
                let ready = &mut self.scratch.ready;
                ready.sort_by_key(|e| e.token);
                ready.dedup_by(|later, first| {
                    if later.token != first.token {
                        return false;
                    }
                    let (a, b) = (&mut first.readiness, later.readiness);
                    a.readable |= b.readable;
                    a.hangup |= b.hangup;
                    a.error |= b.error;
                    true
                });
                return Ok(());
            }
            if deadline.is_some_and(|d| d.remaining().is_zero()) {
                return Ok(());
            }
            // A check interval or a handshake deadline passed, or an event was spurious
            // (garbage on a ring's socket, a doorbell for a record already taken): look
            // again.
        }
    }

    /// The in-memory part: parks idle ring receivers and reports the others; reports ring
    /// listeners with finished handshakes and queues those with expired ones. Returns how
    /// long the poll may sleep at most for these (`None`: no bound).
    fn check_in_memory(&mut self) -> Option<Duration> {
        let mut bound: Option<Duration> = None;
        let mut tighten = |d: Duration| bound = Some(bound.map_or(d, |b| b.min(d)));
        for (i, slot) in self.slots.iter_mut().enumerate() {
            let Some(slot) = slot else { continue };
            match &mut slot.member {
                Member::Receiver(rx) => {
                    let Some(ring) = rx.ring_mut() else { continue };
                    slot.parked = ring.park_idle(slot.parked);
                    if slot.parked {
                        tighten(ring.check_interval());
                    } else {
                        self.scratch.ready.push(event(i, READABLE));
                    }
                }
                Member::Listener(_) => {
                    if !slot.accepted.is_empty() {
                        self.scratch.ready.push(event(i, READABLE));
                    }
                    let first = slot
                        .handshakes
                        .iter()
                        .map(|h| h.deadline().remaining())
                        .min();
                    match first {
                        Some(d) if d.is_zero() => self.scratch.handshakes.push(i),
                        Some(d) => tighten(d),
                        None => {}
                    }
                }
            }
        }
        bound
    }

    /// One `poll(2)` (at once if something is ready already), then what it reported.
    fn poll_once(&mut self, deadline: Option<Deadline>, bound: Option<Duration>) -> Result<()> {
        let polled = &mut self.scratch.polled;
        polled.clear();
        let mut fds: Vec<BorrowedFd<'_>> = Vec::with_capacity(self.slots.len() + 1);
        for (i, slot) in self.slots.iter().enumerate() {
            let Some(slot) = slot else { continue };
            match &slot.member {
                Member::Receiver(rx) => match rx.ring() {
                    Some(ring) => {
                        fds.push(ring.socket_fd());
                        polled.push(Polled::RingSocket(i));
                    }
                    None => {
                        if let Some(fd) = rx.as_fd_opt() {
                            fds.push(fd);
                            polled.push(Polled::Member(i));
                        }
                    }
                },
                Member::Listener(l) => {
                    if let Some(fd) = l.as_fd_opt() {
                        fds.push(fd);
                        polled.push(Polled::Member(i));
                    }
                    for hs in &slot.handshakes {
                        fds.push(hs.as_fd());
                        polled.push(Polled::Handshake(i));
                    }
                }
            }
        }
        let now = !self.scratch.ready.is_empty() || !self.scratch.handshakes.is_empty();
        let limit = match (deadline.map(|d| d.remaining()), bound) {
            _ if now => Some(Duration::ZERO),
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        io::poll_readable(&fds, limit.map(Deadline::after), &mut self.scratch.revents)
            .map_err(|e| Error::from_errno(e, "poll", "select"))?;
        drop(fds);
        for k in 0..self.scratch.polled.len() {
            let r = self.scratch.revents[k];
            if !r.any() {
                continue;
            }
            match self.scratch.polled[k] {
                Polled::Member(i) => self.scratch.ready.push(event(
                    i,
                    Readiness {
                        readable: r.readable,
                        hangup: r.hangup,
                        error: r.error,
                    },
                )),
                Polled::RingSocket(i) => self.ring_socket(i, r),
                Polled::Handshake(i) => self.scratch.handshakes.push(i),
            }
        }
        Ok(())
    }

    /// A ring receiver's socket polled readable: the sender is gone (ready: `try_recv`
    /// drains what it committed, then says `PeerGone`), or it rang the doorbell (or sent
    /// garbage, or flooded it): drain the socket (bounded), then re-check the ring, ready
    /// if it has something now. A drain that stopped at its bound leaves the socket
    /// readable, and the next poll drains on.
    fn ring_socket(&mut self, i: usize, r: io::Revents) {
        let Some(Some(slot)) = self.slots.get_mut(i) else {
            return;
        };
        let Member::Receiver(rx) = &mut slot.member else {
            return;
        };
        let Some(ring) = rx.ring_mut() else { return };
        if r.hangup || r.error || ring.hung_up() {
            self.scratch.ready.push(event(i, HANGUP));
            return;
        }
        ring.drain_doorbell();
        slot.parked = ring.park_idle(slot.parked);
        if !slot.parked {
            self.scratch.ready.push(event(i, READABLE));
        }
    }

    /// Tries the pending handshakes of the ring listeners in `self.scratch.handshakes`
    /// (one of them polled readable, or one expired), without blocking; reports the
    /// listeners that now have one finished.
    fn advance_handshakes(&mut self) {
        let mut todo = std::mem::take(&mut self.scratch.handshakes);
        todo.sort_unstable();
        todo.dedup();
        for &i in &todo {
            let Some(Some(slot)) = self.slots.get_mut(i) else {
                continue;
            };
            let Member::Listener(l) = &slot.member else {
                continue;
            };
            let Some(acceptor) = l.ring_acceptor_ref() else {
                continue;
            };
            for hs in std::mem::take(&mut slot.handshakes) {
                match acceptor.try_complete(hs) {
                    Ok(Ok(rx)) => slot.accepted.push_back(Ok(rx)),
                    Ok(Err(hs)) => slot.handshakes.push(hs),
                    Err(e) => slot.accepted.push_back(Err(e)),
                }
            }
            if !slot.accepted.is_empty() {
                self.scratch.ready.push(event(i, READABLE));
            }
        }
        self.scratch.handshakes = todo;
    }
}

fn event(slot: usize, readiness: Readiness) -> Event {
    Event {
        token: Token(slot),
        readiness,
    }
}
