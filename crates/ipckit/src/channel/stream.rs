//! Message framing over any byte stream: [`FramedSender`] and [`FramedReceiver`].
//!
//! A frame is a 4-byte little-endian length `N`, then `N` bytes of payload. The same code
//! serves pipes, FIFOs, Unix stream sockets and TCP: it works on the file descriptor
//! (`AsFd`), sending with one `writev` (or `sendmsg(MSG_NOSIGNAL)` on a socket) of header
//! and payload, and reading straight into the caller's `Vec`: no allocation per message once
//! the `Vec` has grown to the message size.

use std::io::IoSlice;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::time::Duration;

use super::DEFAULT_MAX_MESSAGE;
use crate::sys::{io, Deadline};
use crate::{Errno, Error, ErrorKind, Result};

/// Bytes in a frame header: the payload length as a little-endian `u32`.
pub const HEADER_LEN: usize = 4;

/// What a receiver allocates for a payload before its bytes arrive: at most 64 KiB; beyond
/// that the buffer doubles as the payload comes in, up to the frame's length.
const INITIAL_RESERVE: usize = 64 << 10;

/// Sends framed messages on a byte stream: each [`send`](FramedSender::send) writes the
/// 4-byte little-endian length and the payload in one `writev(2)` (on a socket:
/// `sendmsg(2)` with `MSG_NOSIGNAL`), finishing partial writes, so a message is never
/// split by another message from this sender.
///
/// `W` is anything owning or borrowing the stream's fd: [`crate::fifo::FifoWriter`],
/// [`std::os::unix::net::UnixStream`], [`std::net::TcpStream`], a pipe writer or an
/// [`std::os::fd::OwnedFd`].
///
/// # Examples
/// ```
/// use ipckit::channel::{FramedReceiver, FramedSender};
/// use std::os::unix::net::UnixStream;
///
/// let (a, b) = UnixStream::pair()?;
/// let mut tx = FramedSender::new(a);
/// let mut rx = FramedReceiver::new(b);
/// tx.send(b"hello")?;
/// tx.send(b"")?;
/// let mut buf = Vec::new();
/// assert_eq!(rx.recv(&mut buf)?, 5);
/// assert_eq!(buf, b"hello");
/// assert_eq!(rx.recv(&mut buf)?, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/writev.2.html>
/// - <https://man7.org/linux/man-pages/man2/sendmsg.2.html>
#[derive(Debug)]
pub struct FramedSender<W> {
    inner: W,
    max: usize,
    is_socket: bool,
    /// A pipe or FIFO: frames above `PIPE_BUF` are written under `flock(LOCK_EX)`.
    is_fifo: bool,
    object: String,
}

impl<W: AsFd> FramedSender<W> {
    /// Frames messages onto `inner`; the maximum message is [`DEFAULT_MAX_MESSAGE`].
    /// Looks once (`fstat`) whether the fd is a socket, to send with `MSG_NOSIGNAL`.
    pub fn new(inner: W) -> FramedSender<W> {
        let fd = inner.as_fd();
        let is_socket = io::is_socket(fd);
        let is_fifo = !is_socket && io::is_fifo(fd);
        let object = format!("framed stream fd {}", fd.as_raw_fd());
        FramedSender {
            inner,
            max: DEFAULT_MAX_MESSAGE,
            is_socket,
            is_fifo,
            object,
        }
    }

    /// The largest message [`send`](FramedSender::send) accepts, in bytes (at most
    /// `u32::MAX`, what the header can say).
    #[must_use]
    pub fn with_max_message(mut self, max: usize) -> FramedSender<W> {
        self.max = max.min(u32::MAX as usize);
        self
    }

    /// How errors name the stream (`unix:/run/app.sock`); default `framed stream fd N`.
    #[must_use]
    pub fn with_name(mut self, name: impl std::fmt::Display) -> FramedSender<W> {
        self.object = name.to_string();
        self
    }

    /// The largest message accepted, in bytes.
    pub fn max_message(&self) -> usize {
        self.max
    }

    /// The stream.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The stream, mutably (writing to it directly breaks the framing).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// Gives the stream back.
    pub fn into_inner(self) -> W {
        self.inner
    }

    fn write_once(&self, bufs: &[IoSlice<'_>]) -> std::result::Result<usize, Errno> {
        let fd = self.inner.as_fd();
        if self.is_socket {
            io::sendv_nosignal(fd, bufs)
        } else {
            io::writev(fd, bufs)
        }
    }

    /// Sends `msg` as one frame (`writev(2)` / `sendmsg(2)`), blocking until the stream took
    /// all of it. On a non-blocking fd, returns [`ErrorKind::WouldBlock`] if nothing could be
    /// written, and otherwise waits (`poll`) to finish the frame.
    ///
    /// # Several writers on one FIFO
    /// A frame of at most `PIPE_BUF` bytes (4096: messages up to 4092 bytes) is written
    /// atomically by the kernel. A larger frame on a pipe or FIFO is written under an
    /// exclusive `flock(2)` on it, taken for this frame and released after, so the frames
    /// of ipckit writers (each with its own open of the FIFO) never interleave. A writer
    /// that is not ipckit and does not take that lock can still write into the middle of
    /// a large frame and corrupt the stream; the receiver then sees garbage lengths
    /// (`TooLarge`) or mixed payloads.
    ///
    /// # Errors
    /// [`ErrorKind::TooLarge`] if `msg` is longer than [`max_message`](Self::max_message)
    /// (nothing is written); [`ErrorKind::PeerGone`] if the reader is gone (`EPIPE`,
    /// `ECONNRESET`); [`ErrorKind::WouldBlock`] as above; others from the syscall.
    pub fn send(&mut self, msg: &[u8]) -> Result<()> {
        if msg.len() > self.max {
            return Err(super::too_large("send", &self.object, msg.len(), self.max));
        }
        if !self.is_fifo || HEADER_LEN + msg.len() <= io::PIPE_BUF {
            return self.write_frame(msg);
        }
        // Above PIPE_BUF the kernel may interleave concurrent writers' bytes: every ipckit
        // writer of this FIFO takes the same exclusive lock for the whole frame.
        let fd = self.inner.as_fd();
        let locked = loop {
            match io::flock_exclusive(fd, true) {
                Ok(()) => break true,
                Err(Errno::EINTR) => {}
                // A file system without flock: write unlocked, as before.
                Err(Errno::ENOLCK | Errno::EINVAL | Errno::EOPNOTSUPP) => break false,
                Err(e) => return Err(Error::from_errno(e, "flock", &self.object)),
            }
        };
        let r = self.write_frame(msg);
        if locked {
            let _ = io::flock_exclusive(fd, false);
        }
        r
    }

    /// Writes header and payload, finishing partial writes.
    fn write_frame(&self, msg: &[u8]) -> Result<()> {
        let header = (msg.len() as u32).to_le_bytes();
        let mut bufs = [IoSlice::new(&header), IoSlice::new(msg)];
        let mut rest: &mut [IoSlice<'_>] = &mut bufs;
        let mut written = 0usize;
        while !rest.is_empty() {
            match self.write_once(rest) {
                Ok(0) => {
                    return Err(Error::new(ErrorKind::Other, "write", &self.object)
                        .with_detail("the stream accepted no bytes"))
                }
                Ok(n) => {
                    written += n;
                    IoSlice::advance_slices(&mut rest, n);
                }
                Err(Errno::EINTR) => {}
                Err(Errno::EAGAIN) if written > 0 => {
                    io::wait_writable(self.inner.as_fd(), None)
                        .map_err(|e| Error::from_errno(e, "poll", &self.object))?;
                }
                Err(e) => {
                    let op = if self.is_socket { "sendmsg" } else { "writev" };
                    return Err(Error::from_errno(e, op, &self.object));
                }
            }
        }
        Ok(())
    }
}

/// Non-blocking pieces for the async ends ([`crate::tokio`]): the frame is written in steps
/// that never wait, and the caller keeps what is left of it.
#[cfg(feature = "tokio")]
impl<W: AsFd> FramedSender<W> {
    /// `TooLarge` (nothing written) if `len` is above the maximum.
    pub(crate) fn check_len(&self, len: usize) -> Result<()> {
        if len > self.max {
            return Err(super::too_large("send", &self.object, len, self.max));
        }
        Ok(())
    }

    /// Whether a frame of `len` payload bytes is written under the FIFO's `flock` (see
    /// [`send`](Self::send)).
    pub(crate) fn needs_frame_lock(&self, len: usize) -> bool {
        self.is_fifo && HEADER_LEN + len > io::PIPE_BUF
    }

    /// `flock(LOCK_EX | LOCK_NB)`: `Ok(true)` when taken (or the file system has no
    /// `flock`, as [`send`](Self::send) then writes unlocked), `Ok(false)` when another
    /// writer holds it.
    pub(crate) fn try_lock_frame(&self) -> Result<bool> {
        loop {
            match io::try_flock_exclusive(self.inner.as_fd()) {
                Ok(taken) => return Ok(taken),
                Err(Errno::EINTR) => {}
                Err(Errno::ENOLCK | Errno::EINVAL | Errno::EOPNOTSUPP) => return Ok(true),
                Err(e) => return Err(Error::from_errno(e, "flock", &self.object)),
            }
        }
    }

    /// Releases the frame lock [`try_lock_frame`](Self::try_lock_frame) took.
    pub(crate) fn unlock_frame(&self) {
        let _ = io::flock_exclusive(self.inner.as_fd(), false);
    }

    /// One write (never waiting, on a non-blocking fd) of the frame of `msg` from byte
    /// `from` of the frame (the header counts): returns how many bytes went now.
    /// [`ErrorKind::WouldBlock`] if none could.
    pub(crate) fn write_frame_nonblocking(&self, msg: &[u8], from: usize) -> Result<usize> {
        let header = (msg.len() as u32).to_le_bytes();
        let mut bufs = [IoSlice::new(&header), IoSlice::new(msg)];
        let mut rest: &mut [IoSlice<'_>] = &mut bufs;
        IoSlice::advance_slices(&mut rest, from);
        self.write_bytes_nonblocking(rest)
    }

    /// One write of `bufs` (the unsent tail of a frame), never waiting: bytes written, or
    /// [`ErrorKind::WouldBlock`]; `EPIPE`/`ECONNRESET` are [`ErrorKind::PeerGone`].
    pub(crate) fn write_bytes_nonblocking(&self, bufs: &[IoSlice<'_>]) -> Result<usize> {
        loop {
            match self.write_once(bufs) {
                Ok(0) if bufs.iter().any(|b| !b.is_empty()) => {
                    return Err(Error::new(ErrorKind::Other, "write", &self.object)
                        .with_detail("the stream accepted no bytes"))
                }
                Ok(n) => return Ok(n),
                Err(Errno::EINTR) => {}
                Err(e) => {
                    let op = if self.is_socket { "sendmsg" } else { "writev" };
                    return Err(Error::from_errno(e, op, &self.object));
                }
            }
        }
    }
}

/// Appends the bytes of the frame of `msg` from byte `from` on (header included) to `out`:
/// what an async sender keeps when the stream took only part of a frame.
#[cfg(feature = "tokio")]
pub(crate) fn frame_tail(msg: &[u8], from: usize, out: &mut Vec<u8>) {
    let header = (msg.len() as u32).to_le_bytes();
    if from < HEADER_LEN {
        out.extend_from_slice(&header[from..]);
        out.extend_from_slice(msg);
    } else {
        out.extend_from_slice(&msg[from - HEADER_LEN..]);
    }
}

impl<W: AsFd> AsFd for FramedSender<W> {
    /// The stream's fd (writing to it directly breaks the framing).
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

/// How long a receive may wait.
#[derive(Clone, Copy)]
enum Wait {
    /// Block in `read` (and in `poll` if the fd is non-blocking).
    Forever,
    /// `poll` before each `read`, until the deadline; zero for `try_recv`.
    Until(Deadline),
}

/// Receives framed messages from a byte stream (see [`FramedSender`] for the format).
///
/// Reads the 4-byte header, checks the length against the maximum *before* allocating
/// (above it: [`ErrorKind::TooLarge`]), then reads the payload straight into the caller's
/// `Vec`. [`try_recv`](FramedReceiver::try_recv) and [`recv_timeout`](FramedReceiver::recv_timeout)
/// never lose or split data: a frame that has only partly arrived stays in the receiver and
/// the next call continues it.
///
/// A stream that ends between two frames is [`ErrorKind::PeerGone`] (the sender closed
/// cleanly); one that ends inside a frame is [`ErrorKind::UnexpectedEof`] (a message was
/// lost). After `UnexpectedEof` or [`ErrorKind::TooLarge`] the stream cannot be resynchronised: every later call returns the same error, and the
/// connection should be dropped.
///
/// # Examples
/// ```
/// use ipckit::channel::{FramedReceiver, FramedSender};
/// use ipckit::ErrorKind;
/// use std::os::unix::net::UnixStream;
/// use std::time::Duration;
///
/// let (a, b) = UnixStream::pair()?;
/// let mut rx = FramedReceiver::new(b).with_max_message(1024);
/// let mut buf = Vec::new();
/// let e = rx.recv_timeout(&mut buf, Duration::from_millis(10)).unwrap_err();
/// assert_eq!(e.kind(), ErrorKind::TimedOut);
/// FramedSender::new(a).send(&[7u8; 2048])?;
/// assert_eq!(rx.recv(&mut buf).unwrap_err().kind(), ErrorKind::TooLarge);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/read.2.html>
/// - <https://man7.org/linux/man-pages/man2/poll.2.html>
pub struct FramedReceiver<R> {
    inner: R,
    max: usize,
    object: String,
    header: [u8; HEADER_LEN],
    header_got: usize,
    /// Payload length of the frame being read, once its header is complete.
    body_len: Option<usize>,
    body_got: usize,
    /// The partly received payload between calls (swapped with the caller's `Vec`).
    pending: Vec<u8>,
    failed: Option<Error>,
}

/// The stream, the maximum and how much of a frame is pending; never the payload bytes.
impl<R: std::fmt::Debug> std::fmt::Debug for FramedReceiver<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FramedReceiver")
            .field("inner", &self.inner)
            .field("max", &self.max)
            .field("object", &self.object)
            .field("header_got", &self.header_got)
            .field("body_len", &self.body_len)
            .field("body_got", &self.body_got)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl<R: AsFd> FramedReceiver<R> {
    /// Reads frames from `inner`; the maximum message is [`DEFAULT_MAX_MESSAGE`].
    pub fn new(inner: R) -> FramedReceiver<R> {
        let object = format!("framed stream fd {}", inner.as_fd().as_raw_fd());
        FramedReceiver {
            inner,
            max: DEFAULT_MAX_MESSAGE,
            object,
            header: [0; HEADER_LEN],
            header_got: 0,
            body_len: None,
            body_got: 0,
            pending: Vec::new(),
            failed: None,
        }
    }

    /// The largest message accepted, in bytes; a larger frame is [`ErrorKind::TooLarge`]
    /// before any allocation.
    #[must_use]
    pub fn with_max_message(mut self, max: usize) -> FramedReceiver<R> {
        self.max = max;
        self
    }

    /// How errors name the stream (`unix:/run/app.sock`); default `framed stream fd N`.
    #[must_use]
    pub fn with_name(mut self, name: impl std::fmt::Display) -> FramedReceiver<R> {
        self.object = name.to_string();
        self
    }

    /// The largest message accepted, in bytes.
    pub fn max_message(&self) -> usize {
        self.max
    }

    /// The stream.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// Gives the stream back; a partly received frame is lost.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// One `read(2)` into `dst` once the fd is ready; `Ok(None)` when `wait` ran out.
    fn read_some(&self, dst: &mut [u8], wait: Wait) -> Result<Option<usize>> {
        let fd = self.inner.as_fd();
        loop {
            if let Wait::Until(deadline) = wait {
                let ready = io::wait_readable(fd, Some(deadline))
                    .map_err(|e| Error::from_errno(e, "poll", &self.object))?;
                if !ready {
                    return Ok(None);
                }
            }
            match io::read(fd, dst) {
                Ok(n) => return Ok(Some(n)),
                Err(Errno::EINTR) => {}
                Err(Errno::EAGAIN) => {
                    if let Wait::Forever = wait {
                        io::wait_readable(fd, None)
                            .map_err(|e| Error::from_errno(e, "poll", &self.object))?;
                    }
                }
                Err(e) => return Err(Error::from_errno(e, "read", &self.object)),
            }
        }
    }

    /// Lengthens `buf` to `new_len` zeroed bytes, reserving exactly that (no amortised
    /// doubling beyond it, so the buffer never exceeds the frame's length).
    fn grow(&self, buf: &mut Vec<u8>, new_len: usize) -> Result<()> {
        if new_len <= buf.len() {
            return Ok(());
        }
        if buf.try_reserve_exact(new_len - buf.len()).is_err() {
            return Err(Error::new(ErrorKind::LimitReached, "recv", &self.object)
                .with_detail(format!("cannot allocate {new_len} bytes for a message")));
        }
        buf.resize(new_len, 0);
        Ok(())
    }

    /// The capacity in bytes of the buffer this receiver holds for a partly received
    /// frame between calls (0 when no frame is pending). It grows with the bytes that
    /// arrived, never with what a header announces: a header for 16 MiB followed by
    /// nothing holds at most 64 KiB here.
    pub fn pending_capacity(&self) -> usize {
        self.pending.capacity()
    }

    fn fail(&mut self, e: Error) -> Error {
        self.failed = Some(e.clone());
        e
    }

    fn timed_out(&self) -> Error {
        Error::new(ErrorKind::TimedOut, "recv", &self.object)
    }

    fn receive(&mut self, buf: &mut Vec<u8>, wait: Wait) -> Result<usize> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        while self.body_len.is_none() {
            let got = self.header_got;
            let mut header = self.header;
            let Some(n) = self.read_some(&mut header[got..], wait)? else {
                return Err(self.timed_out());
            };
            self.header = header;
            if n == 0 {
                if got == 0 {
                    return Err(Error::new(ErrorKind::PeerGone, "recv", &self.object)
                        .with_detail("the sender closed the stream"));
                }
                let e = Error::new(ErrorKind::UnexpectedEof, "recv", &self.object).with_detail(
                    format!(
                        "stream ended inside a message header (got {got} of {HEADER_LEN} bytes)"
                    ),
                );
                return Err(self.fail(e));
            }
            self.header_got += n;
            if self.header_got == HEADER_LEN {
                let len = u32::from_le_bytes(self.header) as usize;
                if len > self.max {
                    let e = super::too_large("recv", &self.object, len, self.max)
                        .with_detail(format!(
                            "frame header announces {len} bytes, above this receiver's maximum of {} bytes; the stream cannot be resynchronised",
                            self.max
                        ));
                    return Err(self.fail(e));
                }
                // Reuse what the caller's Vec already holds: only bytes beyond its current
                // length get zeroed, so same-sized messages cost no memset. Never allocate
                // what the header announces before the bytes come (a peer could make us
                // hold the maximum for free): at most INITIAL_RESERVE now, then the buffer
                // grows as the payload arrives.
                buf.truncate(len);
                let first = len.min(INITIAL_RESERVE).max(buf.len());
                if let Err(e) = self.grow(buf, first) {
                    return Err(self.fail(e));
                }
                self.body_len = Some(len);
                self.body_got = 0;
            }
        }
        let len = self.body_len.unwrap_or(0);
        if self.body_got > 0 || !self.pending.is_empty() {
            // Continue the frame a previous call began: its bytes are in `pending`.
            std::mem::swap(buf, &mut self.pending);
            self.pending.clear();
        }
        while self.body_got < len {
            let got = self.body_got;
            if got == buf.len() {
                // Filled what arrived so far: double, at most up to the frame's length.
                let next = len.min(got.saturating_mul(2).max(INITIAL_RESERVE));
                if let Err(e) = self.grow(buf, next) {
                    return Err(self.fail(e));
                }
            }
            let end = buf.len().min(len);
            let n = match self.read_some(&mut buf[got..end], wait) {
                Ok(Some(n)) => n,
                Ok(None) => {
                    std::mem::swap(buf, &mut self.pending);
                    return Err(self.timed_out());
                }
                Err(e) => {
                    std::mem::swap(buf, &mut self.pending);
                    return Err(e);
                }
            };
            if n == 0 {
                let e = Error::new(ErrorKind::UnexpectedEof, "recv", &self.object).with_detail(
                    format!("stream ended inside a message (got {got} of {len} bytes)"),
                );
                return Err(self.fail(e));
            }
            self.body_got += n;
        }
        self.header_got = 0;
        self.body_len = None;
        self.body_got = 0;
        Ok(len)
    }
}

impl<R: AsFd> FramedReceiver<R> {
    /// Blocks until a whole frame arrived (`read(2)`, and `poll(2)` on a non-blocking fd),
    /// replaces the contents of `buf` with its payload and returns its length in bytes.
    ///
    /// # Errors
    /// [`ErrorKind::PeerGone`] at the end of the stream between two frames (the sender
    /// closed cleanly); [`ErrorKind::UnexpectedEof`] if the stream ended inside a frame (a
    /// header or payload partly received: the message is lost, the detail says how much
    /// arrived); [`ErrorKind::TooLarge`] if the header announces more than
    /// [`max_message`](Self::max_message) (nothing allocated). After `UnexpectedEof` or
    /// `TooLarge` the stream cannot be resynchronised: drop the connection. Others from the
    /// syscall.
    ///
    /// # Examples
    /// See [`FramedReceiver`].
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/read.2.html>
    pub fn recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        self.receive(buf, Wait::Forever)
    }

    /// Like [`recv`](Self::recv), but returns [`ErrorKind::WouldBlock`] at once if no whole
    /// frame is ready; a partly arrived frame stays here for the next call.
    ///
    /// # Errors
    /// As [`recv`](Self::recv), and `WouldBlock`.
    ///
    /// # Examples
    /// ```
    /// use ipckit::channel::FramedReceiver;
    /// let (_a, b) = std::os::unix::net::UnixStream::pair()?;
    /// let mut rx = FramedReceiver::new(b);
    /// let e = rx.try_recv(&mut Vec::new()).unwrap_err();
    /// assert_eq!(e.kind(), ipckit::ErrorKind::WouldBlock);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        self.receive(buf, Wait::Until(Deadline::after(Duration::ZERO)))
            .map_err(|e| {
                if e.kind() == ErrorKind::TimedOut {
                    e.with_kind(ErrorKind::WouldBlock)
                } else {
                    e
                }
            })
    }

    /// Like [`recv`](Self::recv), but returns [`ErrorKind::TimedOut`] if no whole frame
    /// arrived within `timeout` (any `Duration`, up to [`Duration::MAX`]: forever); a
    /// partly arrived frame stays here for the next call.
    ///
    /// # Errors
    /// As [`recv`](Self::recv), and `TimedOut`.
    ///
    /// # Examples
    /// See [`FramedReceiver`].
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/poll.2.html>
    pub fn recv_timeout(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> Result<usize> {
        self.receive(buf, Wait::Until(Deadline::after(timeout)))
    }
}

impl<R: AsFd> AsFd for FramedReceiver<R> {
    /// The stream's fd (reading from it directly breaks the framing).
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::os::unix::net::UnixStream;

    use super::*;

    #[test]
    fn partial_frame_survives_try_recv_and_timeout() {
        let (mut a, b) = UnixStream::pair().unwrap();
        let mut rx = FramedReceiver::new(b);
        let mut buf = vec![9u8; 3];
        a.write_all(&[10, 0]).unwrap();
        assert_eq!(
            rx.try_recv(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        assert_eq!(buf, [9, 9, 9], "untouched while only the header is partial");
        a.write_all(&[0, 0, b'a', b'b', b'c']).unwrap();
        let mut other = Vec::new();
        let e = rx
            .recv_timeout(&mut other, Duration::from_millis(5))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TimedOut);
        a.write_all(b"defghij").unwrap();
        a.write_all(&[1, 0, 0, 0, b'z']).unwrap();
        assert_eq!(rx.try_recv(&mut buf).unwrap(), 10);
        assert_eq!(buf, b"abcdefghij");
        assert_eq!(rx.recv(&mut buf).unwrap(), 1);
        assert_eq!(buf, b"z");
    }

    #[test]
    fn end_of_stream_inside_and_between_messages() {
        let (mut a, b) = UnixStream::pair().unwrap();
        let mut rx = FramedReceiver::new(b);
        let mut buf = Vec::new();
        FramedSender::new(&a).send(b"ok").unwrap();
        a.write_all(&[5, 0, 0, 0, b'x', b'y']).unwrap();
        drop(a);
        assert_eq!(rx.recv(&mut buf).unwrap(), 2);
        let e = rx.recv(&mut buf).unwrap_err();
        // Issue 10 defect 1: inside a message is UnexpectedEof (was PeerGone).
        assert_eq!(e.kind(), ErrorKind::UnexpectedEof);
        assert_eq!(
            e.detail(),
            Some("stream ended inside a message (got 2 of 5 bytes)")
        );
        let (a, b) = UnixStream::pair().unwrap();
        let mut rx = FramedReceiver::new(b);
        drop(a);
        assert_eq!(rx.recv(&mut buf).unwrap_err().kind(), ErrorKind::PeerGone);
    }

    /// Issue 10 defect 10: a header announcing 16 MiB followed by nothing makes the
    /// receiver hold at most 64 KiB (it reserved the whole 16 MiB before).
    #[test]
    fn header_alone_does_not_allocate_what_it_announces() {
        let (mut a, b) = UnixStream::pair().unwrap();
        let mut rx = FramedReceiver::new(b);
        let mut buf = Vec::new();
        a.write_all(&(16u32 << 20).to_le_bytes()).unwrap();
        let e = rx.try_recv(&mut buf).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WouldBlock);
        assert!(buf.capacity() <= INITIAL_RESERVE, "{}", buf.capacity());
        assert!(
            rx.pending_capacity() <= INITIAL_RESERVE,
            "{}",
            rx.pending_capacity()
        );
        // 200 kB more: the buffer follows what arrived, not what was announced.
        a.write_all(&[1u8; 200_000]).unwrap();
        let e = rx.try_recv(&mut buf).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WouldBlock);
        assert!(
            rx.pending_capacity() <= 512 << 10,
            "{}",
            rx.pending_capacity()
        );
        assert!(buf.capacity() <= 512 << 10, "{}", buf.capacity());
    }

    #[test]
    fn large_frame_grows_to_exactly_its_length() {
        let (a, b) = UnixStream::pair().unwrap();
        let msg: Vec<u8> = (0..300_001u32).map(|i| (i % 251) as u8).collect();
        let m = msg.clone();
        let t = std::thread::spawn(move || FramedSender::new(a).send(&m).unwrap());
        let mut rx = FramedReceiver::new(b).with_max_message(300_001);
        let mut buf = Vec::new();
        assert_eq!(rx.recv(&mut buf).unwrap(), msg.len());
        assert_eq!(buf, msg);
        assert!(buf.capacity() <= 300_001, "{}", buf.capacity());
        t.join().unwrap();
    }

    #[test]
    fn sender_rejects_too_large_writing_nothing() {
        let (a, b) = UnixStream::pair().unwrap();
        let mut tx = FramedSender::new(a).with_max_message(8);
        let e = tx.send(&[0; 9]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TooLarge);
        tx.send(&[1; 8]).unwrap();
        let mut rx = FramedReceiver::new(b);
        let mut buf = Vec::new();
        assert_eq!(
            rx.recv(&mut buf).unwrap(),
            8,
            "nothing of the rejected one was sent"
        );
    }

    #[test]
    fn write_to_closed_socket_is_peer_gone() {
        let (a, b) = UnixStream::pair().unwrap();
        drop(b);
        let e = FramedSender::new(a).send(b"x").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PeerGone);
    }
}
