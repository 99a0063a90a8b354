//! The two ends of a channel, [`Sender`] and [`Receiver`]: concrete types over a private
//! enum of transports, dispatched with `match`.

use std::os::fd::{BorrowedFd, OwnedFd};
use std::time::Duration;

use super::dgram::{MessageReceiver, MessageSender};
use super::stream::{FramedReceiver, FramedSender};
use super::{file, flavors, posix_mq, shm_ring, sysv_mq};
use crate::net::unix::{UnixDatagram, UnixSeqpacket};
use crate::Result;

flavors! { $
    /// What a [`Sender`] sends on. Each flavor has `send(&mut self, &[u8]) -> Result<()>`
    /// and `as_fd_opt(&self) -> Option<BorrowedFd<'_>>`.
    #[derive(Debug)]
    enum SenderFlavor, dispatch each_sender {
        /// `fifo:`, `unix:`, `tcp:`: length-prefixed frames on a byte stream.
        Framed(FramedSender<OwnedFd>),
        /// `unix-dgram:`: one datagram per message.
        UnixDgram(MessageSender<UnixDatagram>),
        /// `unix-seqpacket:`: one record per message.
        UnixSeqpacket(MessageSender<UnixSeqpacket>),
        /// `sysv-mq:`: one System V message of the address's type per message.
        SysvMq(sysv_mq::MqSender),
        /// `posix-mq:`: one POSIX queue message (priority 0) per message.
        PosixMq(posix_mq::MqSender),
        /// `shm-ring:`: one ring record per message.
        ShmRing(shm_ring::RingSender),
        /// `file:`: one spool frame per message.
        File(file::FileSender),
    }
}

flavors! { $
    /// What a [`Receiver`] receives from. Each flavor has `recv`, `try_recv`,
    /// `recv_timeout` (as [`Receiver`]'s) and `as_fd_opt`.
    #[derive(Debug)]
    enum ReceiverFlavor, dispatch each_receiver {
        /// `fifo:`, `unix:`, `tcp:`: length-prefixed frames on a byte stream.
        Framed(FramedReceiver<OwnedFd>),
        /// `unix-dgram:`: one datagram per message.
        UnixDgram(MessageReceiver<UnixDatagram>),
        /// `unix-seqpacket:`: one record per message.
        UnixSeqpacket(MessageReceiver<UnixSeqpacket>),
        /// `sysv-mq:`: messages of the address's type.
        SysvMq(sysv_mq::MqReceiver),
        /// `posix-mq:`: the queue's messages.
        PosixMq(posix_mq::MqReceiver),
        /// `shm-ring:`: the ring's records.
        ShmRing(shm_ring::RingReceiver),
        /// `file:`: the spool's frames, at least once.
        File(file::FileReceiver),
    }
}

impl FramedSender<OwnedFd> {
    /// The stream's fd, as every flavor says it.
    pub(super) fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        Some(std::os::fd::AsFd::as_fd(self.get_ref()))
    }
}

impl FramedReceiver<OwnedFd> {
    /// The stream's fd, as every flavor says it.
    pub(super) fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        Some(std::os::fd::AsFd::as_fd(self.get_ref()))
    }
}

/// The sending end of a channel, made by [`connect`](super::connect): sends whole messages
/// to whatever transport the [`Address`](super::Address) named.
///
/// One concrete type whatever the transport (a private enum inside, as crossbeam-channel's
/// `Sender` is over its flavors), so it can be stored, returned and printed (`Debug`) without
/// boxing; it is `Send`. For your own byte stream, use [`FramedSender`] instead.
///
/// # File descriptor
/// [`as_fd_opt`](Sender::as_fd_opt) gives the transport's fd (for `poll`, `epoll` or an
/// async reactor) where it has one: every transport except `sysv-mq:` (System V queues are
/// not files). `Sender` does not implement [`AsFd`](std::os::fd::AsFd) because that trait
/// promises an fd for every value, and std's own types answer "maybe none" the same way,
/// with an `Option` (`Child::stdin`).
///
/// # Examples
/// ```
/// use ipckit::channel::{self, Address};
/// let addr: Address = format!("unix-seqpacket:@ipckit-doc-sender-{}", std::process::id()).parse()?;
/// let mut listener = channel::listen(&addr)?;
/// let mut tx = channel::connect(&addr)?;
/// assert!(tx.as_fd_opt().is_some());
/// tx.send(b"one")?;
/// let mut rx = listener.accept()?;
/// let mut buf = Vec::new();
/// assert_eq!(rx.recv(&mut buf)?, 3);
/// println!("{tx:?}");
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/send.2.html>
#[derive(Debug)]
pub struct Sender {
    flavor: SenderFlavor,
}

impl Sender {
    pub(super) fn new(flavor: SenderFlavor) -> Sender {
        Sender { flavor }
    }

    /// Sends one whole message (`sendmsg(2)`, `writev(2)`, `msgsnd(2)` or `mq_send(3)` as the
    /// transport needs), blocking until the transport has taken it.
    ///
    /// # Errors
    /// [`ErrorKind::TooLarge`](crate::ErrorKind::TooLarge) if `msg` exceeds the maximum or
    /// what the transport can carry (nothing is sent);
    /// [`ErrorKind::PeerGone`](crate::ErrorKind::PeerGone) if the receiver is gone and the
    /// transport can tell; other kinds from the syscall, naming it and the address.
    ///
    /// # Examples
    /// See [`Sender`].
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/sendmsg.2.html>
    pub fn send(&mut self, msg: &[u8]) -> Result<()> {
        each_sender!(&mut self.flavor, f => f.send(msg))
    }

    /// The transport's file descriptor, `None` for `sysv-mq:` (see [`Sender`]).
    pub fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        each_sender!(&self.flavor, f => f.as_fd_opt())
    }
}

/// The receiving end of a channel, made by [`Listener::accept`](super::Listener::accept):
/// gets whole messages back, in order, never split or merged. `buf` is reused: once it has
/// grown to the message size, receiving allocates nothing.
///
/// One concrete type whatever the transport, as [`Sender`]; for your own byte stream, use
/// [`FramedReceiver`]. [`as_fd_opt`](Receiver::as_fd_opt) gives the fd (readable when a
/// message waits) for every transport except `sysv-mq:`.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use ipckit::channel::{self, Address};
/// let addr: Address = format!("unix:@ipckit-doc-receiver-{}", std::process::id()).parse()?;
/// let mut listener = channel::listen(&addr)?;
/// let _tx = channel::connect(&addr)?;
/// let mut rx = listener.accept()?;
/// let mut buf = Vec::new();
/// assert_eq!(rx.try_recv(&mut buf).unwrap_err().kind(), ipckit::ErrorKind::WouldBlock);
/// let e = rx.recv_timeout(&mut buf, Duration::from_millis(1)).unwrap_err();
/// assert_eq!(e.kind(), ipckit::ErrorKind::TimedOut);
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/recv.2.html>,
/// <https://man7.org/linux/man-pages/man2/poll.2.html>
#[derive(Debug)]
pub struct Receiver {
    flavor: ReceiverFlavor,
}

impl Receiver {
    pub(super) fn new(flavor: ReceiverFlavor) -> Receiver {
        Receiver { flavor }
    }

    /// Blocks until a whole message arrives (`recvmsg(2)`, `read(2)`, `msgrcv(2)` or
    /// `mq_receive(3)`), replaces the contents of `buf` with it and returns its length in
    /// bytes.
    ///
    /// # Errors
    /// [`ErrorKind::PeerGone`](crate::ErrorKind::PeerGone) at the end of the stream (every
    /// sender closed cleanly, between two messages);
    /// [`ErrorKind::UnexpectedEof`](crate::ErrorKind::UnexpectedEof) if a byte stream
    /// (`fifo:`, `unix:`, `tcp:`) ended inside a message (the sender died or closed while
    /// writing it: that message is lost); [`ErrorKind::TooLarge`](crate::ErrorKind::TooLarge)
    /// if the message is above this receiver's maximum. After `UnexpectedEof` or `TooLarge`
    /// on a byte stream the connection cannot be resynchronised and must be dropped (every
    /// later call returns the same error); on a message transport (datagram, seqpacket,
    /// queues) a `TooLarge` message was discarded and the next `recv` gets the next
    /// message. Other kinds from the syscall.
    ///
    /// # Examples
    /// See [`Sender`].
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/recv.2.html>
    pub fn recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        each_receiver!(&mut self.flavor, f => f.recv(buf))
    }

    /// Like [`Receiver::recv`], but returns
    /// [`ErrorKind::WouldBlock`](crate::ErrorKind::WouldBlock) at once if no whole message
    /// is ready.
    ///
    /// # Errors
    /// As [`Receiver::recv`], and `WouldBlock`.
    ///
    /// # Examples
    /// See [`Receiver`].
    pub fn try_recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        each_receiver!(&mut self.flavor, f => f.try_recv(buf))
    }

    /// Like [`Receiver::recv`], but returns
    /// [`ErrorKind::TimedOut`](crate::ErrorKind::TimedOut) if no whole message arrived
    /// within `timeout` (any `Duration`, up to [`Duration::MAX`]: forever).
    ///
    /// # Errors
    /// As [`Receiver::recv`], and `TimedOut`.
    ///
    /// # Examples
    /// See [`Receiver`].
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/poll.2.html>
    pub fn recv_timeout(&mut self, buf: &mut Vec<u8>, timeout: Duration) -> Result<usize> {
        each_receiver!(&mut self.flavor, f => f.recv_timeout(buf, timeout))
    }

    /// The transport's file descriptor, `None` for `sysv-mq:` (see [`Sender`]).
    pub fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        each_receiver!(&self.flavor, f => f.as_fd_opt())
    }
}

/// Both ends move between threads.
const _: () = {
    const fn is_send<T: Send>() {}
    is_send::<Sender>();
    is_send::<Receiver>();
};
