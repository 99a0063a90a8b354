//! TCP for IPC use (`tcp(7)`): connections with `TCP_NODELAY`, errors that name the address.
//!
//! std's [`TcpStream`] already does what IPC needs for the bytes themselves: it is
//! close-on-exec, and its writes use `send(MSG_NOSIGNAL)` on Linux, so a write to a closed
//! peer fails with `EPIPE`/`ECONNRESET` instead of raising `SIGPIPE`. What it lacks for
//! request/response traffic is `TCP_NODELAY` by default: without it Nagle's algorithm holds
//! back a small message until the previous one is acknowledged, adding up to 40 ms per
//! round trip. [`connect`] and [`accept`] turn it on, and report failures as
//! [`crate::Error`]s naming the address.
//!
//! Framing messages over the stream (a 4-byte little-endian length, then the payload) is
//! done by [`crate::channel`] on top of these streams.
//!
//! # Examples
//! ```
//! use std::io::{Read, Write};
//!
//! let listener = ipckit::net::tcp::listen("127.0.0.1:0")?;
//! let addr = listener.local_addr()?;
//! let mut client = ipckit::net::tcp::connect(addr)?;
//! let mut server = ipckit::net::tcp::accept(&listener)?;
//! assert!(client.nodelay()? && server.nodelay()?);
//! client.write_all(b"ping")?;
//! let mut buf = [0u8; 4];
//! server.read_exact(&mut buf)?;
//! assert_eq!(&buf, b"ping");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # References
//! - <https://man7.org/linux/man-pages/man7/tcp.7.html>

use std::fmt;
use std::net::{TcpListener, TcpStream, ToSocketAddrs};

use crate::error::Context;
use crate::Result;

/// Connects to `addr` (`socket` + `connect`, trying each address it resolves to in turn)
/// and turns on `TCP_NODELAY`.
///
/// `addr` is anything std resolves with its Display form used in errors: `"host:port"`,
/// `"127.0.0.1:9000"`, a [`std::net::SocketAddr`].
///
/// # Errors
/// - [`ErrorKind::PeerGone`](crate::ErrorKind::PeerGone) (`ECONNREFUSED`) if nothing
///   listens there.
/// - [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) if the address does not
///   parse or resolve.
/// - [`ErrorKind::TimedOut`](crate::ErrorKind::TimedOut) if the host does not answer.
///
/// # Examples
/// ```
/// let l = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let s = ipckit::net::tcp::connect(l.local_addr()?)?;
/// assert!(s.nodelay()?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/connect.2.html>,
/// <https://man7.org/linux/man-pages/man7/tcp.7.html> (`TCP_NODELAY`)
#[doc(alias = "TCP_NODELAY")]
pub fn connect<A: ToSocketAddrs + fmt::Display>(addr: A) -> Result<TcpStream> {
    let s = TcpStream::connect(&addr).ctx("connect", format_args!("tcp:{addr}"))?;
    s.set_nodelay(true)
        .ctx("setsockopt(TCP_NODELAY)", format_args!("tcp:{addr}"))?;
    Ok(s)
}

/// Binds and listens on `addr` (`socket` + `bind` + `listen`, with `SO_REUSEADDR` as std
/// sets it). Port 0 picks a free port: read it back with
/// [`TcpListener::local_addr`].
///
/// # Errors
/// - [`ErrorKind::Other`](crate::ErrorKind::Other) (`EADDRINUSE`) if the port is taken.
/// - [`ErrorKind::PermissionDenied`](crate::ErrorKind::PermissionDenied) for a port below
///   1024 without the capability.
/// - [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) if the address does not
///   parse or resolve.
///
/// # References
/// <https://man7.org/linux/man-pages/man2/bind.2.html>,
/// <https://man7.org/linux/man-pages/man2/listen.2.html>
#[doc(alias = "bind")]
pub fn listen<A: ToSocketAddrs + fmt::Display>(addr: A) -> Result<TcpListener> {
    TcpListener::bind(&addr).ctx("bind", format_args!("tcp:{addr}"))
}

/// Accepts a connection on `listener` (`accept4`, close-on-exec) and turns on
/// `TCP_NODELAY`. `EINTR` is retried.
///
/// # Errors
/// [`ErrorKind::WouldBlock`](crate::ErrorKind::WouldBlock) for a non-blocking listener with
/// no client waiting; [`ErrorKind::LimitReached`](crate::ErrorKind::LimitReached) when out
/// of fds.
///
/// # References
/// <https://man7.org/linux/man-pages/man2/accept.2.html>
#[doc(alias = "accept4")]
pub fn accept(listener: &TcpListener) -> Result<TcpStream> {
    let local = || match listener.local_addr() {
        Ok(a) => format!("tcp:{a}"),
        Err(_) => "tcp listener".to_string(),
    };
    let s = loop {
        match listener.accept() {
            Ok((s, _)) => break s,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).ctx("accept4", local()),
        }
    };
    s.set_nodelay(true)
        .ctx("setsockopt(TCP_NODELAY)", local())?;
    Ok(s)
}
