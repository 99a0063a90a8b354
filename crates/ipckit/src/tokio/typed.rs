//! Typed async ends (features `tokio` and `serde`): send a `T: Serialize`, receive a
//! `T: DeserializeOwned`, over every transport of [`ipckit::tokio`](super), without a thread
//! per receiver.
//!
//! These are the async twins of [`channel::typed`](crate::channel::typed): a [`Sender<T, C>`]
//! encodes each value with the [`Codec`] `C` (default [`MsgPack`]) into a buffer it owns and
//! reuses, then sends those bytes as one message of the async byte
//! [`Sender`](super::Sender); a [`Receiver<T, C>`] receives one message into its own reused
//! buffer and decodes it. The encoding and decoding are
//! [`channel::typed::encode_into`](crate::channel::typed::encode_into) and [`channel::typed::decode`](crate::channel::typed::decode), so the wire format, the
//! codecs and the errors are exactly the blocking typed ends': a blocking typed sender and
//! an async typed receiver (or the other way round, or a Python msgpack peer) talk to each
//! other.
//!
//! # Bad messages
//! A message that is not one `T` is [`ErrorKind::InvalidData`]
//! whose [`object`](crate::Error::object) is `std::any::type_name::<T>()` and whose detail
//! names the codec and the byte offset; the message is consumed and the next `recv` (or the
//! next `Stream` item) is the next message.
//!
//! # Cancel safety
//! The same as the byte ends (see [the module docs](super#cancel-safety)):
//! [`Receiver::recv`] is cancellation safe (a `recv` that loses a `tokio::select!` race or a
//! [`tokio::time::timeout`] received nothing: a partly arrived frame stays in the byte
//! receiver, and decoding only starts once a whole message is in); [`Sender::send`] either
//! sent nothing or left the rest of its frame in the byte sender, written before the next
//! message; [`Listener::accept`] is cancellation safe.
//!
//! # Streams and sinks
//! [`Receiver`] is a [`futures_core::Stream`] of `Result<T>`; [`Sender`] is a
//! [`futures_sink::Sink`] of `T`: values moved in, as `stream.forward(sink)` and
//! `sink.send_all(&mut stream)` need. It is a sink of `T` only, not also of `&T`, so that
//! `SinkExt::flush`/`close` need no type annotation; to send a value you keep, the inherent
//! [`Sender::send`] takes `&T`.
//!
//! # Examples
//! ```
//! # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! # rt.block_on(async {
//! use serde::{Deserialize, Serialize};
//! use ipckit::channel::Address;
//! use ipckit::tokio::typed;
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! struct Job { id: u32, args: Vec<String> }
//!
//! let addr: Address = format!("unix:@ipckit-doc-atyped-{}", std::process::id()).parse()?;
//! let mut listener: typed::Listener<Job> = typed::listen(&addr)?;
//! let mut tx: typed::Sender<Job> = typed::connect(&addr).await?;
//! tx.send(&Job { id: 1, args: vec!["-v".into()] }).await?;
//! let mut rx = listener.accept().await?;
//! assert_eq!(rx.recv().await?, Job { id: 1, args: vec!["-v".into()] });
//! # Ok::<(), ipckit::Error>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::marker::PhantomData;
use std::os::fd::BorrowedFd;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::channel::typed::{decode, encode_into};
pub use crate::channel::typed::{Codec, MsgPack, Postcard};
use crate::channel::{Address, ChannelOptions};
use crate::{ErrorKind, Result};

/// The async sending end of a typed channel: encodes each `T` with codec `C` (default
/// [`MsgPack`]) into a buffer it reuses and sends it as one message of the async byte
/// [`Sender`](super::Sender).
///
/// Made by [`connect`], [`connect_with`], or [`Sender::new`] around any async byte sender.
/// Once the buffer has grown to the largest message, `send` allocates nothing.
///
/// Also a [`futures_sink::Sink`] of `T` (only: [`send`](Sender::send) borrows instead):
/// `start_send` encodes the value into
/// this sender's buffer (an encoding error is returned there, nothing is kept) and hands the
/// bytes to the byte sender, which keeps one copy until `poll_flush` (or the next
/// `poll_ready`) has the kernel take it.
///
/// # Cancel safety
/// As [`super::Sender::send`]: a cancelled [`send`](Sender::send) either sent nothing, or
/// the rest of its frame is kept and written before the next message (see
/// [`is_pending`](Sender::is_pending) and [`flush`](Sender::flush)).
///
/// # Examples
/// ```
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
/// # rt.block_on(async {
/// use ipckit::channel::Address;
/// use ipckit::tokio::typed::{self, Postcard};
/// let addr: Address = format!("unix-seqpacket:@ipckit-doc-atsend-{}", std::process::id()).parse()?;
/// let mut listener = typed::listen::<(u32, String), Postcard>(&addr)?;
/// let mut tx = typed::connect::<(u32, String), Postcard>(&addr).await?;
/// tx.send(&(7, "seven".to_string())).await?;
/// let mut rx = listener.accept().await?;
/// assert_eq!(rx.recv().await?, (7, "seven".to_string()));
/// # Ok::<(), ipckit::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Sender<T, C = MsgPack> {
    inner: super::Sender,
    buf: Vec<u8>,
    _types: PhantomData<fn(&T, C)>,
}

impl<T: Serialize, C: Codec> Sender<T, C> {
    /// A typed sender over an async byte sender (any transport; the receiver must use the
    /// same codec).
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    /// # rt.block_on(async {
    /// use ipckit::channel::Address;
    /// use ipckit::tokio::typed;
    /// let addr: Address = format!("unix:@ipckit-doc-atnew-{}", std::process::id()).parse()?;
    /// let mut listener = ipckit::tokio::listen(&addr)?;
    /// let mut tx: typed::Sender<u64> = typed::Sender::new(ipckit::tokio::connect(&addr).await?);
    /// tx.send(&300).await?;
    /// let mut rx = listener.accept().await?;
    /// let mut buf = Vec::new();
    /// rx.recv(&mut buf).await?;
    /// assert_eq!(buf, [0xcd, 0x01, 0x2c]); // MessagePack uint16 300
    /// # Ok::<(), ipckit::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(inner: super::Sender) -> Sender<T, C> {
        Sender {
            inner,
            buf: Vec::new(),
            _types: PhantomData,
        }
    }

    /// Encodes `value` and sends it as one message; returns once the kernel has taken all of
    /// it. Cancellation safe as described at [`Sender`].
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] if the codec cannot encode it (nothing is sent);
    /// otherwise as [`super::Sender::send`] ([`ErrorKind::TooLarge`] for an encoding above
    /// the maximum, [`ErrorKind::PeerGone`] if the receiver is gone…).
    ///
    /// # Examples
    /// See [`Sender`].
    pub async fn send(&mut self, value: &T) -> Result<()> {
        encode_into::<T, C>(value, &mut self.buf)?;
        self.inner.send(&self.buf).await
    }

    /// Waits until the kernel has taken what a cancelled send or the `Sink` left in the
    /// byte sender; at once if nothing is left (as [`super::Sender::flush`]).
    ///
    /// # Errors
    /// As [`super::Sender::flush`].
    pub async fn flush(&mut self) -> Result<()> {
        self.inner.flush().await
    }

    /// Whether part of a message is kept unsent in the byte sender (as
    /// [`super::Sender::is_pending`]).
    pub fn is_pending(&self) -> bool {
        self.inner.is_pending()
    }

    /// The capacity in bytes of the reused encoding buffer (it only grows).
    pub fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// The async byte sender underneath.
    pub fn inner(&self) -> &super::Sender {
        &self.inner
    }

    /// The async byte sender underneath, mutably (to send bytes that are not a `T`).
    pub fn inner_mut(&mut self) -> &mut super::Sender {
        &mut self.inner
    }

    /// The async byte sender back, dropping the buffer.
    pub fn into_inner(self) -> super::Sender {
        self.inner
    }

    /// The transport's file descriptor, `None` for `sysv-mq:`.
    pub fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        self.inner.as_fd_opt()
    }

    fn start(&mut self, value: &T) -> Result<()> {
        encode_into::<T, C>(value, &mut self.buf)?;
        futures_sink::Sink::<&[u8]>::start_send(Pin::new(&mut self.inner), &self.buf)
    }

    fn poll_flushed(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        futures_sink::Sink::<&[u8]>::poll_flush(Pin::new(&mut self.inner), cx)
    }
}

impl<T, C: Codec> fmt::Debug for Sender<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("tokio::typed::Sender")
            .field("type", &std::any::type_name::<T>())
            .field("codec", &C::NAME)
            .field("inner", &self.inner)
            .finish()
    }
}

/// `poll_ready` finishes the previous message (so at most one is kept); `start_send`
/// encodes the value (an encoding error is returned there, nothing kept) and keeps the
/// bytes; `poll_flush` returns once the kernel has taken them; `poll_close` flushes (the
/// transport closes when the `Sender` is dropped).
impl<T: Serialize, C: Codec> futures_sink::Sink<T> for Sender<T, C> {
    type Error = crate::Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_flushed(cx)
    }

    fn start_send(self: Pin<&mut Self>, value: T) -> Result<()> {
        self.get_mut().start(&value)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_flushed(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_flushed(cx)
    }
}

/// The async receiving end of a typed channel: receives each message into a buffer it owns
/// and decodes it as a `T` with codec `C` (default [`MsgPack`]).
///
/// Made by [`Listener::accept`] or [`Receiver::new`] around any async byte receiver. A
/// message that is not one `T` is [`ErrorKind::InvalidData`] naming the type and the byte
/// offset, and is consumed: the next `recv` gets the next message.
///
/// Also a [`futures_core::Stream`] of `Result<T>`: it ends (`None`) when the peer is gone
/// between messages ([`ErrorKind::PeerGone`]); a message that does not decode is an `Err`
/// item and the stream goes on; any other error is an `Err` item, after which a byte stream
/// (`fifo:`, `unix:`, `tcp:`), which cannot recover, ends (as the byte
/// [`Receiver`](super::Receiver)'s stream).
///
/// # Cancel safety
/// [`recv`](Receiver::recv) is cancellation safe: if it is used as the event in a
/// `tokio::select!` statement and some other branch completes first, no message was
/// received and none is lost (the byte receiver keeps a partly arrived frame; a whole one is
/// decoded in the same poll that received it).
///
/// # Examples
/// ```
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
/// # rt.block_on(async {
/// use std::time::Duration;
/// use ipckit::channel::Address;
/// use ipckit::tokio::typed;
/// let addr: Address = format!("unix:@ipckit-doc-atrecv-{}", std::process::id()).parse()?;
/// let mut listener: typed::Listener<Vec<i32>> = typed::listen(&addr)?;
/// let mut bytes = ipckit::tokio::connect(&addr).await?;
/// let mut rx = listener.accept().await?;
/// // Nothing sent yet: the timeout cancels the receive, which loses nothing.
/// assert!(tokio::time::timeout(Duration::from_millis(5), rx.recv()).await.is_err());
/// bytes.send(&[0xc1]).await?;             // 0xc1: never used in MessagePack
/// bytes.send(&[0x91, 0x05]).await?;       // [5]
/// let e = rx.recv().await.unwrap_err();
/// assert_eq!(e.kind(), ipckit::ErrorKind::InvalidData);
/// assert!(e.to_string().contains("alloc::vec::Vec<i32>"), "{e}");
/// assert!(e.to_string().contains("at byte 1 of 1"), "{e}");
/// assert_eq!(rx.recv().await?, [5]);
/// # Ok::<(), ipckit::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Receiver<T, C = MsgPack> {
    inner: super::Receiver,
    buf: Vec<u8>,
    /// The stream ended (for `Stream`).
    ended: bool,
    _types: PhantomData<fn() -> (T, C)>,
}

impl<T: DeserializeOwned, C: Codec> Receiver<T, C> {
    /// A typed receiver over an async byte receiver (any transport; the sender must use the
    /// same codec).
    ///
    /// # Examples
    /// See [`Sender::new`] (the other way round).
    pub fn new(inner: super::Receiver) -> Receiver<T, C> {
        Receiver {
            inner,
            buf: Vec::new(),
            ended: false,
            _types: PhantomData,
        }
    }

    /// Waits for a whole message and decodes it. Cancellation safe (see [`Receiver`]).
    ///
    /// Wrap it in [`tokio::time::timeout`] for a time limit.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidData`] if it is not one `T` (the message is consumed; the next
    /// call gets the next one); otherwise as [`super::Receiver::recv`]:
    /// [`ErrorKind::PeerGone`] at a clean end, [`ErrorKind::UnexpectedEof`] if a byte stream
    /// ended inside a message, [`ErrorKind::TooLarge`] above the maximum.
    ///
    /// # Examples
    /// See [`Receiver`].
    pub async fn recv(&mut self) -> Result<T> {
        self.inner.recv(&mut self.buf).await?;
        decode::<T, C>(&self.buf)
    }

    /// The poll form of [`recv`](Self::recv), for hand-written futures: `Ready` with a
    /// decoded message or an error, or `Pending` with `cx`'s waker registered.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<T>> {
        ready!(self.inner.poll_recv(cx, &mut self.buf))?;
        Poll::Ready(decode::<T, C>(&self.buf))
    }

    /// The capacity in bytes of the reused receive buffer (it only grows).
    pub fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// The async byte receiver underneath.
    pub fn inner(&self) -> &super::Receiver {
        &self.inner
    }

    /// The async byte receiver underneath, mutably.
    pub fn inner_mut(&mut self) -> &mut super::Receiver {
        &mut self.inner
    }

    /// The async byte receiver back, dropping the buffer.
    pub fn into_inner(self) -> super::Receiver {
        self.inner
    }

    /// The transport's file descriptor, `None` for `sysv-mq:`.
    pub fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        self.inner.as_fd_opt()
    }
}

/// See [`Receiver`]: `None` after `PeerGone`; an undecodable message is an `Err` item and
/// the stream goes on; on a byte stream, it ends after any other error.
impl<T: DeserializeOwned, C: Codec> futures_core::Stream for Receiver<T, C> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        let this = self.get_mut();
        if this.ended {
            return Poll::Ready(None);
        }
        match ready!(this.inner.poll_recv(cx, &mut this.buf)) {
            Ok(_) => Poll::Ready(Some(decode::<T, C>(&this.buf))),
            Err(e) if e.kind() == ErrorKind::PeerGone => {
                this.ended = true;
                Poll::Ready(None)
            }
            Err(e) => {
                this.ended = this.inner.is_framed();
                Poll::Ready(Some(Err(e)))
            }
        }
    }
}

impl<T, C: Codec> fmt::Debug for Receiver<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("tokio::typed::Receiver")
            .field("type", &std::any::type_name::<T>())
            .field("codec", &C::NAME)
            .field("inner", &self.inner)
            .finish()
    }
}

/// An async byte [`Listener`](super::Listener) whose [`accept`](Listener::accept) yields
/// typed receivers.
///
/// # Cancel safety
/// [`accept`](Listener::accept) is cancellation safe, as the byte listener's.
///
/// # Examples
/// See the [module docs](self).
pub struct Listener<T, C = MsgPack> {
    inner: super::Listener,
    _types: PhantomData<fn() -> (T, C)>,
}

impl<T: DeserializeOwned, C: Codec> Listener<T, C> {
    /// A typed listener over an async byte listener.
    pub fn new(inner: super::Listener) -> Listener<T, C> {
        Listener {
            inner,
            _types: PhantomData,
        }
    }

    /// Waits for the next sender and returns a typed receiver for it (as
    /// [`super::Listener::accept`]).
    ///
    /// # Errors
    /// As [`super::Listener::accept`].
    pub async fn accept(&mut self) -> Result<Receiver<T, C>> {
        self.inner.accept().await.map(Receiver::new)
    }

    /// The address listened on (a TCP port 0 replaced by the real one).
    pub fn address(&self) -> &Address {
        self.inner.address()
    }

    /// The async byte listener underneath.
    pub fn inner(&self) -> &super::Listener {
        &self.inner
    }

    /// The async byte listener back.
    pub fn into_inner(self) -> super::Listener {
        self.inner
    }
}

impl<T, C: Codec> fmt::Debug for Listener<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("tokio::typed::Listener")
            .field("type", &std::any::type_name::<T>())
            .field("codec", &C::NAME)
            .field("inner", &self.inner)
            .finish()
    }
}

/// Opens an async typed sender to `addr` with default options (as [`super::connect`]).
///
/// # Errors
/// As [`super::connect`].
///
/// # Examples
/// See the [module docs](self).
pub async fn connect<T: Serialize, C: Codec>(addr: &Address) -> Result<Sender<T, C>> {
    super::connect(addr).await.map(Sender::new)
}

/// Opens an async typed sender to `addr` with `opts` (as [`super::connect_with`]).
///
/// # Errors
/// As [`super::connect_with`].
pub async fn connect_with<T: Serialize, C: Codec>(
    addr: &Address,
    opts: &ChannelOptions,
) -> Result<Sender<T, C>> {
    super::connect_with(addr, opts).await.map(Sender::new)
}

/// Listens on `addr` for typed senders with default options (as [`super::listen`]).
///
/// # Errors
/// As [`super::listen`].
///
/// # Panics
/// Outside a tokio runtime with its I/O driver, as [`super::listen`].
///
/// # Examples
/// See the [module docs](self).
pub fn listen<T: DeserializeOwned, C: Codec>(addr: &Address) -> Result<Listener<T, C>> {
    super::listen(addr).map(Listener::new)
}

/// Listens on `addr` for typed senders with `opts` (as [`super::listen_with`]).
///
/// # Errors
/// As [`super::listen_with`].
///
/// # Panics
/// Outside a tokio runtime with its I/O driver, as [`super::listen`].
pub fn listen_with<T: DeserializeOwned, C: Codec>(
    addr: &Address,
    opts: &ChannelOptions,
) -> Result<Listener<T, C>> {
    super::listen_with(addr, opts).map(Listener::new)
}
