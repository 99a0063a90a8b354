//! The two ends of a channel, [`Sender`] and [`Receiver`]: concrete types over a private
//! enum of transports, dispatched with `match`.

use std::os::fd::{BorrowedFd, OwnedFd};
use std::time::Duration;

use super::dgram::{MessageReceiver, MessageSender};
#[cfg(feature = "tokio")]
use super::stream::HEADER_LEN;
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
        /// `zenoh:`: one sample per message (boxed: a publisher is large).
        Zenoh(Box<super::zenoh::ZenohSender>) if feature = "zenoh",
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
        /// `zenoh:`: the subscriber's samples.
        Zenoh(Box<super::zenoh::ZenohReceiver>) if feature = "zenoh",
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
/// not files), `shm-ring:` (a ring is watched in memory) and `zenoh:`. `Sender` does not implement [`AsFd`](std::os::fd::AsFd) because that trait
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

    /// The transport's file descriptor, `None` for `sysv-mq:`, `shm-ring:` and `zenoh:` (see
    /// [`Sender`]); a `shm-ring:` receiver still goes in a [`Select`](super::Select), which
    /// waits on its ring's doorbell.
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

    /// The transport's file descriptor, `None` for `sysv-mq:`, `shm-ring:` and `zenoh:` (see
    /// [`Sender`]); a `shm-ring:` receiver still goes in a [`Select`](super::Select), which
    /// waits on its ring's doorbell.
    pub fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        each_receiver!(&self.flavor, f => f.as_fd_opt())
    }
}

/// For [`Select`](super::Select): what it needs to know of a receiver beyond its fd.
impl Receiver {
    /// The ring receiver of a `shm-ring:` receiver; `None` for other transports.
    pub(super) fn ring(&self) -> Option<&crate::ring::Receiver> {
        match &self.flavor {
            ReceiverFlavor::ShmRing(f) => Some(f.ring()),
            _ => None,
        }
    }

    /// As [`Receiver::ring`], to park and unpark it.
    pub(super) fn ring_mut(&mut self) -> Option<&mut crate::ring::Receiver> {
        match &mut self.flavor {
            ReceiverFlavor::ShmRing(f) => Some(f.ring_mut()),
            _ => None,
        }
    }

    /// The address scheme of the transport (`"sysv-mq"`, ...), for messages; `"stream"`
    /// for a byte stream (`fifo:`, `unix:`, `tcp:`, which all frame the same way).
    pub(super) fn scheme(&self) -> &'static str {
        match &self.flavor {
            ReceiverFlavor::Framed(_) => "stream",
            ReceiverFlavor::UnixDgram(_) => "unix-dgram",
            ReceiverFlavor::UnixSeqpacket(_) => "unix-seqpacket",
            ReceiverFlavor::SysvMq(_) => "sysv-mq",
            ReceiverFlavor::PosixMq(_) => "posix-mq",
            ReceiverFlavor::ShmRing(_) => "shm-ring",
            ReceiverFlavor::File(_) => "file",
            #[cfg(feature = "zenoh")]
            ReceiverFlavor::Zenoh(_) => "zenoh",
        }
    }
}

/// What [`Sender::try_send_start`] did (for the async ends, [`crate::tokio`]).
#[cfg(feature = "tokio")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Started {
    /// The transport took the whole message.
    Whole,
    /// A byte stream took the first `written` bytes of the frame (header included); the
    /// caller finishes the rest with [`Sender::try_send_tail`], then, if `locked`, calls
    /// [`Sender::unlock_frame`].
    Partly { written: usize, locked: bool },
    /// A FIFO frame above `PIPE_BUF` waits for another writer's frame lock: nothing was
    /// written; try again a little later (the lock has no fd to wait on).
    LockBusy,
}

/// Non-blocking pieces for the async ends ([`crate::tokio`]): the same framing, checks and
/// error mapping as [`Sender::send`], in steps that never wait.
#[cfg(feature = "tokio")]
impl Sender {
    /// Puts the transport's own fd in non-blocking mode (`O_NONBLOCK`). `InvalidInput` for a
    /// transport the async ends reach another way (`sysv-mq:`, `shm-ring:`).
    pub(crate) fn set_nonblocking(&self) -> Result<()> {
        match &self.flavor {
            SenderFlavor::SysvMq(_) | SenderFlavor::ShmRing(_) | SenderFlavor::File(_) => {
                Err(crate::Error::new(
                    crate::ErrorKind::InvalidInput,
                    "set_nonblocking",
                    "channel sender",
                )
                .with_detail("this transport has no fd for a non-blocking sender"))
            }
            _ => {
                let fd = self.as_fd_opt().expect("an fd flavor");
                crate::sys::fd::set_nonblocking(fd, true)
                    .map_err(|e| crate::Error::from_errno(e, "fcntl(F_SETFL)", "channel sender"))
            }
        }
    }

    /// Starts sending `msg` without waiting (the fd is non-blocking, see
    /// [`set_nonblocking`](Self::set_nonblocking)).
    ///
    /// # Errors
    /// [`ErrorKind::WouldBlock`](crate::ErrorKind::WouldBlock) if the transport took
    /// nothing (nothing was sent); otherwise as [`Sender::send`].
    pub(crate) fn try_send_start(&mut self, msg: &[u8]) -> Result<Started> {
        match &mut self.flavor {
            SenderFlavor::Framed(f) => {
                f.check_len(msg.len())?;
                let locked = f.needs_frame_lock(msg.len());
                if locked && !f.try_lock_frame()? {
                    return Ok(Started::LockBusy);
                }
                let r = f.write_frame_nonblocking(msg, 0);
                let done = !matches!(&r, Ok(n) if *n < HEADER_LEN + msg.len());
                if locked && done {
                    f.unlock_frame();
                }
                let written = r?;
                Ok(if done {
                    Started::Whole
                } else {
                    Started::Partly { written, locked }
                })
            }
            SenderFlavor::UnixDgram(f) => f.send(msg).map(|()| Started::Whole),
            SenderFlavor::UnixSeqpacket(f) => f.send(msg).map(|()| Started::Whole),
            SenderFlavor::PosixMq(f) => f.try_send(msg).map(|()| Started::Whole),
            SenderFlavor::SysvMq(f) => f.send(msg).map(|()| Started::Whole),
            SenderFlavor::ShmRing(f) => f.send(msg).map(|()| Started::Whole),
            SenderFlavor::File(f) => f.send(msg).map(|()| Started::Whole),
            #[cfg(feature = "zenoh")]
            SenderFlavor::Zenoh(f) => f.send(msg).map(|()| Started::Whole),
        }
    }

    /// Whether an async sender must run this one on the blocking pool: `sysv-mq:` has no fd,
    /// and `file:`'s fd is a regular file, which `epoll(7)` refuses (`EPERM`) and which is
    /// always "ready" anyway (its append waits for the lock and `fdatasync`).
    pub(crate) fn needs_blocking_pool(&self) -> bool {
        matches!(self.flavor, SenderFlavor::SysvMq(_) | SenderFlavor::File(_))
    }

    /// Writes more of a frame's unsent tail (byte streams only), never waiting: how many
    /// bytes went.
    ///
    /// # Errors
    /// [`ErrorKind::WouldBlock`](crate::ErrorKind::WouldBlock) if none could; as
    /// [`Sender::send`] otherwise.
    pub(crate) fn try_send_tail(&mut self, tail: &[u8]) -> Result<usize> {
        match &mut self.flavor {
            SenderFlavor::Framed(f) => f.write_bytes_nonblocking(&[std::io::IoSlice::new(tail)]),
            _ => Ok(tail.len()),
        }
    }

    /// Releases a FIFO's frame lock once a locked frame's tail is written.
    pub(crate) fn unlock_frame(&self) {
        if let SenderFlavor::Framed(f) = &self.flavor {
            f.unlock_frame();
        }
    }
}

#[cfg(feature = "tokio")]
impl Receiver {
    /// For the async `sysv-mq:` bridge: puts a message that a receive took after its async
    /// receiver was dropped back into the queue (at its end). Other transports: no-op.
    pub(crate) fn put_back(&mut self, msg: &[u8]) -> Result<()> {
        match &self.flavor {
            ReceiverFlavor::SysvMq(f) => f.put_back(msg),
            _ => Ok(()),
        }
    }

    /// Whether this receives from a byte stream (an error there ends the stream).
    pub(crate) fn is_framed(&self) -> bool {
        matches!(self.flavor, ReceiverFlavor::Framed(_))
    }
}

/// Both ends move between threads.
const _: () = {
    const fn is_send<T: Send>() {}
    is_send::<Sender>();
    is_send::<Receiver>();
};
