//! Dispositions: a recording handler ([`Catcher`]), ignoring, the default; each undone on drop.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::Duration;

use super::source::{self, Source};
use super::{SigInfo, Signal, SignalSet};
use crate::error::{Context, Error, ErrorKind, Result};
use crate::sys::retry_eintr;
use crate::sys::signal::{self as sys, Action, RawInfo, SavedAction};
use crate::Errno;

/// The disposition a signal had before [`ignore`] or [`set_default`], put back on drop.
///
/// Dispositions are per process: while the guard lives, every thread sees the new one.
/// Guards (and [`Catcher`]s) for the same signal nest; drop them in reverse order.
#[must_use = "the previous disposition is restored when the guard is dropped"]
#[derive(Debug)]
pub struct DispositionGuard {
    signal: Signal,
    saved: SavedAction,
}

impl DispositionGuard {
    /// The signal whose disposition it restores.
    pub fn signal(&self) -> Signal {
        self.signal
    }
}

impl Drop for DispositionGuard {
    fn drop(&mut self) {
        // Cannot fail: the signal was accepted when the guard was made.
        let _ = sys::restore_action(self.signal.as_raw(), &self.saved);
    }
}

fn set(sig: Signal, action: Action, op: &'static str) -> Result<DispositionGuard> {
    sig.require_catchable(op)?;
    let saved = sys::set_action(sig.as_raw(), action).ctx(op, sig)?;
    Ok(DispositionGuard { signal: sig, saved })
}

/// `sigaction(sig, SIG_IGN)`: ignores `sig` in the whole process until the guard drops.
///
/// An ignored signal is discarded on arrival (even if blocked: a pending one is dropped).
/// Ignoring `SIGCHLD` makes the kernel reap children itself, so `waitpid` then finds none.
/// Children inherit ignored dispositions across `exec`.
///
/// # Errors
/// [`ErrorKind::InvalidInput`] for `SIGKILL` and `SIGSTOP`.
///
/// # Examples
/// ```
/// use ipckit::signal::{ignore, kill, Signal};
/// let _guard = ignore(Signal::USR1)?;
/// kill(std::process::id(), Signal::USR1)?; // would terminate without the guard
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/sigaction.2.html>
#[doc(alias = "sigaction")]
#[doc(alias = "SIG_IGN")]
pub fn ignore(sig: Signal) -> Result<DispositionGuard> {
    set(sig, Action::Ignore, "sigaction(SIG_IGN)")
}

/// `sigaction(sig, SIG_DFL)`: gives `sig` its default action ([`Signal::default_action`])
/// until the guard drops.
///
/// # Errors
/// [`ErrorKind::InvalidInput`] for `SIGKILL` and `SIGSTOP` (whose disposition is always the
/// default).
///
/// # Examples
/// ```
/// use ipckit::signal::{set_default, Signal};
/// // Rust ignores SIGPIPE at start-up; give it back its default for a while.
/// let _guard = set_default(Signal::PIPE)?;
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/sigaction.2.html>
#[doc(alias = "sigaction")]
#[doc(alias = "SIG_DFL")]
pub fn set_default(sig: Signal) -> Result<DispositionGuard> {
    set(sig, Action::Default, "sigaction(SIG_DFL)")
}

/// A signal handler (`sigaction` with `SA_SIGINFO`) that records every arrival, with its
/// siginfo, for the program to read outside the handler.
///
/// The handler writes one 32-byte record per delivery to a pipe (the self-pipe trick: it
/// does nothing but async-signal-safe `write(2)`); [`Catcher::recv`], [`Catcher::try_recv`]
/// and the iterator read them back as [`SigInfo`]s (signal, origin, sender pid and uid,
/// `sigqueue` value). The read end is [`AsFd`], to wait for signals in a `poll` loop. The
/// handler is installed with `SA_RESTART` and all signals blocked while it runs.
///
/// Each delivery is one record: queued real-time signals give one record each, while a
/// standard signal sent several times while it was already pending is delivered (and
/// recorded) once. If the pipe is full (about 2000 unread records), further arrivals are
/// counted in [`Catcher::dropped`] instead.
///
/// Order: the kernel delivers queued real-time signals of one number in the order they were
/// sent, but in a multi-threaded process each delivery may run the handler on a different
/// thread, concurrently, so records can reach the pipe in another order. Where order
/// matters, block the signals in every thread and read them in order with
/// [`SignalFd`](crate::signal::SignalFd) or [`wait`](crate::signal::wait) instead.
///
/// Dropping the `Catcher` restores each signal's previous disposition. One `Catcher` at a
/// time may catch a given signal.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use ipckit::signal::{queue, Catcher, Origin, Signal};
/// let catcher = Catcher::new([Signal::USR1])?;
/// queue(std::process::id(), Signal::USR1, 7)?; // delivered to the handler at once
/// let info = catcher.recv_timeout(Duration::from_secs(5))?;
/// assert_eq!((info.signal(), info.origin(), info.value()), (Signal::USR1, Origin::Queue, 7));
/// drop(catcher); // SIGUSR1 terminates the process again
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// - <https://man7.org/linux/man-pages/man2/sigaction.2.html>
/// - <https://man7.org/linux/man-pages/man7/signal-safety.7.html>
#[doc(alias = "sigaction")]
#[doc(alias = "SA_SIGINFO")]
#[derive(Debug)]
pub struct Catcher {
    read: OwnedFd,
    // Kept open for the handler; closed after the slots are released.
    write: OwnedFd,
    installed: Vec<(Signal, SavedAction)>,
    set: SignalSet,
}

impl Catcher {
    /// Installs the recording handler for each of `signals`.
    ///
    /// # Errors
    /// - [`ErrorKind::InvalidInput`]: `SIGKILL` or `SIGSTOP` is among them.
    /// - [`ErrorKind::AlreadyExists`]: another live `Catcher` already catches one of them.
    /// - [`ErrorKind::LimitReached`]: no file descriptor left for the pipe.
    ///
    /// On error nothing stays installed.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{ErrorKind, signal::{Catcher, Signal}};
    /// let c = Catcher::new([Signal::USR2, Signal::rtmin()])?;
    /// assert!(c.signals().contains(Signal::USR2));
    /// // One catcher per signal; SIGKILL cannot be caught at all.
    /// assert_eq!(Catcher::new([Signal::USR2]).unwrap_err().kind(), ErrorKind::AlreadyExists);
    /// assert_eq!(Catcher::new([Signal::KILL]).unwrap_err().kind(), ErrorKind::InvalidInput);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/sigaction.2.html>
    pub fn new(signals: impl IntoIterator<Item = Signal>) -> Result<Catcher> {
        const OP: &str = "sigaction(SA_SIGINFO)";
        let set: SignalSet = signals.into_iter().collect();
        set.require_catchable(OP)?;
        let (read, write) = sys::record_pipe().ctx("pipe2", PIPE)?;
        let mut catcher = Catcher {
            read,
            write,
            installed: Vec::new(),
            set,
        };
        for sig in set.iter() {
            if !sys::claim_slot(sig.as_raw(), catcher.write.as_raw_fd()) {
                return Err(Error::new(ErrorKind::AlreadyExists, OP, sig)
                    .with_detail("another ipckit Catcher already catches this signal"));
            }
            match sys::set_action(sig.as_raw(), Action::Record) {
                Ok(saved) => catcher.installed.push((sig, saved)),
                Err(e) => {
                    sys::release_slot(sig.as_raw());
                    return Err(Error::from_errno(e, OP, sig));
                }
            }
        }
        Ok(catcher)
    }

    /// The signals it catches.
    pub fn signals(&self) -> &SignalSet {
        &self.set
    }

    /// `read(2)` of the self-pipe: the next recorded signal, or `None` if none arrived since
    /// the last read.
    ///
    /// # Errors
    /// Read failures of the pipe (not expected).
    ///
    /// # Examples
    /// ```
    /// use ipckit::signal::{kill, Catcher, Signal};
    /// let c = Catcher::new([Signal::WINCH])?;
    /// assert!(c.try_recv()?.is_none());
    /// kill(std::process::id(), Signal::WINCH)?; // handled before kill returns (one thread)
    /// assert_eq!(c.try_recv()?.map(|i| i.signal()), Some(Signal::WINCH));
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    pub fn try_recv(&self) -> Result<Option<SigInfo>> {
        source::try_recv(self)
    }

    /// `read(2)` of the self-pipe: appends every signal recorded since the last read to
    /// `buf` (several records per read), without waiting; returns how many it appended (0
    /// if none arrived).
    ///
    /// # Errors
    /// As [`Catcher::try_recv`].
    ///
    /// # Examples
    /// ```
    /// use ipckit::signal::{queue, Catcher, Signal};
    /// let sig = Signal::realtime(5)?;
    /// let c = Catcher::new([sig])?;
    /// queue(std::process::id(), sig, 1)?; // each handled before queue returns (one thread)
    /// queue(std::process::id(), sig, 2)?;
    /// let mut buf = Vec::new();
    /// assert_eq!(c.try_recv_many(&mut buf)?, 2);
    /// assert_eq!(buf.iter().map(|i| i.value()).collect::<Vec<_>>(), [1, 2]);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    pub fn try_recv_many(&self, buf: &mut Vec<SigInfo>) -> Result<usize> {
        source::try_recv_many(self, buf)
    }

    /// `poll(2)` then `read(2)`: waits for the next signal and returns it (`EINTR`
    /// retried).
    ///
    /// # Errors
    /// As [`Catcher::try_recv`].
    pub fn recv(&self) -> Result<SigInfo> {
        source::recv(self, None)
    }

    /// As [`Catcher::recv`], waiting up to `timeout` (the time keeps counting down across
    /// `EINTR`).
    ///
    /// # Errors
    /// [`ErrorKind::TimedOut`] if none arrived in time; else as [`Catcher::try_recv`].
    pub fn recv_timeout(&self, timeout: Duration) -> Result<SigInfo> {
        source::recv(self, Some(timeout))
    }

    /// Waits up to `timeout` (`None`: forever) for a signal, then appends it and every other
    /// recorded one to `buf`; returns how many it appended (at least 1).
    ///
    /// # Errors
    /// [`ErrorKind::TimedOut`] if none arrived in time; else as [`Catcher::try_recv`].
    pub fn recv_many(&self, buf: &mut Vec<SigInfo>, timeout: Option<Duration>) -> Result<usize> {
        source::recv_many(self, buf, timeout)
    }

    /// The signals recorded so far and not yet read, without waiting.
    pub fn drain(&self) -> impl Iterator<Item = SigInfo> + '_ {
        std::iter::from_fn(move || self.try_recv().ok().flatten())
    }

    /// Arrivals of the caught signals that could not be recorded because the pipe was full
    /// (counted per signal over the life of the process).
    pub fn dropped(&self) -> u64 {
        self.set.iter().map(|s| sys::dropped(s.as_raw())).sum()
    }
}

/// The object of the catcher's pipe errors.
const PIPE: &str = "signal catcher pipe";

impl Source for Catcher {
    fn fd(&self) -> BorrowedFd<'_> {
        self.read.as_fd()
    }

    fn object(&self) -> String {
        PIPE.to_string()
    }

    fn timed_out(&self, timeout: Duration) -> Error {
        Error::new(ErrorKind::TimedOut, "recv", format!("signals {}", self.set)).with_detail(
            format!("no signal within {}", crate::error::duration_text(timeout)),
        )
    }

    fn read(&self, out: &mut [RawInfo]) -> Result<usize> {
        const BATCH: usize = 16;
        let mut buf = [0u8; sys::RECORD_SIZE * BATCH];
        let want = out.len().min(BATCH) * sys::RECORD_SIZE;
        match retry_eintr(|| sys::read_records(self.read.as_fd(), &mut buf[..want])) {
            // Records are written whole (below PIPE_BUF) and read whole.
            Ok(n) if n % sys::RECORD_SIZE == 0 => {
                let records = buf[..n].chunks_exact(sys::RECORD_SIZE);
                for (o, rec) in out.iter_mut().zip(records) {
                    *o = sys::decode_record(rec);
                }
                Ok(n / sys::RECORD_SIZE)
            }
            Ok(n) => Err(Error::new(ErrorKind::Other, "read", PIPE)
                .with_detail(format!("short record of {n} bytes"))),
            Err(Errno::EAGAIN) => Ok(0),
            Err(e) => Err(e).ctx("read", PIPE),
        }
    }
}

/// Blocks on each next signal: `for info in &catcher { ... }` (ends on a read error).
impl<'a> IntoIterator for &'a Catcher {
    type Item = SigInfo;
    type IntoIter = Box<dyn Iterator<Item = SigInfo> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(std::iter::from_fn(move || self.recv().ok()))
    }
}

impl AsFd for Catcher {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.read.as_fd()
    }
}

impl AsRawFd for Catcher {
    fn as_raw_fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }
}

impl Drop for Catcher {
    fn drop(&mut self) {
        for (sig, saved) in self.installed.drain(..).rev() {
            let _ = sys::restore_action(sig.as_raw(), &saved);
            sys::release_slot(sig.as_raw());
        }
        // `write` closes after this, when no handler can still be using it.
    }
}
