//! One message API over every transport that carries messages.
//!
//! A [`Sender`] moves whole messages (`&[u8]`, any length from 0 bytes up to the transport's
//! limit) and a [`Receiver`] gets them back whole, in order, never split or merged. Byte
//! streams (FIFOs, Unix stream sockets, TCP) frame each message as a 4-byte little-endian
//! length then the payload ([`FramedSender`], [`FramedReceiver`]); message-oriented
//! transports (queues, datagram and seqpacket sockets) keep their native boundaries.
//!
//! [`connect`] turns an [`Address`] into a sender; [`listen`] turns one into a [`Listener`]
//! whose [`accept`](Listener::accept) yields receivers:
//!
//! | address | `listen` | `accept` | `connect` |
//! |---|---|---|---|
//! | `fifo:PATH` | creates the FIFO (0o600) unless it exists; removes what it created on drop | opens the read end and waits until a writer has written or closed | opens the write end, waiting for a reader |
//! | `unix:PATH`, `unix:@NAME` | binds and listens; removes the socket file on drop | accepts one connection | connects |
//! | `unix-seqpacket:…` | as `unix:` | as `unix:` | as `unix:` |
//! | `unix-dgram:PATH`, `unix-dgram:@NAME` | binds; removes the socket file on drop | returns a receiver on the bound socket at once (every call: the same queue) | a socket connected to the address |
//! | `posix-mq:/NAME` | creates the queue (0o600, `msgsize` = `msgsize_max`) unless it exists; unlinks what it created once it and every receiver are dropped | returns a receiver on the queue at once (every call: the same queue) | opens the queue write-only (`NotFound` if nobody listens); a send fails with `PeerGone` once the queue was unlinked |
//! | `tcp:HOST:PORT` | binds and listens (`SO_REUSEADDR`; port 0 picks one, see [`Listener::address`]) | accepts one connection | connects, `TCP_NODELAY` |
//! | `sysv-mq:KEY[:MTYPE]` | opens the queue, creating it (0o600) if missing; removes what it created once it and its receivers are dropped | returns a receiver of type MTYPE at once | opens the existing queue |
//!
//! # Several senders
//! - Stream and seqpacket sockets and TCP: each sender is its own connection and its own
//!   receiver from [`Listener::accept`]; messages never mix. Accept them one after the other
//!   (or hand each receiver to a thread).
//! - Datagram sockets: every sender's datagrams arrive in the one queue of the bound socket,
//!   each whole; the receiver never sees [`ErrorKind::PeerGone`]
//!   since datagrams have no connection.
//! - POSIX message queues: likewise every sender's messages arrive whole in the one queue;
//!   there is no connection, so the receiver never sees `PeerGone`. A sender sees it once
//!   the queue was unlinked (its listener and receivers are all gone).
//! - FIFOs: all writers share one stream. A frame of at most `PIPE_BUF` bytes (4096, so
//!   messages of at most 4092 bytes) is written atomically and never mixes with another
//!   writer's; larger messages from concurrent writers can interleave and corrupt the stream.
//!   The receiver sees `PeerGone` only once every writer has closed.
//!
//! # Adding a transport
//! One variant in [`Address`] (with its arm in `FromStr` and `Display`, in `address.rs`), one
//! file `channel/<transport>.rs` with `connect` and `listen`, and one arm each in
//! `open_connection` and `open_listener` below; then a row in the conformance table of
//! `tests/channel_conformance.rs`.
//!
//! # Examples
//! ```
//! use ipckit::channel::{self, Address, Receiver};
//! let path = std::env::temp_dir().join(format!("ipckit-doc-channel-{}", std::process::id()));
//! let addr: Address = format!("unix:{}", path.display()).parse()?;
//! let mut listener = channel::listen(&addr)?;          // binds; unlinks on drop
//! let mut tx = channel::connect(&addr)?;
//! tx.send(b"ping")?;
//! let mut rx = listener.accept()?;
//! let mut buf = Vec::new();
//! rx.recv(&mut buf)?;
//! assert_eq!(buf, b"ping");
//! drop(tx);
//! assert_eq!(rx.recv(&mut buf).unwrap_err().kind(), ipckit::ErrorKind::PeerGone);
//! # Ok::<(), ipckit::Error>(())
//! ```

use std::os::fd::OwnedFd;
use std::time::Duration;

use crate::sys::Deadline;
use crate::{Error, ErrorKind, Result};

mod address;
mod dgram;
mod fifo;
mod posix_mq;
mod raw;
mod seqpacket;
mod stream;
mod sysv_mq;
mod tcp;
mod unix;

pub use address::{Address, SocketAddr, ACCEPTED_FORMS};
pub use raw::{RawReceiver, RawSender};
pub use stream::{FramedReceiver, FramedSender, HEADER_LEN};

/// Settings for [`connect_with`] and [`listen_with`]: the maximum message size.
///
/// # Examples
/// ```
/// use ipckit::channel::{self, Address, ChannelOptions};
/// let addr: Address = format!("unix:@ipckit-doc-opts-{}", std::process::id()).parse()?;
/// let small = ChannelOptions::new().max_message(1024);
/// let mut listener = channel::listen_with(&addr, &small)?;
/// let mut tx = channel::connect(&addr)?;              // default maximum: 16 MiB
/// tx.send(&[0u8; 2048])?;
/// let mut rx = listener.accept()?;
/// let e = rx.recv(&mut Vec::new()).unwrap_err();      // refused before allocating
/// assert_eq!(e.kind(), ipckit::ErrorKind::TooLarge);
/// # Ok::<(), ipckit::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ChannelOptions {
    max_message: usize,
}

impl Default for ChannelOptions {
    fn default() -> Self {
        ChannelOptions {
            max_message: DEFAULT_MAX_MESSAGE,
        }
    }
}

impl ChannelOptions {
    /// The defaults: maximum message [`DEFAULT_MAX_MESSAGE`].
    pub fn new() -> ChannelOptions {
        ChannelOptions::default()
    }

    /// The largest message in bytes a sender sends and a receiver accepts (a receiver
    /// rejects a larger one with [`ErrorKind::TooLarge`] before allocating).
    #[must_use]
    pub fn max_message(mut self, bytes: usize) -> ChannelOptions {
        self.max_message = bytes;
        self
    }

    /// The configured maximum message in bytes.
    pub fn get_max_message(&self) -> usize {
        self.max_message
    }
}

/// What a transport's `connect` gives: a byte stream to frame, or a message sender.
pub(crate) enum Outgoing {
    Stream(OwnedFd),
    Messages(Box<dyn Sender + Send>),
}

/// What a transport's `accept` gives: a byte stream to frame, or a message receiver.
pub(crate) enum Incoming {
    Stream(OwnedFd),
    Messages(Box<dyn Receiver + Send>),
}

/// A transport's listening side.
pub(crate) trait Accept: Send {
    /// The next incoming connection, waiting until `deadline` (`None`: forever);
    /// `Ok(None)` when the deadline passed.
    fn accept(&mut self, deadline: Option<Deadline>) -> Result<Option<Incoming>>;

    /// The file this listener created and removes when dropped.
    fn created_path(&self) -> Option<&std::path::Path> {
        None
    }

    /// The POSIX message queue this listener created and unlinks once it and its receivers
    /// are dropped.
    fn created_queue(&self) -> Option<&str> {
        None
    }
}

/// The one place that maps an [`Address`] to its transport's `connect`.
fn open_connection(addr: &Address, opts: &ChannelOptions) -> Result<Outgoing> {
    match addr {
        Address::Fifo(path) => fifo::connect(path),
        Address::Unix(name) => unix::connect(name),
        Address::UnixDgram(name) => dgram::connect(name, opts),
        Address::UnixSeqpacket(name) => seqpacket::connect(name, opts),
        Address::Tcp { host, port } => tcp::connect(host, *port),
        Address::SysvMq { key, mtype } => sysv_mq::connect(key, *mtype, opts),
        Address::PosixMq(name) => posix_mq::connect(name, opts),
    }
}

/// The one place that maps an [`Address`] to its transport's `listen`; returns the acceptor
/// and the address actually bound (a TCP port 0 replaced by the real one).
fn open_listener(addr: &Address, opts: &ChannelOptions) -> Result<(Box<dyn Accept>, Address)> {
    match addr {
        Address::Fifo(path) => fifo::listen(path),
        Address::Unix(name) => unix::listen(name),
        Address::UnixDgram(name) => dgram::listen(name, opts),
        Address::UnixSeqpacket(name) => seqpacket::listen(name, opts),
        Address::Tcp { host, port } => tcp::listen(host, *port),
        Address::SysvMq { key, mtype } => sysv_mq::listen(key, *mtype, opts),
        Address::PosixMq(name) => posix_mq::listen(name, opts),
    }
}

/// Opens a sender to `addr` with default [`ChannelOptions`]; see [`connect_with`].
///
/// # Errors
/// As [`connect_with`].
///
/// # Examples
/// See the [module docs](self).
///
/// # References
/// <https://man7.org/linux/man-pages/man2/connect.2.html>
pub fn connect(addr: &Address) -> Result<Box<dyn Sender + Send>> {
    connect_with(addr, &ChannelOptions::default())
}

/// Opens a sender to `addr` (`open(2)` on a FIFO, `connect(2)` on a socket): see the table in
/// the [module docs](self) for what each transport does.
///
/// # Errors
/// [`ErrorKind::NotFound`] if the FIFO or socket file does not exist;
/// [`ErrorKind::PeerGone`] if nothing listens there (`ECONNREFUSED`);
/// [`ErrorKind::InvalidInput`] if the path is not a FIFO or a host name does not resolve;
/// others from the syscall, naming it and the address.
///
/// # Examples
/// ```
/// use ipckit::channel::{self, ChannelOptions};
/// let path = std::env::temp_dir().join(format!("ipckit-doc-nobody-{}", std::process::id()));
/// let addr = format!("unix:{}", path.display()).parse()?;
/// let e = channel::connect_with(&addr, &ChannelOptions::new()).unwrap_err();
/// assert_eq!(e.kind(), ipckit::ErrorKind::NotFound); // no socket file there
/// assert!(e.to_string().contains("ENOENT"));
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/connect.2.html>
/// - <https://man7.org/linux/man-pages/man7/fifo.7.html>
pub fn connect_with(addr: &Address, opts: &ChannelOptions) -> Result<Box<dyn Sender + Send>> {
    Ok(match open_connection(addr, opts)? {
        Outgoing::Stream(fd) => Box::new(
            FramedSender::new(fd)
                .with_max_message(opts.max_message)
                .with_name(addr),
        ),
        Outgoing::Messages(tx) => tx,
    })
}

/// Opens `addr` for sending unframed bytes, for talking to tools such as `cat`, socat or
/// nc: on a byte stream every `write` goes to the stream as is; on a datagram or seqpacket
/// socket every `write` call sends one message.
///
/// # Errors
/// As [`connect_with`].
///
/// # Examples
/// ```
/// use std::io::{Read, Write};
/// use ipckit::channel::{self, Address};
/// let addr: Address = format!("unix:@ipckit-doc-raw-{}", std::process::id()).parse()?;
/// let mut listener = channel::listen(&addr)?;
/// let mut tx = channel::connect_raw(&addr)?;
/// tx.write_all(b"plain bytes, no length prefix")?;
/// drop(tx);
/// let mut rx = listener.accept_raw(None)?;
/// let mut got = String::new();
/// rx.read_to_string(&mut got)?;
/// assert_eq!(got, "plain bytes, no length prefix");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/send.2.html>
pub fn connect_raw(addr: &Address) -> Result<RawSender> {
    open_connection(addr, &ChannelOptions::default()).map(|o| RawSender::new(o, addr))
}

/// Listens on `addr` with default [`ChannelOptions`]; see [`listen_with`].
///
/// # Errors
/// As [`listen_with`].
///
/// # Examples
/// See the [module docs](self).
///
/// # References
/// <https://man7.org/linux/man-pages/man2/listen.2.html>
pub fn listen(addr: &Address) -> Result<Listener> {
    listen_with(addr, &ChannelOptions::default())
}

/// Starts receiving at `addr` (`bind(2)`/`listen(2)` on a socket, `mkfifo(3)` for a FIFO
/// that does not exist yet): see the table in the [module docs](self). The [`Listener`]
/// removes the socket file or FIFO it created when dropped.
///
/// # Errors
/// [`ErrorKind::AlreadyExists`] if a socket path or abstract name is taken (`EADDRINUSE`;
/// the detail says how to reclaim a stale socket file); [`ErrorKind::InvalidInput`] if a
/// FIFO path exists but is not a FIFO; [`ErrorKind::PermissionDenied`]; others from the
/// syscall, naming it and the address.
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/bind.2.html>
/// - <https://man7.org/linux/man-pages/man2/listen.2.html>
/// - <https://man7.org/linux/man-pages/man3/mkfifo.3.html>
///
/// # Examples
/// ```
/// use ipckit::channel::{self, Address, ChannelOptions};
/// let addr: Address = "tcp:127.0.0.1:0".parse()?;
/// let listener = channel::listen_with(&addr, &ChannelOptions::new())?;
/// let Address::Tcp { port, .. } = listener.address() else { unreachable!() };
/// assert_ne!(*port, 0); // the port the kernel picked
/// # Ok::<(), ipckit::Error>(())
/// ```
pub fn listen_with(addr: &Address, opts: &ChannelOptions) -> Result<Listener> {
    let (inner, address) = open_listener(addr, opts)?;
    Ok(Listener {
        inner,
        address,
        max_message: opts.max_message,
    })
}

/// The receiving end of an [`Address`]: yields a [`Receiver`] per connection (see the
/// [module docs](self) for what a connection is on each transport). Dropping it removes
/// the socket file or FIFO it created; receivers already accepted keep working.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use ipckit::channel::{self, Address};
/// let path = std::env::temp_dir().join(format!("ipckit-doc-listener-{}", std::process::id()));
/// let addr: Address = format!("unix-seqpacket:{}", path.display()).parse()?;
/// let mut listener = channel::listen(&addr)?;
/// assert_eq!(listener.created_path(), Some(path.as_path()));
/// let e = listener.accept_timeout(Duration::from_millis(5)).unwrap_err();
/// assert_eq!(e.kind(), ipckit::ErrorKind::TimedOut); // nobody connected
/// drop(listener);
/// assert!(!path.exists());
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/accept.2.html>
pub struct Listener {
    inner: Box<dyn Accept>,
    address: Address,
    max_message: usize,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("address", &self.address)
            .field("max_message", &self.max_message)
            .finish_non_exhaustive()
    }
}

impl Listener {
    /// The address listened on; for `tcp:HOST:0`, the port the kernel picked.
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// The file this listener created (a socket file, or a FIFO that did not exist) and
    /// removes when dropped; `None` for abstract names, TCP and a FIFO that existed before.
    /// A program that may be killed by a signal can remove it in its handler.
    pub fn created_path(&self) -> Option<&std::path::Path> {
        self.inner.created_path()
    }

    /// The POSIX message queue (`posix-mq:/NAME`) this listener created, which is unlinked
    /// once the listener and every receiver it gave out are dropped; `None` for other
    /// transports and for a queue that existed before. A program that may be killed by a
    /// signal can unlink it in its handler.
    pub fn created_queue(&self) -> Option<&str> {
        self.inner.created_queue()
    }

    fn next(&mut self, timeout: Option<Duration>) -> Result<Incoming> {
        let deadline = timeout.map(Deadline::after);
        match self.inner.accept(deadline)? {
            Some(incoming) => Ok(incoming),
            None => Err(Error::new(ErrorKind::TimedOut, "accept", &self.address)),
        }
    }

    fn framed(&self, incoming: Incoming) -> Box<dyn Receiver + Send> {
        match incoming {
            Incoming::Stream(fd) => Box::new(
                FramedReceiver::new(fd)
                    .with_max_message(self.max_message)
                    .with_name(&self.address),
            ),
            Incoming::Messages(rx) => rx,
        }
    }

    /// Waits for the next sender (`accept(2)`, or `open(2)` of a FIFO's read end) and
    /// returns a receiver for its messages.
    ///
    /// # Errors
    /// From the syscall, naming it and the address.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/accept.2.html>
    pub fn accept(&mut self) -> Result<Box<dyn Receiver + Send>> {
        let incoming = self.next(None)?;
        Ok(self.framed(incoming))
    }

    /// Like [`Listener::accept`], waiting at most `timeout`.
    ///
    /// # Errors
    /// [`ErrorKind::TimedOut`] if no sender came within `timeout`; others as
    /// [`Listener::accept`].
    ///
    /// # Examples
    /// See [`Listener`].
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/poll.2.html>
    pub fn accept_timeout(&mut self, timeout: Duration) -> Result<Box<dyn Receiver + Send>> {
        let incoming = self.next(Some(timeout))?;
        Ok(self.framed(incoming))
    }

    /// Like [`Listener::accept`], but the connection's bytes come unframed (see
    /// [`RawReceiver`]), for peers such as `cat`, socat or nc. `timeout` bounds the wait
    /// (`None`: forever).
    ///
    /// # Errors
    /// As [`Listener::accept_timeout`].
    ///
    /// # Examples
    /// See [`connect_raw`].
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/accept.2.html>
    pub fn accept_raw(&mut self, timeout: Option<Duration>) -> Result<RawReceiver> {
        let incoming = self.next(timeout)?;
        Ok(RawReceiver::new(incoming, &self.address))
    }
}

/// The largest message a [`Receiver`] accepts unless configured otherwise: 16 MiB.
///
/// A framed length above the receiver's maximum is rejected with
/// [`ErrorKind::TooLarge`] before anything is allocated.
pub const DEFAULT_MAX_MESSAGE: usize = 16 << 20;

/// The sending half of a channel: made by [`connect`], or a [`FramedSender`] over a
/// stream of your own.
///
/// # Examples
/// ```
/// use ipckit::channel::{FramedReceiver, FramedSender, Receiver, Sender};
/// fn send_all(tx: &mut dyn Sender, msgs: &[&str]) -> ipckit::Result<()> {
///     msgs.iter().try_for_each(|m| tx.send(m.as_bytes()))
/// }
/// let (a, b) = std::os::unix::net::UnixStream::pair()?;
/// send_all(&mut FramedSender::new(a), &["one", "two"])?;
/// let mut rx = FramedReceiver::new(b);
/// let mut buf = Vec::new();
/// rx.recv(&mut buf)?;
/// assert_eq!(buf, b"one");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/send.2.html>
pub trait Sender {
    /// Sends one whole message, blocking until the transport has taken it.
    ///
    /// # Errors
    /// [`ErrorKind::TooLarge`] if `msg` exceeds what the
    /// transport can carry (nothing is sent); [`ErrorKind::PeerGone`]
    /// if the receiver is gone and the transport can tell; other kinds from the syscall.
    fn send(&mut self, msg: &[u8]) -> Result<()>;
}

/// The receiving half of a channel: made by [`Listener::accept`], or a [`FramedReceiver`]
/// over a stream of your own. `buf` is reused: once it has grown to the message size,
/// receiving allocates nothing.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use ipckit::channel::{FramedReceiver, Receiver};
/// let (_a, b) = std::os::unix::net::UnixStream::pair()?;
/// let mut rx = FramedReceiver::new(b);
/// let mut buf = Vec::new();
/// assert_eq!(rx.try_recv(&mut buf).unwrap_err().kind(), ipckit::ErrorKind::WouldBlock);
/// let e = rx.recv_timeout(&mut buf, Duration::from_millis(1)).unwrap_err();
/// assert_eq!(e.kind(), ipckit::ErrorKind::TimedOut);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/recv.2.html>,
/// <https://man7.org/linux/man-pages/man2/poll.2.html>
pub trait Receiver {
    /// Blocks until a whole message arrives, replaces the contents of `buf` with it and
    /// returns its length in bytes.
    ///
    /// # Errors
    /// [`ErrorKind::PeerGone`] at the end of the stream (every
    /// sender closed); [`ErrorKind::TooLarge`] if the message is
    /// above this receiver's maximum; other kinds from the syscall.
    fn recv(&mut self, buf: &mut Vec<u8>) -> Result<usize>;

    /// Like [`Receiver::recv`], but returns
    /// [`ErrorKind::WouldBlock`] at once if no whole message is
    /// ready.
    fn try_recv(&mut self, buf: &mut Vec<u8>) -> Result<usize>;

    /// Like [`Receiver::recv`], but returns
    /// [`ErrorKind::TimedOut`] if no whole message arrived within
    /// `timeout`.
    fn recv_timeout(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> Result<usize>;
}

impl<T: Sender + ?Sized> Sender for Box<T> {
    fn send(&mut self, msg: &[u8]) -> Result<()> {
        (**self).send(msg)
    }
}

impl<T: Receiver + ?Sized> Receiver for Box<T> {
    fn recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        (**self).recv(buf)
    }

    fn try_recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        (**self).try_recv(buf)
    }

    fn recv_timeout(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> Result<usize> {
        (**self).recv_timeout(buf, timeout)
    }
}

/// So that `Result<Box<dyn Sender + Send>>` can be unwrapped and printed.
impl std::fmt::Debug for dyn Sender + Send {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dyn Sender")
    }
}

/// So that `Result<Box<dyn Receiver + Send>>` can be unwrapped and printed.
impl std::fmt::Debug for dyn Receiver + Send {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dyn Receiver")
    }
}
