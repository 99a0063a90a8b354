//! Async [`crate::net::unix`] sockets with `SCM_RIGHTS` fd passing (tokio's own Unix
//! sockets cannot pass fds): the sync socket, non-blocking, under tokio's reactor.

use std::os::fd::{BorrowedFd, OwnedFd};

use ::tokio::io::unix::AsyncFd;

use super::io::io_error;
use crate::net::unix;
use crate::{ErrorKind, Result};

/// Waits for `read`/`write` readiness and runs `op` until it does not say `WouldBlock`.
async fn ready_io<S: std::os::fd::AsRawFd, T>(
    afd: &AsyncFd<S>,
    write: bool,
    what: &'static str,
    mut op: impl FnMut(&S) -> Result<T>,
) -> Result<T> {
    loop {
        let mut guard = if write {
            afd.writable().await
        } else {
            afd.readable().await
        }
        .map_err(|e| io_error(e, "epoll_wait", &what))?;
        match op(guard.get_inner()) {
            Err(e) if e.kind() == ErrorKind::WouldBlock => guard.clear_ready(),
            r => return r,
        }
    }
}

macro_rules! async_socket {
    ($name:ident, $sync:ident, $kind:literal, $pair_doc:literal) => {
        #[doc = concat!("An async [`", stringify!($sync), "`](unix::", stringify!($sync), ") (", $kind, "): `send_fds`/`recv_fds` that wait")]
        /// on tokio's reactor instead of blocking a thread.
        ///
        /// # Cancel safety
        /// [`send_fds`](Self::send_fds) and [`recv_fds`](Self::recv_fds) are cancellation
        /// safe: each is one `sendmsg`/`recvmsg` once the socket is ready, so a cancelled
        /// call sent or received nothing (tokio's `readable`/`writable` are cancel safe).
        ///
        /// # Examples
        /// ```
        /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        /// # rt.block_on(async {
        /// use std::io::{Read, Write};
        /// use std::os::fd::AsFd;
        #[doc = concat!("let (a, b) = ipckit::tokio::", stringify!($name), "::pair()?;")]
        /// let (mut reader, writer) = ipckit::pipe::pipe()?;
        /// a.send_fds(b"x", &[writer.as_fd()]).await?;
        /// drop(writer);
        /// let mut buf = [0u8; 1];
        /// let (n, mut fds) = b.recv_fds(&mut buf, 4).await?;
        /// assert_eq!((n, fds.len()), (1, 1));
        /// std::fs::File::from(fds.remove(0)).write_all(b"through the passed fd")?;
        /// let mut got = String::new();
        /// reader.read_to_string(&mut got)?;
        /// assert_eq!(got, "through the passed fd");
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// # })?;
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        ///
        /// # References
        /// <https://man7.org/linux/man-pages/man7/unix.7.html> (`SCM_RIGHTS`)
        #[derive(Debug)]
        pub struct $name {
            afd: AsyncFd<unix::$sync>,
        }

        impl $name {
            /// Puts `sock` in non-blocking mode and registers it with the current tokio
            /// runtime's reactor.
            ///
            /// # Errors
            /// From `fcntl` or tokio's reactor (`epoll_ctl`).
            ///
            /// # Panics
            /// Outside a tokio runtime with its I/O driver.
            pub fn new(sock: unix::$sync) -> Result<$name> {
                sock.set_nonblocking(true)?;
                let afd = crate::sys::reactor::register(sock).map_err(|e| io_error(e, "epoll_ctl", &$kind))?;
                Ok($name { afd })
            }

            #[doc = $pair_doc]
            ///
            /// # Errors
            /// As the sync `pair` and [`new`](Self::new).
            ///
            /// # Panics
            /// Outside a tokio runtime with its I/O driver.
            pub fn pair() -> Result<($name, $name)> {
                let (a, b) = unix::$sync::pair()?;
                Ok(($name::new(a)?, $name::new(b)?))
            }

            /// The sync socket (non-blocking; its calls say `WouldBlock` instead of
            /// waiting).
            pub fn get_ref(&self) -> &unix::$sync {
                self.afd.get_ref()
            }

            /// Sends `buf` with `fds` attached (`sendmsg(2)`, `SCM_RIGHTS`), waiting for
            /// room; returns the bytes sent.
            ///
            /// # Errors
            #[doc = concat!("As the sync [`send_fds`](unix::", stringify!($sync), "::send_fds).")]
            ///
            /// # Examples
            /// See the type.
            pub async fn send_fds(&self, buf: &[u8], fds: &[BorrowedFd<'_>]) -> Result<usize> {
                ready_io(&self.afd, true, $kind, |s| s.send_fds(buf, fds)).await
            }

            /// Receives into `buf` with up to `max_fds` fds passed with it (`recvmsg(2)`),
            /// waiting for data; returns the byte count and the fds (close-on-exec).
            ///
            /// # Errors
            #[doc = concat!("As the sync [`recv_fds`](unix::", stringify!($sync), "::recv_fds).")]
            ///
            /// # Examples
            /// See the type.
            pub async fn recv_fds(
                &self,
                buf: &mut [u8],
                max_fds: usize,
            ) -> Result<(usize, Vec<OwnedFd>)> {
                ready_io(&self.afd, false, $kind, |s| s.recv_fds(buf, max_fds)).await
            }
        }
    };
}

async_socket!(
    UnixStream,
    UnixStream,
    "unix stream socket",
    "A connected pair (`socketpair(2)`, `SOCK_STREAM`)."
);
async_socket!(
    UnixSeqpacket,
    UnixSeqpacket,
    "unix seqpacket socket",
    "A connected pair (`socketpair(2)`, `SOCK_SEQPACKET`)."
);
async_socket!(
    UnixDatagram,
    UnixDatagram,
    "unix datagram socket",
    "A connected pair (`socketpair(2)`, `SOCK_DGRAM`)."
);
