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
//! | `fifo:PATH` | creates the FIFO (0o600) unless it exists; removes what it created on drop | opens the read end and waits until a writer has written or closed | opens the write end, waiting for a reader at most [`ChannelOptions::connect_timeout`] (10 s by default, then `TimedOut`) |
//! | `unix:PATH`, `unix:@NAME` | binds and listens; removes the socket file on drop | accepts one connection | connects |
//! | `unix-seqpacket:…` | as `unix:` | as `unix:` | as `unix:` |
//! | `unix-dgram:PATH`, `unix-dgram:@NAME` | binds; removes the socket file on drop | returns a receiver on the bound socket at once (every call: the same queue) | a socket connected to the address |
//! | `posix-mq:/NAME` | creates the queue (0o600, `msgsize` = `msgsize_max`) unless it exists; unlinks what it created once it and every receiver are dropped, if empty (a queue holding messages is kept, see [`Listener::close`]) | returns a receiver on the queue at once (every call: the same queue) | opens the queue write-only (`NotFound` if nobody listens); a send fails with `PeerGone` once the queue was unlinked |
//! | `tcp:HOST:PORT` | binds and listens (`SO_REUSEADDR`; port 0 picks one, see [`Listener::address`]) | accepts one connection | connects, `TCP_NODELAY` |
//! | `file:PATH` | opens the spool for reading, creating it (0o600) if missing; takes the lock on `PATH.pos` (a second listener: `AlreadyExists`); never removes the spool (its messages are durable) | returns the one receiver at once (`AlreadyExists` while it is out) | opens the spool for appending, creating it (0o600) if missing: sends succeed with no receiver running |
//! | `sysv-mq:KEY[:MTYPE]` | opens the queue, creating it (0o600) if missing; removes what it created once it and its receivers are dropped, if empty (as `posix-mq:`) | returns a receiver of type MTYPE at once | opens the existing queue |
//! | `zenoh:KEY/EXPR` (feature `zenoh`) | declares a zenoh subscriber (wildcards allowed) | returns a receiver of the subscriber's queue at once (every call: the same queue) | declares a reliable publisher (no wildcards: `InvalidInput`); each `send` returns once a matching subscriber is known (up to [`ChannelOptions::zenoh_match_timeout`], then `TimedOut`, nothing sent) |
//!
//! # How a stream ends
//! A receiver on a byte stream (`fifo:`, `unix:`, `tcp:`) reports
//! [`ErrorKind::PeerGone`](crate::ErrorKind::PeerGone) when the stream ends between two
//! messages (the sender closed cleanly), and
//! [`ErrorKind::UnexpectedEof`](crate::ErrorKind::UnexpectedEof) when it ends inside one
//! (a header or payload partly received, then end of stream: the sender died or closed
//! while writing, and that message is lost). A caller that treats `PeerGone` as "done"
//! must report `UnexpectedEof` as a failure. A byte stream that delivered `UnexpectedEof`
//! or `TooLarge` cannot be resynchronised: drop that connection.
//!
//! # Several senders
//! - Stream and seqpacket sockets, TCP and `shm-ring:`: each sender is its own connection
//!   and its own receiver from [`Listener::accept`]; messages never mix. Serve them all from
//!   one thread with [`Select`] (the listener and every receiver in one `poll(2)`: an idle or
//!   slow sender never delays another), or hand each receiver to a thread.
//! - Datagram sockets: every sender's datagrams arrive in the one queue of the bound socket,
//!   each whole; the receiver never sees [`ErrorKind::PeerGone`](crate::ErrorKind::PeerGone)
//!   since datagrams have no connection.
//! - POSIX message queues: likewise every sender's messages arrive whole in the one queue;
//!   there is no connection, so the receiver never sees `PeerGone`. A sender sees it once
//!   the queue was unlinked (its listener and receivers are all gone).
//! - FIFOs: all writers share one stream. A frame of at most `PIPE_BUF` bytes (4096, so
//!   messages of at most 4092 bytes) is written atomically by the kernel; a larger one is
//!   written under an exclusive `flock(2)` on the FIFO, taken per frame, so frames of
//!   ipckit writers never interleave. A writer that is not ipckit (`cat > fifo`) takes no
//!   lock and can still write into the middle of a large frame, corrupting the stream.
//!   The receiver sees `PeerGone` only once every writer has closed.
//!
//! # Types
//! [`Sender`], [`Receiver`] and [`Listener`] are concrete types, one each whatever the
//! transport (crossbeam-channel's design: a private enum of "flavors" inside, dispatched with
//! `match`, no `Box<dyn>`). There is no public `Sender`/`Receiver` trait: code that wants to
//! be generic over ipckit's transports takes these types; a transport of your own is a byte
//! stream ([`FramedSender`]/[`FramedReceiver`] over any `AsFd`) or your own type. Each has
//! `as_fd_opt()` for `poll`/`epoll`: an `Option`, since System V queues have no fd.
//!
//! # Adding a transport
//! One variant in [`Address`] (with its arm in `FromStr` and `Display`, in `address.rs`), one
//! file `channel/<transport>.rs` with `connect` and `listen` and its flavor types (a sender
//! with `send` and `as_fd_opt`, a receiver with `recv`, `try_recv`, `recv_timeout` and
//! `as_fd_opt`, a listener implementing `listener::Listen`), one line for each flavor in the
//! `flavors!` lists of `ends.rs` and `listener.rs`, and one arm each in `open_connection`
//! and `open_listener` below; then one line in the `conformance!` list of
//! `tests/channel_conformance.rs`.
//!
//! # Examples
//! ```
//! use ipckit::channel::{self, Address};
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

use crate::Result;

mod address;
mod dgram;
mod ends;
mod fifo;
mod file;
mod listener;
mod posix_mq;
mod raw;
mod select;
mod seqpacket;
mod shm_ring;
mod stream;
mod sysv_mq;
mod tcp;
#[cfg(feature = "serde")]
pub mod typed;
mod unix;
#[cfg(feature = "zenoh")]
mod zenoh;

pub use address::{Address, SocketAddr, ZenohCongestion, ZenohLocality, ACCEPTED_FORMS};
pub use ends::{Receiver, Sender};
pub use listener::{Closed, Listener};
pub use raw::{RawReceiver, RawSender};
pub use select::{Event, Member, Readiness, Refused, Select, Token};
pub use stream::{FramedReceiver, FramedSender, HEADER_LEN};
#[cfg(feature = "zenoh")]
pub use zenoh::SUBSCRIBER_QUEUE as ZENOH_SUBSCRIBER_QUEUE;

#[cfg(feature = "tokio")]
pub(crate) use ends::Started;
use ends::{ReceiverFlavor, SenderFlavor};
use listener::ListenerFlavor;
#[cfg(feature = "tokio")]
pub(crate) use shm_ring::{check_len, connect_parts, copy_record, RingAcceptor, RingParts};
#[cfg(feature = "tokio")]
pub(crate) use stream::frame_tail;

/// Settings for [`connect_with`] and [`listen_with`]: the maximum message size, the
/// `shm-ring:` capacity, the `fifo:` connect timeout.
///
/// Built like [`FramedSender`]: `with_max_message(bytes)` sets, `max_message()` reads.
///
/// # Examples
/// ```
/// use ipckit::channel::{self, Address, ChannelOptions};
/// let addr: Address = format!("unix:@ipckit-doc-opts-{}", std::process::id()).parse()?;
/// let small = ChannelOptions::new().with_max_message(1024);
/// assert_eq!(small.max_message(), 1024);
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
    ring_capacity: usize,
    connect_timeout: std::time::Duration,
    zenoh: ZenohOptions,
}

/// The `zenoh:` settings of [`ChannelOptions`].
#[derive(Debug, Clone, Default)]
pub(crate) struct ZenohOptions {
    pub(crate) connect: Vec<String>,
    pub(crate) listen: Vec<String>,
    pub(crate) config: Option<std::path::PathBuf>,
    pub(crate) match_timeout: Option<std::time::Duration>,
}

impl Default for ChannelOptions {
    fn default() -> Self {
        ChannelOptions {
            max_message: DEFAULT_MAX_MESSAGE,
            ring_capacity: DEFAULT_RING_CAPACITY,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            zenoh: ZenohOptions::default(),
        }
    }
}

impl ChannelOptions {
    /// The defaults: maximum message [`DEFAULT_MAX_MESSAGE`].
    pub fn new() -> ChannelOptions {
        ChannelOptions::default()
    }

    /// The largest message in bytes a sender sends and a receiver accepts (a receiver
    /// rejects a larger one with [`ErrorKind`](crate::ErrorKind)`::TooLarge` before
    /// allocating).
    #[must_use]
    pub fn with_max_message(mut self, bytes: usize) -> ChannelOptions {
        self.max_message = bytes;
        self
    }

    /// The configured maximum message in bytes.
    pub fn max_message(&self) -> usize {
        self.max_message
    }

    /// The capacity in bytes of each direction's ring that a `shm-ring:` sender creates (a
    /// power of two, 4 KiB to 1 GiB; default [`DEFAULT_RING_CAPACITY`]). The largest message
    /// such a ring carries is half of it; a larger one is
    /// [`ErrorKind`](crate::ErrorKind)`::TooLarge` before anything is written. A
    /// `shm-ring:` listener accepts rings up to the larger of this and twice
    /// [`max_message`](Self::max_message). Other transports ignore it.
    ///
    /// # Examples
    /// ```
    /// use ipckit::channel::{self, Address, ChannelOptions};
    /// let addr: Address = format!("shm-ring:@ipckit-doc-ringcap-{}", std::process::id()).parse()?;
    /// let mut listener = channel::listen(&addr)?;
    /// // A ring connect completes when the listener accepts (the handshake verifies the rings).
    /// let to = addr.clone();
    /// let sender = std::thread::spawn(move || {
    ///     let small = ChannelOptions::new().with_ring_capacity(64 << 10);
    ///     let mut tx = channel::connect_with(&to, &small)?;
    ///     let e = tx.send(&[0u8; 40 << 10]).unwrap_err(); // above 32 KiB, half the ring
    ///     assert_eq!(e.kind(), ipckit::ErrorKind::TooLarge);
    ///     tx.send(b"fits")
    /// });
    /// let mut rx = listener.accept()?;
    /// let mut buf = Vec::new();
    /// rx.recv(&mut buf)?;
    /// assert_eq!(buf, b"fits");
    /// sender.join().unwrap()?;
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    #[must_use]
    pub fn with_ring_capacity(mut self, bytes: usize) -> ChannelOptions {
        self.ring_capacity = bytes;
        self
    }

    /// The configured `shm-ring:` capacity in bytes (see
    /// [`with_ring_capacity`](Self::with_ring_capacity)).
    pub fn ring_capacity(&self) -> usize {
        self.ring_capacity
    }

    /// How long a `fifo:` connect waits for a reader to open the FIFO (default
    /// [`DEFAULT_CONNECT_TIMEOUT`]; [`Duration::MAX`](std::time::Duration::MAX): as long as
    /// it takes, a blocking `open(2)`). A FIFO's write end opens only while a process has
    /// its read end open, which a `fifo:` listener does only inside
    /// [`accept`](Listener::accept); past the timeout the connect fails with
    /// [`ErrorKind`](crate::ErrorKind)`::TimedOut`, so a sender whose reader never comes is
    /// not stuck forever. Other transports do not wait for a peer to connect (a `shm-ring:`
    /// handshake waits at most [`ring::HANDSHAKE_TIMEOUT`](crate::ring::HANDSHAKE_TIMEOUT))
    /// and ignore it.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use ipckit::channel::{self, Address, ChannelOptions};
    /// let path = std::env::temp_dir().join(format!("ipckit-doc-fifo-ct-{}", std::process::id()));
    /// let addr: Address = format!("fifo:{}", path.display()).parse()?;
    /// let _listener = channel::listen(&addr)?; // creates the FIFO; nobody accepts
    /// let opts = ChannelOptions::new().with_connect_timeout(Duration::from_millis(20));
    /// let e = channel::connect_with(&addr, &opts).unwrap_err();
    /// assert_eq!(e.kind(), ipckit::ErrorKind::TimedOut); // no reader came
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man7/fifo.7.html>
    #[must_use]
    pub fn with_connect_timeout(mut self, timeout: std::time::Duration) -> ChannelOptions {
        self.connect_timeout = timeout;
        self
    }

    /// The configured connect timeout (see
    /// [`with_connect_timeout`](Self::with_connect_timeout)).
    pub fn connect_timeout(&self) -> std::time::Duration {
        self.connect_timeout
    }

    /// `zenoh:` only: zenoh endpoints to connect to (`tcp/HOST:7447`), in place of the
    /// environment's `IPCKIT_ZENOH_CONNECT` (a comma-separated list). Without any, zenoh's
    /// scouting (UDP multicast, peer mode) finds the peers of the local network.
    ///
    /// Ends with the same zenoh settings share one zenoh session per process.
    ///
    /// # Examples
    /// ```
    /// use ipckit::channel::ChannelOptions;
    /// let opts = ChannelOptions::new()
    ///     .with_zenoh_connect(["tcp/10.0.0.1:7447"])
    ///     .with_zenoh_listen(["tcp/0.0.0.0:7447"]);
    /// assert_eq!(opts.zenoh_connect(), ["tcp/10.0.0.1:7447"]);
    /// ```
    #[must_use]
    pub fn with_zenoh_connect<S: Into<String>>(
        mut self,
        endpoints: impl IntoIterator<Item = S>,
    ) -> ChannelOptions {
        self.zenoh.connect = endpoints.into_iter().map(Into::into).collect();
        self
    }

    /// The configured zenoh connect endpoints (empty: the environment's or none).
    pub fn zenoh_connect(&self) -> &[String] {
        &self.zenoh.connect
    }

    /// `zenoh:` only: zenoh endpoints to listen on (`tcp/0.0.0.0:7447`), in place of the
    /// environment's `IPCKIT_ZENOH_LISTEN`. Without any, zenoh's default for a peer (an
    /// ephemeral TCP port on every interface, announced by scouting).
    #[must_use]
    pub fn with_zenoh_listen<S: Into<String>>(
        mut self,
        endpoints: impl IntoIterator<Item = S>,
    ) -> ChannelOptions {
        self.zenoh.listen = endpoints.into_iter().map(Into::into).collect();
        self
    }

    /// The configured zenoh listen endpoints (empty: the environment's or zenoh's default).
    pub fn zenoh_listen(&self) -> &[String] {
        &self.zenoh.listen
    }

    /// `zenoh:` only: a zenoh configuration file (JSON5, zenoh's own format), in place of
    /// the environment's `IPCKIT_ZENOH_CONFIG`; connect and listen endpoints given here or
    /// in the environment replace the file's.
    #[must_use]
    pub fn with_zenoh_config(mut self, path: impl Into<std::path::PathBuf>) -> ChannelOptions {
        self.zenoh.config = Some(path.into());
        self
    }

    /// `zenoh:` only: how long a `send` waits for a matching subscriber when none is known
    /// (zenoh drops a sample nobody subscribes to, so the sender waits rather than say
    /// "sent"); then `TimedOut`, nothing sent. Default [`DEFAULT_ZENOH_MATCH_TIMEOUT`];
    /// any `Duration` up to [`Duration::MAX`](std::time::Duration::MAX) (forever).
    #[must_use]
    pub fn with_zenoh_match_timeout(mut self, timeout: std::time::Duration) -> ChannelOptions {
        self.zenoh.match_timeout = Some(timeout);
        self
    }

    /// The configured match timeout (see
    /// [`with_zenoh_match_timeout`](Self::with_zenoh_match_timeout)).
    pub fn zenoh_match_timeout(&self) -> std::time::Duration {
        self.zenoh
            .match_timeout
            .unwrap_or(DEFAULT_ZENOH_MATCH_TIMEOUT)
    }

    #[cfg(feature = "zenoh")]
    pub(crate) fn zenoh(&self) -> &ZenohOptions {
        &self.zenoh
    }
}

/// How long a `fifo:` connect waits for a reader unless configured otherwise
/// ([`ChannelOptions::with_connect_timeout`]): 10 s.
pub const DEFAULT_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// How long a `zenoh:` send waits for a matching subscriber unless configured otherwise:
/// 10 s.
pub const DEFAULT_ZENOH_MATCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The capacity of each direction's ring of a `shm-ring:` channel unless configured
/// otherwise: 8 MiB, so the largest message is 4 MiB.
pub const DEFAULT_RING_CAPACITY: usize = 8 << 20;

/// The largest message a [`Receiver`] accepts unless configured otherwise: 16 MiB.
///
/// A framed length above the receiver's maximum is rejected with
/// [`ErrorKind`](crate::ErrorKind)`::TooLarge` before anything is allocated.
pub const DEFAULT_MAX_MESSAGE: usize = 16 << 20;

/// The error of every transport for a message of `len` bytes above the maximum `max`.
pub(crate) fn too_large(op: &'static str, object: &str, len: usize, max: usize) -> crate::Error {
    crate::Error::new(crate::ErrorKind::TooLarge, op, object).with_detail(format!(
        "message of {len} bytes exceeds the maximum of {max} bytes"
    ))
}

/// What a transport's `connect` gives: a byte stream to frame, or a message sender.
pub(crate) enum Outgoing {
    Stream(OwnedFd),
    Messages(SenderFlavor),
}

/// What a transport's `accept` gives: a byte stream to frame, or a message receiver.
pub(crate) enum Incoming {
    Stream(OwnedFd),
    Messages(ReceiverFlavor),
}

/// `zenoh:` in a build without the feature.
#[cfg(not(feature = "zenoh"))]
fn no_zenoh(op: &'static str, addr: &Address) -> crate::Error {
    crate::Error::new(crate::ErrorKind::InvalidInput, op, addr)
        .with_detail("this ipckit was built without the cargo feature `zenoh`")
}

/// The one place that maps an [`Address`] to its transport's `connect`.
fn open_connection(addr: &Address, opts: &ChannelOptions) -> Result<Outgoing> {
    match addr {
        Address::Fifo(path) => fifo::connect(path, opts.connect_timeout),
        Address::Unix(name) => unix::connect(name),
        Address::UnixDgram(name) => dgram::connect(name, opts),
        Address::UnixSeqpacket(name) => seqpacket::connect(name, opts),
        Address::Tcp { host, port } => tcp::connect(host, *port),
        Address::SysvMq { key, mtype } => sysv_mq::connect(key, *mtype, opts),
        Address::PosixMq(name) => posix_mq::connect(name, opts),
        Address::ShmRing(name) => shm_ring::connect(name, opts),
        Address::File(path) => file::connect(path, opts),
        #[cfg(feature = "zenoh")]
        Address::Zenoh {
            key,
            congestion,
            locality,
        } => zenoh::connect(key, *congestion, *locality, opts),
        #[cfg(not(feature = "zenoh"))]
        Address::Zenoh { .. } => Err(no_zenoh("connect", addr)),
    }
}

/// The one place that maps an [`Address`] to its transport's `listen`; returns the
/// listening side and the address actually bound (a TCP port 0 replaced by the real one).
fn open_listener(addr: &Address, opts: &ChannelOptions) -> Result<(ListenerFlavor, Address)> {
    match addr {
        Address::Fifo(path) => fifo::listen(path),
        Address::Unix(name) => unix::listen(name),
        Address::UnixDgram(name) => dgram::listen(name, opts),
        Address::UnixSeqpacket(name) => seqpacket::listen(name, opts),
        Address::Tcp { host, port } => tcp::listen(host, *port),
        Address::SysvMq { key, mtype } => sysv_mq::listen(key, *mtype, opts),
        Address::PosixMq(name) => posix_mq::listen(name, opts),
        Address::ShmRing(name) => shm_ring::listen(name, opts),
        Address::File(path) => file::listen(path, opts),
        #[cfg(feature = "zenoh")]
        Address::Zenoh {
            key,
            congestion,
            locality,
        } => zenoh::listen(key, *congestion, *locality, opts),
        #[cfg(not(feature = "zenoh"))]
        Address::Zenoh { .. } => Err(no_zenoh("listen", addr)),
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
pub fn connect(addr: &Address) -> Result<Sender> {
    connect_with(addr, &ChannelOptions::default())
}

/// Opens a sender to `addr` (`open(2)` on a FIFO, `connect(2)` on a socket): see the table in
/// the [module docs](self) for what each transport does.
///
/// # Errors
/// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) if the FIFO or socket file does not
/// exist; [`ErrorKind::PeerGone`](crate::ErrorKind::PeerGone) if nothing listens there
/// (`ECONNREFUSED`); [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) if the path
/// is not a FIFO or a host name does not resolve;
/// [`ErrorKind::TimedOut`](crate::ErrorKind::TimedOut) if no reader opened a FIFO within
/// [`ChannelOptions::connect_timeout`]; others from the syscall, naming it and the address.
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
pub fn connect_with(addr: &Address, opts: &ChannelOptions) -> Result<Sender> {
    Ok(Sender::new(match open_connection(addr, opts)? {
        Outgoing::Stream(fd) => SenderFlavor::Framed(
            FramedSender::new(fd)
                .with_max_message(opts.max_message)
                .with_name(addr),
        ),
        Outgoing::Messages(tx) => tx,
    }))
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
/// let mut rx = listener.accept_raw()?;
/// let mut got = String::new();
/// rx.read_to_string(&mut got)?;
/// assert_eq!(got, "plain bytes, no length prefix");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/send.2.html>
pub fn connect_raw(addr: &Address) -> Result<RawSender> {
    connect_raw_with(addr, &ChannelOptions::default())
}

/// [`connect_raw`] with [`ChannelOptions`]: of them only the connect timeout and the
/// `shm-ring:` capacity apply (a raw sender has no message maximum).
///
/// # Errors
/// As [`connect_with`].
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use ipckit::channel::{self, Address, ChannelOptions};
/// let addr: Address = format!("unix:@ipckit-doc-raw-with-{}", std::process::id()).parse()?;
/// let _listener = channel::listen(&addr)?;
/// let opts = ChannelOptions::new().with_connect_timeout(Duration::from_secs(1));
/// let _tx = channel::connect_raw_with(&addr, &opts)?;
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/connect.2.html>
pub fn connect_raw_with(addr: &Address, opts: &ChannelOptions) -> Result<RawSender> {
    open_connection(addr, opts).map(|o| RawSender::new(o, addr))
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
/// [`ErrorKind::AlreadyExists`](crate::ErrorKind::AlreadyExists) if a socket path or
/// abstract name is taken (`EADDRINUSE`; the detail says how to reclaim a stale socket
/// file); [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) if a FIFO path exists
/// but is not a FIFO; [`ErrorKind::PermissionDenied`](crate::ErrorKind::PermissionDenied);
/// others from the syscall, naming it and the address.
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
    let (flavor, address) = open_listener(addr, opts)?;
    Ok(Listener::new(flavor, address, opts.max_message))
}

/// Defines a private enum of transports ("flavors", as crossbeam-channel calls them) and a
/// macro that runs one expression on whichever flavor a value holds, with a `match` (static
/// dispatch: no `Box<dyn>`). Adding a transport is one line in the invocation.
macro_rules! flavors {
    ($d:tt $(#[$meta:meta])* enum $name:ident, dispatch $mac:ident {
        $($(#[$vmeta:meta])* $variant:ident($ty:ty) $(if $cfg:meta)?,)*
    }) => {
        $(#[$meta])*
        pub(crate) enum $name {
            $($(#[$vmeta])* $(#[cfg($cfg)])? $variant($ty),)*
        }

        /// Runs `$body` with `$f` bound to the flavor `$on` holds.
        macro_rules! $mac {
            ($d on:expr, $d f:ident => $d body:expr) => {
                match $d on {
                    $($(#[cfg($cfg)])? $name::$variant($d f) => $d body,)*
                }
            };
        }
    };
}
#[allow(clippy::single_component_path_imports)]
pub(crate) use flavors;
