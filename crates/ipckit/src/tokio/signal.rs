//! [`SignalStream`]: a [`SignalFd`] under tokio's reactor, as a `Stream` of [`SigInfo`].

use std::collections::VecDeque;
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use ::tokio::io::unix::AsyncFd;

use super::io::io_error;
use crate::signal::{block, SigInfo, SignalFd, SignalSet};
use crate::Result;

/// The signals of a set as an async [`futures_core::Stream`] of [`SigInfo`] records
/// (signal number, sender pid and uid, the `sigqueue(3)` value), read from a
/// [`SignalFd`] (`signalfd(2)`) when tokio's reactor says it is readable.
///
/// # The mask
/// A signalfd only sees signals that are **blocked** in every thread (otherwise the kernel
/// delivers them the usual way: a handler, or the default action, which for `SIGTERM` ends
/// the process). A thread's mask is inherited by the threads it starts, so block the set in
/// `main` before the tokio runtime starts its threads, or use
/// [`SignalStream::block`], which blocks it in the calling thread (enough for a
/// current-thread runtime built on that thread, and for a multi-thread runtime built
/// after it). Signals sent to the process stay queued until read: standard signals once
/// each (a second before the first is read merges into it), real-time signals
/// (`SIGRTMIN+n`) each with its own value.
///
/// # Cancel safety
/// [`recv`](SignalStream::recv) and `poll_next` are cancellation safe: records read
/// together by one `read(2)` wait inside the stream for the next call.
///
/// # Examples
/// ```
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
/// # rt.block_on(async {
/// use ipckit::signal::{queue, Signal, SignalSet};
/// let sig = Signal::realtime(4)?;
/// let mut signals = ipckit::tokio::SignalStream::block(&SignalSet::from(sig))?;
/// queue(std::process::id(), sig, 42)?;
/// let info = signals.recv().await?;
/// assert_eq!((info.signal(), info.value()), (sig, 42));
/// assert_eq!(info.sender_pid(), std::process::id());
/// # Ok::<(), ipckit::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/signalfd.2.html>
#[derive(Debug)]
pub struct SignalStream {
    fd: AsyncFd<SignalFd>,
    ready: VecDeque<SigInfo>,
    scratch: Vec<SigInfo>,
}

impl SignalStream {
    /// Reads `fd`'s signals asynchronously; the caller has blocked them (see
    /// [`SignalStream`]).
    ///
    /// # Errors
    /// [`ErrorKind::LimitReached`](crate::ErrorKind::LimitReached) or `Other` if tokio's
    /// reactor refuses the fd.
    ///
    /// # Panics
    /// Outside a tokio runtime with its I/O driver, as tokio's own constructors.
    pub fn new(fd: SignalFd) -> Result<SignalStream> {
        let object = format!("signalfd {}", fd.set());
        let fd =
            crate::sys::reactor::register(fd).map_err(|e| io_error(e, "epoll_ctl", &object))?;
        Ok(SignalStream {
            fd,
            ready: VecDeque::new(),
            scratch: Vec::new(),
        })
    }

    /// Blocks `set` in the calling thread (`pthread_sigmask(SIG_BLOCK)`, for good: from
    /// now on these signals are read here, see [`SignalStream`]) and reads them from a
    /// new [`SignalFd`].
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) if `set` holds `SIGKILL`
    /// or `SIGSTOP`; as [`SignalFd::new`] and [`SignalStream::new`].
    ///
    /// # Panics
    /// Outside a tokio runtime with its I/O driver.
    ///
    /// # Examples
    /// See [`SignalStream`].
    pub fn block(set: &SignalSet) -> Result<SignalStream> {
        // The mask stays: dropping the guard would unblock the set on whatever thread.
        std::mem::forget(block(set)?);
        SignalStream::new(SignalFd::new(set)?)
    }

    /// The signalfd.
    pub fn get_ref(&self) -> &SignalFd {
        self.fd.get_ref()
    }

    /// Waits for the next signal of the set and returns its record. Cancellation safe.
    ///
    /// # Errors
    /// As [`SignalFd::try_recv`] (read failures, not expected).
    pub async fn recv(&mut self) -> Result<SigInfo> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// The poll form of [`recv`](Self::recv).
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<SigInfo>> {
        loop {
            if let Some(info) = self.ready.pop_front() {
                return Poll::Ready(Ok(info));
            }
            let mut guard = match ready!(self.fd.poll_read_ready(cx)) {
                Ok(g) => g,
                Err(e) => return Poll::Ready(Err(io_error(e, "epoll_wait", &"signalfd"))),
            };
            self.scratch.clear();
            match guard.get_inner().try_recv_many(&mut self.scratch) {
                Ok(0) => guard.clear_ready(),
                Ok(_) => self.ready.extend(self.scratch.drain(..)),
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

/// Never ends; an item is `Err` only for an unexpected read failure.
impl futures_core::Stream for SignalStream {
    type Item = Result<SigInfo>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<SigInfo>>> {
        self.get_mut().poll_recv(cx).map(Some)
    }
}
