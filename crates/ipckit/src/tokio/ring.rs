//! Async ends of the shared-memory ring ([`crate::ring`]) for tokio: [`connect`],
//! [`RingListener`], [`RingConnection`], [`RingSender`], [`RingReceiver`].
//!
//! The ring itself is unchanged: a send or receive that can proceed is the synchronous
//! `try_*` call (no syscall, no await point). One that cannot *parks* the end (a bit in the
//! shared waiter word, then a re-check, see `ring::park`) and awaits, through
//! [`tokio::io::unix::AsyncFd`], the connection's socket, which is the ring's doorbell (the
//! peer sends it a byte, never blocking, only for a parked end) and hangs up when the peer
//! dies, or a timer of the check interval (20 ms by default). A woken end drains the
//! socket's doorbell bytes before it clears tokio's readiness, so no ring is lost and a
//! peer that floods the socket causes only spurious wake-ups. Sync and async ends mix freely: a synchronous
//! [`ring::Sender`] rings the doorbell of an async receiver, and an
//! async sender wakes a synchronous receiver's futex.
//!
//! Each async fn is a `poll_fn` over a poll form ([`RingSender::poll_send`],
//! [`RingReceiver::poll_recv`]) that hand-written futures can call too; the channel ends
//! ([`super::connect`], [`super::listen`] with `shm-ring:`) are built on the same forms.
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

use std::future::Future as _;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use ::tokio::io::unix::AsyncFd;
use ::tokio::time::{Instant, Sleep};

use crate::net::unix::{PeerCred, SocketAddr};
use crate::ring::{self, ConnectBuilder, Connection, Listener};
use crate::{Error, ErrorKind, Result};

/// An fd we own (a `dup` of a ring end's socket), registered with the reactor.
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

/// What a parked end waits on, and whether it is parked: the poll form of every wait of
/// the async ring ends (the async fns are `poll_fn` over it).
#[derive(Debug)]
struct Waiter {
    /// The connection's socket: doorbell and hang-up.
    sock: AsyncFd<Fd>,
    check: Duration,
    /// The check-interval timer, armed at each park (made at the first).
    timer: Option<Pin<Box<Sleep>>>,
    /// The end is parked (its waiter word holds `PARKED`) until the wait ends.
    parked: bool,
}

impl Waiter {
    fn new(sock: BorrowedFd<'_>, check: Duration) -> Result<Waiter> {
        Ok(Waiter {
            sock: register(sock, "ring socket")?,
            check,
            timer: None,
            parked: false,
        })
    }

    /// Polls the wait of a parked end: `Ready` once the socket is readable (a ring, or the
    /// peer hung up), the other half of this side kicked us (it drained bytes that may have
    /// been our ring, see `ring::park`) or the check interval passed. A readable socket is
    /// drained first, and only then is tokio's readiness cleared (by the guard that
    /// reported it, so that a ring after the guard is kept): the next wait is for a new
    /// ring. If the drain stopped at its bound the readiness is kept, and the next wait
    /// returns at once to drain on. `Pending` with `cx`'s waker registered with all three.
    fn poll_wait<E: Park>(&mut self, end: &E, cx: &mut Context<'_>) -> Poll<()> {
        if end.kicked(cx.waker()) {
            return Poll::Ready(());
        }
        if let Poll::Ready(g) = self.sock.poll_read_ready(cx) {
            let more = end.drain_doorbell();
            if let Ok(mut g) = g {
                if !more {
                    g.clear_ready();
                }
            }
            return Poll::Ready(());
        }
        match &mut self.timer {
            Some(t) => t.as_mut().poll(cx),
            None => Poll::Ready(()),
        }
    }

    /// Parks `end` (or says "retry now" if the peer moved meanwhile) and arms the timer.
    fn park<E: Park>(&mut self, end: &mut E) -> bool {
        if !end.park() {
            return false;
        }
        self.parked = true;
        let at = Instant::now() + self.check;
        match &mut self.timer {
            Some(t) => t.as_mut().reset(at),
            None => self.timer = Some(Box::pin(::tokio::time::sleep_until(at))),
        }
        true
    }

    /// Ends a park, if any: before a retry, and when a waiting operation is cancelled.
    fn unpark<E: Park>(&mut self, end: &mut E) {
        if std::mem::take(&mut self.parked) {
            end.unpark();
        }
    }

    /// Runs `op` on `end` until it does not say `WouldBlock`, parking in between: `Ready`
    /// with its result, or `Pending`, parked, with `cx`'s waker registered (the next poll
    /// unparks and retries). Nothing is consumed or written until `op` succeeds.
    fn poll_op<E: Park, T>(
        &mut self,
        end: &mut E,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&mut E) -> Result<T>,
    ) -> Poll<Result<T>> {
        loop {
            if self.parked {
                ready!(self.poll_wait(end, cx));
                self.unpark(end);
            }
            match op(end) {
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                other => return Poll::Ready(other),
            }
            self.park(end);
        }
    }
}

/// The two ring ends' park protocol (see `ring::park`).
trait Park {
    fn park(&mut self) -> bool;
    fn unpark(&mut self);
    fn drain_doorbell(&self) -> bool;
    fn kicked(&self, waker: &std::task::Waker) -> bool;
}

impl Park for ring::Receiver {
    fn park(&mut self) -> bool {
        ring::Receiver::park(self)
    }
    fn unpark(&mut self) {
        ring::Receiver::unpark(self)
    }
    fn drain_doorbell(&self) -> bool {
        ring::Receiver::drain_doorbell(self)
    }
    fn kicked(&self, waker: &std::task::Waker) -> bool {
        ring::Receiver::kicked(self, waker)
    }
}

impl Park for ring::Sender {
    fn park(&mut self) -> bool {
        ring::Sender::park(self)
    }
    fn unpark(&mut self) {
        ring::Sender::unpark(self)
    }
    fn drain_doorbell(&self) -> bool {
        ring::Sender::drain_doorbell(self)
    }
    fn kicked(&self, waker: &std::task::Waker) -> bool {
        ring::Sender::kicked(self, waker)
    }
}

/// Unparks a ring end when an async fn over its poll form returns or is cancelled.
pub(super) struct Unpark<'a, E: Unparks>(pub(super) &'a mut E);

impl<E: Unparks> Drop for Unpark<'_, E> {
    fn drop(&mut self) {
        self.0.cancel_wait();
    }
}

/// An async end whose wait can be cancelled.
pub(super) trait Unparks {
    /// Ends a park left by a poll that returned `Pending` (no-op if not parked).
    fn cancel_wait(&mut self);
}

impl Unparks for RingSender {
    fn cancel_wait(&mut self) {
        self.waiter.unpark(&mut self.inner);
    }
}

impl Unparks for RingReceiver {
    fn cancel_wait(&mut self) {
        self.waiter.unpark(&mut self.inner);
    }
}

/// Awaits `poll` on `end`, unparking it on return or cancellation.
pub(super) async fn unparking<E: Unparks, T>(
    end: &mut E,
    mut poll: impl FnMut(&mut E, &mut Context<'_>) -> Poll<T>,
) -> T {
    let guard = Unpark(end);
    std::future::poll_fn(|cx| poll(guard.0, cx)).await
}

/// The sending half of an async ring connection: a [`ring::Sender`]
/// that awaits space instead of blocking.
#[derive(Debug)]
pub struct RingSender {
    inner: ring::Sender,
    waiter: Waiter,
}

impl RingSender {
    /// Makes a synchronous sender async: registers (a duplicate of) its socket, the doorbell,
    /// with the current tokio runtime.
    ///
    /// # Errors
    /// [`ErrorKind::Other`] (or the errno's kind) if `dup` or the registration fails.
    ///
    /// # Panics
    /// Outside a tokio runtime with IO enabled (as [`AsyncFd::new`]).
    pub fn from_sync(inner: ring::Sender) -> Result<RingSender> {
        let waiter = Waiter::new(inner.socket_fd(), inner.check_interval())?;
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
        unparking(self, |s, cx| s.poll_send(cx, msg)).await
    }

    /// The poll form of [`send`](Self::send), for hand-written futures: `Ready` once the
    /// record is committed (or with an error), `Pending` with nothing written, this end
    /// parked and `cx`'s waker registered with the socket (the doorbell) and the check
    /// timer. A parked end makes the peer ring the doorbell after each release; the next
    /// poll, [`send`](Self::send) or drop ends the park.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub fn poll_send(&mut self, cx: &mut Context<'_>, msg: &[u8]) -> Poll<Result<()>> {
        self.waiter
            .poll_op(&mut self.inner, cx, |tx| tx.try_send(msg))
    }

    /// Sends a plain-old-data value in place (see
    /// [`ring::Sender::send_pod`]), awaiting space.
    ///
    /// # Errors
    /// As [`RingSender::send`].
    #[cfg(feature = "pod")]
    pub async fn send_pod<T: bytemuck::Pod>(&mut self, value: &T) -> Result<()> {
        unparking(self, |s, cx| {
            s.waiter
                .poll_op(&mut s.inner, cx, |tx| tx.try_send_pod(value))
        })
        .await
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

/// Ends a park the last poll left (the peer stops ringing the doorbell).
impl Drop for RingSender {
    fn drop(&mut self) {
        self.cancel_wait();
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
    /// Makes a synchronous receiver async: registers (a duplicate of) its socket, the doorbell,
    /// with the current tokio runtime.
    ///
    /// # Errors
    /// As [`RingSender::from_sync`].
    ///
    /// # Panics
    /// Outside a tokio runtime with IO enabled.
    pub fn from_sync(inner: ring::Receiver) -> Result<RingReceiver> {
        let waiter = Waiter::new(inner.socket_fd(), inner.check_interval())?;
        Ok(RingReceiver { inner, waiter })
    }

    /// Receives the next message into `buf` (cleared first), awaiting it as long as the
    /// peer lives. Returns its length. Cancellation-safe (see the [module docs](self)).
    ///
    /// # Errors
    /// As [`ring::Receiver::recv`]: `PeerGone` once the peer
    /// is gone and every record it committed was received, `InvalidData` for a corrupt ring.
    pub async fn recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        unparking(self, |r, cx| r.poll_recv(cx, buf)).await
    }

    /// The poll form of [`recv`](Self::recv), for hand-written futures: `Ready` with a
    /// message in `buf` (or an error), `Pending` with nothing consumed, this end parked and
    /// `cx`'s waker registered with the socket (the doorbell) and the check timer. A parked
    /// end makes the peer ring the doorbell after each commit; the next poll,
    /// [`recv`](Self::recv) or drop ends the park.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>, buf: &mut Vec<u8>) -> Poll<Result<usize>> {
        self.waiter
            .poll_op(&mut self.inner, cx, |rx| rx.try_recv(buf))
    }

    /// `poll_recv` with the channel's own copy (its maximum, its error names).
    pub(super) fn poll_recv_with<T>(
        &mut self,
        cx: &mut Context<'_>,
        op: impl FnMut(&mut ring::Receiver) -> Result<T>,
    ) -> Poll<Result<T>> {
        self.waiter.poll_op(&mut self.inner, cx, op)
    }

    /// Receives a plain-old-data value read in place (see
    /// [`ring::Receiver::recv_pod`]). Cancellation-safe.
    ///
    /// # Errors
    /// As [`RingReceiver::recv`], and `InvalidData` for a record that is not
    /// `size_of::<T>()` bytes (consumed; the next call reads the next record).
    #[cfg(feature = "pod")]
    pub async fn recv_pod<T: bytemuck::Pod>(&mut self) -> Result<T> {
        unparking(self, |r, cx| {
            r.waiter
                .poll_op(&mut r.inner, cx, |rx| rx.try_recv_pod::<T>())
        })
        .await
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

/// Ends a park the last poll left (the peer stops ringing the doorbell).
impl Drop for RingReceiver {
    fn drop(&mut self) {
        self.cancel_wait();
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
