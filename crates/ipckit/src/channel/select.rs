//! [`Select`]: one thread waits on many [`Listener`]s and [`Receiver`]s at once (`poll(2)`;
//! a `shm-ring:` receiver is waited on through its connection's socket, which is also its
//! ring's doorbell), so a server serves every sender and an idle or hostile one never
//! delays another.
//!
//! The waiting itself (what is polled for each kind of member, the ring receivers' parking
//! and the pending `shm-ring:` handshakes) is in `select/wait.rs`.

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use super::{Listener, Receiver};
use crate::ring::Handshake;
use crate::{Error, ErrorKind, Result};

mod wait;

/// Names one member of a [`Select`]; given by [`Select::insert_listener`] and
/// [`Select::insert_receiver`]. A token is reused only after its member was removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token(usize);

impl Token {
    /// The token as a number (its slot in the set), for maps and log lines.
    pub fn index(self) -> usize {
        self.0
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// What a [`Select`] holds under a [`Token`].
#[derive(Debug)]
pub enum Member {
    /// A listener: ready means a connection waits for [`Listener::accept`].
    Listener(Listener),
    /// A receiver: ready means bytes, a message, the end of the stream or an error wait.
    Receiver(Receiver),
}

/// What `poll(2)` reported for a ready member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readiness {
    readable: bool,
    hangup: bool,
    error: bool,
}

impl Readiness {
    /// `POLLIN`: data, a message or a connection waits.
    pub fn is_readable(&self) -> bool {
        self.readable
    }

    /// `POLLHUP`: the peer closed (what is still buffered can be received; then
    /// `PeerGone` or `UnexpectedEof`).
    pub fn is_hangup(&self) -> bool {
        self.hangup
    }

    /// `POLLERR`/`POLLNVAL`: the next call on the member reports the error.
    pub fn is_error(&self) -> bool {
        self.error
    }
}

/// One ready member of a [`Select`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// Which member.
    pub token: Token,
    /// What the kernel reported for it.
    pub readiness: Readiness,
}

/// A member [`Select`] cannot hold, given back with the reason.
///
/// Converts into the [`Error`] (dropping the member) so that `?` works.
#[derive(Debug)]
pub struct Refused<T> {
    error: Error,
    // Boxed: keeps `Result<Token, Refused<_>>` small on the success path.
    member: Box<T>,
}

impl<T> Refused<T> {
    /// Why: [`ErrorKind::InvalidInput`] (nothing to wait on).
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The member, unchanged.
    pub fn into_inner(self) -> T {
        *self.member
    }
}

impl<T> From<Refused<T>> for Error {
    fn from(r: Refused<T>) -> Error {
        r.error
    }
}

impl<T> fmt::Display for Refused<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl<T: fmt::Debug> std::error::Error for Refused<T> {}

/// A set of listeners and receivers, keyed by [`Token`], that one thread waits on with
/// `poll(2)`: [`wait`](Select::wait) returns a ready member, the caller then calls
/// [`accept`](Select::accept) (a listener) or [`try_recv`](Select::try_recv) (a receiver)
/// on it, neither of which blocks.
///
/// # Partial frames, slow and hostile peers
/// A receiver is ready when *some* bytes arrived, not necessarily a whole message. Its
/// `try_recv` then keeps the part that arrived and returns [`ErrorKind::WouldBlock`]: that
/// member is simply not ready yet. So a connection that sends half a frame (or nothing, or
/// one byte a minute) never delays the others. [`wait`](Select::wait) takes ready members
/// in turn (round robin), so one busy sender cannot starve the rest.
///
/// A receiver that returns [`ErrorKind::PeerGone`] (clean end), [`ErrorKind::UnexpectedEof`]
/// (a message cut off) or [`ErrorKind::TooLarge`] on a byte stream is finished: remove it
/// with [`remove`](Select::remove) and drop it; the others go on. A ring receiver whose
/// sender died (even by `SIGKILL`) is ready at once: its socket hung up, and `try_recv`
/// returns what the sender committed, then [`ErrorKind::PeerGone`].
///
/// # What a Select can hold
/// - listeners of connections: `unix:`, `unix-seqpacket:`, `tcp:` and `shm-ring:`;
/// - receivers of every transport except `sysv-mq:` (and `zenoh:`, whose samples arrive
///   on zenoh's own threads): the ones with an fd, and `shm-ring:` receivers, which have
///   none ([`Receiver::as_fd_opt`] is `None`) but are waited on through their connection's
///   socket, which is their ring's doorbell (the sender sends it a byte, never blocking,
///   only while the Select has parked the receiver, so a ring outside a wait costs its
///   sender nothing more) and hangs up when the sender dies, and, as a fallback, their
///   check interval.
///
/// A `shm-ring:` listener in a Select never blocks on a connector: [`accept`](Select::accept)
/// takes the connection, and if its handshake (the connector's rings) has not arrived yet,
/// keeps it pending inside the set and returns [`ErrorKind::WouldBlock`]; the listener is
/// ready again when the handshake completed or failed (the next `accept` gives the new
/// receiver's token or that connector's error), at the latest after
/// [`HANDSHAKE_TIMEOUT`](crate::ring::HANDSHAKE_TIMEOUT).
///
/// Refused with [`ErrorKind::InvalidInput`] (the member given back in [`Refused`], the
/// message naming its transport): `sysv-mq:` listeners and receivers (a System V queue is
/// not a file, there is nothing to poll: receive on a thread of its own); `zenoh:` ones
/// (no fd either); `fifo:` listeners (a FIFO has no listening fd: accept once and insert the
/// receiver; it ends with `PeerGone` when every writer closed, then accept again); and
/// `unix-dgram:`, `posix-mq:` and `file:` listeners (no connections: accept once and insert
/// the one receiver, on which every sender's messages arrive).
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use ipckit::channel::{self, Address, Select};
/// let addr: Address = format!("unix:@ipckit-doc-select-{}", std::process::id()).parse()?;
/// let mut sel = Select::new();
/// let server = sel.insert_listener(channel::listen(&addr)?)?;
/// let _idle = channel::connect(&addr)?;       // connects, never sends
/// let mut busy = channel::connect(&addr)?;
/// busy.send(b"hello")?;
/// let mut buf = Vec::new();
/// let got = loop {
///     let ev = sel.wait(Some(Duration::from_secs(5)))?;
///     if ev.token == server {
///         match sel.accept(server) {             // inserts the new receiver
///             Err(e) if e.kind() == ipckit::ErrorKind::WouldBlock => {} // taken, or pending
///             other => { other?; }
///         }
///     } else {
///         match sel.try_recv(ev.token, &mut buf) {
///             Ok(_) => break buf.clone(),
///             Err(e) if e.kind() == ipckit::ErrorKind::WouldBlock => {} // not whole yet
///             Err(e) => return Err(e),
///         }
///     }
/// };
/// assert_eq!(got, b"hello");                  // the idle client delayed nothing
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// The same loop serves `shm-ring:` connections:
/// ```
/// use std::time::Duration;
/// use ipckit::channel::{self, Address, Select};
/// let addr: Address = format!("shm-ring:@ipckit-doc-select-ring-{}", std::process::id()).parse()?;
/// let mut sel = Select::new();
/// let server = sel.insert_listener(channel::listen(&addr)?)?;
/// let sender = std::thread::spawn({
///     let addr = addr.clone();
///     move || -> ipckit::Result<()> { channel::connect(&addr)?.send(b"over the ring") }
/// });
/// let mut buf = Vec::new();
/// let got = loop {
///     let ev = sel.wait(Some(Duration::from_secs(5)))?;
///     if ev.token == server {
///         match sel.accept(server) {
///             Err(e) if e.kind() == ipckit::ErrorKind::WouldBlock => {}
///             other => { other?; }
///         }
///     } else {
///         match sel.try_recv(ev.token, &mut buf) {
///             Ok(_) => break buf.clone(),
///             Err(e) if e.kind() == ipckit::ErrorKind::WouldBlock => {}
///             Err(e) => return Err(e),
///         }
///     }
/// };
/// assert_eq!(got, b"over the ring");
/// sender.join().unwrap()?;
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/poll.2.html>
#[doc(alias = "poll")]
#[derive(Debug, Default)]
pub struct Select {
    slots: Vec<Option<Slot>>,
    /// Where the next round-robin scan starts.
    cursor: usize,
    /// Scratch reused by every wait (see `select/wait.rs`).
    scratch: wait::Scratch,
}

/// One member and what the set keeps for it.
#[derive(Debug)]
struct Slot {
    member: Member,
    /// A `shm-ring:` receiver that the set parked and has not unparked since.
    parked: bool,
    /// A `shm-ring:` listener's accepted connections whose handshake has not arrived.
    handshakes: Vec<Handshake>,
    /// A `shm-ring:` listener's finished handshakes, for the next [`Select::accept`].
    accepted: VecDeque<Result<Receiver>>,
}

impl Slot {
    fn new(member: Member) -> Slot {
        Slot {
            member,
            parked: false,
            handshakes: Vec::new(),
            accepted: VecDeque::new(),
        }
    }
}

/// How many handshakes one `shm-ring:` listener keeps pending; a connection above that is
/// refused (closed: its connector's `connect` fails) until one completes or times out.
const MAX_HANDSHAKES: usize = 256;

fn refused(what: &Listener, why: &str) -> Error {
    Error::new(ErrorKind::InvalidInput, "select", what.address()).with_detail(why.to_string())
}

impl Select {
    /// An empty set.
    pub fn new() -> Select {
        Select::default()
    }

    fn insert(&mut self, member: Member) -> Token {
        let slot = Some(Slot::new(member));
        match self.slots.iter().position(Option::is_none) {
            Some(i) => {
                self.slots[i] = slot;
                Token(i)
            }
            None => {
                self.slots.push(slot);
                Token(self.slots.len() - 1)
            }
        }
    }

    /// Adds a listener of connections (`unix:`, `unix-seqpacket:`, `tcp:`, `shm-ring:`); it
    /// is ready when a connection waits (for `shm-ring:`, also when a pending handshake
    /// finished, see [`Select`]).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for `fifo:`, `unix-dgram:`, `posix-mq:`, `file:`,
    /// `sysv-mq:` and `zenoh:` listeners (see [`Select`] for why and what to do instead),
    /// with the listener given back in [`Refused`].
    pub fn insert_listener(&mut self, listener: Listener) -> Result<Token, Refused<Listener>> {
        let why = match listener.address().scheme() {
            "unix" | "unix-seqpacket" | "tcp" | "shm-ring" if listener.as_fd_opt().is_some() => {
                None
            }
            "fifo" => Some(
                "a fifo: listener has no fd to poll: accept once and insert the receiver \
                 (insert_receiver)",
            ),
            "unix-dgram" | "posix-mq" | "file" => Some(
                "this transport has no connections: accept once and insert the one receiver \
                 (insert_receiver)",
            ),
            "sysv-mq" => Some(
                "a System V message queue is not a file: it cannot be polled; receive from \
                 it on a thread of its own",
            ),
            "zenoh" => Some(
                "a zenoh: subscriber has no fd to poll (its samples arrive on zenoh's own \
                 threads): accept once and receive on a thread of its own",
            ),
            _ => Some("this listener has no fd to poll"),
        };
        match why {
            None => Ok(self.insert(Member::Listener(listener))),
            Some(why) => Err(Refused {
                error: refused(&listener, why),
                member: Box::new(listener),
            }),
        }
    }

    /// Adds a receiver; it is ready when bytes or a message, the end of the stream or an
    /// error wait. A `shm-ring:` receiver is waited on through its connection's socket
    /// (its doorbell).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a `sysv-mq:` receiver (a System V queue is not a
    /// file) and a `zenoh:` one (no fd); the receiver is given back in [`Refused`].
    pub fn insert_receiver(&mut self, receiver: Receiver) -> Result<Token, Refused<Receiver>> {
        if receiver.ring().is_none() && receiver.as_fd_opt().is_none() {
            let scheme = receiver.scheme();
            let why = match scheme {
                "sysv-mq" => {
                    "a System V message queue is not a file: it cannot be polled; receive from \
                     it on a thread of its own"
                }
                "zenoh" => {
                    "a zenoh: subscriber has no fd to poll (its samples arrive on zenoh's own \
                     threads): receive on a thread of its own"
                }
                _ => "this receiver has no fd to poll",
            };
            return Err(Refused {
                error: Error::new(
                    ErrorKind::InvalidInput,
                    "select",
                    format!("{scheme}: receiver"),
                )
                .with_detail(why),
                member: Box::new(receiver),
            });
        }
        Ok(self.insert(Member::Receiver(receiver)))
    }

    /// Takes a member out of the set; `None` if `token` holds nothing. A `shm-ring:`
    /// receiver is unparked (its sender stops ringing); a
    /// `shm-ring:` listener's pending and finished handshakes are dropped (those connectors
    /// see the connection closed).
    pub fn remove(&mut self, token: Token) -> Option<Member> {
        let slot = self.slots.get_mut(token.0).and_then(Option::take)?;
        let mut member = slot.member;
        if let Member::Receiver(rx) = &mut member {
            if let Some(ring) = rx.ring_mut() {
                ring.unpark();
            }
        }
        Some(member)
    }

    /// The member under `token`.
    pub fn get(&self, token: Token) -> Option<&Member> {
        self.slots
            .get(token.0)
            .and_then(Option::as_ref)
            .map(|s| &s.member)
    }

    /// The listener under `token`, if it holds one.
    pub fn listener_mut(&mut self, token: Token) -> Option<&mut Listener> {
        match self.slots.get_mut(token.0) {
            Some(Some(Slot {
                member: Member::Listener(l),
                ..
            })) => Some(l),
            _ => None,
        }
    }

    /// The receiver under `token`, if it holds one.
    pub fn receiver_mut(&mut self, token: Token) -> Option<&mut Receiver> {
        match self.slots.get_mut(token.0) {
            Some(Some(Slot {
                member: Member::Receiver(r),
                ..
            })) => Some(r),
            _ => None,
        }
    }

    /// How many members the set holds.
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    /// Whether the set holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The tokens of every member, in order.
    pub fn tokens(&self) -> impl Iterator<Item = Token> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_some())
            .map(|(i, _)| Token(i))
    }

    /// Waits (`poll(2)`) until a member is ready, at most `timeout` (`None`: forever; any
    /// `Duration` up to [`Duration::MAX`]), and returns one ready member. When several are
    /// ready, successive calls take them in turn (round robin from the last one returned),
    /// so no member starves the others.
    ///
    /// `shm-ring:` receivers are parked for the wait (and stay parked while in the set,
    /// see [`Select`]); one with a record already waiting is ready at once.
    ///
    /// # Errors
    /// [`ErrorKind::TimedOut`] if nothing was ready within `timeout`;
    /// [`ErrorKind::InvalidInput`] if the set is empty and `timeout` is `None`; others from
    /// `poll`.
    ///
    /// # Examples
    /// See [`Select`].
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/poll.2.html>
    pub fn wait(&mut self, timeout: Option<Duration>) -> Result<Event> {
        self.poll(timeout)?;
        let ready = &self.scratch.ready;
        let k = ready
            .iter()
            .position(|e| e.token.0 >= self.cursor)
            .unwrap_or(0);
        match ready.get(k) {
            Some(&ev) => {
                self.cursor = ev.token.0 + 1;
                Ok(ev)
            }
            None => Err(Error::new(ErrorKind::TimedOut, "poll", "select")),
        }
    }

    /// Like [`wait`](Select::wait), but appends every ready member to `events` (cleared
    /// first) and returns how many.
    ///
    /// # Errors
    /// As [`wait`](Select::wait).
    pub fn wait_all(
        &mut self,
        events: &mut Vec<Event>,
        timeout: Option<Duration>,
    ) -> Result<usize> {
        events.clear();
        self.poll(timeout)?;
        events.extend_from_slice(&self.scratch.ready);
        if events.is_empty() {
            return Err(Error::new(ErrorKind::TimedOut, "poll", "select"));
        }
        Ok(events.len())
    }

    /// Accepts a waiting connection on the listener under `token` without blocking and
    /// inserts its receiver; returns the receiver's token.
    ///
    /// On a `shm-ring:` listener: returns a handshake that finished meanwhile (its receiver's
    /// token, or that connector's error) if there is one; otherwise accepts a waiting
    /// connection and, if its handshake has not arrived yet, keeps it pending in the set
    /// and returns [`ErrorKind::WouldBlock`] (the listener is ready again once it finished).
    ///
    /// # Errors
    /// [`ErrorKind::WouldBlock`] if no connection waits (another process took it) or its
    /// handshake is pending; [`ErrorKind::InvalidInput`] if `token` holds no listener;
    /// [`ErrorKind::LimitReached`] if a `shm-ring:` listener already has 256 handshakes
    /// pending (the new connection is closed); others as [`Listener::accept`], concerning
    /// that one connection (the listener stays usable).
    pub fn accept(&mut self, token: Token) -> Result<Token> {
        let Some(Some(slot)) = self.slots.get_mut(token.0) else {
            return Err(no_listener(token));
        };
        let Member::Listener(listener) = &mut slot.member else {
            return Err(no_listener(token));
        };
        let rx = if let Some(acceptor) = listener.ring_acceptor_ref() {
            if let Some(done) = slot.accepted.pop_front() {
                done?
            } else {
                let Some(hs) = acceptor.start()? else {
                    return Err(Error::new(
                        ErrorKind::WouldBlock,
                        "accept",
                        listener.address(),
                    ));
                };
                match acceptor.try_complete(hs)? {
                    Ok(rx) => rx,
                    Err(hs) => {
                        let object = listener.address().to_string();
                        if slot.handshakes.len() >= MAX_HANDSHAKES {
                            drop(hs);
                            return Err(Error::new(ErrorKind::LimitReached, "accept", object)
                                .with_detail(format!(
                                    "{MAX_HANDSHAKES} handshakes pending: connection closed"
                                )));
                        }
                        slot.handshakes.push(hs);
                        return Err(Error::new(ErrorKind::WouldBlock, "accept", object)
                            .with_detail("the handshake is pending"));
                    }
                }
            }
        } else {
            match listener.accept_timeout(Duration::ZERO) {
                Ok(rx) => rx,
                Err(e) if e.kind() == ErrorKind::TimedOut => {
                    return Err(e.with_kind(ErrorKind::WouldBlock))
                }
                Err(e) => return Err(e),
            }
        };
        // Every receiver accepted from a listener the set holds has an fd or is a ring.
        self.insert_receiver(rx).map_err(Error::from)
    }

    /// [`Receiver::try_recv`] on the receiver under `token`: a whole message, or
    /// [`ErrorKind::WouldBlock`] (a partial frame is kept for the next call).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] if `token` holds no receiver; others as
    /// [`Receiver::try_recv`].
    pub fn try_recv(&mut self, token: Token, buf: &mut Vec<u8>) -> Result<usize> {
        match self.receiver_mut(token) {
            Some(rx) => rx.try_recv(buf),
            None => Err(Error::new(ErrorKind::InvalidInput, "recv", "select")
                .with_detail(format!("token {token} holds no receiver"))),
        }
    }
}

fn no_listener(token: Token) -> Error {
    Error::new(ErrorKind::InvalidInput, "accept", "select")
        .with_detail(format!("token {token} holds no listener"))
}

/// Ends the parks of the ring receivers the set holds (their senders stop ringing).
impl Drop for Select {
    fn drop(&mut self) {
        for slot in self.slots.iter_mut().flatten() {
            if let Member::Receiver(rx) = &mut slot.member {
                if let Some(ring) = rx.ring_mut() {
                    ring.unpark();
                }
            }
        }
    }
}
