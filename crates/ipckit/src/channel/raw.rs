//! Unframed access to a channel: [`RawSender`] and [`RawReceiver`], for peers that speak
//! plain bytes (`cat`, `echo`, socat, nc).

use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use super::{Address, Incoming, Outgoing, Receiver, Sender};
use crate::sys::{io, retry_eintr, Deadline};
use crate::{Errno, Error, ErrorKind, Result};

/// A byte stream fd: `read(2)`, and `send(MSG_NOSIGNAL)` or `write(2)` to write.
#[derive(Debug)]
struct FdStream {
    fd: OwnedFd,
    is_socket: bool,
}

impl FdStream {
    fn new(fd: OwnedFd) -> FdStream {
        let is_socket = io::is_socket(fd.as_fd());
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
#[derive(Debug)]
pub struct RawSender {
    inner: RawOut,
    object: String,
}

#[derive(Debug)]
enum RawOut {
    Stream(FdStream),
    Messages(Sender),
}

impl RawSender {
    pub(super) fn new(out: Outgoing, addr: &Address) -> RawSender {
        RawSender {
            inner: match out {
                Outgoing::Stream(fd) => RawOut::Stream(FdStream::new(fd)),
                Outgoing::Messages(tx) => RawOut::Messages(Sender::new(tx)),
            },
            object: addr.to_string(),
        }
    }

    /// Whether this is a byte stream (writes are not message boundaries).
    pub fn is_byte_stream(&self) -> bool {
        matches!(self.inner, RawOut::Stream(_))
    }

    /// The transport's file descriptor, `None` for `sysv-mq:` (see [`Sender`]).
    pub fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        match &self.inner {
            RawOut::Stream(s) => Some(s.fd.as_fd()),
            RawOut::Messages(tx) => tx.as_fd_opt(),
        }
    }
}

impl Write for RawSender {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.inner {
            RawOut::Stream(s) => {
                let r = if s.is_socket {
                    retry_eintr(|| io::send_nosignal(s.fd.as_fd(), buf))
                } else {
                    retry_eintr(|| io::write(s.fd.as_fd(), buf))
                };
                r.map_err(|e| {
                    let op = if s.is_socket { "send" } else { "write" };
                    Error::from_errno(e, op, &self.object).into()
                })
            }
            RawOut::Messages(tx) => tx.send(buf).map(|()| buf.len()).map_err(Into::into),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Bytes from a channel without framing; made by [`Listener::accept_raw`](super::Listener::accept_raw).
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

/// The transport and the address; never the bytes of a message being handed out.
impl std::fmt::Debug for RawReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("RawReceiver");
        match &self.inner {
            RawIn::Stream(s) => d.field("stream", s),
            RawIn::Messages { rx, buf, pos } => d
                .field("messages", rx)
                .field("unread", &(buf.len() - (*pos).min(buf.len()))),
        };
        d.field("object", &self.object).finish()
    }
}

enum RawIn {
    Stream(FdStream),
    Messages {
        rx: Receiver,
        buf: Vec<u8>,
        pos: usize,
    },
}

impl RawReceiver {
    pub(super) fn new(incoming: Incoming, addr: &Address) -> RawReceiver {
        RawReceiver {
            inner: match incoming {
                Incoming::Stream(fd) => RawIn::Stream(FdStream::new(fd)),
                Incoming::Messages(rx) => RawIn::Messages {
                    rx: Receiver::new(rx),
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

    /// The transport's file descriptor, `None` for `sysv-mq:` (see [`Sender`]).
    pub fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        match &self.inner {
            RawIn::Stream(s) => Some(s.fd.as_fd()),
            RawIn::Messages { rx, .. } => rx.as_fd_opt(),
        }
    }

    /// Reads what is available into `dst` (`read(2)`, or the next message), waiting at most
    /// `timeout` (any `Duration`, up to [`Duration::MAX`]: forever) for the first byte.
    /// Returns the number of bytes; `0` at the end of the stream. [`Read::read`] is the
    /// same without a timeout.
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
    /// let mut rx = listener.accept_raw_timeout(Duration::from_secs(5))?;
    /// let e = rx.read_timeout(&mut [0u8; 16], Duration::from_millis(5)).unwrap_err();
    /// assert_eq!(e.kind(), ipckit::ErrorKind::TimedOut);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/poll.2.html>
    pub fn read_timeout(&mut self, dst: &mut [u8], timeout: Duration) -> Result<usize> {
        self.read_until(dst, Some(Deadline::after(timeout)))
    }

    /// [`read_timeout`](Self::read_timeout) until `deadline` (`None`: forever).
    fn read_until(&mut self, dst: &mut [u8], deadline: Option<Deadline>) -> Result<usize> {
        match &mut self.inner {
            RawIn::Stream(s) => loop {
                if let Some(d) = deadline {
                    let ready = io::wait_readable(s.fd.as_fd(), Some(d))
                        .map_err(|e| Error::from_errno(e, "poll", &self.object))?;
                    if !ready {
                        return Err(Error::new(ErrorKind::TimedOut, "read", &self.object));
                    }
                }
                match io::read(s.fd.as_fd(), dst) {
                    Ok(n) => return Ok(n),
                    Err(Errno::EINTR) => {}
                    Err(Errno::EAGAIN) if deadline.is_some() => {}
                    Err(Errno::EAGAIN) => {
                        io::wait_readable(s.fd.as_fd(), None)
                            .map_err(|e| Error::from_errno(e, "poll", &self.object))?;
                    }
                    Err(e) => return Err(Error::from_errno(e, "read", &self.object)),
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
        self.read_until(dst, None).map_err(Into::into)
    }
}
