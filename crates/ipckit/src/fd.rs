//! [`StreamEnd`]: the one owner of a byte-stream end's fd, shared by the pipe and FIFO ends
//! (an open FIFO's fd is a pipe's: the same `read`, `write`, `O_NONBLOCK` and pipe
//! capacity). [`crate::pipe::PipeReader`], [`crate::pipe::PipeWriter`],
//! [`crate::fifo::FifoReader`] and [`crate::fifo::FifoWriter`] are thin public newtypes over
//! it, with their traits made by the macros below, so all four report errors the same way:
//! an [`Error`] naming the operation and the end (`write FIFO write end (fd 5): EPIPE: ...`),
//! inside the [`std::io::Error`] that [`Read`](std::io::Read)/[`Write`](std::io::Write)
//! return.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use crate::error::Context;
use crate::sys::fd::{self as sysfd, Access};
use crate::{Errno, Error, ErrorKind, Result};

/// The fd of a pipe or FIFO end, with what it is for error messages.
#[derive(Debug)]
pub(crate) struct StreamEnd {
    fd: OwnedFd,
    mechanism: &'static str,
    access: Access,
}

/// Shows an end in error messages: `pipe read end (fd 5)`, `FIFO write end (fd 7)`.
pub(crate) struct EndName {
    mechanism: &'static str,
    access: Access,
    fd: RawFd,
}

impl EndName {
    /// The name of fd `fd`, the `access` end of a `mechanism`.
    pub(crate) fn new(mechanism: &'static str, access: Access, fd: RawFd) -> EndName {
        EndName {
            mechanism,
            access,
            fd,
        }
    }
}

impl fmt::Display for EndName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dir = match self.access {
            Access::Read => "read",
            Access::Write => "write",
        };
        write!(f, "{} {dir} end (fd {})", self.mechanism, self.fd)
    }
}

/// The one conversion of a failed `read`/`write`/`send`/`recv` on a byte stream (a pipe or
/// FIFO end, a stream socket) into the [`io::Error`] that `Read`/`Write` return: an
/// [`Error`] with the operation, the object and `detail` inside, so its kind, errno and
/// text survive.
pub(crate) fn io_err(
    e: Errno,
    op: &'static str,
    object: impl fmt::Display,
    detail: Option<fmt::Arguments<'_>>,
) -> io::Error {
    let err = Error::from_errno(e, op, object);
    io::Error::from(match detail {
        Some(d) => err.with_detail(d),
        None => err,
    })
}

/// [`io_err`] for an end: `EPIPE` says that no reader is left.
fn end_io_err(e: Errno, op: &'static str, end: EndName) -> io::Error {
    let mechanism = end.mechanism;
    let detail = format_args!("no process has the {mechanism} open for reading");
    io_err(e, op, end, (e == Errno::EPIPE).then_some(detail))
}

impl StreamEnd {
    /// Owns `fd`, the `access` end of a `mechanism` ("pipe" or "FIFO").
    pub(crate) fn new(fd: OwnedFd, mechanism: &'static str, access: Access) -> StreamEnd {
        StreamEnd {
            fd,
            mechanism,
            access,
        }
    }

    /// This end's name for error messages.
    pub(crate) fn name(&self) -> EndName {
        EndName::new(self.mechanism, self.access, self.fd.as_raw_fd())
    }

    /// `read(2)`, `EINTR` retried.
    pub(crate) fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        sysfd::read(self.fd.as_fd(), buf).map_err(|e| end_io_err(e, "read", self.name()))
    }

    /// `write(2)`, `EINTR` retried.
    pub(crate) fn write(&self, buf: &[u8]) -> io::Result<usize> {
        sysfd::write(self.fd.as_fd(), buf).map_err(|e| end_io_err(e, "write", self.name()))
    }

    /// `writev(2)`, `EINTR` retried.
    pub(crate) fn write_vectored(&self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        sysfd::writev(self.fd.as_fd(), bufs).map_err(|e| end_io_err(e, "writev", self.name()))
    }

    /// `fcntl(F_SETFL)` with or without `O_NONBLOCK`.
    pub(crate) fn set_nonblocking(&self, nonblocking: bool) -> Result<()> {
        sysfd::set_nonblocking(self.fd.as_fd(), nonblocking).ctx("fcntl(F_SETFL)", self.name())
    }

    /// `fcntl(F_GETPIPE_SZ)`.
    pub(crate) fn capacity(&self) -> Result<usize> {
        sysfd::pipe_size(self.fd.as_fd()).ctx("fcntl(F_GETPIPE_SZ)", self.name())
    }

    /// `fcntl(F_SETPIPE_SZ)`, with the limit that refused it in the error's detail.
    pub(crate) fn set_capacity(&self, bytes: usize) -> Result<usize> {
        const OP: &str = "fcntl(F_SETPIPE_SZ)";
        if i32::try_from(bytes).is_err() {
            return Err(Error::from_errno(Errno::EINVAL, OP, self.name())
                .with_detail(format!("{bytes} bytes is above the kernel's 2 GiB maximum")));
        }
        sysfd::set_pipe_size(self.fd.as_fd(), bytes).map_err(|e| {
            let err = Error::from_errno(e, OP, self.name());
            let limit = match crate::limits::pipe_max_size() {
                Some(m) => format!("/proc/sys/fs/pipe-max-size is {m} bytes"),
                None => "/proc/sys/fs/pipe-max-size is unreadable".to_string(),
            };
            match e {
                Errno::EPERM => err.with_kind(ErrorKind::LimitReached).with_detail(format!(
                    "{bytes} bytes refused: {limit} for unprivileged processes, and the \
                     per-user total is /proc/sys/fs/pipe-user-pages-soft pages \
                     (the kernel rounds a size up to a power of two pages)"
                )),
                Errno::EBUSY => err.with_detail(format!(
                    "{bytes} bytes is less than the data now in the pipe"
                )),
                _ => err.with_detail(format!("{bytes} bytes refused; {limit}")),
            }
        })
    }

    /// The owned fd.
    pub(crate) fn into_fd(self) -> OwnedFd {
        self.fd
    }
}

impl AsFd for StreamEnd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// The traits every end has (`AsFd`, `AsRawFd`, `From<End> for OwnedFd`), then `Read` (for
/// `$ty` and `&$ty`) for a read end or `Write` for a write end. `$ty` is a newtype whose
/// field 0 is a [`StreamEnd`].
macro_rules! stream_end_traits {
    ($ty:ident) => {
        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                std::os::fd::AsFd::as_fd(&self.0)
            }
        }

        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(&std::os::fd::AsFd::as_fd(&self.0))
            }
        }

        impl From<$ty> for std::os::fd::OwnedFd {
            fn from(end: $ty) -> std::os::fd::OwnedFd {
                end.0.into_fd()
            }
        }
    };
    ($ty:ident, read) => {
        stream_end_traits!($ty);

        impl std::io::Read for $ty {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.0.read(buf)
            }
        }

        impl std::io::Read for &$ty {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.0.read(buf)
            }
        }
    };
    ($ty:ident, write) => {
        stream_end_traits!($ty);

        impl std::io::Write for $ty {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.write(buf)
            }

            /// One `writev`: e.g. a length prefix and its payload in one syscall.
            fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                self.0.write_vectored(bufs)
            }

            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }

        impl std::io::Write for &$ty {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.write(buf)
            }

            /// One `writev`: e.g. a length prefix and its payload in one syscall.
            fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                self.0.write_vectored(bufs)
            }

            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
    };
}

/// The inherent methods every end has: `capacity`, `set_capacity`, `set_nonblocking`.
/// `$pair` is a doctest expression giving `(reader, writer)` of this kind of end.
macro_rules! stream_end_methods {
    ($ty:ident, $pair:literal) => {
        impl $ty {
            /// The pipe's capacity in bytes (`fcntl(F_GETPIPE_SZ)`): how much can be written
            /// without a reader before `write` blocks. 65536 by default on Linux. A FIFO's
            /// open ends share one pipe and so one capacity.
            ///
            /// # Errors
            /// Only if the fd is not a pipe (it always is for this type).
            ///
            /// # Examples
            /// ```
            #[doc = concat!("let (r, w) = ", $pair, ";")]
            /// assert_eq!(r.capacity()?, w.capacity()?);
            /// # Ok::<(), ipckit::Error>(())
            /// ```
            ///
            /// # References
            /// <https://man7.org/linux/man-pages/man2/fcntl.2.html> (Changing the capacity
            /// of a pipe)
            #[doc(alias = "F_GETPIPE_SZ")]
            pub fn capacity(&self) -> $crate::Result<usize> {
                self.0.capacity()
            }

            /// Sets the pipe's capacity (`fcntl(F_SETPIPE_SZ)`) to at least `bytes` and
            /// returns the capacity the kernel chose: it rounds up to a power-of-two number
            /// of pages (asking for 100000 bytes gives 131072 with 4 KiB pages).
            ///
            /// # Errors
            /// - [`ErrorKind::LimitReached`](crate::ErrorKind::LimitReached) (`EPERM`) if
            ///   `bytes` is above `/proc/sys/fs/pipe-max-size` (1 MiB by default) for a
            ///   process without `CAP_SYS_RESOURCE`, or the user's pipe budget is used up;
            ///   the error's detail quotes the limit.
            /// - `EBUSY` ([`ErrorKind::Other`](crate::ErrorKind::Other)) if the pipe holds
            ///   more data than `bytes`.
            /// - [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) for a size
            ///   above 2 GiB.
            ///
            /// # Examples
            /// ```
            #[doc = concat!("let (r, w) = ", $pair, ";")]
            /// let got = w.set_capacity(100_000)?;
            /// assert!(got >= 100_000);
            /// assert_eq!(r.capacity()?, got);
            /// # Ok::<(), ipckit::Error>(())
            /// ```
            ///
            /// # References
            /// <https://man7.org/linux/man-pages/man2/fcntl.2.html>,
            /// <https://man7.org/linux/man-pages/man7/pipe.7.html> (`pipe-max-size`)
            #[doc(alias = "F_SETPIPE_SZ")]
            pub fn set_capacity(&self, bytes: usize) -> $crate::Result<usize> {
                self.0.set_capacity(bytes)
            }

            /// Turns non-blocking mode (`O_NONBLOCK`, via `fcntl(F_SETFL)`) on or off for
            /// this end. In non-blocking mode a read with no data, or a write to a full
            /// pipe, fails with [`std::io::ErrorKind::WouldBlock`] instead of waiting.
            ///
            /// The flag belongs to the open file description: copies of this fd made by
            /// `dup` or inherited by a child share it.
            ///
            /// # Errors
            /// Only from `fcntl` on a bad fd (not possible for an owned end).
            ///
            /// # Examples
            /// ```
            /// use std::io::Read;
            #[doc = concat!("let (mut r, _w) = ", $pair, ";")]
            /// r.set_nonblocking(true)?;
            /// let err = r.read(&mut [0u8; 8]).unwrap_err();
            /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            ///
            /// # References
            /// <https://man7.org/linux/man-pages/man2/fcntl.2.html>
            #[doc(alias = "O_NONBLOCK")]
            pub fn set_nonblocking(&self, nonblocking: bool) -> $crate::Result<()> {
                self.0.set_nonblocking(nonblocking)
            }
        }
    };
}
