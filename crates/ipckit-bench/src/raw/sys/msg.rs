//! The raw twin of a message-oriented socket (Unix datagram or seqpacket): one `send` and one
//! `recv` per message, boundaries kept by the kernel, `MSG_TRUNC` to detect a message larger
//! than the buffer.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use super::fd::{cvt_size, retry};
use crate::common::msg_sndbuf;
use crate::scenario::Endpoint;

/// A connected datagram or seqpacket socket; `recv` accepts messages up to `max` bytes.
#[derive(Debug)]
pub struct RawMsgSocket {
    fd: OwnedFd,
    max: usize,
}

impl RawMsgSocket {
    /// Wraps a connected socket that receives messages of at most `max` bytes.
    pub fn new(fd: OwnedFd, max: usize) -> RawMsgSocket {
        RawMsgSocket { fd, max }
    }
}

impl Endpoint for RawMsgSocket {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        let fd = self.fd.as_raw_fd();
        let n = retry(|| {
            // SAFETY: `msg` is a live slice of `msg.len()` bytes the kernel only reads.
            cvt_size(unsafe { libc::send(fd, msg.as_ptr().cast(), msg.len(), libc::MSG_NOSIGNAL) })
        })?;
        anyhow::ensure!(n == msg.len(), "send: sent {n} of {} bytes", msg.len());
        Ok(())
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        let fd = self.fd.as_raw_fd();
        // Grows once to the largest message; afterwards `resize` only moves the length.
        buf.resize(self.max, 0);
        let n = retry(|| {
            // SAFETY: `buf` is a live writable slice of `buf.len()` bytes.
            cvt_size(unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_TRUNC) })
        })?;
        if n == 0 {
            // The harness never sends an empty message: on a seqpacket socket this is the
            // end of the connection.
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "recv returned 0 bytes: the peer closed the socket",
            )
            .into());
        }
        if n > self.max {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("message of {n} bytes truncated to {}", self.max),
            )
            .into());
        }
        buf.truncate(n);
        Ok(())
    }
}

/// Whether a Unix socket of type `ty` (`SOCK_DGRAM` or `SOCK_SEQPACKET`) can carry one
/// `size`-byte message on this machine with [`msg_sndbuf`] applied: sends one over a
/// `socketpair` and reads it back. `Err` holds the note for the table, with the real limit.
pub fn probe_msg_size(ty: libc::c_int, name: &str, size: usize) -> Result<(), String> {
    let probe = || -> io::Result<Result<(), String>> {
        let mut fds = [-1 as libc::c_int; 2];
        // SAFETY: `fds` is a valid array of two ints for the kernel to fill.
        super::fd::cvt(unsafe {
            libc::socketpair(libc::AF_UNIX, ty | libc::SOCK_CLOEXEC, 0, fds.as_mut_ptr())
        })?;
        // SAFETY: both fds were just created by a successful socketpair and are owned here
        // only.
        let (a, b) = unsafe {
            use std::os::fd::FromRawFd;
            (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1]))
        };
        if let Some(v) = msg_sndbuf(size) {
            super::fd::setsockopt_int(&a, libc::SOL_SOCKET, libc::SO_SNDBUF, v)?;
        }
        let limit = super::fd::getsockopt_int(&a, libc::SOL_SOCKET, libc::SO_SNDBUF)?
            .saturating_sub(32)
            .max(0) as usize;
        let msg = vec![0x5Au8; size];
        // SAFETY: `msg` is a live slice of `msg.len()` bytes the kernel only reads.
        let r = cvt_size(unsafe {
            libc::send(
                a.as_raw_fd(),
                msg.as_ptr().cast(),
                msg.len(),
                libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
            )
        });
        match r {
            Ok(_) => {
                let mut back = vec![0u8; size];
                // SAFETY: `back` is a live writable slice of `back.len()` bytes.
                let n = cvt_size(unsafe {
                    libc::recv(
                        b.as_raw_fd(),
                        back.as_mut_ptr().cast(),
                        back.len(),
                        libc::MSG_DONTWAIT,
                    )
                })?;
                if n == size && back == msg {
                    Ok(Ok(()))
                } else {
                    Ok(Err(format!("{name}: a {size}-byte probe came back as {n} bytes")))
                }
            }
            Err(e) if e.raw_os_error() == Some(libc::EMSGSIZE) => Ok(Err(format!(
                "above the {name} limit here ({limit} bytes: SO_SNDBUF - 32, capped by net.core.wmem_max)"
            ))),
            Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) || e.raw_os_error() == Some(libc::ENOMEM) => {
                Ok(Err(format!("{name}: the kernel has no buffer for {size} bytes ({e})")))
            }
            Err(e) => Err(e),
        }
    };
    match probe() {
        Ok(r) => r,
        Err(e) => Err(format!(
            "{name}: probing the message size limit failed: {e}"
        )),
    }
}

impl RawMsgSocket {
    /// `connect` this datagram socket to the socket bound at `path`.
    pub fn connect_unix(&self, path: &std::path::Path) -> io::Result<()> {
        super::fd::connect_unix(&self.fd, path)
    }
}
