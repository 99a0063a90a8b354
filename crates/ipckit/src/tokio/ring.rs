//! Async ends of the shared-memory ring ([`crate::ring`]) for tokio: [`connect`],
//! [`RingListener`], [`RingConnection`], [`RingSender`], [`RingReceiver`].
//!
//! The ring itself is unchanged: a send or receive that can proceed is the synchronous
//! `try_*` call (no syscall, no await point). One that cannot *parks* the end (a bit in the
//! shared waiter word, then a re-check, see `ring::park`) and awaits, through
//! [`tokio::io::unix::AsyncFd`], the ring's doorbell eventfd, which the peer writes only for
//! a parked end, or the connection's socket, which hangs up when the peer dies, or a timer
//! of the check interval (20 ms by default). Sync and async ends mix freely: a synchronous
//! [`ring::Sender`] rings the doorbell of an async receiver, and an
//! async sender wakes a synchronous receiver's futex.
//!
//! The handshake (connect, accept) blocks for at most
//! [`HANDSHAKE_TIMEOUT`](crate::ring::HANDSHAKE_TIMEOUT); it runs on tokio's blocking pool
//! ([`tokio::task::spawn_blocking`]), so a slow or hostile peer never stalls the runtime.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> ipckit::Result<()> {
//! use ipckit::tokio::ring;
//! let addr: ipckit::net::unix::SocketAddr =
//!     format!("@ipckit-doc-tokio-ring-{}", std::process::id()).parse()?;
//! let listener = ring::RingListener::bind(&addr)?;
//! let client = tokio::spawn(async move {
//!     let mut conn = ring::connect(&addr).await?;
//!     conn.sender().send(b"ping").await?;
//!     let mut buf = Vec::new();
//!     conn.receiver().recv(&mut buf).await?;
//!     Ok::<_, ipckit::Error>(buf)
//! });
//! let mut conn = listener.accept().await?;
//! let mut buf = Vec::new();
//! conn.receiver().recv(&mut buf).await?;
//! conn.sender().send(b"pong").await?;
//! assert_eq!(client.await.unwrap()?, b"pong");
//! # Ok(())
//! # }
//! ```
//!
//! # Cancellation
//! [`RingReceiver::recv`] (and `recv_pod`) is cancellation-safe: nothing is consumed until
//! the call returns the message, so a `recv` dropped by `tokio::select!` loses nothing and
//! the next `recv` returns the same message. [`RingSender::send`] is too: the message is
//! either wholly committed (when the call returns `Ok`) or not written at all.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;
use std::time::Duration;

use ::tokio::io::unix::AsyncFd;

use crate::net::unix::{PeerCred, SocketAddr};
use crate::ring::{self, ConnectBuilder, Connection, Listener};
use crate::{Error, ErrorKind, Result};

/// An fd we own (a `dup` of a ring end's doorbell or socket), registered with the reactor.
type Fd = OwnedFd;

/// An `io::Error` from tokio or std as ours.
fn io_err(e: std::io::Error, op: &'static str, what: &str) -> Error {
    Error::from_errno(
        crate::Errno::from_io_error(&e).unwrap_or(crate::Errno::EINVAL),
        op,
        what,
    )
    .with_detail(e.to_string())
}

/// Registers a duplicate of `fd` for readiness to read.
fn register(fd: BorrowedFd<'_>, what: &str) -> Result<AsyncFd<Fd>> {
    let own = fd
        .try_clone_to_owned()
        .map_err(|e| io_err(e, "dup", what))?;
    crate::ring::register_readable(own).map_err(|e| io_err(e, "epoll_ctl (tokio AsyncFd)", what))
}

/// The fds a parked end waits on.
#[derive(Debug)]
struct Waiter {
    bell: AsyncFd<Fd>,
    sock: AsyncFd<Fd>,
    check: Duration,
}

impl Waiter {
    fn new(bell: BorrowedFd<'_>, sock: BorrowedFd<'_>, check: Duration) -> Result<Waiter> {
        Ok(Waiter {
            bell: register(bell, "ring doorbell")?,
            sock: register(sock, "ring socket")?,
            check,
        })
    }

    /// Waits until the doorbell or the socket is readable, or the check interval passed;
    /// clears the readiness it saw, so that the next wait is for a new edge (a ring after
    /// this point).
    async fn wait(&self) {
        let mut bell = std::pin::pin!(self.bell.readable());
        let mut sock = std::pin::pin!(self.sock.readable());
        let mut timer = std::pin::pin!(::tokio::time::sleep(self.check));
        std::future::poll_fn(|cx| {
            use std::future::Future;
            use std::task::Poll;
            let mut woken = false;
            for ready in [bell.as_mut().poll(cx), sock.as_mut().poll(cx)] {
                if let Poll::Ready(g) = ready {
                    if let Ok(mut g) = g {
                        g.clear_ready();
                    }
                    woken = true;
                }
            }
            if woken {
                return Poll::Ready(());
            }
            timer.as_mut().poll(cx)
        })
        .await
    }
}

/// Clears a park when dropped: on every return and on cancellation.
struct Parked<'a, E: Park>(&'a mut E);

impl<E: Park> Drop for Parked<'_, E> {
    fn drop(&mut self) {
        self.0.unpark();
    }
}

/// The two ring ends' park protocol.
trait Park {
    fn park(&mut self) -> bool;
    fn unpark(&mut self);
}

impl Park for ring::Receiver {
    fn park(&mut self) -> bool {
        ring::Receiver::park(self)
    }
    fn unpark(&mut self) {
        ring::Receiver::unpark(self)
    }
}

impl Park for ring::Sender {
    fn park(&mut self) -> bool {
        ring::Sender::park(self)
    }
    fn unpark(&mut self) {
        ring::Sender::unpark(self)
    }
}

/// Parks `end` and waits on `w` once (or not at all if the peer moved meanwhile).
async fn park_and_wait<E: Park>(end: &mut E, w: &Waiter) {
    if end.park() {
        let _parked = Parked(end);
        w.wait().await;
    }
}

/// Runs `op` until it does not say `WouldBlock`, parking in between.
macro_rules! retry {
    ($end:expr, $waiter:expr, $op:expr) => {
        loop {
            match $op {
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                other => break other,
            }
            park_and_wait(&mut $end, &$waiter).await;
        }
    };
}

/// The sending half of an async ring connection: a [`ring::Sender`]
/// that awaits space instead of blocking.
#[derive(Debug)]
pub struct RingSender {
    inner: ring::Sender,
    waiter: Waiter,
}

impl RingSender {
    /// Makes a synchronous sender async: registers (duplicates of) its doorbell and socket
    /// with the current tokio runtime.
    ///
    /// # Errors
    /// [`ErrorKind::Other`] (or the errno's kind) if `dup` or the registration fails.
    ///
    /// # Panics
    /// Outside a tokio runtime with IO enabled (as [`AsyncFd::new`]).
    pub fn from_sync(inner: ring::Sender) -> Result<RingSender> {
        let waiter = Waiter::new(
            inner.doorbell_fd(),
            inner.socket_fd(),
            inner.check_interval(),
        )?;
        Ok(RingSender { inner, waiter })
    }

    /// Sends `msg` as one record, awaiting space as long as the peer lives.
    ///
    /// # Errors
    /// As [`ring::Sender::send`]: `TooLarge`, `PeerGone`,
    /// `InvalidData`.
    ///
    /// # Examples
    /// See the [module docs](self).
    pub async fn send(&mut self, msg: &[u8]) -> Result<()> {
        retry!(self.inner, self.waiter, self.inner.try_send(msg))
    }

    /// Sends a plain-old-data value in place (see
    /// [`ring::Sender::send_pod`]), awaiting space.
    ///
    /// # Errors
    /// As [`RingSender::send`].
    #[cfg(feature = "pod")]
    pub async fn send_pod<T: bytemuck::Pod>(&mut self, value: &T) -> Result<()> {
        retry!(self.inner, self.waiter, self.inner.try_send_pod(value))
    }

    /// The synchronous sender underneath, for `try_send`, `reserve` and the like.
    pub fn get_mut(&mut self) -> &mut ring::Sender {
        &mut self.inner
    }

    /// The largest message, in bytes (half the ring's capacity).
    pub fn max_message(&self) -> usize {
        self.inner.max_message()
    }

    /// The peer's credentials (`SO_PEERCRED`) as seen at the handshake.
    pub fn peer_cred(&self) -> PeerCred {
        self.inner.peer_cred()
    }
}

/// The receiving half of an async ring connection: a
/// [`ring::Receiver`] that awaits data instead of blocking.
#[derive(Debug)]
pub struct RingReceiver {
    inner: ring::Receiver,
    waiter: Waiter,
}

impl RingReceiver {
    /// Makes a synchronous receiver async: registers (duplicates of) its doorbell and socket
    /// with the current tokio runtime.
    ///
    /// # Errors
    /// As [`RingSender::from_sync`].
    ///
    /// # Panics
    /// Outside a tokio runtime with IO enabled.
    pub fn from_sync(inner: ring::Receiver) -> Result<RingReceiver> {
        let waiter = Waiter::new(
            inner.doorbell_fd(),
            inner.socket_fd(),
            inner.check_interval(),
        )?;
        Ok(RingReceiver { inner, waiter })
    }

    /// Receives the next message into `buf` (cleared first), awaiting it as long as the
    /// peer lives. Returns its length. Cancellation-safe (see the [module docs](self)).
    ///
    /// # Errors
    /// As [`ring::Receiver::recv`]: `PeerGone` once the peer
    /// is gone and every record it committed was received, `InvalidData` for a corrupt ring.
    pub async fn recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        retry!(self.inner, self.waiter, self.inner.try_recv(buf))
    }

    /// Receives a plain-old-data value read in place (see
    /// [`ring::Receiver::recv_pod`]). Cancellation-safe.
    ///
    /// # Errors
    /// As [`RingReceiver::recv`], and `InvalidData` for a record that is not
    /// `size_of::<T>()` bytes (consumed; the next call reads the next record).
    #[cfg(feature = "pod")]
    pub async fn recv_pod<T: bytemuck::Pod>(&mut self) -> Result<T> {
        retry!(self.inner, self.waiter, self.inner.try_recv_pod::<T>())
    }

    /// The synchronous receiver underneath, for `try_recv_ref` and the like.
    pub fn get_mut(&mut self) -> &mut ring::Receiver {
        &mut self.inner
    }

    /// The largest message, in bytes.
    pub fn max_message(&self) -> usize {
        self.inner.max_message()
    }

    /// The peer's credentials (`SO_PEERCRED`) as seen at the handshake.
    pub fn peer_cred(&self) -> PeerCred {
        self.inner.peer_cred()
    }
}

/// An async ring connection: a [`RingSender`] for our direction and a [`RingReceiver`] for
/// the peer's.
#[derive(Debug)]
pub struct RingConnection {
    sender: RingSender,
    receiver: RingReceiver,
}

impl RingConnection {
    /// Makes a synchronous connection async (see [`RingSender::from_sync`]).
    ///
    /// # Errors
    /// As [`RingSender::from_sync`].
    pub fn from_sync(conn: Connection) -> Result<RingConnection> {
        let (s, r) = conn.split();
        Ok(RingConnection {
            sender: RingSender::from_sync(s)?,
            receiver: RingReceiver::from_sync(r)?,
        })
    }

    /// The sending half.
    pub fn sender(&mut self) -> &mut RingSender {
        &mut self.sender
    }

    /// The receiving half.
    pub fn receiver(&mut self) -> &mut RingReceiver {
        &mut self.receiver
    }

    /// The two halves, to use from two tasks.
    pub fn split(self) -> (RingSender, RingReceiver) {
        (self.sender, self.receiver)
    }
}

/// Runs a blocking handshake on tokio's blocking pool.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    ::tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(
            Error::new(ErrorKind::Other, "ring handshake", "tokio blocking pool")
                .with_detail(e.to_string()),
        )
    })
}

/// Connects to the ring listener at `addr` (sync or async alike) with the defaults, as
/// [`ring::connect`], without blocking the runtime.
///
/// # Errors
/// As [`ring::ConnectBuilder::connect`].
pub async fn connect(addr: &SocketAddr) -> Result<RingConnection> {
    connect_with(Connection::builder(addr)).await
}

/// Connects with chosen options (capacity, spin window, check interval).
///
/// # Errors
/// As [`ring::ConnectBuilder::connect`].
pub async fn connect_with(builder: ConnectBuilder) -> Result<RingConnection> {
    let conn = blocking(move || builder.connect()).await?;
    RingConnection::from_sync(conn)
}

/// An async ring listener: [`RingListener::accept`] awaits a connector.
#[derive(Debug)]
pub struct RingListener {
    inner: Arc<Listener>,
    ready: AsyncFd<Fd>,
}

impl RingListener {
    /// Binds a listener at `addr` with the defaults (our uid only), as
    /// [`ring::listen`].
    ///
    /// # Errors
    /// As [`ring::ListenerBuilder::create_new`].
    ///
    /// # Panics
    /// Outside a tokio runtime with IO enabled.
    pub fn bind(addr: &SocketAddr) -> Result<RingListener> {
        RingListener::from_sync(ring::listen(addr)?)
    }

    /// Makes a synchronous listener (built with [`ring::Listener::builder`]) async.
    ///
    /// # Errors
    /// As [`RingSender::from_sync`].
    pub fn from_sync(listener: Listener) -> Result<RingListener> {
        listener.set_nonblocking(true)?;
        let ready = register(listener.as_fd(), "ring listener")?;
        Ok(RingListener {
            inner: Arc::new(listener),
            ready,
        })
    }

    /// Awaits a connector and runs the handshake (on the blocking pool, at most
    /// [`HANDSHAKE_TIMEOUT`](crate::ring::HANDSHAKE_TIMEOUT)).
    ///
    /// # Errors
    /// As [`ring::Listener::accept`]; a failure concerns that
    /// one connector and the listener stays usable.
    ///
    /// Cancelling the returned future while a connector's handshake runs drops that
    /// connection (the connector sees it closed); waiting for a connector is cancellable.
    pub async fn accept(&self) -> Result<RingConnection> {
        loop {
            let mut g = self
                .ready
                .readable()
                .await
                .map_err(|e| io_err(e, "epoll (tokio AsyncFd)", "ring listener"))?;
            let l = self.inner.clone();
            // The socket is non-blocking: `accept4` returns at once, only the handshake on
            // the accepted connection may wait (bounded by HANDSHAKE_TIMEOUT).
            match blocking(move || l.accept()).await {
                Err(e) if e.kind() == ErrorKind::WouldBlock => g.clear_ready(),
                other => return RingConnection::from_sync(other?),
            }
        }
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    /// Only from `getsockname` on a bad fd.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.inner.local_addr()
    }
}
