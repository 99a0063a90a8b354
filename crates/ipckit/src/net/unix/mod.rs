//! Unix domain sockets (`unix(7)`): stream, datagram and seqpacket; fd passing, peer credentials.
//!
//! | type | kernel | shape |
//! |---|---|---|
//! | [`UnixListener`] / [`UnixStream`] | `SOCK_STREAM` | byte stream, both ways, no boundaries |
//! | [`UnixDatagram`] | `SOCK_DGRAM` | datagrams with boundaries, reliable and ordered on Linux |
//! | [`UnixSeqpacketListener`] / [`UnixSeqpacket`] | `SOCK_SEQPACKET` | messages with boundaries over a connection |
//!
//! Addresses ([`SocketAddr`]) are filesystem paths or Linux *abstract* names, written
//! `@name`. An abstract address is passed to the kernel with the tight length
//! `sizeof(sun_family) + 1 + name length` (as socat, Python and systemd do), never padded to
//! 108 bytes with NULs, so `@name` here is the same socket as `\0name` in Python.
//!
//! Every socket is created `SOCK_CLOEXEC`. Every send uses `MSG_NOSIGNAL`: a send to a peer
//! that is gone returns [`ErrorKind::PeerGone`] (`EPIPE`, `ECONNRESET`, `ECONNREFUSED`) and
//! never raises `SIGPIPE`, also in a C host that does not ignore it. `EINTR` is retried.
//!
//! A listener (or datagram socket) that bound a filesystem path creates the socket file with
//! mode `0o600` (owner only; widen it with [`std::fs::set_permissions`]) and removes it when
//! dropped, if the file at that path is still the one it created. Binding over a socket
//! file left behind by a process that died fails with [`ErrorKind::AlreadyExists`]; the
//! `bind_reclaim` constructors remove such a stale file first. Listeners and bound datagram
//! sockets implement [`Named`](crate::Named): the name is the address, and
//! [`persist`](crate::Named::persist) keeps the socket file.
//!
//! # Passing fds
//! `send_fds`/`recv_fds` attach fds to a message (`SCM_RIGHTS`): the receiver gets new fds
//! for the same open files, as [`OwnedFd`]s opened close-on-exec (`MSG_CMSG_CLOEXEC`). The
//! kernel carries at most [`SCM_MAX_FD`] (253) fds per message. A receiver that allowed
//! fewer fds than arrived gets an error, and the fds that did arrive are closed.
//!
//! # Examples
//! ```
//! use std::io::{Read, Write};
//! use ipckit::net::unix::{SocketAddr, UnixListener, UnixStream};
//!
//! let addr: SocketAddr = format!("@ipckit-doc-{}", std::process::id()).parse()?;
//! let listener = UnixListener::bind(&addr)?;
//! let mut client = UnixStream::connect(&addr)?;
//! let mut server = listener.accept()?;
//! client.write_all(b"ping")?;
//! let mut buf = [0u8; 4];
//! server.read_exact(&mut buf)?;
//! assert_eq!(&buf, b"ping");
//! assert_eq!(server.peer_cred()?.pid, std::process::id());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # References
//! - <https://man7.org/linux/man-pages/man7/unix.7.html>
//! - <https://man7.org/linux/man-pages/man2/socket.2.html>
//! - <https://man7.org/linux/man-pages/man3/cmsg.3.html>

use std::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::Duration;

use crate::error::Context;
use crate::sys::unix::{self as sysu, Type};
use crate::{Errno, Error, ErrorKind, Result};

/// Methods every connected socket type shares (`$ty` has an `fd: OwnedFd` field and an
/// `into_fd(self)` method). Invoked in the submodules, so paths go through `super::`.
macro_rules! socket_common {
    ($ty:ident, $kind:expr, $ctor:literal) => {
        impl $ty {
            /// Turns non-blocking mode (`O_NONBLOCK`) on or off: a call that would wait fails
            /// with [`ErrorKind::WouldBlock`](crate::ErrorKind::WouldBlock) instead.
            ///
            /// # Errors
            /// Only from `fcntl` on a bad fd.
            ///
            /// # References
            /// <https://man7.org/linux/man-pages/man2/fcntl.2.html>
            #[doc(alias = "O_NONBLOCK")]
            pub fn set_nonblocking(&self, nonblocking: bool) -> Result<()> {
                crate::sys::fd::set_nonblocking(self.fd.as_fd(), nonblocking)
                    .ctx("fcntl(F_SETFL)", super::desc($kind, &self.fd))
            }

            /// Sets how long a receive waits (`SO_RCVTIMEO`); `None` waits forever. When it
            /// expires the receive fails with [`ErrorKind::WouldBlock`](crate::ErrorKind::WouldBlock) (the kernel's
            /// `EAGAIN`). The time is rounded up to whole microseconds.
            ///
            /// # Errors
            /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) for
            /// `Some(Duration::ZERO)`.
            ///
            /// # References
            /// <https://man7.org/linux/man-pages/man7/socket.7.html>
            #[doc(alias = "SO_RCVTIMEO")]
            pub fn set_read_timeout(&self, timeout: Option<std::time::Duration>) -> Result<()> {
                super::set_timeout(self.fd.as_fd(), $kind, sysu::Timeout::Receive, timeout)
            }

            /// Sets how long a send waits for room (`SO_SNDTIMEO`); `None` waits forever.
            /// When it expires the send fails with [`ErrorKind::WouldBlock`](crate::ErrorKind::WouldBlock).
            ///
            /// # Errors
            /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) for
            /// `Some(Duration::ZERO)`.
            ///
            /// # References
            /// <https://man7.org/linux/man-pages/man7/socket.7.html>
            #[doc(alias = "SO_SNDTIMEO")]
            pub fn set_write_timeout(&self, timeout: Option<std::time::Duration>) -> Result<()> {
                super::set_timeout(self.fd.as_fd(), $kind, sysu::Timeout::Send, timeout)
            }

            /// This socket's own address (`getsockname`).
            ///
            /// # Errors
            /// Only from `getsockname` on a bad fd.
            ///
            /// # References
            /// <https://man7.org/linux/man-pages/man2/getsockname.2.html>
            #[doc(alias = "getsockname")]
            pub fn local_addr(&self) -> Result<SocketAddr> {
                let name = sysu::local_name(self.fd.as_fd())
                    .ctx("getsockname", super::desc($kind, &self.fd))?;
                Ok(SocketAddr::from_sys(name))
            }

            /// The connected peer's address (`getpeername`); often
            /// [`SocketAddr::Unnamed`](crate::net::unix::SocketAddr::Unnamed) for the client end of a connection.
            ///
            /// # Errors
            /// `ENOTCONN` ([`ErrorKind::Other`](crate::ErrorKind::Other)) if not connected.
            ///
            /// # References
            /// <https://man7.org/linux/man-pages/man2/getpeername.2.html>
            #[doc(alias = "getpeername")]
            pub fn peer_addr(&self) -> Result<SocketAddr> {
                let name = sysu::peer_name(self.fd.as_fd())
                    .ctx("getpeername", super::desc($kind, &self.fd))?;
                Ok(SocketAddr::from_sys(name))
            }

            /// Sends `buf` with the fds `fds` attached as one `SCM_RIGHTS` control message
            /// (`sendmsg`, `MSG_NOSIGNAL`); returns the bytes of `buf` sent. The receiver
            /// gets its own fds for the same open files; the caller's fds stay open.
            ///
            /// # Errors
            /// - [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) for more than [`SCM_MAX_FD`](crate::net::unix::SCM_MAX_FD) (253) fds, or fds
            ///   with an empty `buf` on a stream socket (the kernel needs a byte to attach
            ///   them to).
            /// - [`ErrorKind::PeerGone`](crate::ErrorKind::PeerGone) if the peer is gone.
            /// - [`ErrorKind::LimitReached`](crate::ErrorKind::LimitReached) (`ETOOMANYREFS` shows as
            ///   [`ErrorKind::Other`](crate::ErrorKind::Other)) if too many fds are in flight.
            ///
            /// # Examples
            /// ```
            #[doc = concat!("let (a, b) = ipckit::net::unix::", $ctor, "::pair()?;")]
            /// let (reader, writer) = ipckit::pipe::pipe()?;
            /// use std::os::fd::AsFd;
            /// a.send_fds(b"x", &[reader.as_fd(), writer.as_fd()])?;
            /// let mut buf = [0u8; 1];
            /// let (n, fds) = b.recv_fds(&mut buf, 4)?;
            /// assert_eq!((n, fds.len()), (1, 2));
            /// # Ok::<(), ipckit::Error>(())
            /// ```
            ///
            /// # References
            /// <https://man7.org/linux/man-pages/man2/sendmsg.2.html>,
            /// <https://man7.org/linux/man-pages/man7/unix.7.html> (`SCM_RIGHTS`)
            #[doc(alias = "sendmsg")]
            #[doc(alias = "SCM_RIGHTS")]
            pub fn send_fds(
                &self,
                buf: &[u8],
                fds: &[std::os::fd::BorrowedFd<'_>],
            ) -> Result<usize> {
                super::ancillary::send_fds(self.fd.as_fd(), $kind, buf, fds)
            }

            /// Receives data into `buf` together with at most `max_fds` fds passed with it
            /// (`recvmsg` with `MSG_CMSG_CLOEXEC`): returns the byte count and the fds, each
            /// an [`OwnedFd`](std::os::fd::OwnedFd) that is close-on-exec. `max_fds` above [`SCM_MAX_FD`](crate::net::unix::SCM_MAX_FD) is
            /// treated as 253.
            ///
            /// On a stream socket the fds arrive with the receive that reads the first byte
            /// of the data they were sent with (bytes sent before may come in the same
            /// receive), and a receive that got fds stops at the end of that data. Fds that
            /// reach a plain receive (`read`, `recv`) instead are closed by the kernel, never
            /// leaked.
            ///
            /// # Errors
            /// - [`ErrorKind::TooLarge`](crate::ErrorKind::TooLarge) if more fds came than `max_fds` allows
            ///   (`MSG_CTRUNC`): the fds that did arrive are closed, none leak, and the data
            ///   of that message is dropped. Also for a message longer than `buf` on
            ///   datagram and seqpacket sockets.
            /// - [`ErrorKind::PeerGone`](crate::ErrorKind::PeerGone) at the end of a seqpacket connection.
            /// - [`ErrorKind::WouldBlock`](crate::ErrorKind::WouldBlock) in non-blocking mode or after a read timeout.
            ///
            /// # References
            /// <https://man7.org/linux/man-pages/man2/recvmsg.2.html>,
            /// <https://man7.org/linux/man-pages/man3/cmsg.3.html>
            #[doc(alias = "recvmsg")]
            #[doc(alias = "MSG_CMSG_CLOEXEC")]
            pub fn recv_fds(
                &self,
                buf: &mut [u8],
                max_fds: usize,
            ) -> Result<(usize, Vec<std::os::fd::OwnedFd>)> {
                super::ancillary::recv_fds(
                    self.fd.as_fd(),
                    $kind,
                    buf,
                    max_fds,
                    $kind == super::SEQPACKET,
                )
            }

            /// Shuts down reading, writing or both (`shutdown`); the peer sees end of
            /// stream after a write shutdown.
            ///
            /// # Errors
            /// `ENOTCONN` ([`ErrorKind::Other`](crate::ErrorKind::Other)) if not connected.
            ///
            /// # References
            /// <https://man7.org/linux/man-pages/man2/shutdown.2.html>
            pub fn shutdown(&self, how: std::net::Shutdown) -> Result<()> {
                sysu::shutdown(self.fd.as_fd(), how).ctx("shutdown", super::desc($kind, &self.fd))
            }

            /// A second handle to the same socket (`fcntl(F_DUPFD_CLOEXEC)`).
            ///
            /// # Errors
            /// [`ErrorKind::LimitReached`](crate::ErrorKind::LimitReached) when out of fds.
            ///
            /// # References
            /// <https://man7.org/linux/man-pages/man2/dup.2.html>
            #[doc(alias = "dup")]
            pub fn try_clone(&self) -> Result<$ty> {
                let fd = self
                    .fd
                    .try_clone()
                    .ctx("fcntl(F_DUPFD_CLOEXEC)", super::desc($kind, &self.fd))?;
                Ok($ty::from(fd))
            }
        }

        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                self.fd.as_fd()
            }
        }

        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(&self.fd)
            }
        }

        impl From<$ty> for std::os::fd::OwnedFd {
            fn from(s: $ty) -> std::os::fd::OwnedFd {
                s.into_fd()
            }
        }
    };
}

mod addr;
mod ancillary;
mod dgram;
mod listener;
mod seqpacket;
mod stream;

pub use addr::{SocketAddr, MAX_ADDR_LEN};
pub use ancillary::{PeerCred, SCM_MAX_FD};
pub use dgram::UnixDatagram;
pub use listener::{Connection, Listener, UnixListener, UnixSeqpacketListener};
pub use seqpacket::UnixSeqpacket;
pub use stream::UnixStream;

/// Names a socket in error messages: `unix-stream socket fd 5 (local @x, peer (unnamed))`.
/// The addresses are only looked up when an error is displayed.
struct Desc {
    kind: &'static str,
    fd: RawFd,
}

impl fmt::Display for Desc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} socket fd {}", self.kind, self.fd)?;
        let local = sysu::local_name(self.fd).map(SocketAddr::from_sys);
        let peer = sysu::peer_name(self.fd).map(SocketAddr::from_sys);
        match (local, peer) {
            (Ok(l), Ok(p)) => write!(f, " (local {l}, peer {p})"),
            (Ok(l), Err(_)) => write!(f, " (local {l})"),
            _ => Ok(()),
        }
    }
}

const STREAM: &str = "unix-stream";
const DGRAM: &str = "unix-dgram";
const SEQPACKET: &str = "unix-seqpacket";

fn desc(kind: &'static str, fd: &impl AsRawFd) -> Desc {
    Desc {
        kind,
        fd: fd.as_raw_fd(),
    }
}

fn new_socket(ty: Type, addr: &SocketAddr) -> Result<OwnedFd> {
    sysu::socket(ty).ctx("socket", addr)
}

/// `connect`, retrying `EINTR` (a retried connect that already completed says `EISCONN`).
fn connect_fd(fd: BorrowedFd<'_>, to: &sysu::Addr, addr: &SocketAddr) -> Result<()> {
    let mut first = true;
    loop {
        match sysu::connect(fd, to) {
            Ok(()) => return Ok(()),
            Err(Errno::EINTR) => first = false,
            Err(Errno::EISCONN) if !first => return Ok(()),
            Err(e) => {
                let err = Error::from_errno(e, "connect", addr);
                return Err(match e {
                    Errno::ECONNREFUSED => err.with_detail(
                        "nothing listens on this address (a stale socket file, or a listener \
                         that has not called listen yet)",
                    ),
                    Errno::EPROTOTYPE => err
                        .with_kind(ErrorKind::InvalidInput)
                        .with_detail("the socket bound there is of another type"),
                    _ => err,
                });
            }
        }
    }
}

fn connect_socket(ty: Type, addr: &SocketAddr) -> Result<OwnedFd> {
    let to = addr.to_sys()?;
    let fd = new_socket(ty, addr)?;
    connect_fd(fd.as_fd(), &to, addr)?;
    Ok(fd)
}

/// `SO_RCVTIMEO`/`SO_SNDTIMEO` on `fd`; `Some(Duration::ZERO)` is refused (the kernel would
/// read it as "no timeout").
fn set_timeout(
    fd: BorrowedFd<'_>,
    kind: &'static str,
    which: sysu::Timeout,
    timeout: Option<Duration>,
) -> Result<()> {
    let op = match which {
        sysu::Timeout::Receive => "setsockopt(SO_RCVTIMEO)",
        sysu::Timeout::Send => "setsockopt(SO_SNDTIMEO)",
    };
    if timeout == Some(Duration::ZERO) {
        return Err(Error::new(ErrorKind::InvalidInput, op, desc(kind, &fd))
            .with_detail("a zero timeout; use None for no timeout"));
    }
    sysu::set_timeout(fd, which, timeout).ctx(op, desc(kind, &fd))
}

fn socketpair(ty: Type, kind: &'static str) -> Result<(OwnedFd, OwnedFd)> {
    sysu::socketpair(ty).ctx("socketpair", kind)
}
