//! The thread's signal mask, pending signals, `sigtimedwait` and `signalfd`.

use std::marker::PhantomData;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::Duration;

use super::source::{self, Source};
use super::{SigInfo, SignalSet};
use crate::error::{Context, Error, ErrorKind, Result};
use crate::sys::signal::{self as sys, How, RawInfo};
use crate::sys::{retry_eintr, retry_eintr_until, Deadline};
use crate::Errno;

/// The calling thread's previous signal mask, put back when dropped.
///
/// Made by [`block`], [`unblock`] and [`set_mask`]. A mask belongs to a thread, so the guard
/// is neither `Send` nor `Sync`: drop it on the thread that made it. Guards nest; drop them
/// in reverse order of creation (as scopes do).
#[must_use = "the previous mask is restored when the guard is dropped"]
#[derive(Debug)]
pub struct MaskGuard {
    old: SignalSet,
    _thread: PhantomData<*const ()>,
}

impl MaskGuard {
    /// The mask that was in place before, and will be again after the drop.
    pub fn previous(&self) -> &SignalSet {
        &self.old
    }
}

impl Drop for MaskGuard {
    fn drop(&mut self) {
        // Cannot fail for a valid set and how; nothing useful to do if it did.
        let _ = sys::thread_mask(How::SetMask, Some(self.old.as_sys()));
    }
}

fn change(how: How, set: &SignalSet, op: &'static str) -> Result<MaskGuard> {
    if how != How::Unblock {
        set.require_catchable(op)?;
    }
    let old = sys::thread_mask(how, Some(set.as_sys())).ctx(op, set)?;
    Ok(MaskGuard {
        old: SignalSet::from_sys(old),
        _thread: PhantomData,
    })
}

/// `pthread_sigmask(SIG_BLOCK)`: adds `set` to the calling thread's mask until the guard
/// drops.
///
/// A blocked signal sent to the process stays pending (for a thread that does not block
/// it, or until unblocked, [`wait`]ed for or read from a [`SignalFd`]). Threads started
/// afterwards, and children started with `std::process::Command`, inherit the mask.
///
/// # Errors
/// [`ErrorKind::InvalidInput`] if `set` holds `SIGKILL` or `SIGSTOP`, which cannot be
/// blocked.
///
/// # Examples
/// ```
/// use ipckit::signal::{block, kill, pending, Signal, SignalSet};
/// {
///     let _guard = block(&SignalSet::from(Signal::USR1))?;
///     kill(std::process::id(), Signal::USR1)?; // stays pending: not delivered
///     assert!(pending()?.contains(Signal::USR1));
///     # let _ = ipckit::signal::wait(&SignalSet::from(Signal::USR1), None)?; // take it off
/// }
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man3/pthread_sigmask.3.html>
#[doc(alias = "pthread_sigmask")]
#[doc(alias = "sigprocmask")]
pub fn block(set: &SignalSet) -> Result<MaskGuard> {
    change(How::Block, set, "pthread_sigmask(SIG_BLOCK)")
}

/// `pthread_sigmask(SIG_UNBLOCK)`: removes `set` from the calling thread's mask until the
/// guard drops. Signals of `set` already pending are delivered before this returns.
///
/// # Errors
/// None in practice (`EINVAL` is impossible with a valid set).
///
/// # Examples
/// ```
/// use ipckit::signal::{block, unblock, current_mask, Signal, SignalSet};
/// let usr1 = SignalSet::from(Signal::USR1);
/// let _b = block(&usr1)?;
/// {
///     let _u = unblock(&usr1)?;
///     assert!(!current_mask()?.contains(Signal::USR1));
/// }
/// assert!(current_mask()?.contains(Signal::USR1));
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man3/pthread_sigmask.3.html>
#[doc(alias = "pthread_sigmask")]
pub fn unblock(set: &SignalSet) -> Result<MaskGuard> {
    change(How::Unblock, set, "pthread_sigmask(SIG_UNBLOCK)")
}

/// `pthread_sigmask(SIG_SETMASK)`: makes `set` the calling thread's whole mask until the
/// guard drops.
///
/// # Errors
/// [`ErrorKind::InvalidInput`] if `set` holds `SIGKILL` or `SIGSTOP`.
///
/// # Examples
/// ```
/// use ipckit::signal::{set_mask, current_mask, Signal, SignalSet};
/// let _g = set_mask(&SignalSet::from([Signal::USR2, Signal::rtmin()]))?;
/// assert_eq!(current_mask()?, SignalSet::from([Signal::USR2, Signal::rtmin()]));
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man3/pthread_sigmask.3.html>
#[doc(alias = "pthread_sigmask")]
pub fn set_mask(set: &SignalSet) -> Result<MaskGuard> {
    change(How::SetMask, set, "pthread_sigmask(SIG_SETMASK)")
}

/// `pthread_sigmask`: the calling thread's current mask.
///
/// # Errors
/// None in practice.
///
/// # Examples
/// See [`unblock`] and [`set_mask`].
///
/// # References
/// <https://man7.org/linux/man-pages/man3/pthread_sigmask.3.html>
#[doc(alias = "pthread_sigmask")]
pub fn current_mask() -> Result<SignalSet> {
    sys::thread_mask(How::Block, None)
        .ctx("pthread_sigmask", "current mask")
        .map(SignalSet::from_sys)
}

/// `sigpending(2)`: the signals pending for the calling thread or the whole process
/// (raised while blocked, not yet delivered).
///
/// # Errors
/// None in practice.
///
/// # Examples
/// See [`block`].
///
/// # References
/// <https://man7.org/linux/man-pages/man2/sigpending.2.html>
#[doc(alias = "sigpending")]
pub fn pending() -> Result<SignalSet> {
    sys::sigpending()
        .ctx("sigpending", "")
        .map(SignalSet::from_sys)
}

/// `sigtimedwait(2)` (`sigwaitinfo` when `timeout` is `None`): takes one pending signal of
/// `set` off the pending list and returns it with its siginfo, waiting up to `timeout`.
///
/// The signals of `set` must be blocked (in every thread, for process-directed signals),
/// otherwise they may be delivered to their disposition instead. Real-time signals come out
/// lowest number first, each sent instance once, in sending order; a handler running for
/// another signal (`EINTR`) does not end the wait, and the timeout keeps counting down.
///
/// # Errors
/// - [`ErrorKind::TimedOut`]: no signal of `set` arrived within `timeout`
///   (`Some(Duration::ZERO)` polls).
/// - [`ErrorKind::InvalidInput`]: `set` holds `SIGKILL` or `SIGSTOP`, or is empty.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use ipckit::{ErrorKind, signal::{block, kill, wait, Signal, SignalSet}};
/// let set = SignalSet::from(Signal::USR2);
/// let _mask = block(&set)?;
/// assert_eq!(wait(&set, Some(Duration::ZERO)).unwrap_err().kind(), ErrorKind::TimedOut);
/// kill(std::process::id(), Signal::USR2)?;
/// let info = wait(&set, Some(Duration::from_secs(5)))?;
/// assert_eq!(info.signal(), Signal::USR2);
/// assert_eq!(info.sender_pid(), std::process::id());
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/sigtimedwait.2.html>
#[doc(alias = "sigtimedwait")]
#[doc(alias = "sigwaitinfo")]
pub fn wait(set: &SignalSet, timeout: Option<Duration>) -> Result<SigInfo> {
    const OP: &str = "sigtimedwait";
    set.require_catchable(OP)?;
    if set.is_empty() {
        return Err(Error::new(ErrorKind::InvalidInput, OP, "empty set")
            .with_detail("waiting for no signal would never return"));
    }
    let raw = match timeout {
        None => retry_eintr(|| sys::sigtimedwait(set.as_sys(), None)),
        Some(t) => retry_eintr_until(Deadline::after(t), |left| {
            sys::sigtimedwait(set.as_sys(), Some(left))
        }),
    };
    match raw {
        Ok(raw) => Ok(SigInfo::from_raw(raw)),
        Err(Errno::EAGAIN) => Err(Error::from_errno(Errno::EAGAIN, OP, set)
            .with_kind(ErrorKind::TimedOut)
            .with_detail(format!(
                "no signal within {}",
                crate::error::duration_text(timeout.unwrap_or_default())
            ))),
        Err(e) => Err(e).ctx(OP, set),
    }
}

/// A `signalfd(2)`: a file descriptor from which blocked signals of a set are read as
/// records with their siginfo, one per arrival (each queued real-time instance, and once
/// per standard signal however often it was sent while pending).
///
/// The fd is `O_CLOEXEC` and non-blocking; [`SignalFd::recv`] waits with `poll(2)`. It is
/// [`AsFd`], so it can sit in a `poll`/`epoll` set beside sockets and pipes. Block the set
/// first (in every thread, see [`block`]): an unblocked signal takes its normal disposition
/// and never reaches the fd.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use ipckit::signal::{block, queue, Signal, SignalFd, SignalSet};
/// let set = SignalSet::from(Signal::rtmin());
/// let _mask = block(&set)?;
/// let fd = SignalFd::new(&set)?;
/// queue(std::process::id(), Signal::rtmin(), 1)?;
/// queue(std::process::id(), Signal::rtmin(), 2)?;
/// assert_eq!(fd.recv_timeout(Duration::from_secs(5))?.value(), 1);
/// assert_eq!(fd.recv_timeout(Duration::from_secs(5))?.value(), 2);
/// assert!(fd.try_recv()?.is_none());
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/signalfd.2.html>
#[derive(Debug)]
#[doc(alias = "signalfd")]
pub struct SignalFd {
    fd: OwnedFd,
    set: SignalSet,
}

impl SignalFd {
    /// `signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK)`: a new fd reading the signals of
    /// `set`.
    ///
    /// # Errors
    /// - [`ErrorKind::InvalidInput`]: `set` holds `SIGKILL` or `SIGSTOP` (the kernel would
    ///   silently drop them).
    /// - [`ErrorKind::LimitReached`]: out of file descriptors (`EMFILE`, `ENFILE`) or memory.
    ///
    /// # Examples
    /// See [`SignalFd`]. The fd is [`AsFd`], for a `poll`/`epoll` loop of your own:
    /// ```
    /// use std::os::fd::AsFd;
    /// use std::time::Duration;
    /// use ipckit::signal::{block, kill, Signal, SignalFd, SignalSet};
    /// let set = SignalSet::from(Signal::USR1);
    /// let _mask = block(&set)?;
    /// let fd = SignalFd::new(&set)?;
    /// let _for_poll = fd.as_fd(); // readable while a signal of the set is pending
    /// kill(std::process::id(), Signal::USR1)?;
    /// let mut got = Vec::new();
    /// assert_eq!(fd.recv_many(&mut got, Some(Duration::from_secs(5)))?, 1);
    /// assert_eq!(got[0].signal(), Signal::USR1);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/signalfd.2.html>
    #[doc(alias = "signalfd")]
    pub fn new(set: &SignalSet) -> Result<SignalFd> {
        set.require_catchable("signalfd")?;
        let fd = sys::signalfd(set.as_sys()).ctx("signalfd", set)?;
        Ok(SignalFd { fd, set: *set })
    }

    /// The set it reads.
    pub fn set(&self) -> &SignalSet {
        &self.set
    }

    /// `signalfd(fd, set)`: reads `set` from now on instead.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] if `set` holds `SIGKILL` or `SIGSTOP`.
    #[doc(alias = "signalfd")]
    pub fn set_mask(&mut self, set: &SignalSet) -> Result<()> {
        set.require_catchable("signalfd")?;
        sys::signalfd_set_mask(self.fd.as_fd(), set.as_sys()).ctx("signalfd", set)?;
        self.set = *set;
        Ok(())
    }

    /// `read(2)`: the next pending signal of the set, or `None` if none is pending.
    ///
    /// # Errors
    /// Read failures other than "nothing pending" (not expected).
    pub fn try_recv(&self) -> Result<Option<SigInfo>> {
        source::try_recv(self)
    }

    /// `read(2)`: appends every pending signal of the set to `buf` (several records per
    /// read), without waiting; returns how many it appended (0 if none is pending).
    ///
    /// # Errors
    /// As [`SignalFd::try_recv`].
    ///
    /// # Examples
    /// ```
    /// use ipckit::signal::{block, queue, Signal, SignalFd, SignalSet};
    /// let sig = Signal::realtime(3)?;
    /// let _mask = block(&SignalSet::from(sig))?;
    /// let fd = SignalFd::new(&SignalSet::from(sig))?;
    /// for v in 0..3 {
    ///     queue(std::process::id(), sig, v)?;
    /// }
    /// let mut buf = Vec::new();
    /// assert_eq!(fd.try_recv_many(&mut buf)?, 3);
    /// assert_eq!(buf.iter().map(|i| i.value()).collect::<Vec<_>>(), [0, 1, 2]);
    /// assert_eq!(fd.try_recv_many(&mut buf)?, 0);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    pub fn try_recv_many(&self, buf: &mut Vec<SigInfo>) -> Result<usize> {
        source::try_recv_many(self, buf)
    }

    /// Waits (`poll(2)`, `EINTR` retried) for the next signal of the set and returns it.
    ///
    /// # Errors
    /// As [`SignalFd::try_recv`].
    pub fn recv(&self) -> Result<SigInfo> {
        source::recv(self, None)
    }

    /// As [`SignalFd::recv`], giving up after `timeout`.
    ///
    /// # Errors
    /// [`ErrorKind::TimedOut`] if no signal of the set arrived in time; else as
    /// [`SignalFd::try_recv`].
    pub fn recv_timeout(&self, timeout: Duration) -> Result<SigInfo> {
        source::recv(self, Some(timeout))
    }

    /// Waits up to `timeout` (`None`: forever) for a signal of the set, then appends it and
    /// every other pending one to `buf`; returns how many it appended (at least 1).
    ///
    /// # Errors
    /// [`ErrorKind::TimedOut`] if no signal of the set arrived in time; else as
    /// [`SignalFd::try_recv`].
    pub fn recv_many(&self, buf: &mut Vec<SigInfo>, timeout: Option<Duration>) -> Result<usize> {
        source::recv_many(self, buf, timeout)
    }
}

impl Source for SignalFd {
    fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    fn object(&self) -> String {
        format!("signalfd for {}", self.set)
    }

    fn timed_out(&self, timeout: Duration) -> Error {
        Error::new(ErrorKind::TimedOut, "read", self.object()).with_detail(format!(
            "no signal within {}",
            crate::error::duration_text(timeout)
        ))
    }

    fn read(&self, out: &mut [RawInfo]) -> Result<usize> {
        match retry_eintr(|| sys::signalfd_read(self.fd.as_fd(), out)) {
            Ok(n) => Ok(n),
            Err(Errno::EAGAIN) => Ok(0),
            Err(e) => Err(e).ctx("read", self.object()),
        }
    }
}

/// Blocks on each next signal: `for info in &fd { ... }` (ends on a read error).
impl<'a> IntoIterator for &'a SignalFd {
    type Item = SigInfo;
    type IntoIter = Box<dyn Iterator<Item = SigInfo> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(std::iter::from_fn(move || self.recv().ok()))
    }
}

impl AsFd for SignalFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for SignalFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}
