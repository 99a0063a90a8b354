//! The async [`Sender`]: a concrete type over a private enum of flavors, as the sync one.

use std::future::poll_fn;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use ::tokio::io::unix::AsyncFd;

use super::bridge::BlockingSender;
use super::io::{poll_io, register, Interest};
use super::ring::{Unpark, Unparks};
use super::ring_channel::RingChannelSender;
use crate::channel::{self, flavors, frame_tail, RingParts, Started};
use crate::Result;

flavors! { $
    /// What an async [`Sender`] sends on. Each flavor has `poll_flush` (finish what an
    /// earlier send left), `poll_start` (hand one message to the kernel, keeping any unsent
    /// tail), `stash` (keep a whole message for the next flush, for `Sink::start_send`) and
    /// `as_fd_opt`.
    #[derive(Debug)]
    enum SenderFlavor, dispatch each_sender {
        /// Every transport with an fd: the sync sender in non-blocking mode under `AsyncFd`.
        Fd(FdSender),
        /// `sysv-mq:`: the sync sender on tokio's blocking pool.
        Blocking(BlockingSender),
        /// `shm-ring:`: the ring's async sender, parked on the ring's doorbell.
        Ring(RingChannelSender),
    }
}

/// The async sending end of a channel, made by [`connect`](super::connect): sends whole
/// messages, as [`channel::Sender`], without blocking a thread.
///
/// Also a [`futures_sink::Sink`] of `&[u8]` and of `Vec<u8>` (see [the module docs](super)).
///
/// # Cancel safety
/// [`send`](Sender::send) is cancellation safe in this sense: if the future is dropped
/// before it completes, either nothing of the message was sent, or the transport took part
/// of its frame and the rest is kept inside the `Sender` and written before the next
/// message (by the next `send`, [`flush`](Sender::flush) or `Sink::poll_ready`), so the
/// stream never carries half a frame followed by another message. A message transport
/// (datagram, seqpacket, queues) takes a message whole or not at all. Dropping the `Sender`
/// with a tail still kept loses that message; the receiver then sees
/// [`ErrorKind::UnexpectedEof`](crate::ErrorKind::UnexpectedEof), never a corrupt stream.
/// Call [`flush`](Sender::flush) before dropping to be sure.
///
/// # Examples
/// ```
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
/// # rt.block_on(async {
/// use ipckit::channel::Address;
/// let addr: Address = format!("unix:@ipckit-doc-async-sender-{}", std::process::id()).parse()?;
/// let mut listener = ipckit::tokio::listen(&addr)?;
/// let mut tx = ipckit::tokio::connect(&addr).await?;
/// tx.send(b"one").await?;
/// let mut rx = listener.accept().await?;
/// let mut buf = Vec::new();
/// assert_eq!(rx.recv(&mut buf).await?, 3);
/// # Ok::<(), ipckit::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man7/epoll.7.html>
#[derive(Debug)]
pub struct Sender {
    flavor: SenderFlavor,
}

impl Sender {
    /// Wraps a sync sender: an fd transport goes non-blocking under tokio's reactor, a
    /// `sysv-mq:` or `file:` one onto the blocking pool. Must run inside a tokio runtime.
    pub(super) fn from_sync(tx: channel::Sender, object: String) -> Result<Sender> {
        let flavor = match tx.as_fd_opt() {
            None => SenderFlavor::Blocking(BlockingSender::new(tx, object)),
            Some(_) if tx.needs_blocking_pool() => {
                SenderFlavor::Blocking(BlockingSender::new(tx, object))
            }
            Some(fd) => {
                let afd = register(fd, &object)?;
                tx.set_nonblocking()?;
                SenderFlavor::Fd(FdSender {
                    afd,
                    tx,
                    object,
                    whole: None,
                    tail: Vec::new(),
                    tail_off: 0,
                    tail_locked: false,
                    lock_wait: None,
                })
            }
        };
        Ok(Sender { flavor })
    }

    /// A connected `shm-ring:` end. Must run inside a tokio runtime.
    pub(super) fn from_ring(parts: RingParts) -> Result<Sender> {
        Ok(Sender {
            flavor: SenderFlavor::Ring(RingChannelSender::new(parts)?),
        })
    }

    /// Sends one whole message: returns once the kernel has taken all of it (with its
    /// frame header on a byte stream), waiting for room without blocking the thread.
    /// Finishes first what a cancelled earlier send left (see [`Sender`]).
    ///
    /// Wrap it in [`tokio::time::timeout`] for a time limit; a
    /// timeout cancels it, with the guarantee above.
    ///
    /// # Errors
    /// As [`channel::Sender::send`]: [`ErrorKind::TooLarge`](crate::ErrorKind::TooLarge)
    /// (nothing sent), [`ErrorKind::PeerGone`](crate::ErrorKind::PeerGone) if the receiver
    /// is gone, others from the syscall.
    ///
    /// # Examples
    /// See [`Sender`].
    pub async fn send(&mut self, msg: &[u8]) -> Result<()> {
        // A cancelled wait on the ring ends its park.
        let this = Unpark(self);
        this.0.flush().await?;
        poll_fn(|cx| each_sender!(&mut this.0.flavor, f => f.poll_start(cx, msg))).await?;
        this.0.flush().await
    }

    /// Waits until the kernel has taken everything a cancelled send or the `Sink` left
    /// here; at once if nothing is left.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn flush(&mut self) -> Result<()> {
        let this = Unpark(self);
        poll_fn(|cx| this.0.poll_flush_inner(cx)).await
    }

    /// Whether part of a message is kept here, unsent: a cancelled [`send`](Self::send)
    /// whose frame the stream took in part (or a `Sink` message not yet flushed). That
    /// message counts as sent: it goes before the next one. After a cancelled `send` with
    /// `is_pending() == false`, nothing of that message was sent.
    ///
    /// # Examples
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    /// # rt.block_on(async {
    /// use ipckit::channel::Address;
    /// let addr: Address = format!("unix:@ipckit-doc-pending-{}", std::process::id()).parse()?;
    /// let mut listener = ipckit::tokio::listen(&addr)?;
    /// let mut tx = ipckit::tokio::connect(&addr).await?;
    /// let _rx = listener.accept().await?;
    /// tx.send(b"sent whole").await?;
    /// assert!(!tx.is_pending());
    /// # Ok::<(), ipckit::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_pending(&self) -> bool {
        each_sender!(&self.flavor, f => f.is_pending())
    }

    fn poll_flush_inner(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        each_sender!(&mut self.flavor, f => f.poll_flush(cx))
    }

    /// The transport's file descriptor, `None` for `sysv-mq:` and `shm-ring:` (whose ring
    /// is watched in memory, as [`channel::Sender::as_fd_opt`]).
    pub fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        each_sender!(&self.flavor, f => f.as_fd_opt())
    }
}

impl Unparks for Sender {
    fn cancel_wait(&mut self) {
        if let SenderFlavor::Ring(r) = &mut self.flavor {
            r.cancel_wait();
        }
    }
}

/// The sync sender of a transport with an fd, non-blocking, and what a send left unsent.
#[derive(Debug)]
pub(super) struct FdSender {
    afd: AsyncFd<OwnedFd>,
    tx: channel::Sender,
    object: String,
    /// A whole message `Sink::start_send` handed over, not yet started.
    whole: Option<Vec<u8>>,
    /// The unsent end of a frame the stream took part of.
    tail: Vec<u8>,
    tail_off: usize,
    /// The FIFO's frame lock is held until the tail is written.
    tail_locked: bool,
    /// Waiting for another writer's FIFO frame lock (it has no fd to wait on).
    lock_wait: Option<Pin<Box<::tokio::time::Sleep>>>,
}

/// How often a FIFO sender retries another writer's frame lock.
const LOCK_RETRY: Duration = Duration::from_millis(1);

impl FdSender {
    fn as_fd_opt(&self) -> Option<BorrowedFd<'_>> {
        self.tx.as_fd_opt()
    }

    fn is_pending(&self) -> bool {
        self.whole.is_some() || self.tail_off < self.tail.len()
    }

    fn stash(&mut self, msg: &[u8]) {
        let mut v = std::mem::take(&mut self.tail);
        v.clear();
        v.extend_from_slice(msg);
        self.whole = Some(v);
    }

    /// Hands `msg` to the kernel: `Ready` once all of it or part of its frame was taken
    /// (the rest kept in `tail`), `Pending` while nothing could be (nothing sent yet).
    fn poll_start(&mut self, cx: &mut Context<'_>, msg: &[u8]) -> Poll<Result<()>> {
        loop {
            if let Some(sleep) = &mut self.lock_wait {
                ready!(sleep.as_mut().poll(cx));
                self.lock_wait = None;
            }
            let tx = &mut self.tx;
            let started = ready!(poll_io(
                &self.afd,
                cx,
                Interest::Write,
                &self.object,
                || { tx.try_send_start(msg) }
            ))?;
            match started {
                Started::Whole => return Poll::Ready(Ok(())),
                Started::Partly { written, locked } => {
                    self.tail.clear();
                    frame_tail(msg, written, &mut self.tail);
                    self.tail_off = 0;
                    self.tail_locked = locked;
                    return Poll::Ready(Ok(()));
                }
                Started::LockBusy => {
                    self.lock_wait = Some(Box::pin(::tokio::time::sleep(LOCK_RETRY)));
                }
            }
        }
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if let Some(msg) = self.whole.take() {
            match self.poll_start(cx, &msg) {
                Poll::Pending => {
                    self.whole = Some(msg);
                    return Poll::Pending;
                }
                Poll::Ready(r) => r?,
            }
        }
        while self.tail_off < self.tail.len() {
            let (tx, rest) = (&mut self.tx, &self.tail[self.tail_off..]);
            let r = ready!(poll_io(
                &self.afd,
                cx,
                Interest::Write,
                &self.object,
                || { tx.try_send_tail(rest) }
            ));
            match r {
                Ok(n) => self.tail_off += n,
                Err(e) => {
                    // The stream is broken (the peer left): nothing more to finish.
                    self.finish_tail();
                    return Poll::Ready(Err(e));
                }
            }
        }
        self.finish_tail();
        Poll::Ready(Ok(()))
    }

    fn finish_tail(&mut self) {
        self.tail.clear();
        self.tail_off = 0;
        if std::mem::take(&mut self.tail_locked) {
            self.tx.unlock_frame();
        }
    }
}

impl Drop for FdSender {
    fn drop(&mut self) {
        if self.tail_locked {
            self.tx.unlock_frame();
        }
    }
}

/// `Sink::start_send` keeps the message (copied) until the next `poll_flush`/`poll_ready`.
macro_rules! sink_impl {
    ($($lt:lifetime)?; $item:ty) => {
        /// `poll_ready` finishes what the previous message left (so at most one message is
        /// kept here); `start_send` keeps a copy of the message; `poll_flush` returns once the
        /// kernel has taken all of it; `poll_close` flushes (the transport closes when the
        /// `Sender` is dropped).
        impl<$($lt)?> futures_sink::Sink<$item> for Sender {
            type Error = crate::Error;

            fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
                self.get_mut().poll_flush_inner(cx)
            }

            fn start_send(self: Pin<&mut Self>, item: $item) -> Result<()> {
                let msg: &[u8] = item.as_ref();
                each_sender!(&mut self.get_mut().flavor, f => f.stash(msg));
                Ok(())
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
                self.get_mut().poll_flush_inner(cx)
            }

            fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
                self.get_mut().poll_flush_inner(cx)
            }
        }
    };
}

sink_impl!('a; &'a [u8]);
sink_impl!(; Vec<u8>);

use std::future::Future as _;
