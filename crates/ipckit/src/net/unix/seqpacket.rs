//! [`UnixSeqpacket`]: a connected `SOCK_SEQPACKET` Unix socket.

use std::os::fd::{AsFd, OwnedFd};

use super::ancillary::{self, check_message, passcred, PeerCred};
#[cfg(doc)]
use super::UnixStream;
use super::{connect_fd, desc, new_socket, socketpair, SocketAddr, SEQPACKET};
use crate::error::Context;
use crate::sys::unix::{self as sysu, Type, MSG_PEEK, MSG_TRUNC};
#[cfg(doc)]
use crate::ErrorKind;
use crate::Result;

/// A connected `SOCK_SEQPACKET` Unix socket: whole messages, in order, over a connection.
///
/// Unlike `read` on the raw socket, [`recv`](Self::recv) tells an empty message (`Ok(0)`)
/// from the end of the connection ([`ErrorKind::PeerGone`]): ipckit turns on `SO_PASSCRED`
/// on its seqpacket sockets, so every message, even an empty one, carries credentials, and
/// `recvmsg` without room for them reports `MSG_CTRUNC`; the end of the connection carries
/// none. (As a side effect of `SO_PASSCRED`, the kernel gives a connecting socket an
/// autobound abstract address.)
#[derive(Debug)]
pub struct UnixSeqpacket {
    fd: OwnedFd,
}

impl UnixSeqpacket {
    /// Connects to the seqpacket socket listening at `addr` (`socket(AF_UNIX,
    /// SOCK_SEQPACKET)` + `connect`).
    ///
    /// # Errors
    /// As [`UnixStream::connect`].
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/connect.2.html>
    pub fn connect(addr: &SocketAddr) -> Result<UnixSeqpacket> {
        let to = addr.to_sys()?;
        let fd = new_socket(Type::SeqPacket, addr)?;
        passcred(&fd)?;
        connect_fd(fd.as_fd(), &to, addr)?;
        Ok(UnixSeqpacket { fd })
    }

    /// A connected pair of seqpacket sockets (`socketpair`).
    ///
    /// # Errors
    /// [`ErrorKind::LimitReached`] when out of fds.
    ///
    /// # Examples
    /// ```
    /// let (a, b) = ipckit::net::unix::UnixSeqpacket::pair()?;
    /// a.send(b"")?;
    /// a.send(b"two")?;
    /// drop(a);
    /// let mut buf = [0u8; 8];
    /// assert_eq!(b.recv(&mut buf)?, 0); // an empty message
    /// assert_eq!(b.recv(&mut buf)?, 3);
    /// assert_eq!(b.recv(&mut buf).unwrap_err().kind(), ipckit::ErrorKind::PeerGone);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/socketpair.2.html>
    #[doc(alias = "socketpair")]
    pub fn pair() -> Result<(UnixSeqpacket, UnixSeqpacket)> {
        let (a, b) = socketpair(Type::SeqPacket, SEQPACKET)?;
        passcred(&a)?;
        passcred(&b)?;
        Ok((UnixSeqpacket { fd: a }, UnixSeqpacket { fd: b }))
    }

    /// Sends `buf` as one message (`send(MSG_NOSIGNAL)`); returns its length.
    ///
    /// # Errors
    /// - [`ErrorKind::TooLarge`] (`EMSGSIZE`) above the send buffer size (about 200 KiB
    ///   by default).
    /// - [`ErrorKind::PeerGone`] (`EPIPE`) if the peer closed.
    /// - [`ErrorKind::WouldBlock`] in non-blocking mode with the queue full.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/send.2.html>
    pub fn send(&self, buf: &[u8]) -> Result<usize> {
        sysu::send(self.fd.as_fd(), buf).ctx("send", desc(SEQPACKET, &self.fd))
    }

    /// Receives one message into `buf` (`recvmsg` with `MSG_TRUNC`); returns its length, 0
    /// for an empty message.
    ///
    /// # Errors
    /// - [`ErrorKind::PeerGone`] at the end of the connection (the peer closed).
    /// - [`ErrorKind::TooLarge`] if the message is longer than `buf` (it is consumed).
    /// - [`ErrorKind::WouldBlock`] in non-blocking mode or after a read timeout.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/recvmsg.2.html>
    pub fn recv(&self, buf: &mut [u8]) -> Result<usize> {
        self.recv_flags(buf, MSG_TRUNC, "recvmsg")
    }

    /// The length of the next message without consuming it (`recvmsg` with
    /// `MSG_PEEK | MSG_TRUNC`); waits like [`recv`](Self::recv).
    ///
    /// # Errors
    /// As [`recv`](Self::recv), never [`ErrorKind::TooLarge`].
    #[doc(alias = "MSG_PEEK")]
    pub fn peek_len(&self) -> Result<usize> {
        self.recv_flags(&mut [], MSG_TRUNC | MSG_PEEK, "recvmsg(MSG_PEEK)")
    }

    fn recv_flags(&self, buf: &mut [u8], flags: i32, op: &'static str) -> Result<usize> {
        let cap = if flags & MSG_PEEK != 0 {
            usize::MAX
        } else {
            buf.len()
        };
        // No control buffer: with SO_PASSCRED on, the kernel marks every message, even an
        // empty one, MSG_CTRUNC (its credentials did not fit), and the end of the connection
        // not. Cheaper than receiving the credentials; fds sent along are closed by the kernel.
        let mut fds = Vec::new();
        let r = sysu::recvmsg_fds(self.fd.as_fd(), buf, flags, 0, false, &mut fds)
            .ctx(op, desc(SEQPACKET, &self.fd))?;
        debug_assert!(fds.is_empty());
        check_message(self.fd.as_fd(), SEQPACKET, cap, r, true, op)?;
        Ok(r.len)
    }

    /// The credentials of the peer process (`getsockopt(SO_PEERCRED)`), as they were when
    /// it connected.
    ///
    /// # Errors
    /// Only from `getsockopt` on a bad fd.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man7/unix.7.html> (`SO_PEERCRED`)
    #[doc(alias = "SO_PEERCRED")]
    pub fn peer_cred(&self) -> Result<PeerCred> {
        ancillary::peer_cred(self.fd.as_fd(), SEQPACKET)
    }

    fn into_fd(self) -> OwnedFd {
        self.fd
    }

    /// The connection for an fd `accept4` returned, with `SO_PASSCRED` on.
    pub(super) fn accepted(fd: OwnedFd) -> Result<UnixSeqpacket> {
        passcred(&fd)?;
        Ok(UnixSeqpacket { fd })
    }
}

socket_common!(UnixSeqpacket, SEQPACKET, "UnixSeqpacket");

/// Wraps an fd that must be a connected `AF_UNIX` `SOCK_SEQPACKET` socket, and turns on
/// `SO_PASSCRED` on it (ignoring a failure: then an empty message reads as the end of the
/// connection).
impl From<OwnedFd> for UnixSeqpacket {
    fn from(fd: OwnedFd) -> UnixSeqpacket {
        let _ = passcred(&fd);
        UnixSeqpacket { fd }
    }
}
