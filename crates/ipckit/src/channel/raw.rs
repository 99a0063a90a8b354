//! Unframed access to a channel: [`RawSender`] and [`RawReceiver`], for peers that speak
//! plain bytes (`cat`, `echo`, socat, nc).

use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::Duration;

use nix::errno::Errno;
use nix::poll::PollFlags;
use nix::sys::socket::MsgFlags;

use super::{Address, Incoming, Outgoing, Receiver, Sender};
use crate::sys::poll::{file_type, wait_fd};
use crate::sys::{retry_eintr, Deadline};
use crate::{Error, ErrorKind, Result};

/// A byte stream fd: `read(2)`, and `send(MSG_NOSIGNAL)` or `write(2)` to write.
struct FdStream {
    fd: OwnedFd,
    is_socket: bool,
}

impl FdStream {
    fn new(fd: OwnedFd) -> FdStream {
        let is_socket = file_type(fd.as_fd()).is_ok_and(|t| t == libc::S_IFSOCK);
        FdStream { fd, is_socket }
    }
}

/// Bytes to a channel without framing; made by [`super::connect_raw`].
///
/// On a byte stream (`fifo:`, `unix:`, `tcp:`) each [`Write::write`] writes to the stream
/// as is (`write(2)`, or `send(2)` with `MSG_NOSIGNAL` on a socket). On a datagram or
/// seqpacket socket each `write` call sends its whole buffer as one message.
///
/// # Errors
/// Writes fail with [`std::io::ErrorKind::BrokenPipe`] when the reader is gone; the inner
/// error is an [`Error`] naming the operation and address.
///
/// # Examples
/// See [`connect_raw`](super::connect_raw).
///
/// # References
/// <https://man7.org/linux/man-pages/man2/send.2.html>
pub struct RawSender {
    inner: RawOut,
    object: String,
}

enum RawOut {
    Stream(FdStream),
    Messages(Box<dyn Sender + Send>),
}

impl std::fmt::Debug for RawSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawSender")
            .field("address", &self.object)
            .finish_non_exhaustive()
    }
}

impl RawSender {
    pub(super) fn new(out: Outgoing, addr: &Address) -> RawSender {
        RawSender {
            inner: match out {
                Outgoing::Stream(fd) => RawOut::Stream(FdStream::new(fd)),
                Outgoing::Messages(tx) => RawOut::Messages(tx),
            },
            object: addr.to_string(),
        }
    }

    /// Whether this is a byte stream (writes are not message boundaries).
    pub fn is_byte_stream(&self) -> bool {
        matches!(self.inner, RawOut::Stream(_))
    }
}

impl Write for RawSender {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.inner {
            RawOut::Stream(s) => {
                let r = if s.is_socket {
                    retry_eintr(|| {
                        nix::sys::socket::send(s.fd.as_raw_fd(), buf, MsgFlags::MSG_NOSIGNAL)
                    })
                } else {
                    retry_eintr(|| nix::unistd::write(&s.fd, buf))
                };
                r.map_err(|e| {
                    let op = if s.is_socket { "send" } else { "write" };
                    Error::sys(e, op, &self.object).into()
                })
            }
            RawOut::Messages(tx) => tx.send(buf).map(|()| buf.len()).map_err(Into::into),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Bytes from a channel without framing; made by [`super::Listener::accept_raw`].
///
/// On a byte stream, reads return the bytes as they come and `0` at the end of the stream.
/// On a datagram or seqpacket socket each message's bytes are returned in order (a message
/// larger than the read buffer is returned over several reads, never truncated); empty
/// messages carry no bytes and are skipped; the end (`0`) comes when the peer is gone.
///
/// # Examples
/// See [`connect_raw`](super::connect_raw).
///
/// # References
/// <https://man7.org/linux/man-pages/man2/read.2.html>
pub struct RawReceiver {
    inner: RawIn,
    object: String,
}

enum RawIn {
    Stream(FdStream),
    Messages {
        rx: Box<dyn Receiver + Send>,
        buf: Vec<u8>,
        pos: usize,
    },
}

impl std::fmt::Debug for RawReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawReceiver")
            .field("address", &self.object)
            .finish_non_exhaustive()
    }
}

impl RawReceiver {
    pub(super) fn new(incoming: Incoming, addr: &Address) -> RawReceiver {
        RawReceiver {
            inner: match incoming {
                Incoming::Stream(fd) => RawIn::Stream(FdStream::new(fd)),
                Incoming::Messages(rx) => RawIn::Messages {
                    rx,
                    buf: Vec::new(),
                    pos: 0,
                },
            },
            object: addr.to_string(),
        }
    }

    /// Whether this is a byte stream (as opposed to messages given out as bytes).
    pub fn is_byte_stream(&self) -> bool {
        matches!(self.inner, RawIn::Stream(_))
    }

    /// Reads what is available into `dst` (`read(2)`, or the next message), waiting at most
    /// `timeout` (`None`: forever) for the first byte. Returns the number of bytes; `0` at
    /// the end of the stream.
    ///
    /// # Errors
    /// [`ErrorKind::TimedOut`] if nothing came within `timeout`; others from the syscall.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use ipckit::channel::{self, Address};
    /// let addr: Address = format!("unix:@ipckit-doc-rt-{}", std::process::id()).parse()?;
    /// let mut listener = channel::listen(&addr)?;
    /// let _tx = channel::connect_raw(&addr)?; // connected, sends nothing
    /// let mut rx = listener.accept_raw(None)?;
    /// let e = rx.read_timeout(&mut [0u8; 16], Some(Duration::from_millis(5))).unwrap_err();
    /// assert_eq!(e.kind(), ipckit::ErrorKind::TimedOut);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/poll.2.html>
    pub fn read_timeout(&mut self, dst: &mut [u8], timeout: Option<Duration>) -> Result<usize> {
        let deadline = timeout.map(Deadline::after);
        match &mut self.inner {
            RawIn::Stream(s) => loop {
                if let Some(d) = deadline {
                    let ready = wait_fd(s.fd.as_fd(), PollFlags::POLLIN, Some(d))
                        .map_err(|e| Error::sys(e, "poll", &self.object))?;
                    if ready.is_empty() {
                        return Err(Error::new(ErrorKind::TimedOut, "read", &self.object));
                    }
                }
                match nix::unistd::read(&s.fd, dst) {
                    Ok(n) => return Ok(n),
                    Err(Errno::EINTR) => {}
                    Err(Errno::EAGAIN) if deadline.is_some() => {}
                    Err(Errno::EAGAIN) => {
                        wait_fd(s.fd.as_fd(), PollFlags::POLLIN, None)
                            .map_err(|e| Error::sys(e, "poll", &self.object))?;
                    }
                    Err(e) => return Err(Error::sys(e, "read", &self.object)),
                }
            },
            RawIn::Messages { rx, buf, pos } => {
                while *pos >= buf.len() {
                    let r = match deadline {
                        None => rx.recv(buf),
                        Some(d) => rx.recv_timeout(buf, d.remaining()),
                    };
                    match r {
                        Ok(_) => *pos = 0,
                        Err(e) if e.kind() == ErrorKind::PeerGone => return Ok(0),
                        Err(e) => return Err(e),
                    }
                }
                let n = dst.len().min(buf.len() - *pos);
                dst[..n].copy_from_slice(&buf[*pos..*pos + n]);
                *pos += n;
                Ok(n)
            }
        }
    }
}

impl Read for RawReceiver {
    fn read(&mut self, dst: &mut [u8]) -> std::io::Result<usize> {
        self.read_timeout(dst, None).map_err(Into::into)
    }
}
