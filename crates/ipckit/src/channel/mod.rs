//! One message API over every transport that carries messages.
//!
//! A [`Sender`] moves whole messages (`&[u8]`, any length from 0 bytes up to the transport's
//! limit) and a [`Receiver`] gets them back whole, in order, never split or merged. Byte
//! streams (FIFOs, Unix stream sockets, TCP) frame each message as a 4-byte little-endian
//! length then the payload; message-oriented transports (queues, datagram and seqpacket
//! sockets) keep their native boundaries.

use std::time::Duration;

use crate::Result;

mod address;
mod stream;

pub use address::{Address, UnixName, ACCEPTED_FORMS, MAX_ABSTRACT_NAME, MAX_SOCKET_PATH};
pub use stream::{FramedReceiver, FramedSender, HEADER_LEN};

/// The largest message a [`Receiver`] accepts unless configured otherwise: 16 MiB.
///
/// A framed length above the receiver's maximum is rejected with
/// [`ErrorKind::TooLarge`](crate::ErrorKind::TooLarge) before anything is allocated.
pub const DEFAULT_MAX_MESSAGE: usize = 16 << 20;

/// The sending half of a channel.
pub trait Sender {
    /// Sends one whole message, blocking until the transport has taken it.
    ///
    /// # Errors
    /// [`ErrorKind::TooLarge`](crate::ErrorKind::TooLarge) if `msg` exceeds what the
    /// transport can carry (nothing is sent); [`ErrorKind::PeerGone`](crate::ErrorKind::PeerGone)
    /// if the receiver is gone and the transport can tell; other kinds from the syscall.
    fn send(&mut self, msg: &[u8]) -> Result<()>;
}

/// The receiving half of a channel.
pub trait Receiver {
    /// Blocks until a whole message arrives, replaces the contents of `buf` with it and
    /// returns its length in bytes.
    ///
    /// # Errors
    /// [`ErrorKind::PeerGone`](crate::ErrorKind::PeerGone) at the end of the stream (every
    /// sender closed); [`ErrorKind::TooLarge`](crate::ErrorKind::TooLarge) if the message is
    /// above this receiver's maximum; other kinds from the syscall.
    fn recv(&mut self, buf: &mut Vec<u8>) -> Result<usize>;

    /// Like [`Receiver::recv`], but returns
    /// [`ErrorKind::WouldBlock`](crate::ErrorKind::WouldBlock) at once if no whole message is
    /// ready.
    fn try_recv(&mut self, buf: &mut Vec<u8>) -> Result<usize>;

    /// Like [`Receiver::recv`], but returns
    /// [`ErrorKind::TimedOut`](crate::ErrorKind::TimedOut) if no whole message arrived within
    /// `timeout`.
    fn recv_timeout(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> Result<usize>;
}
