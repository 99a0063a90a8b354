//! [`UnixStream`]: a connected `SOCK_STREAM` Unix socket.

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use super::ancillary::{self, PeerCred};
use super::{connect_socket, desc, socketpair, SocketAddr, STREAM};
use crate::error::Context;
use crate::fd::io_err;
use crate::sys::unix::{self as sysu, Type};
#[cfg(doc)]
use crate::ErrorKind;
use crate::Result;

/// A connected `SOCK_STREAM` Unix socket: a byte stream both ways.
///
/// Read and write with [`Read`]/[`Write`] (also on `&UnixStream`). Writes use
/// `send(MSG_NOSIGNAL)`, so a write to a closed peer fails with `EPIPE`
/// ([`io::ErrorKind::BrokenPipe`], [`ErrorKind::PeerGone`] once wrapped) instead of raising
/// `SIGPIPE`; `read` returns 0 at end of stream. `EINTR` is retried. A failed read or write
/// is an [`io::Error`] with the [`crate::Error`] inside that names the operation and the
/// socket.
#[derive(Debug)]
pub struct UnixStream {
    fd: OwnedFd,
}

impl UnixStream {
    /// Connects to the stream socket listening at `addr` (`socket(AF_UNIX, SOCK_STREAM)` +
    /// `connect`).
    ///
    /// # Errors
    /// - [`ErrorKind::NotFound`] if no socket file exists at the path.
    /// - [`ErrorKind::PeerGone`] (`ECONNREFUSED`) if nothing listens there (a stale socket
    ///   file, an abstract name nobody bound).
    /// - [`ErrorKind::PermissionDenied`] without write permission on the socket file.
    /// - [`ErrorKind::InvalidInput`] for a bad address or a socket of another type there.
    ///
    /// # Examples
    /// ```
    /// use ipckit::net::unix::{SocketAddr, UnixStream};
    /// let err = UnixStream::connect(&SocketAddr::path("/nonexistent/x.sock")).unwrap_err();
    /// assert_eq!(err.kind(), ipckit::ErrorKind::NotFound);
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/connect.2.html>
    pub fn connect(addr: &SocketAddr) -> Result<UnixStream> {
        Ok(UnixStream {
            fd: connect_socket(Type::Stream, addr)?,
        })
    }

    /// A connected pair of stream sockets (`socketpair`), e.g. to hand one to a child.
    ///
    /// # Errors
    /// [`ErrorKind::LimitReached`] when out of fds.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/socketpair.2.html>
    #[doc(alias = "socketpair")]
    pub fn pair() -> Result<(UnixStream, UnixStream)> {
        let (a, b) = socketpair(Type::Stream, STREAM)?;
        Ok((UnixStream { fd: a }, UnixStream { fd: b }))
    }

    /// The credentials (pid, uid, gid) of the peer process (`getsockopt(SO_PEERCRED)`), as
    /// they were when it connected.
    ///
    /// # Errors
    /// Only from `getsockopt` on a bad fd.
    ///
    /// # Examples
    /// ```
    /// let (a, _b) = ipckit::net::unix::UnixStream::pair()?;
    /// let cred = a.peer_cred()?;
    /// assert_eq!(cred.pid, std::process::id());
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man7/unix.7.html> (`SO_PEERCRED`)
    #[doc(alias = "SO_PEERCRED")]
    pub fn peer_cred(&self) -> Result<PeerCred> {
        ancillary::peer_cred(self.fd.as_fd(), STREAM)
    }

    fn into_fd(self) -> OwnedFd {
        self.fd
    }
}

socket_common!(UnixStream, STREAM, "UnixStream");

/// Wraps an fd that must be a connected `AF_UNIX` `SOCK_STREAM` socket (not checked; a
/// wrong fd makes the calls fail with the kernel's error).
impl From<OwnedFd> for UnixStream {
    fn from(fd: OwnedFd) -> UnixStream {
        UnixStream { fd }
    }
}

impl From<std::os::unix::net::UnixStream> for UnixStream {
    fn from(s: std::os::unix::net::UnixStream) -> UnixStream {
        UnixStream { fd: s.into() }
    }
}

impl From<UnixStream> for std::os::unix::net::UnixStream {
    fn from(s: UnixStream) -> std::os::unix::net::UnixStream {
        s.fd.into()
    }
}

fn stream_read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    sysu::recv(fd, buf, 0).map_err(|e| io_err(e, "recv", desc(STREAM, &fd), None))
}

fn stream_write(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<usize> {
    sysu::send(fd, buf).map_err(|e| io_err(e, "send", desc(STREAM, &fd), None))
}

fn stream_writev(fd: BorrowedFd<'_>, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
    sysu::sendv(fd, bufs).map_err(|e| io_err(e, "sendmsg", desc(STREAM, &fd), None))
}

impl Read for UnixStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        stream_read(self.fd.as_fd(), buf)
    }
}

impl Read for &UnixStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        stream_read(self.fd.as_fd(), buf)
    }
}

impl Write for UnixStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        stream_write(self.fd.as_fd(), buf)
    }

    /// One `sendmsg(MSG_NOSIGNAL)`: e.g. a length prefix and its payload in one syscall.
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        stream_writev(self.fd.as_fd(), bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Write for &UnixStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        stream_write(self.fd.as_fd(), buf)
    }

    /// One `sendmsg(MSG_NOSIGNAL)`: e.g. a length prefix and its payload in one syscall.
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        stream_writev(self.fd.as_fd(), bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
