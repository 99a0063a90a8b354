//! The async [`Receiver`] and [`Listener`]: concrete types over private enums of flavors.

use std::future::poll_fn;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use ::tokio::io::unix::AsyncFd;

use super::bridge::BlockingReceiver;
use super::io::{poll_io, register, Interest};
use super::ring::{Unpark, Unparks};
use super::ring_channel::{RingAccept, RingChannelReceiver};
use crate::channel::{self, flavors, Address};
use crate::{ErrorKind, Result};

flavors! { $
    /// What an async [`Receiver`] receives from. Each flavor has `poll_recv` (cancellation
    /// safe: partial state stays in the flavor) and `as_fd_opt`.
    #[derive(Debug)]
    enum ReceiverFlavor, dispatch each_receiver {
        /// Every transport with an fd: the sync receiver's `try_recv` under `AsyncFd`.
        Fd(FdReceiver),
        /// `sysv-mq:`: the sync receiver on tokio's blocking pool.
        Blocking(BlockingReceiver),
        /// `shm-ring:`: the ring's async receiver, parked on the ring's doorbell.
        Ring(RingChannelReceiver),
    }
}

/// The async receiving end of a channel, made by [`Listener::accept`]: whole messages, in
/// order, as [`channel::Receiver`], without blocking a thread.
///
/// Also a [`futures_core::Stream`] of `Result<Vec<u8>>` (one new `Vec` per message; use
/// [`recv`](Receiver::recv) to reuse a buffer): it ends (`None`) when the peer is gone
/// between messages ([`ErrorKind::PeerGone`]); any other error is yielded as an item, and
/// on a byte stream (`fifo:`, `unix:`, `tcp:`), where no error can be recovered from, the
/// stream ends after it.
///
/// # Cancel safety
/// [`recv`](Receiver::recv) is cancellation safe: if it is used as the event in a
/// `tokio::select!` statement and some other branch completes first, no message was
/// received and none is lost. A frame that had partly arrived stays inside the `Receiver`
/// and the next `recv` continues it. The contents of `buf` after a cancelled `recv` are
/// unspecified (it may hold part of a frame); its capacity is kept.
///
/// # Examples
/// ```
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
/// # rt.block_on(async {
/// use std::time::Duration;
/// use ipckit::channel::Address;
/// let addr: Address = format!("unix-seqpacket:@ipckit-doc-async-rx-{}", std::process::id()).parse()?;
/// let mut listener = ipckit::tokio::listen(&addr)?;
/// let mut tx = ipckit::tokio::connect(&addr).await?;
/// let mut rx = listener.accept().await?;
/// let mut buf = Vec::new();
/// // Nothing sent yet: the timeout cancels the receive, which loses nothing.
/// assert!(tokio::time::timeout(Duration::from_millis(5), rx.recv(&mut buf)).await.is_err());
/// tx.send(b"later").await?;
/// assert_eq!(rx.recv(&mut buf).await?, 5);
/// # Ok::<(), ipckit::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man7/epoll.7.html>
#[derive(Debug)]
pub struct Receiver {
    flavor: ReceiverFlavor,
    /// The stream ended (for `Stream`).
    ended: bool,
}

impl Receiver {
    pub(super) fn from_sync(rx: channel::Receiver, object: String) -> Result<Receiver> {
        let flavor = match rx.as_fd_opt() {
            None => ReceiverFlavor::Blocking(BlockingReceiver::new(rx, object)),
            Some(fd) => ReceiverFlavor::Fd(FdReceiver {
                afd: register(fd, &object)?,
                rx,
                object,
            }),
        };
        Ok(Receiver {
            flavor,
            ended: false,
        })
    }

    /// Waits for a whole message, replaces the contents of `buf` with it and returns its
    /// length in bytes. Cancellation safe (see [`Receiver`]).
    ///
    /// Wrap it in [`tokio::time::timeout`] for a time limit
    /// (the async form of [`channel::Receiver::recv_timeout`]'s `TimedOut`).
    ///
    /// # Errors
    /// As [`channel::Receiver::recv`]: [`ErrorKind::PeerGone`] at the end of the stream,
    /// [`ErrorKind::UnexpectedEof`] if a byte stream ended inside a message,
    /// [`ErrorKind::TooLarge`] above this receiver's maximum, others from the syscall.
    ///
    /// # Examples
    /// See [`Receiver`].
    pub async fn recv(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        // A cancelled wait on the ring ends its park.
        let this = Unpark(self);
        poll_fn(|cx| this.0.poll_recv(cx, buf)).await
    }

    /// The poll form of [`recv`](Self::recv), for hand-written futures: `Ready` with a
    /// message in `buf` or an error, or `Pending` with `cx`'s waker registered. A
    /// `shm-ring:` receiver that returned `Pending` stays parked (its sender rings the
    /// doorbell after each message) until it is polled again, `recv` is called, or it is
    /// dropped.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>, buf: &mut Vec<u8>) -> Poll<Result<usize>> {
        each_receiver!(&mut self.flavor, f => f.poll_recv(cx, buf))
    }

    /// The transport's file descriptor, `None` for `sysv-mq:` and `shm-ring:` (whose ring
    /// is watched in memory, as [`channel::Receiver::as_fd_opt`]).
    pub fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        each_receiver!(&self.flavor, f => f.as_fd_opt())
    }

    pub(super) fn is_framed(&self) -> bool {
        matches!(&self.flavor, ReceiverFlavor::Fd(f) if f.rx.is_framed())
    }
}

impl Unparks for Receiver {
    fn cancel_wait(&mut self) {
        if let ReceiverFlavor::Ring(r) = &mut self.flavor {
            r.cancel_wait();
        }
    }
}

/// See [`Receiver`]: `None` after `PeerGone`; on a byte stream, also after any error.
impl futures_core::Stream for Receiver {
    type Item = Result<Vec<u8>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Vec<u8>>>> {
        let this = self.get_mut();
        if this.ended {
            return Poll::Ready(None);
        }
        let mut buf = Vec::new();
        match ready!(this.poll_recv(cx, &mut buf)) {
            Ok(_) => Poll::Ready(Some(Ok(buf))),
            Err(e) if e.kind() == ErrorKind::PeerGone => {
                this.ended = true;
                Poll::Ready(None)
            }
            Err(e) => {
                this.ended = this.is_framed();
                Poll::Ready(Some(Err(e)))
            }
        }
    }
}

/// The sync receiver of a transport with an fd, under tokio's reactor.
#[derive(Debug)]
pub(super) struct FdReceiver {
    afd: AsyncFd<OwnedFd>,
    rx: channel::Receiver,
    object: String,
}

impl FdReceiver {
    fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        self.rx.as_fd_opt()
    }

    fn poll_recv(&mut self, cx: &mut Context<'_>, buf: &mut Vec<u8>) -> Poll<Result<usize>> {
        let rx = &mut self.rx;
        poll_io(&self.afd, cx, Interest::Read, &self.object, || {
            rx.try_recv(buf)
        })
    }
}

/// The async listening side of a channel, made by [`listen`](super::listen):
/// [`accept`](Listener::accept) gives [`Receiver`]s.
///
/// # Cancel safety
/// [`accept`](Listener::accept) is cancellation safe: a cancelled accept took no
/// connection (on `fifo:`, the read end it opened is kept for the next accept; on
/// `shm-ring:`, a handshake under way goes on and the next accept returns its connection).
///
/// # Examples
/// See [`Sender`](super::Sender) and the [module docs](super).
#[derive(Debug)]
pub struct Listener {
    /// `None` for transports whose accept returns at once or has no fd (`sysv-mq:`).
    afd: Option<AsyncFd<OwnedFd>>,
    /// `fifo:`: the read end opened for the next accept, waiting to become readable.
    fifo_reader: Option<AsyncFd<OwnedFd>>,
    /// `shm-ring:`: the accept under way (handshakes run on the blocking pool).
    ring: Option<RingAccept>,
    inner: channel::Listener,
    object: String,
}

impl Listener {
    pub(super) fn from_sync(inner: channel::Listener) -> Result<Listener> {
        let object = inner.address().to_string();
        let ring = match inner.ring_acceptor() {
            Some(acceptor) => Some(RingAccept::new(acceptor, &object)?),
            None => None,
        };
        let afd = match inner.as_fd_opt() {
            Some(fd) if ring.is_none() => Some(register(fd, &object)?),
            _ => None,
        };
        Ok(Listener {
            afd,
            fifo_reader: None,
            ring,
            inner,
            object,
        })
    }

    /// The address listened on; for `tcp:HOST:0`, the port the kernel picked.
    pub fn address(&self) -> &Address {
        self.inner.address()
    }

    /// The sync listener (for `created_path`, `pending_messages` and the like).
    pub fn get_ref(&self) -> &channel::Listener {
        &self.inner
    }

    /// Waits for the next sender and returns an async receiver for its messages
    /// (`accept(2)`; for `fifo:` the read end, once a writer has written or come and gone;
    /// datagram sockets and queues: at once, as the sync [`channel::Listener::accept`];
    /// `shm-ring:`: once a connector is there and its handshake, run on tokio's blocking
    /// pool for at most [`HANDSHAKE_TIMEOUT`](crate::ring::HANDSHAKE_TIMEOUT), verified its
    /// rings).
    ///
    /// # Errors
    /// As [`channel::Listener::accept`].
    ///
    /// # Examples
    /// See [`Sender`](super::Sender).
    pub async fn accept(&mut self) -> Result<Receiver> {
        if let Some(ring) = &mut self.ring {
            let rx = poll_fn(|cx| ring.poll_accept(cx)).await?;
            return Ok(Receiver {
                flavor: ReceiverFlavor::Ring(rx),
                ended: false,
            });
        }
        let rx = poll_fn(|cx| self.poll_accept(cx)).await?;
        Receiver::from_sync(rx, self.object.clone())
    }

    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<Result<channel::Receiver>> {
        if self.fifo_reader.is_none() {
            if let Some(reader) = self.inner.open_fifo_reader() {
                let reader = reader?;
                let afd = crate::sys::reactor::register(reader)
                    .map_err(|e| super::io::io_error(e, "epoll_ctl", &self.object))?;
                self.fifo_reader = Some(afd);
            }
        }
        if let Some(reader) = &self.fifo_reader {
            // Readable: a writer wrote, or came and went (end of stream for the receiver).
            let guard = ready!(reader.poll_read_ready(cx))
                .map_err(|e| super::io::io_error(e, "epoll_wait", &self.object))?;
            drop(guard);
            let reader = self.fifo_reader.take().expect("checked").into_inner();
            return Poll::Ready(Ok(self.inner.receiver_from_stream(reader)));
        }
        let Some(afd) = &self.afd else {
            // No fd (sysv-mq): its accept returns at once.
            return Poll::Ready(self.inner.accept());
        };
        // Datagram sockets and queues accept at once; a connection may already wait.
        if let Some(rx) = self.inner.try_accept()? {
            return Poll::Ready(Ok(rx));
        }
        let inner = &mut self.inner;
        poll_io(afd, cx, Interest::Read, &self.object, || {
            match inner.try_accept()? {
                Some(rx) => Ok(rx),
                None => Err(crate::Error::new(ErrorKind::WouldBlock, "accept", "")),
            }
        })
    }
}
