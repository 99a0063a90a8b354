//! The listening side of a channel, [`Listener`]: a concrete type over a private enum of
//! transports, dispatched with `match`.

use std::os::fd::BorrowedFd;
use std::path::Path;
use std::time::Duration;

use super::ends::{Receiver, ReceiverFlavor};
use super::raw::RawReceiver;
use super::stream::FramedReceiver;
use super::{dgram, fifo, file, flavors, posix_mq, seqpacket, shm_ring, sysv_mq, tcp, unix};
use super::{Address, Incoming};
use crate::sys::Deadline;
use crate::{Error, ErrorKind, Result};

/// What each listener flavor does (private: static dispatch through [`ListenerFlavor`]).
pub(super) trait Listen {
    /// The next incoming connection, waiting until `deadline` (`None`: forever);
    /// `Ok(None)` when the deadline passed.
    fn accept(&mut self, deadline: Option<Deadline>) -> Result<Option<Incoming>>;

    /// The listening fd, if the transport has one.
    fn as_fd_opt(&self) -> Option<BorrowedFd<'_>>;

    /// The file this listener created and removes when dropped.
    fn created_path(&self) -> Option<&Path> {
        None
    }

    /// The POSIX message queue this listener created and unlinks once it and its receivers
    /// are dropped.
    fn created_queue(&self) -> Option<&str> {
        None
    }

    /// Messages waiting in the listener's queue; `None` for transports without one.
    fn pending_messages(&self) -> Result<Option<u64>> {
        Ok(None)
    }

    /// Drops the listener, saying what became of what it created.
    fn close(self) -> Result<Closed>
    where
        Self: Sized,
    {
        Ok(Closed::Done)
    }
}

/// What [`Listener::close`] did with the object the listener created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Closed {
    /// Removed what it created (socket file, FIFO, or an empty queue), or it created
    /// nothing.
    Done,
    /// A `sysv-mq:` or `posix-mq:` queue it created still holds `messages` unread messages,
    /// so it was kept: remove it with [`Named::remove`](crate::named::Named::remove) or
    /// `ipckit rm` once they are not wanted.
    Kept {
        /// Messages left in the queue.
        messages: u64,
    },
    /// Receivers it gave out still use the queue; the last one dropped removes it if empty
    /// (and keeps it otherwise).
    InUse,
}

flavors! { $
    /// What a [`Listener`] listens on; every flavor implements [`Listen`].
    #[derive(Debug)]
    enum ListenerFlavor, dispatch each_listener {
        /// `fifo:PATH`.
        Fifo(fifo::FifoListener),
        /// `unix:`.
        Unix(unix::StreamListener),
        /// `unix-dgram:`.
        UnixDgram(dgram::DgramListener),
        /// `unix-seqpacket:`.
        UnixSeqpacket(seqpacket::SeqpacketListener),
        /// `tcp:`.
        Tcp(tcp::TcpListener),
        /// `sysv-mq:`.
        SysvMq(sysv_mq::MqListener),
        /// `posix-mq:`.
        PosixMq(posix_mq::MqListener),
        /// `shm-ring:`.
        ShmRing(shm_ring::RingListener),
        /// `file:`.
        File(file::FileListener),
        /// `zenoh:`.
        Zenoh(super::zenoh::ZenohListener) if feature = "zenoh",
    }
}

/// The receiving end of an [`Address`]: yields a [`Receiver`] per connection (see the
/// [module docs](super) for what a connection is on each transport). Dropping it removes
/// the socket file or FIFO it created; receivers already accepted keep working. A
/// `sysv-mq:` or `posix-mq:` queue it created is removed (once its receivers are gone too)
/// only if empty: one that holds messages is kept, and [`close`](Listener::close) says
/// how many are left.
///
/// To serve many connections from one thread, put the listener and its receivers in a
/// [`Select`](super::Select).
///
/// Accepting follows one rule: [`accept`](Listener::accept) waits forever,
/// [`accept_timeout`](Listener::accept_timeout) at most a `Duration`, and
/// [`accept_raw`](Listener::accept_raw) / [`accept_raw_timeout`](Listener::accept_raw_timeout)
/// are the same for an unframed [`RawReceiver`].
///
/// [`as_fd_opt`](Listener::as_fd_opt) gives the listening fd (readable when a connection
/// waits) for sockets and POSIX queues; `None` for `fifo:` (its read end is opened by each
/// accept) and `sysv-mq:` (not a file).
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use ipckit::channel::{self, Address};
/// let path = std::env::temp_dir().join(format!("ipckit-doc-listener-{}", std::process::id()));
/// let addr: Address = format!("unix-seqpacket:{}", path.display()).parse()?;
/// let mut listener = channel::listen(&addr)?;
/// assert_eq!(listener.created_path(), Some(path.as_path()));
/// assert!(listener.as_fd_opt().is_some());
/// let e = listener.accept_timeout(Duration::from_millis(5)).unwrap_err();
/// assert_eq!(e.kind(), ipckit::ErrorKind::TimedOut); // nobody connected
/// drop(listener);
/// assert!(!path.exists());
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/accept.2.html>
#[derive(Debug)]
pub struct Listener {
    flavor: ListenerFlavor,
    address: Address,
    max_message: usize,
}

impl Listener {
    pub(super) fn new(flavor: ListenerFlavor, address: Address, max_message: usize) -> Listener {
        Listener {
            flavor,
            address,
            max_message,
        }
    }

    /// The address listened on; for `tcp:HOST:0`, the port the kernel picked.
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// The file this listener created (a socket file, or a FIFO that did not exist) and
    /// removes when dropped; `None` for abstract names, TCP and a FIFO that existed before.
    /// A program that may be killed by a signal can remove it in its handler.
    pub fn created_path(&self) -> Option<&Path> {
        each_listener!(&self.flavor, f => f.created_path())
    }

    /// The POSIX message queue (`posix-mq:/NAME`) this listener created, which is unlinked
    /// once the listener and every receiver it gave out are dropped; `None` for other
    /// transports and for a queue that existed before. A program that may be killed by a
    /// signal can unlink it in its handler.
    pub fn created_queue(&self) -> Option<&str> {
        each_listener!(&self.flavor, f => f.created_queue())
    }

    /// How many messages wait in the queue of a `sysv-mq:` (all types) or `posix-mq:`
    /// listener (`msg_qnum` / `mq_curmsgs`); `None` for other transports.
    ///
    /// # Errors
    /// From `msgctl(IPC_STAT)` / `mq_getattr(3)`.
    pub fn pending_messages(&self) -> Result<Option<u64>> {
        each_listener!(&self.flavor, f => f.pending_messages())
    }

    /// Drops the listener and says what became of what it created: a `sysv-mq:` or
    /// `posix-mq:` queue it created is removed only when empty; one that still holds
    /// messages is kept and [`Closed::Kept`] says how many (a message sent between the
    /// count and the removal of an empty queue is lost with it). Dropping the listener
    /// does the same without the answer.
    ///
    /// # Errors
    /// From `msgctl(IPC_STAT)` / `mq_getattr(3)` (the queue is then kept).
    ///
    /// # Examples
    /// ```
    /// use ipckit::channel::{self, Address, Closed};
    /// let addr: Address = format!("posix-mq:/ipckit-doc-close-{}", std::process::id()).parse()?;
    /// let listener = channel::listen(&addr)?;
    /// channel::connect(&addr)?.send(b"unread")?;
    /// assert_eq!(listener.pending_messages()?, Some(1));
    /// assert_eq!(listener.close()?, Closed::Kept { messages: 1 });
    /// let Address::PosixMq(name) = &addr else { unreachable!() };
    /// ipckit::posix::mq::MessageQueue::unlink(name)?; // still there: remove it by hand
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    pub fn close(self) -> Result<Closed> {
        each_listener!(self.flavor, f => f.close())
    }

    /// The listening file descriptor, where the transport has one (see [`Listener`]).
    pub fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        each_listener!(&self.flavor, f => f.as_fd_opt())
    }

    fn next(&mut self, timeout: Option<Duration>) -> Result<Incoming> {
        let deadline = timeout.map(Deadline::after);
        match each_listener!(&mut self.flavor, f => f.accept(deadline))? {
            Some(incoming) => Ok(incoming),
            None => Err(Error::new(ErrorKind::TimedOut, "accept", &self.address)),
        }
    }

    fn framed(&self, incoming: Incoming) -> Receiver {
        Receiver::new(match incoming {
            Incoming::Stream(fd) => ReceiverFlavor::Framed(
                FramedReceiver::new(fd)
                    .with_max_message(self.max_message)
                    .with_name(&self.address),
            ),
            Incoming::Messages(rx) => rx,
        })
    }

    /// For the async ends ([`crate::tokio`]): a FIFO listener's next read end, opened
    /// without blocking; `None` for other transports.
    #[cfg(feature = "tokio")]
    pub(crate) fn open_fifo_reader(&self) -> Option<Result<std::os::fd::OwnedFd>> {
        match &self.flavor {
            ListenerFlavor::Fifo(f) => Some(f.open_reader()),
            _ => None,
        }
    }

    /// For [`Select`](super::Select): what accepts a `shm-ring:` listener's connections
    /// without blocking on a connector's hello; `None` for other transports.
    pub(super) fn ring_acceptor_ref(&self) -> Option<&shm_ring::RingAcceptor> {
        match &self.flavor {
            ListenerFlavor::ShmRing(f) => Some(f.acceptor_ref()),
            _ => None,
        }
    }

    /// For the async ends: what accepts a `shm-ring:` listener's connections; `None` for
    /// other transports.
    #[cfg(feature = "tokio")]
    pub(crate) fn ring_acceptor(&self) -> Option<super::RingAcceptor> {
        match &self.flavor {
            ListenerFlavor::ShmRing(f) => Some(f.acceptor()),
            _ => None,
        }
    }

    /// For the async ends: the next receiver if one is ready now, `Ok(None)` if not.
    #[cfg(feature = "tokio")]
    pub(crate) fn try_accept(&mut self) -> Result<Option<Receiver>> {
        let deadline = Some(Deadline::after(Duration::ZERO));
        Ok(each_listener!(&mut self.flavor, f => f.accept(deadline))?.map(|i| self.framed(i)))
    }

    /// For the async ends: the receiver of a FIFO read end from
    /// [`open_fifo_reader`](Self::open_fifo_reader) that became readable.
    #[cfg(feature = "tokio")]
    pub(crate) fn receiver_from_stream(&self, fd: std::os::fd::OwnedFd) -> Receiver {
        self.framed(Incoming::Stream(fd))
    }

    /// Waits for the next sender (`accept(2)`, or `open(2)` of a FIFO's read end) and
    /// returns a receiver for its messages.
    ///
    /// # Errors
    /// From the syscall, naming it and the address.
    ///
    /// # Examples
    /// See the [module docs](super).
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/accept.2.html>
    pub fn accept(&mut self) -> Result<Receiver> {
        let incoming = self.next(None)?;
        Ok(self.framed(incoming))
    }

    /// Like [`Listener::accept`], waiting at most `timeout` (any `Duration`, up to
    /// [`Duration::MAX`]: forever).
    ///
    /// # Errors
    /// [`ErrorKind::TimedOut`] if no sender came within `timeout`; others as
    /// [`Listener::accept`].
    ///
    /// # Examples
    /// See [`Listener`].
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/poll.2.html>
    pub fn accept_timeout(&mut self, timeout: Duration) -> Result<Receiver> {
        let incoming = self.next(Some(timeout))?;
        Ok(self.framed(incoming))
    }

    /// Like [`Listener::accept`], but the connection's bytes come unframed (see
    /// [`RawReceiver`]), for peers such as `cat`, socat or nc.
    ///
    /// # Errors
    /// As [`Listener::accept`].
    ///
    /// # Examples
    /// See [`connect_raw`](super::connect_raw).
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/accept.2.html>
    pub fn accept_raw(&mut self) -> Result<RawReceiver> {
        let incoming = self.next(None)?;
        Ok(RawReceiver::new(incoming, &self.address))
    }

    /// Like [`Listener::accept_raw`], waiting at most `timeout`.
    ///
    /// # Errors
    /// As [`Listener::accept_timeout`].
    ///
    /// # Examples
    /// See [`RawReceiver::read_timeout`].
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/poll.2.html>
    pub fn accept_raw_timeout(&mut self, timeout: Duration) -> Result<RawReceiver> {
        let incoming = self.next(Some(timeout))?;
        Ok(RawReceiver::new(incoming, &self.address))
    }
}
