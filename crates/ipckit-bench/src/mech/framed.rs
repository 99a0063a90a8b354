//! The ipckit endpoints several rows share: a framed byte stream and a message socket.

use std::os::fd::AsFd;

use anyhow::Context as _;

use crate::common::msg_sndbuf;
use crate::scenario::Endpoint;

/// The ipckit side of a framed byte stream: ipckit's own
/// [`FramedSender`](ipckit::channel::FramedSender) and
/// [`FramedReceiver`](ipckit::channel::FramedReceiver), plus whatever must live as long
/// as the scenario (e.g. the [`ipckit::fifo::Fifo`] owners that unlink on drop).
pub struct IpckitFramed<R: AsFd, W: AsFd> {
    rx: ipckit::channel::FramedReceiver<R>,
    tx: ipckit::channel::FramedSender<W>,
    _keep: Box<dyn std::any::Any>,
}

impl<R: AsFd, W: AsFd> IpckitFramed<R, W> {
    /// Frames over `rx` (incoming) and `tx` (outgoing), keeping `keep` alive.
    pub fn new(rx: R, tx: W, keep: Box<dyn std::any::Any>) -> IpckitFramed<R, W> {
        IpckitFramed {
            rx: ipckit::channel::FramedReceiver::new(rx),
            tx: ipckit::channel::FramedSender::new(tx),
            _keep: keep,
        }
    }
}

impl<R: AsFd, W: AsFd> Endpoint for IpckitFramed<R, W> {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        Ok(self.tx.send(msg)?)
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        self.rx.recv(buf)?;
        Ok(())
    }
}

/// The ipckit side of a message-oriented Unix socket ([`ipckit::net::unix::UnixSeqpacket`]
/// or [`ipckit::net::unix::UnixDatagram`]): one `send` and one `recv` per message, `recv`
/// into a buffer of `max` bytes.
pub enum IpckitMsgSocket {
    /// A connected seqpacket socket.
    Seqpacket(ipckit::net::unix::UnixSeqpacket, usize),
    /// A connected datagram socket.
    Dgram(ipckit::net::unix::UnixDatagram, usize),
}

impl Endpoint for IpckitMsgSocket {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        let n = match self {
            IpckitMsgSocket::Seqpacket(s, _) => s.send(msg)?,
            IpckitMsgSocket::Dgram(s, _) => s.send(msg)?,
        };
        anyhow::ensure!(n == msg.len(), "send: sent {n} of {} bytes", msg.len());
        Ok(())
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        let n = match self {
            IpckitMsgSocket::Seqpacket(s, max) => {
                // Grows once; afterwards `resize` only moves the length.
                buf.resize(*max, 0);
                s.recv(buf)?
            }
            IpckitMsgSocket::Dgram(s, max) => {
                buf.resize(*max, 0);
                s.recv(buf)?
            }
        };
        buf.truncate(n);
        Ok(())
    }
}

/// Sets `SO_SNDBUF` to [`msg_sndbuf`]`(size)` on an ipckit socket (ipckit has no call for
/// it: nix's safe `setsockopt` on its fd), the same value the raw twin sets.
///
/// # Errors
/// `setsockopt` failed.
pub fn ipckit_sndbuf(fd: &impl AsFd, size: usize) -> anyhow::Result<()> {
    if let Some(v) = msg_sndbuf(size) {
        nix::sys::socket::setsockopt(fd, nix::sys::socket::sockopt::SndBuf, &(v as usize))
            .context("setsockopt SO_SNDBUF")?;
    }
    Ok(())
}
