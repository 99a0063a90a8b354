//! [`UnixDatagram`]: a `SOCK_DGRAM` Unix socket.

use std::os::fd::{AsFd, OwnedFd};

use super::ancillary::check_message;
use super::listener::{bind_socket, named_by_binding, Binding, Reclaim};
use super::{connect_fd, desc, new_socket, socketpair, SocketAddr, DGRAM};
#[cfg(doc)]
use super::{UnixListener, UnixStream};
use crate::error::Context;
use crate::named::{Named, Sealed};
use crate::sys::unix::{self as sysu, Type, MSG_PEEK, MSG_TRUNC};
#[cfg(doc)]
use crate::ErrorKind;
use crate::Result;

/// A `SOCK_DGRAM` Unix socket: whole datagrams, reliable and in order on Linux.
///
/// A datagram's size is limited by the socket's send buffer (`SO_SNDBUF`, about 200 KiB by
/// default): a larger one fails with [`ErrorKind::TooLarge`]. A receive whose buffer is too
/// small for the datagram fails with [`ErrorKind::TooLarge`] (the datagram is consumed)
/// rather than truncating it silently; [`peek_len`](Self::peek_len) tells the size first.
///
/// If it bound a filesystem path, the socket file is removed on drop (unless
/// [persisted](Named::persist)); its [`Named::name`] is the bound address.
#[derive(Debug)]
pub struct UnixDatagram {
    fd: OwnedFd,
    binding: Binding,
}

impl UnixDatagram {
    /// A datagram socket bound to `addr` (`socket(AF_UNIX, SOCK_DGRAM)` + `bind`), to
    /// receive datagrams sent there. A socket file is created with mode `0o600`.
    ///
    /// # Errors
    /// As [`UnixListener::bind`].
    ///
    /// # Examples
    /// ```
    /// use ipckit::net::unix::{SocketAddr, UnixDatagram};
    /// let addr: SocketAddr = format!("@ipckit-doc-dgram-{}", std::process::id()).parse()?;
    /// let server = UnixDatagram::bind(&addr)?;
    /// let client = UnixDatagram::unbound()?;
    /// client.send_to(b"hi", &addr)?;
    /// let mut buf = [0u8; 16];
    /// assert_eq!(server.recv(&mut buf)?, 2);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/bind.2.html>
    pub fn bind(addr: &SocketAddr) -> Result<UnixDatagram> {
        let (fd, binding) = bind_socket(Type::Datagram, addr, false, Reclaim::No)?;
        Ok(UnixDatagram { fd, binding })
    }

    /// Like [`bind`](Self::bind), removing a stale socket file first, as
    /// [`UnixListener::bind_reclaim`] does.
    ///
    /// # Errors
    /// As [`UnixListener::bind_reclaim`].
    pub fn bind_reclaim(addr: &SocketAddr) -> Result<UnixDatagram> {
        let (fd, binding) = bind_socket(Type::Datagram, addr, false, Reclaim::Stale)?;
        Ok(UnixDatagram { fd, binding })
    }

    /// An unbound datagram socket, to [`send_to`](Self::send_to) or
    /// [`connect`](Self::connect) from.
    ///
    /// # Errors
    /// [`ErrorKind::LimitReached`] when out of fds.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/socket.2.html>
    pub fn unbound() -> Result<UnixDatagram> {
        let fd = new_socket(Type::Datagram, &SocketAddr::Unnamed)?;
        Ok(UnixDatagram::from(fd))
    }

    /// A connected pair of datagram sockets (`socketpair`).
    ///
    /// # Errors
    /// [`ErrorKind::LimitReached`] when out of fds.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/socketpair.2.html>
    #[doc(alias = "socketpair")]
    pub fn pair() -> Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = socketpair(Type::Datagram, DGRAM)?;
        Ok((UnixDatagram::from(a), UnixDatagram::from(b)))
    }

    /// Sets the default destination to `addr` (`connect`): [`send`](Self::send) goes there
    /// and only datagrams from there are received.
    ///
    /// # Errors
    /// As [`UnixStream::connect`] (`ECONNREFUSED`, [`ErrorKind::PeerGone`], if no socket is
    /// bound at `addr`).
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/connect.2.html>
    pub fn connect(&self, addr: &SocketAddr) -> Result<()> {
        let to = addr.to_sys()?;
        connect_fd(self.fd.as_fd(), &to, addr)
    }

    /// Sends `buf` as one datagram to the connected address (`send(MSG_NOSIGNAL)`); returns
    /// its length. Blocks while the receiver's queue is full.
    ///
    /// # Errors
    /// - [`ErrorKind::TooLarge`] (`EMSGSIZE`) above the send buffer size.
    /// - [`ErrorKind::PeerGone`] (`ECONNREFUSED`, `EPIPE`) if the peer socket is closed.
    /// - [`ErrorKind::WouldBlock`] in non-blocking mode with the queue full.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/send.2.html>
    pub fn send(&self, buf: &[u8]) -> Result<usize> {
        sysu::send(self.fd.as_fd(), buf).ctx("send", desc(DGRAM, &self.fd))
    }

    /// Sends `buf` as one datagram to `addr` (`sendto(MSG_NOSIGNAL)`); returns its length.
    ///
    /// # Errors
    /// As [`send`](Self::send); [`ErrorKind::NotFound`] if no socket file is at the path,
    /// [`ErrorKind::PeerGone`] if nothing is bound there.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/sendto.2.html>
    #[doc(alias = "sendto")]
    pub fn send_to(&self, buf: &[u8], addr: &SocketAddr) -> Result<usize> {
        let to = addr.to_sys()?;
        sysu::send_to(self.fd.as_fd(), buf, &to).ctx("sendto", addr)
    }

    /// Receives one datagram into `buf` (`recv` with `MSG_TRUNC`); returns its length
    /// (0 for an empty datagram).
    ///
    /// # Errors
    /// - [`ErrorKind::TooLarge`] if the datagram is longer than `buf` (it is consumed).
    /// - [`ErrorKind::WouldBlock`] in non-blocking mode with nothing queued, or after a
    ///   read timeout.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/recv.2.html>
    pub fn recv(&self, buf: &mut [u8]) -> Result<usize> {
        let cap = buf.len();
        let n = sysu::recv(self.fd.as_fd(), buf, MSG_TRUNC).ctx("recv", desc(DGRAM, &self.fd))?;
        let r = sysu::Received {
            len: n,
            msg_flags: 0,
            had_cmsg: false,
        };
        check_message(self.fd.as_fd(), DGRAM, cap, r, false, "recv")?;
        Ok(n)
    }

    /// Receives one datagram into `buf` and tells who sent it (`recvmsg` with
    /// `MSG_TRUNC`): `(length, sender address)`. The sender is
    /// [`SocketAddr::Unnamed`] if it sent from an unbound socket.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/recvfrom.2.html>
    #[doc(alias = "recvfrom")]
    pub fn recv_from(&self, buf: &mut [u8]) -> Result<(usize, SocketAddr)> {
        let cap = buf.len();
        let (n, from) = sysu::recv_from(self.fd.as_fd(), buf, MSG_TRUNC)
            .ctx("recvmsg", desc(DGRAM, &self.fd))?;
        let r = sysu::Received {
            len: n,
            msg_flags: 0,
            had_cmsg: false,
        };
        check_message(self.fd.as_fd(), DGRAM, cap, r, false, "recvmsg")?;
        Ok((n, SocketAddr::from_sys(from)))
    }

    /// The length of the next datagram without consuming it (`recv` with
    /// `MSG_PEEK | MSG_TRUNC`); waits like [`recv`](Self::recv).
    ///
    /// # Errors
    /// As [`recv`](Self::recv), never [`ErrorKind::TooLarge`].
    #[doc(alias = "MSG_PEEK")]
    pub fn peek_len(&self) -> Result<usize> {
        sysu::recv(self.fd.as_fd(), &mut [], MSG_PEEK | MSG_TRUNC)
            .ctx("recv(MSG_PEEK)", desc(DGRAM, &self.fd))
    }

    fn into_fd(self) -> OwnedFd {
        // The socket lives on in the fd: keep its file.
        let UnixDatagram { fd, mut binding } = self;
        binding.keep();
        fd
    }
}

socket_common!(UnixDatagram, DGRAM, "UnixDatagram");

/// Wraps an fd that must be an `AF_UNIX` `SOCK_DGRAM` socket. It does not own a socket
/// file.
impl From<OwnedFd> for UnixDatagram {
    fn from(fd: OwnedFd) -> UnixDatagram {
        UnixDatagram {
            fd,
            binding: Binding::none(),
        }
    }
}

named_by_binding!(UnixDatagram);
