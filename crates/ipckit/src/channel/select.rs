//! [`Select`]: one thread waits on many [`Listener`]s and [`Receiver`]s at once (`poll(2)`),
//! so a server serves every sender and an idle or hostile one never delays another.

use std::fmt;
use std::os::fd::BorrowedFd;
use std::time::Duration;

use super::{Listener, Receiver};
use crate::sys::{io, Deadline};
use crate::{Error, ErrorKind, Result};

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
    /// Why ([`ErrorKind::InvalidInput`]).
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
/// with [`remove`](Select::remove) and drop it; the others go on.
///
/// # What a Select can hold
/// Whatever has a file descriptor to poll:
/// - listeners of connections: `unix:`, `unix-seqpacket:`, `tcp:`;
/// - receivers of every transport except `sysv-mq:`.
///
/// Refused with [`ErrorKind::InvalidInput`] (the member given back in [`Refused`]):
/// `sysv-mq:` listeners and receivers (a System V queue is not a file, there is nothing to
/// poll); `fifo:` listeners (a FIFO has no listening fd: accept once and insert the
/// receiver; it ends with `PeerGone` when every writer closed, then accept again); and
/// `unix-dgram:` and `posix-mq:` listeners (no connections: accept once and insert the one
/// receiver, on which every sender's messages arrive).
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
///         sel.accept(server)?;                // inserts the new receiver
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
/// # References
/// <https://man7.org/linux/man-pages/man2/poll.2.html>
#[doc(alias = "poll")]
#[derive(Debug, Default)]
pub struct Select {
    slots: Vec<Option<Member>>,
    /// Where the next round-robin scan starts.
    cursor: usize,
    /// Scratch for `poll`'s answers, reused.
    revents: Vec<io::Revents>,
    /// Scratch: the slot of each polled fd.
    polled: Vec<usize>,
}

fn refused(what: &Listener, why: &str) -> Error {
    Error::new(ErrorKind::InvalidInput, "select", what.address()).with_detail(why.to_string())
}

impl Select {
    /// An empty set.
    pub fn new() -> Select {
        Select::default()
    }

    fn insert(&mut self, member: Member) -> Token {
        match self.slots.iter().position(Option::is_none) {
            Some(i) => {
                self.slots[i] = Some(member);
                Token(i)
            }
            None => {
                self.slots.push(Some(member));
                Token(self.slots.len() - 1)
            }
        }
    }

    /// Adds a listener of connections (`unix:`, `unix-seqpacket:`, `tcp:`); it is ready
    /// when a connection waits.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for `fifo:`, `unix-dgram:`, `posix-mq:` and `sysv-mq:`
    /// listeners (see [`Select`] for why and what to do instead), with the listener given
    /// back in [`Refused`].
    pub fn insert_listener(&mut self, listener: Listener) -> Result<Token, Refused<Listener>> {
        let why = match listener.address().scheme() {
            "unix" | "unix-seqpacket" | "tcp" if listener.as_fd_opt().is_some() => None,
            "fifo" => Some(
                "a fifo: listener has no fd to poll: accept once and insert the receiver \
                 (insert_receiver)",
            ),
            "unix-dgram" | "posix-mq" | "file" => Some(
                "this transport has no connections: accept once and insert the one receiver \
                 (insert_receiver)",
            ),
            "sysv-mq" => Some("a System V message queue is not a file: it cannot be polled"),
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
    /// error wait.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a `sysv-mq:` receiver (a System V queue is not a
    /// file), with the receiver given back in [`Refused`].
    pub fn insert_receiver(&mut self, receiver: Receiver) -> Result<Token, Refused<Receiver>> {
        if receiver.as_fd_opt().is_none() {
            return Err(Refused {
                error: Error::new(ErrorKind::InvalidInput, "select", "sysv-mq receiver")
                    .with_detail("a System V message queue is not a file: it cannot be polled"),
                member: Box::new(receiver),
            });
        }
        Ok(self.insert(Member::Receiver(receiver)))
    }

    /// Takes a member out of the set; `None` if `token` holds nothing.
    pub fn remove(&mut self, token: Token) -> Option<Member> {
        self.slots.get_mut(token.0).and_then(Option::take)
    }

    /// The member under `token`.
    pub fn get(&self, token: Token) -> Option<&Member> {
        self.slots.get(token.0).and_then(Option::as_ref)
    }

    /// The listener under `token`, if it holds one.
    pub fn listener_mut(&mut self, token: Token) -> Option<&mut Listener> {
        match self.slots.get_mut(token.0) {
            Some(Some(Member::Listener(l))) => Some(l),
            _ => None,
        }
    }

    /// The receiver under `token`, if it holds one.
    pub fn receiver_mut(&mut self, token: Token) -> Option<&mut Receiver> {
        match self.slots.get_mut(token.0) {
            Some(Some(Member::Receiver(r))) => Some(r),
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

    /// One `poll(2)` over every member; fills `self.revents`/`self.polled`.
    fn poll(&mut self, timeout: Option<Duration>) -> Result<()> {
        let deadline = timeout.map(Deadline::after);
        self.polled.clear();
        let mut fds: Vec<BorrowedFd<'_>> = Vec::with_capacity(self.slots.len());
        for (i, slot) in self.slots.iter().enumerate() {
            let fd = match slot {
                Some(Member::Listener(l)) => l.as_fd_opt(),
                Some(Member::Receiver(r)) => r.as_fd_opt(),
                None => None,
            };
            if let Some(fd) = fd {
                fds.push(fd);
                self.polled.push(i);
            }
        }
        if fds.is_empty() && deadline.is_none() {
            return Err(Error::new(ErrorKind::InvalidInput, "poll", "select")
                .with_detail("the set is empty: waiting forever on nothing"));
        }
        io::poll_readable(&fds, deadline, &mut self.revents)
            .map_err(|e| Error::from_errno(e, "poll", "select"))
    }

    fn event(&self, k: usize) -> Event {
        let r = self.revents[k];
        Event {
            token: Token(self.polled[k]),
            readiness: Readiness {
                readable: r.readable,
                hangup: r.hangup,
                error: r.error,
            },
        }
    }

    /// Waits (`poll(2)`) until a member is ready, at most `timeout` (`None`: forever; any
    /// `Duration` up to [`Duration::MAX`]), and returns one ready member. When several are
    /// ready, successive calls take them in turn (round robin from the last one returned),
    /// so no member starves the others.
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
        let n = self.polled.len();
        let start = self
            .polled
            .iter()
            .position(|&i| i >= self.cursor)
            .unwrap_or(0);
        for step in 0..n {
            let k = (start + step) % n;
            if self.revents[k].any() {
                self.cursor = self.polled[k] + 1;
                return Ok(self.event(k));
            }
        }
        Err(Error::new(ErrorKind::TimedOut, "poll", "select"))
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
        for k in 0..self.polled.len() {
            if self.revents[k].any() {
                events.push(self.event(k));
            }
        }
        if events.is_empty() {
            return Err(Error::new(ErrorKind::TimedOut, "poll", "select"));
        }
        Ok(events.len())
    }

    /// Accepts a waiting connection on the listener under `token` without blocking and
    /// inserts its receiver; returns the receiver's token.
    ///
    /// # Errors
    /// [`ErrorKind::WouldBlock`] if no connection waits (another process took it);
    /// [`ErrorKind::InvalidInput`] if `token` holds no listener; others as
    /// [`Listener::accept`].
    pub fn accept(&mut self, token: Token) -> Result<Token> {
        let Some(listener) = self.listener_mut(token) else {
            return Err(Error::new(ErrorKind::InvalidInput, "accept", "select")
                .with_detail(format!("token {token} holds no listener")));
        };
        let rx = match listener.accept_timeout(Duration::ZERO) {
            Ok(rx) => rx,
            Err(e) if e.kind() == ErrorKind::TimedOut => {
                return Err(e.with_kind(ErrorKind::WouldBlock))
            }
            Err(e) => return Err(e),
        };
        // Every receiver accepted from a listener the set holds has an fd.
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
