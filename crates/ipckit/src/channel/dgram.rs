//! The `unix-dgram:` transport (one datagram per message), and the message sender/receiver
//! shared by the sockets that keep message boundaries (datagram and seqpacket, from
//! [`crate::net::unix`]).

use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;
use std::time::Duration;

use super::ends::{ReceiverFlavor, SenderFlavor};
use super::listener::{Listen, ListenerFlavor};
use super::unix::renamed;
use super::{Address, ChannelOptions, Incoming, Outgoing, SocketAddr};
use crate::error::Context;
use crate::net::unix::{UnixDatagram, UnixSeqpacket};
use crate::sys::{io, Deadline};
use crate::{Error, ErrorKind, Result};

/// A connected socket that keeps message boundaries.
pub(crate) trait MessageSocket: AsFd + Send {
    /// Sends one message (`MSG_NOSIGNAL`).
    fn send_one(&self, msg: &[u8]) -> Result<usize>;
    /// The next message's length, waiting for one; `PeerGone` at the end of a connection.
    fn peek_len(&self) -> Result<usize>;
    /// Receives the next message into `buf`; `TooLarge` (message consumed) if it is longer.
    fn recv_one(&self, buf: &mut [u8]) -> Result<usize>;
}

impl MessageSocket for UnixDatagram {
    fn send_one(&self, msg: &[u8]) -> Result<usize> {
        self.send(msg)
    }
    fn peek_len(&self) -> Result<usize> {
        UnixDatagram::peek_len(self)
    }
    fn recv_one(&self, buf: &mut [u8]) -> Result<usize> {
        self.recv(buf)
    }
}

impl MessageSocket for UnixSeqpacket {
    fn send_one(&self, msg: &[u8]) -> Result<usize> {
        self.send(msg)
    }
    fn peek_len(&self) -> Result<usize> {
        UnixSeqpacket::peek_len(self)
    }
    fn recv_one(&self, buf: &mut [u8]) -> Result<usize> {
        self.recv(buf)
    }
}

/// Sends each message as one datagram/record.
#[derive(Debug)]
pub(crate) struct MessageSender<S> {
    sock: S,
    max: usize,
    object: String,
}

impl<S: MessageSocket> MessageSender<S> {
    pub(super) fn new(sock: S, max: usize, object: String) -> MessageSender<S> {
        MessageSender { sock, max, object }
    }
}

impl<S: MessageSocket> MessageSender<S> {
    pub(super) fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        Some(self.sock.as_fd())
    }

    pub(super) fn send(&mut self, msg: &[u8]) -> Result<()> {
        if msg.len() > self.max {
            return Err(super::too_large("send", &self.object, msg.len(), self.max));
        }
        match self.sock.send_one(msg) {
            Ok(n) if n == msg.len() => Ok(()),
            Ok(n) => Err(Error::new(ErrorKind::Other, "send", &self.object)
                .with_detail(format!("sent {n} of {} bytes", msg.len()))),
            Err(e) if e.kind() == ErrorKind::TooLarge => {
                let sndbuf = io::send_buffer_size(self.sock.as_fd()).unwrap_or(0);
                Err(renamed(e, &self.object).with_detail(format!(
                    "message of {} bytes is above what this socket carries in one piece \
                     (SO_SNDBUF is {sndbuf} bytes; nothing was sent)",
                    msg.len()
                )))
            }
            Err(e) => Err(renamed(e, &self.object)),
        }
    }
}

/// Receives whole messages: asks the length first (`MSG_PEEK | MSG_TRUNC`), rejects one
/// above the maximum (discarding it) before allocating, then receives it into the caller's
/// `Vec`: nothing is ever truncated.
///
/// With a timeout it waits with `poll` first. Receivers that share one socket (a datagram
/// listener's) and are used from several threads at once can then wait past the timeout
/// when another thread takes the message.
#[derive(Debug)]
pub(crate) struct MessageReceiver<S> {
    sock: S,
    max: usize,
    object: String,
}

impl<S: MessageSocket> MessageReceiver<S> {
    pub(super) fn new(sock: S, max: usize, object: String) -> MessageReceiver<S> {
        MessageReceiver { sock, max, object }
    }

    pub(super) fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        Some(self.sock.as_fd())
    }

    fn receive(&mut self, buf: &mut Vec<u8>, deadline: Option<Deadline>) -> Result<usize> {
        if let Some(d) = deadline {
            let ready = io::wait_readable(self.sock.as_fd(), Some(d)).ctx("poll", &self.object)?;
            if !ready {
                return Err(Error::new(ErrorKind::TimedOut, "recv", &self.object));
            }
        }
        let len = self.sock.peek_len().map_err(|e| renamed(e, &self.object))?;
        if len > self.max {
            // Take it off the queue so that the next message can be received.
            let _ = self.sock.recv_one(&mut []);
            return Err(
                Error::new(ErrorKind::TooLarge, "recv", &self.object).with_detail(format!(
                "message of {len} bytes exceeds this receiver's maximum of {} bytes (discarded)",
                self.max
            )),
            );
        }
        buf.truncate(len);
        if buf.try_reserve_exact(len - buf.len()).is_err() {
            return Err(Error::new(ErrorKind::LimitReached, "recv", &self.object)
                .with_detail(format!("cannot allocate {len} bytes for a message")));
        }
        buf.resize(len, 0);
        // Fails only if another reader of the same socket took the message peeked here and
        // left a larger one: that one is lost, and the error says so.
        let n = self
            .sock
            .recv_one(&mut buf[..])
            .map_err(|e| renamed(e, &self.object))?;
        buf.truncate(n);
        Ok(n)
    }
}

impl<S: MessageSocket> MessageReceiver<S> {
    pub(super) fn recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        self.receive(buf, None)
    }

    pub(super) fn try_recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        self.receive(buf, Some(Deadline::after(Duration::ZERO)))
            .map_err(|e| {
                if e.kind() == ErrorKind::TimedOut {
                    e.with_kind(ErrorKind::WouldBlock)
                } else {
                    e
                }
            })
    }

    pub(super) fn recv_timeout(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> Result<usize> {
        self.receive(buf, Some(Deadline::after(timeout)))
    }
}

/// An unbound datagram socket connected to `name`.
pub(super) fn connect(name: &SocketAddr, opts: &ChannelOptions) -> Result<Outgoing> {
    let address = Address::UnixDgram(name.clone());
    let sock = UnixDatagram::unbound().map_err(|e| renamed(e, &address))?;
    sock.connect(name).map_err(|e| renamed(e, &address))?;
    Ok(Outgoing::Messages(SenderFlavor::UnixDgram(
        MessageSender::new(sock, opts.max_message(), address.to_string()),
    )))
}

/// A datagram socket bound to `name`; the socket file goes on drop.
pub(super) fn listen(
    name: &SocketAddr,
    opts: &ChannelOptions,
) -> Result<(ListenerFlavor, Address)> {
    let address = Address::UnixDgram(name.clone());
    let sock = UnixDatagram::bind(name).map_err(|e| renamed(e, &address))?;
    Ok((
        ListenerFlavor::UnixDgram(DgramListener {
            name: name.clone(),
            object: address.to_string(),
            sock,
            max: opts.max_message(),
        }),
        address,
    ))
}

/// A bound datagram socket: every receiver reads its one queue.
#[derive(Debug)]
pub(crate) struct DgramListener {
    name: SocketAddr,
    sock: UnixDatagram,
    object: String,
    max: usize,
}

impl Listen for DgramListener {
    /// A receiver on (a duplicate of) the bound socket, at once.
    fn accept(&mut self, _deadline: Option<Deadline>) -> Result<Option<Incoming>> {
        let sock = self
            .sock
            .try_clone()
            .map_err(|e| renamed(e, &self.object))?;
        let rx = MessageReceiver::new(sock, self.max, self.object.clone());
        Ok(Some(Incoming::Messages(ReceiverFlavor::UnixDgram(rx))))
    }

    fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        Some(self.sock.as_fd())
    }

    fn created_path(&self) -> Option<&Path> {
        self.name.as_path()
    }
}
