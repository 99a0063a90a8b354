//! Async ends for tokio (feature `tokio`): channels, `SCM_RIGHTS` fd passing and signals
//! without a thread per receiver.
//!
//! [`connect`], [`listen`] and [`Listener::accept`] give the async twins of
//! [`channel::Sender`], [`channel::Listener`] and [`channel::Receiver`], over the same
//! addresses, with the same framing, limits and errors (they wrap the sync ends and call
//! their non-blocking forms, so nothing about the wire differs):
//!
//! | address | how it is async |
//! |---|---|
//! | `fifo:`, `unix:`, `unix-dgram:`, `unix-seqpacket:`, `tcp:` | the fd, non-blocking, under tokio's reactor ([`AsyncFd`](::tokio::io::unix::AsyncFd), `epoll`) |
//! | `posix-mq:` | the same: on Linux an `mqd_t` is an fd that `epoll` reports |
//! | `sysv-mq:` | no fd exists: each wait runs the sync call on tokio's blocking pool ([`spawn_blocking`](::tokio::task::spawn_blocking)), a receive in slices of 100 ms |
//! | `shm-ring:` | not through [`connect`]/[`listen`] yet ([`ErrorKind::InvalidInput`]); use [`ring`] (the ring's own async ends, waiting on the connection socket, which is the ring's doorbell) |
//!
//! [`connect`] runs the sync connect on the blocking pool (a FIFO's open waits for a reader,
//! a TCP connect for the handshake). [`listen`] binds at once and must be called inside a
//! tokio runtime, like tokio's own `UnixListener::bind`. The runtime needs its I/O driver
//! (`enable_io`, or `enable_all`); the time driver too for a `fifo:` sender of messages
//! above 4092 bytes (it retries another writer's frame lock every millisecond).
//!
//! # `sysv-mq:` differs
//! A receive or send occupies a blocking-pool thread while it waits. A `recv` that finds a
//! message waiting takes it without one. A receive is cancellation safe like the others (its
//! in-flight pool call belongs to the `Receiver` and the next `recv` takes its result); if
//! the `Receiver` is dropped while one is in flight, a message that call takes is put back
//! at the end of the queue: the one case where a message can change places. A send to a
//! full queue holds its pool thread until there is room (System V has no timed send here);
//! a runtime that shuts down waits for it, as it waits for a `fifo:` connect still waiting
//! for a reader.
//!
//! # Cancel safety
//! - [`Receiver::recv`] is cancellation safe: a `recv` that loses a `tokio::select!` race
//!   or a [`tokio::time::timeout`] received nothing; a partly arrived
//!   frame stays in the `Receiver` and the next `recv` continues it.
//! - [`Sender::send`] never leaves half a frame followed by another message: a cancelled
//!   send either sent nothing or left the rest of its frame inside the `Sender`, which the
//!   next `send` or [`Sender::flush`] writes first.
//! - [`Listener::accept`] is cancellation safe.
//!
//! # Timeouts
//! There are no `*_timeout` methods: wrap any call in
//! [`tokio::time::timeout`]; with the guarantees above a timeout
//! loses nothing. A channel receive that timed out that way is the async form of
//! [`ErrorKind::TimedOut`].
//!
//! # Streams and sinks
//! [`Receiver`] is a [`futures_core::Stream`] of `Result<Vec<u8>>` (a new `Vec` per
//! message), ending at [`ErrorKind::PeerGone`]; [`Sender`] is a
//! [`futures_sink::Sink`] of `&[u8]` and of `Vec<u8>` (each message copied once into the
//! sender; `poll_flush` returns when the kernel has taken it).
//!
//! # Also here
//! - [`ring`]: the shared-memory ring's async ends ([`ring::RingSender`],
//!   [`ring::RingReceiver`], [`ring::RingListener`]), waiting on the ring's doorbell (its
//!   connection's socket).
//! - [`UnixStream`], [`UnixSeqpacket`], [`UnixDatagram`]: async [`crate::net::unix`] sockets
//!   with `send_fds`/`recv_fds` (`SCM_RIGHTS`), which tokio does not offer.
//! - [`SignalStream`]: a [`crate::signal::SignalFd`] as a `Stream` of
//!   [`SigInfo`](crate::signal::SigInfo).
//!
//! # Examples
//! One server task serving many clients at once (see also `examples/async_echo.rs`):
//! ```
//! # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! # rt.block_on(async {
//! use ipckit::channel::Address;
//! let addr: Address = format!("unix:@ipckit-doc-tokio-{}", std::process::id()).parse()?;
//! let mut listener = ipckit::tokio::listen(&addr)?;
//! let server = tokio::spawn(async move {
//!     let mut total = 0;
//!     let mut clients = tokio::task::JoinSet::new();
//!     for _ in 0..3 {
//!         let mut rx = listener.accept().await?;
//!         clients.spawn(async move {
//!             let mut buf = Vec::new();
//!             rx.recv(&mut buf).await
//!         });
//!     }
//!     while let Some(n) = clients.join_next().await {
//!         total += n.expect("task")?;
//!     }
//!     Ok::<usize, ipckit::Error>(total)
//! });
//! for msg in [&b"a"[..], b"bb", b"ccc"] {
//!     ipckit::tokio::connect(&addr).await?.send(msg).await?;
//! }
//! assert_eq!(server.await.expect("server")?, 6);
//! # Ok::<(), ipckit::Error>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod bridge;
mod io;
mod receiver;
pub mod ring;
mod ring_channel;
mod sender;
mod signal;
#[cfg(feature = "serde")]
pub mod typed;
mod unix;

pub use receiver::{Listener, Receiver};
pub use sender::Sender;
pub use signal::SignalStream;
pub use unix::{UnixDatagram, UnixSeqpacket, UnixStream};

use crate::channel::{self, Address, ChannelOptions};
use crate::{Error, ErrorKind, Result};

/// `zenoh:` has no async ends yet: use the sync ends on a blocking thread.
fn refuse_zenoh(addr: &Address) -> Result<()> {
    if let Address::Zenoh { .. } = addr {
        return Err(Error::new(ErrorKind::InvalidInput, "connect", addr)
            .with_detail("zenoh: has no async ends in this build yet"));
    }
    Ok(())
}

/// Opens an async sender to `addr` with default [`ChannelOptions`]; see [`connect_with`].
///
/// # Errors
/// As [`connect_with`].
///
/// # Examples
/// See [`Sender`].
pub async fn connect(addr: &Address) -> Result<Sender> {
    connect_with(addr, &ChannelOptions::default()).await
}

/// Opens an async sender to `addr`: the sync [`channel::connect_with`] on tokio's blocking
/// pool, then its fd registered with the reactor (for `shm-ring:`, the handshake, which
/// completes when the listener accepts, then the ring's doorbell and socket; see the
/// [module docs](self)).
///
/// # Errors
/// As [`channel::connect_with`]; [`ErrorKind::Other`] if the blocking-pool task failed.
///
/// # Examples
/// ```
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
/// # rt.block_on(async {
/// use ipckit::channel::{Address, ChannelOptions};
/// let addr: Address = format!("unix:@ipckit-doc-async-nobody-{}", std::process::id()).parse()?;
/// let e = ipckit::tokio::connect_with(&addr, &ChannelOptions::new()).await.unwrap_err();
/// assert_eq!(e.kind(), ipckit::ErrorKind::PeerGone); // nobody listens there
/// # Ok::<(), ipckit::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/connect.2.html>
pub async fn connect_with(addr: &Address, opts: &ChannelOptions) -> Result<Sender> {
    refuse_zenoh(addr)?;
    let (to, with) = (addr.clone(), opts.clone());
    if let Address::ShmRing(name) = to {
        let parts = blocking(addr, move || channel::connect_parts(&name, &with)).await?;
        return Sender::from_ring(parts);
    }
    let tx = blocking(addr, move || channel::connect_with(&to, &with)).await?;
    Sender::from_sync(tx, addr.to_string())
}

/// Runs a sync connect on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    addr: &Address,
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    ::tokio::task::spawn_blocking(f).await.map_err(|e| {
        Error::new(ErrorKind::Other, "connect", addr)
            .with_detail(format!("the blocking-pool task failed: {e}"))
    })?
}

/// Listens on `addr` with default [`ChannelOptions`]; see [`listen_with`].
///
/// # Errors
/// As [`listen_with`].
///
/// # Panics
/// Outside a tokio runtime with its I/O driver, as tokio's own constructors.
///
/// # Examples
/// See [`Sender`].
pub fn listen(addr: &Address) -> Result<Listener> {
    listen_with(addr, &ChannelOptions::default())
}

/// Starts receiving at `addr` ([`channel::listen_with`]) and registers the listening fd
/// with the current tokio runtime's reactor.
///
/// # Errors
/// As [`channel::listen_with`].
///
/// # Panics
/// Outside a tokio runtime with its I/O driver, as tokio's own constructors.
///
/// # Examples
/// ```
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
/// # rt.block_on(async {
/// use ipckit::channel::{Address, ChannelOptions};
/// let addr: Address = "tcp:127.0.0.1:0".parse()?;
/// let listener = ipckit::tokio::listen_with(&addr, &ChannelOptions::new().with_max_message(1024))?;
/// let Address::Tcp { port, .. } = listener.address() else { unreachable!() };
/// assert_ne!(*port, 0);
/// # Ok::<(), ipckit::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/listen.2.html>
pub fn listen_with(addr: &Address, opts: &ChannelOptions) -> Result<Listener> {
    refuse_zenoh(addr)?;
    Listener::from_sync(channel::listen_with(addr, opts)?)
}
