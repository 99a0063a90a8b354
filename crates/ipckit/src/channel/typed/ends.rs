//! The typed ends: [`Sender`], [`Receiver`] and [`Listener`] over the byte channel's.

use std::fmt;
use std::marker::PhantomData;
use std::os::fd::BorrowedFd;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::codec::{Codec, MsgPack};
use crate::channel::{self, Address, ChannelOptions};
use crate::Result;

/// The sending end of a typed channel: encodes each `T` with codec `C` (default
/// [`MsgPack`]) and sends it as one message.
///
/// The encoding goes into a buffer the sender owns: once it has grown to the largest
/// message, `send` allocates nothing. Made by [`connect`], [`connect_with`], or
/// [`Sender::new`] around any byte [`channel::Sender`].
///
/// # Examples
/// ```
/// use ipckit::channel::{typed::{self, Postcard}, Address};
/// let addr: Address = format!("unix-seqpacket:@ipckit-doc-tsend-{}", std::process::id()).parse()?;
/// let mut listener = typed::listen::<(u32, String), Postcard>(&addr)?;
/// let mut tx = typed::connect::<(u32, String), Postcard>(&addr)?;
/// tx.send(&(7, "seven".to_string()))?;
/// let mut rx = listener.accept()?;
/// assert_eq!(rx.recv()?, (7, "seven".to_string()));
/// # Ok::<(), ipckit::Error>(())
/// ```
pub struct Sender<T, C = MsgPack> {
    inner: channel::Sender,
    buf: Vec<u8>,
    _types: PhantomData<fn(&T, C)>,
}

impl<T: Serialize, C: Codec> Sender<T, C> {
    /// A typed sender over a byte sender (any transport; the same codec as the receiver).
    ///
    /// # Examples
    /// ```
    /// use ipckit::channel::{self, typed, Address};
    /// let addr: Address = format!("unix:@ipckit-doc-tnew-{}", std::process::id()).parse()?;
    /// let mut listener = channel::listen(&addr)?;
    /// let mut tx: typed::Sender<u64> = typed::Sender::new(channel::connect(&addr)?);
    /// tx.send(&300)?;
    /// let mut rx = listener.accept()?;
    /// let mut buf = Vec::new();
    /// rx.recv(&mut buf)?;
    /// assert_eq!(buf, [0xcd, 0x01, 0x2c]); // MessagePack uint16 300
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    pub fn new(inner: channel::Sender) -> Sender<T, C> {
        Sender {
            inner,
            buf: Vec::new(),
            _types: PhantomData,
        }
    }

    /// Encodes `value` and sends it as one message, blocking until the transport took it.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) if the codec cannot
    /// encode it (nothing is sent); otherwise as [`channel::Sender::send`]
    /// ([`TooLarge`](crate::ErrorKind::TooLarge) for an encoding above the maximum,
    /// [`PeerGone`](crate::ErrorKind::PeerGone)…).
    ///
    /// # Examples
    /// See [`Sender`].
    pub fn send(&mut self, value: &T) -> Result<()> {
        C::encode_into(value, &mut self.buf)?;
        self.inner.send(&self.buf)
    }

    /// The capacity in bytes of the reused encoding buffer (it only grows).
    pub fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// The byte sender underneath.
    pub fn inner(&self) -> &channel::Sender {
        &self.inner
    }

    /// The byte sender underneath, mutably (to send bytes that are not a `T`).
    pub fn inner_mut(&mut self) -> &mut channel::Sender {
        &mut self.inner
    }

    /// The byte sender back, dropping the buffer.
    pub fn into_inner(self) -> channel::Sender {
        self.inner
    }

    /// The transport's file descriptor, `None` for `sysv-mq:` (as
    /// [`channel::Sender::as_fd_opt`]).
    pub fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        self.inner.as_fd_opt()
    }
}

impl<T, C: Codec> fmt::Debug for Sender<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("typed::Sender")
            .field("type", &std::any::type_name::<T>())
            .field("codec", &C::NAME)
            .field("inner", &self.inner)
            .finish()
    }
}

/// The receiving end of a typed channel: receives each message into a buffer it owns and
/// decodes it as a `T` with codec `C` (default [`MsgPack`]).
///
/// A message that is not one `T` is
/// [`ErrorKind::InvalidData`](crate::ErrorKind::InvalidData) naming the type and the byte
/// offset, and is consumed: the next call gets the next message. Made by
/// [`Listener::accept`] or [`Receiver::new`] around any byte [`channel::Receiver`].
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use ipckit::channel::{self, typed, Address};
/// let addr: Address = format!("unix:@ipckit-doc-trecv-{}", std::process::id()).parse()?;
/// let mut listener: typed::Listener<Vec<i32>> = typed::listen(&addr)?;
/// let mut bytes = channel::connect(&addr)?;
/// let mut rx = listener.accept()?;
/// assert_eq!(rx.try_recv().unwrap_err().kind(), ipckit::ErrorKind::WouldBlock);
/// bytes.send(&[0xc1])?;                  // 0xc1: never used in MessagePack
/// bytes.send(&[0x91, 0x05])?;            // [5]
/// let e = rx.recv().unwrap_err();
/// assert_eq!(e.kind(), ipckit::ErrorKind::InvalidData);
/// assert!(e.to_string().contains("alloc::vec::Vec<i32>"), "{e}");
/// assert_eq!(rx.recv_timeout(Duration::from_secs(5))?, [5]);
/// # Ok::<(), ipckit::Error>(())
/// ```
pub struct Receiver<T, C = MsgPack> {
    inner: channel::Receiver,
    buf: Vec<u8>,
    _types: PhantomData<fn() -> (T, C)>,
}

impl<T: DeserializeOwned, C: Codec> Receiver<T, C> {
    /// A typed receiver over a byte receiver (any transport; the same codec as the sender).
    ///
    /// # Examples
    /// See [`Sender::new`] (the other way round).
    pub fn new(inner: channel::Receiver) -> Receiver<T, C> {
        Receiver {
            inner,
            buf: Vec::new(),
            _types: PhantomData,
        }
    }

    /// Blocks until a whole message arrives and decodes it.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidData`](crate::ErrorKind::InvalidData) if it is not one `T` (the
    /// message is consumed; the next call gets the next one); otherwise as
    /// [`channel::Receiver::recv`]: [`PeerGone`](crate::ErrorKind::PeerGone) at a clean
    /// end, [`UnexpectedEof`](crate::ErrorKind::UnexpectedEof) if a byte stream ended
    /// inside a message.
    ///
    /// # Examples
    /// See [`Receiver`].
    pub fn recv(&mut self) -> Result<T> {
        self.inner.recv(&mut self.buf)?;
        C::decode(&self.buf)
    }

    /// Like [`Receiver::recv`], but [`ErrorKind::WouldBlock`](crate::ErrorKind::WouldBlock)
    /// at once if no whole message is ready.
    ///
    /// # Errors
    /// As [`Receiver::recv`], and `WouldBlock`.
    ///
    /// # Examples
    /// See [`Receiver`].
    pub fn try_recv(&mut self) -> Result<T> {
        self.inner.try_recv(&mut self.buf)?;
        C::decode(&self.buf)
    }

    /// Like [`Receiver::recv`], but [`ErrorKind::TimedOut`](crate::ErrorKind::TimedOut) if
    /// no whole message arrived within `timeout` (up to [`Duration::MAX`]: forever).
    ///
    /// # Errors
    /// As [`Receiver::recv`], and `TimedOut`.
    ///
    /// # Examples
    /// See [`Receiver`].
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<T> {
        self.inner.recv_timeout(&mut self.buf, timeout)?;
        C::decode(&self.buf)
    }

    /// The capacity in bytes of the reused receive buffer (it only grows).
    pub fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// The byte receiver underneath.
    pub fn inner(&self) -> &channel::Receiver {
        &self.inner
    }

    /// The byte receiver underneath, mutably.
    pub fn inner_mut(&mut self) -> &mut channel::Receiver {
        &mut self.inner
    }

    /// The byte receiver back, dropping the buffer.
    pub fn into_inner(self) -> channel::Receiver {
        self.inner
    }

    /// The transport's file descriptor, `None` for `sysv-mq:` (as
    /// [`channel::Receiver::as_fd_opt`]).
    pub fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        self.inner.as_fd_opt()
    }
}

impl<T, C: Codec> fmt::Debug for Receiver<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("typed::Receiver")
            .field("type", &std::any::type_name::<T>())
            .field("codec", &C::NAME)
            .field("inner", &self.inner)
            .finish()
    }
}

/// A byte [`channel::Listener`] whose [`accept`](Listener::accept) yields typed receivers.
///
/// # Examples
/// See the [module docs](super).
pub struct Listener<T, C = MsgPack> {
    inner: channel::Listener,
    _types: PhantomData<fn() -> (T, C)>,
}

impl<T: DeserializeOwned, C: Codec> Listener<T, C> {
    /// A typed listener over a byte listener.
    pub fn new(inner: channel::Listener) -> Listener<T, C> {
        Listener {
            inner,
            _types: PhantomData,
        }
    }

    /// Waits for the next sender and returns a typed receiver for it (as
    /// [`channel::Listener::accept`]).
    ///
    /// # Errors
    /// As [`channel::Listener::accept`].
    pub fn accept(&mut self) -> Result<Receiver<T, C>> {
        self.inner.accept().map(Receiver::new)
    }

    /// Like [`Listener::accept`], waiting at most `timeout`.
    ///
    /// # Errors
    /// [`ErrorKind::TimedOut`](crate::ErrorKind::TimedOut), or as [`Listener::accept`].
    pub fn accept_timeout(&mut self, timeout: Duration) -> Result<Receiver<T, C>> {
        self.inner.accept_timeout(timeout).map(Receiver::new)
    }

    /// The address listened on (a TCP port 0 replaced by the real one).
    pub fn address(&self) -> &Address {
        self.inner.address()
    }

    /// The byte listener underneath.
    pub fn inner(&self) -> &channel::Listener {
        &self.inner
    }

    /// The byte listener back.
    pub fn into_inner(self) -> channel::Listener {
        self.inner
    }

    /// The listener's file descriptor, if it has one (as
    /// [`channel::Listener::as_fd_opt`]).
    pub fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        self.inner.as_fd_opt()
    }
}

impl<T, C: Codec> fmt::Debug for Listener<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("typed::Listener")
            .field("type", &std::any::type_name::<T>())
            .field("codec", &C::NAME)
            .field("inner", &self.inner)
            .finish()
    }
}

/// Opens a typed sender to `addr` with default options (as [`channel::connect`]).
///
/// # Errors
/// As [`channel::connect`].
///
/// # Examples
/// See the [module docs](super).
pub fn connect<T: Serialize, C: Codec>(addr: &Address) -> Result<Sender<T, C>> {
    channel::connect(addr).map(Sender::new)
}

/// Opens a typed sender to `addr` with `opts` (as [`channel::connect_with`]).
///
/// # Errors
/// As [`channel::connect_with`].
pub fn connect_with<T: Serialize, C: Codec>(
    addr: &Address,
    opts: &ChannelOptions,
) -> Result<Sender<T, C>> {
    channel::connect_with(addr, opts).map(Sender::new)
}

/// Listens on `addr` for typed senders with default options (as [`channel::listen`]).
///
/// # Errors
/// As [`channel::listen`].
///
/// # Examples
/// See the [module docs](super).
pub fn listen<T: DeserializeOwned, C: Codec>(addr: &Address) -> Result<Listener<T, C>> {
    channel::listen(addr).map(Listener::new)
}

/// Listens on `addr` for typed senders with `opts` (as [`channel::listen_with`]).
///
/// # Errors
/// As [`channel::listen_with`].
pub fn listen_with<T: DeserializeOwned, C: Codec>(
    addr: &Address,
    opts: &ChannelOptions,
) -> Result<Listener<T, C>> {
    channel::listen_with(addr, opts).map(Listener::new)
}
