//! The `unix-dgram:` transport (one datagram per message), and the message sender/receiver
//! every socket with native message boundaries shares (datagram and seqpacket).

use std::io::IoSliceMut;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use nix::errno::Errno;
use nix::poll::PollFlags;
use nix::sys::socket::{sockopt, ControlMessageOwned, MsgFlags, UnixAddr};

use super::unix::{bind_error, connect_error, socket_addr, SocketFile};
use super::{Accept, Address, ChannelOptions, Incoming, Outgoing, Receiver, Sender, UnixName};
use crate::error::Context;
use crate::sys::poll::wait_fd;
use crate::sys::{retry_eintr, Deadline};
use crate::{Error, ErrorKind, Result};

/// Sends each message as one datagram/record (`send(2)` with `MSG_NOSIGNAL`).
pub(super) struct MessageSender {
    fd: OwnedFd,
    max: usize,
    object: String,
}

impl MessageSender {
    pub(super) fn new(fd: OwnedFd, max: usize, object: String) -> MessageSender {
        MessageSender { fd, max, object }
    }
}

impl Sender for MessageSender {
    fn send(&mut self, msg: &[u8]) -> Result<()> {
        if msg.len() > self.max {
            return Err(
                Error::new(ErrorKind::TooLarge, "send", &self.object).with_detail(format!(
                    "message of {} bytes exceeds the maximum of {} bytes",
                    msg.len(),
                    self.max
                )),
            );
        }
        let fd = self.fd.as_raw_fd();
        match retry_eintr(|| nix::sys::socket::send(fd, msg, MsgFlags::MSG_NOSIGNAL)) {
            Ok(n) if n == msg.len() => Ok(()),
            Ok(n) => Err(Error::new(ErrorKind::Other, "send", &self.object)
                .with_detail(format!("sent {n} of {} bytes", msg.len()))),
            Err(Errno::EMSGSIZE) => {
                let sndbuf = nix::sys::socket::getsockopt(&self.fd, sockopt::SndBuf).unwrap_or(0);
                Err(
                    Error::from_errno(Errno::EMSGSIZE, "send", &self.object).with_detail(format!(
                        "message of {} bytes is above what this socket carries in one piece \
                     (SO_SNDBUF is {sndbuf} bytes; nothing was sent)",
                        msg.len()
                    )),
                )
            }
            Err(e @ (Errno::ECONNREFUSED | Errno::ENOTCONN | Errno::EPIPE)) => {
                Err(Error::from_errno(e, "send", &self.object)
                    .with_kind(ErrorKind::PeerGone)
                    .with_detail("the receiving socket is closed"))
            }
            Err(e) => Err(Error::from_errno(e, "send", &self.object)),
        }
    }
}

/// Space for one `SCM_CREDENTIALS` control message.
const CRED_SPACE: usize = nix::sys::socket::cmsg_space::<libc::ucred>();

/// Receives whole datagrams/records: peeks the length (`MSG_PEEK | MSG_TRUNC`), rejects one
/// above the maximum (discarding it) before allocating, then receives it into the caller's
/// `Vec`, so nothing is ever truncated.
pub(super) struct MessageReceiver {
    fd: OwnedFd,
    max: usize,
    object: String,
    /// Seqpacket: a zero-length read is either an empty record or the end of the
    /// connection. With `SO_PASSCRED` on, every real record carries `SCM_CREDENTIALS`;
    /// the end does not.
    connected: bool,
    cmsg: Vec<u8>,
}

impl MessageReceiver {
    /// A receiver on `fd`. `connected`: a connection-oriented socket (seqpacket), whose end
    /// is reported as `PeerGone`; turns on `SO_PASSCRED` to tell it from an empty record.
    pub(super) fn new(
        fd: OwnedFd,
        max: usize,
        object: String,
        connected: bool,
    ) -> Result<MessageReceiver> {
        if connected {
            nix::sys::socket::setsockopt(&fd, sockopt::PassCred, &true)
                .ctx("setsockopt(SO_PASSCRED)", &object)?;
        }
        Ok(MessageReceiver {
            fd,
            max,
            object,
            connected,
            cmsg: vec![0; if connected { CRED_SPACE } else { 0 }],
        })
    }

    /// The length of the next message (and whether it is a message at all, as opposed to
    /// the end of a connection), without taking it.
    fn peek(&mut self, flags: MsgFlags) -> std::result::Result<Option<usize>, Errno> {
        let flags = flags | MsgFlags::MSG_PEEK | MsgFlags::MSG_TRUNC;
        let fd = self.fd.as_raw_fd();
        if !self.connected {
            return nix::sys::socket::recv(fd, &mut [], flags).map(Some);
        }
        let mut empty = [0u8; 0];
        let mut iov = [IoSliceMut::new(&mut empty)];
        let msg =
            nix::sys::socket::recvmsg::<UnixAddr>(fd, &mut iov, Some(&mut self.cmsg[..]), flags)?;
        let len = msg.bytes;
        let is_record = len > 0
            || msg
                .cmsgs()
                .is_ok_and(|mut c| c.any(|m| matches!(m, ControlMessageOwned::ScmCredentials(_))));
        Ok(is_record.then_some(len))
    }

    fn receive(&mut self, buf: &mut Vec<u8>, deadline: Option<Deadline>) -> Result<usize> {
        let dontwait = if deadline.is_some() {
            MsgFlags::MSG_DONTWAIT
        } else {
            MsgFlags::empty()
        };
        loop {
            if let Some(d) = deadline {
                let ready = wait_fd(self.fd.as_fd(), PollFlags::POLLIN, Some(d))
                    .ctx("poll", &self.object)?;
                if ready.is_empty() {
                    return Err(Error::new(ErrorKind::TimedOut, "recv", &self.object));
                }
            }
            let len = match self.peek(dontwait) {
                Ok(Some(len)) => len,
                Ok(None) => {
                    return Err(Error::new(ErrorKind::PeerGone, "recv", &self.object)
                        .with_detail("the sender closed the connection"))
                }
                Err(Errno::EINTR | Errno::EAGAIN) => continue,
                Err(e) => return Err(Error::from_errno(e, "recv", &self.object)),
            };
            let fd = self.fd.as_raw_fd();
            if len > self.max {
                // Take the message off the queue so that the next one can be received.
                let _ = retry_eintr(|| {
                    nix::sys::socket::recv(
                        fd,
                        &mut [],
                        MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_TRUNC,
                    )
                });
                return Err(Error::new(ErrorKind::TooLarge, "recv", &self.object).with_detail(
                    format!(
                        "message of {len} bytes exceeds this receiver's maximum of {} bytes (discarded)",
                        self.max
                    ),
                ));
            }
            buf.truncate(len);
            if buf.try_reserve_exact(len - buf.len()).is_err() {
                return Err(Error::new(ErrorKind::LimitReached, "recv", &self.object)
                    .with_detail(format!("cannot allocate {len} bytes for a message")));
            }
            buf.resize(len, 0);
            let flags = MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_TRUNC;
            match retry_eintr(|| nix::sys::socket::recv(fd, &mut buf[..], flags)) {
                Ok(n) if n <= len => {
                    buf.truncate(n);
                    return Ok(n);
                }
                Ok(n) => {
                    return Err(Error::new(ErrorKind::TooLarge, "recv", &self.object)
                        .with_detail(format!(
                            "message of {n} bytes was truncated to {len}: another process reads this socket too"
                        )))
                }
                // Another reader of the same socket took the message: wait for the next.
                Err(Errno::EAGAIN) => continue,
                Err(e) => return Err(Error::from_errno(e, "recv", &self.object)),
            }
        }
    }
}

impl Receiver for MessageReceiver {
    fn recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        self.receive(buf, None)
    }

    fn try_recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        self.receive(buf, Some(Deadline::after(Duration::ZERO)))
            .map_err(|e| {
                if e.kind() == ErrorKind::TimedOut {
                    e.with_kind(ErrorKind::WouldBlock)
                } else {
                    e
                }
            })
    }

    fn recv_timeout(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> Result<usize> {
        self.receive(buf, Some(Deadline::after(timeout)))
    }
}

/// An unbound datagram socket connected to `name`.
pub(super) fn connect(name: &UnixName, opts: &ChannelOptions) -> Result<Outgoing> {
    let addr = socket_addr(name)?;
    let object = format!("unix-dgram:{name}");
    let sock = UnixDatagram::unbound().ctx("socket", &object)?;
    sock.connect_addr(&addr)
        .map_err(|e| connect_error(e, name, "unix-dgram"))?;
    Ok(Outgoing::Messages(Box::new(MessageSender::new(
        sock.into(),
        opts.get_max_message(),
        object,
    ))))
}

/// A datagram socket bound to `name`.
pub(super) fn listen(name: &UnixName, opts: &ChannelOptions) -> Result<(Box<dyn Accept>, Address)> {
    let addr = socket_addr(name)?;
    let sock = UnixDatagram::bind_addr(&addr).map_err(|e| bind_error(e, name, "unix-dgram"))?;
    let address = Address::UnixDgram(name.clone());
    Ok((
        Box::new(DgramAccept {
            object: address.to_string(),
            sock,
            max: opts.get_max_message(),
            _file: SocketFile::for_name(name),
        }),
        address,
    ))
}

struct DgramAccept {
    sock: UnixDatagram,
    object: String,
    max: usize,
    _file: SocketFile,
}

impl Accept for DgramAccept {
    /// A receiver on (a duplicate of) the bound socket, at once.
    fn accept(&mut self, _deadline: Option<Deadline>) -> Result<Option<Incoming>> {
        let fd = self
            .sock
            .as_fd()
            .try_clone_to_owned()
            .ctx("fcntl(F_DUPFD_CLOEXEC)", &self.object)?;
        let rx = MessageReceiver::new(fd, self.max, self.object.clone(), false)?;
        Ok(Some(Incoming::Messages(Box::new(rx))))
    }
}
