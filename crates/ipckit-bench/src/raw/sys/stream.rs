//! The raw twin of a framed byte stream: `writev` of [4-byte LE length, payload] to send,
//! `read` of the 4-byte length then `read` until the payload is complete to receive. The
//! same bytes on the wire as ipckit's framing, so pipes, FIFOs, Unix stream sockets and TCP
//! compare like for like.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use super::fd::{cvt_size, retry};
use crate::common::MAX_FRAME;
use crate::scenario::Endpoint;

/// A framed byte stream over one fd (a socket) or two (a pipe or FIFO in each direction).
#[derive(Debug)]
pub struct RawStream {
    rx: Option<OwnedFd>,
    tx: Option<OwnedFd>,
    /// Both directions on `rx` (a socket).
    duplex: bool,
}

impl RawStream {
    /// A stream reading from `rx` and writing to `tx` (either may be absent on a side that
    /// only sends or only receives).
    pub fn pair(rx: Option<OwnedFd>, tx: Option<OwnedFd>) -> RawStream {
        RawStream {
            rx,
            tx,
            duplex: false,
        }
    }

    /// A stream over one connected socket, both ways.
    pub fn socket(fd: OwnedFd) -> RawStream {
        RawStream {
            rx: Some(fd),
            tx: None,
            duplex: true,
        }
    }

    fn rx_fd(&self) -> io::Result<libc::c_int> {
        self.rx
            .as_ref()
            .map(|f| f.as_raw_fd())
            .ok_or_else(|| io::Error::other("this side has no read end"))
    }

    fn tx_fd(&self) -> io::Result<libc::c_int> {
        let f = if self.duplex { &self.rx } else { &self.tx };
        f.as_ref()
            .map(|f| f.as_raw_fd())
            .ok_or_else(|| io::Error::other("this side has no write end"))
    }

    fn read_exact(fd: libc::c_int, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = retry(|| {
                // SAFETY: `buf` is a valid writable slice of `buf.len()` bytes.
                cvt_size(unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) })
            })?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "end of stream inside a message",
                ));
            }
            buf = &mut buf[n..];
        }
        Ok(())
    }

    /// Sends one frame with `writev`, continuing after a partial write.
    pub fn send_frame(&mut self, msg: &[u8]) -> io::Result<()> {
        let fd = self.tx_fd()?;
        let len = u32::try_from(msg.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "message above 4 GiB"))?;
        let hdr = len.to_le_bytes();
        let total = hdr.len() + msg.len();
        let mut done = 0usize;
        while done < total {
            let n = if done < hdr.len() {
                let iov = [
                    libc::iovec {
                        iov_base: hdr[done..].as_ptr() as *mut libc::c_void,
                        iov_len: hdr.len() - done,
                    },
                    libc::iovec {
                        iov_base: msg.as_ptr() as *mut libc::c_void,
                        iov_len: msg.len(),
                    },
                ];
                retry(|| {
                    // SAFETY: both iovecs point into live slices of the stated lengths, which
                    // the kernel only reads.
                    cvt_size(unsafe { libc::writev(fd, iov.as_ptr(), 2) })
                })?
            } else {
                let rest = &msg[done - hdr.len()..];
                retry(|| {
                    // SAFETY: `rest` is a live slice of `rest.len()` bytes the kernel reads.
                    cvt_size(unsafe { libc::write(fd, rest.as_ptr().cast(), rest.len()) })
                })?
            };
            done += n;
        }
        Ok(())
    }

    /// Receives one frame into `buf` (its length becomes the message length).
    pub fn recv_frame(&mut self, buf: &mut Vec<u8>) -> io::Result<()> {
        let fd = self.rx_fd()?;
        let mut hdr = [0u8; 4];
        Self::read_exact(fd, &mut hdr)?;
        let len = u32::from_le_bytes(hdr) as usize;
        if len > MAX_FRAME {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("frame of {len} bytes above the maximum of {MAX_FRAME}"),
            ));
        }
        buf.resize(len, 0);
        Self::read_exact(fd, buf)
    }
}

impl Endpoint for RawStream {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        Ok(self.send_frame(msg)?)
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        Ok(self.recv_frame(buf)?)
    }
}
