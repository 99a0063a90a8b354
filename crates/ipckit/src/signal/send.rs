//! Sending: `kill`, `killpg`, the null signal, `sigqueue`.

use super::Signal;
use crate::error::{Context, Error, ErrorKind, Result};
use crate::sys::signal as sys;
use crate::Errno;

/// A pid as the kernel takes it, refusing 0 and values above `i32::MAX` (which `kill(2)`
/// would read as "my group" or "a group").
fn checked_pid(op: &'static str, what: &str, pid: u32) -> Result<i32> {
    match i32::try_from(pid) {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(
            Error::new(ErrorKind::InvalidInput, op, format!("{what} {pid}"))
                .with_detail(format!("a {what} is a number from 1 to {}", i32::MAX)),
        ),
    }
}

/// `ESRCH` means the target does not exist: [`ErrorKind::NotFound`].
fn send_error(e: Errno, op: &'static str, object: String) -> Error {
    let err = Error::from_errno(e, op, object);
    if e == Errno::ESRCH {
        err.with_kind(ErrorKind::NotFound)
    } else if e == Errno::EAGAIN {
        err.with_kind(ErrorKind::LimitReached)
            .with_detail("the receiver's queue of real-time signals is full (RLIMIT_SIGPENDING)")
    } else {
        err
    }
}

/// `kill(2)`: sends `sig` to the process `pid`.
///
/// Delivery is asynchronous: the call returns once the signal is pending at the target.
/// A standard signal already pending there is not queued again (see the [module
/// docs](super)).
///
/// # Errors
/// - [`ErrorKind::InvalidInput`]: `pid` is 0 or above `i32::MAX` (use [`kill_group`] for
///   groups).
/// - [`ErrorKind::NotFound`] (`ESRCH`): no such process (or a zombie no longer signalled).
/// - [`ErrorKind::PermissionDenied`] (`EPERM`): the caller may not signal it.
///
/// # Examples
/// ```
/// use ipckit::signal::{kill, Signal};
/// let mut child = std::process::Command::new("sleep").arg("30").spawn()?;
/// kill(child.id(), Signal::TERM)?;
/// let status = child.wait()?;
/// use std::os::unix::process::ExitStatusExt;
/// assert_eq!(status.signal(), Some(Signal::TERM.as_raw()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/kill.2.html>
pub fn kill(pid: u32, sig: Signal) -> Result<()> {
    let p = checked_pid("kill", "pid", pid)?;
    sys::kill(p, sig.as_raw()).map_err(|e| send_error(e, "kill", format!("pid {pid} with {sig}")))
}

/// `killpg(2)`: sends `sig` to every process of the process group `pgid`.
///
/// # Errors
/// - [`ErrorKind::InvalidInput`]: `pgid` is 0 or above `i32::MAX`.
/// - [`ErrorKind::NotFound`] (`ESRCH`): no such process group.
/// - [`ErrorKind::PermissionDenied`] (`EPERM`): the caller may signal none of its members.
///
/// # Examples
/// ```
/// use std::os::unix::process::{CommandExt, ExitStatusExt};
/// use ipckit::signal::{kill_group, Signal};
/// // A child in a new process group of its own (pgid = its pid).
/// let mut child = std::process::Command::new("sleep").arg("30").process_group(0).spawn()?;
/// kill_group(child.id(), Signal::TERM)?;
/// assert_eq!(child.wait()?.signal(), Some(Signal::TERM.as_raw()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man3/killpg.3.html>
#[doc(alias = "killpg")]
pub fn kill_group(pgid: u32, sig: Signal) -> Result<()> {
    let p = checked_pid("killpg", "process group", pgid)?;
    sys::killpg(p, sig.as_raw())
        .map_err(|e| send_error(e, "killpg", format!("process group {pgid} with {sig}")))
}

/// What sending the null signal to a process found out (see [`probe`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Probe {
    /// The process exists and the caller may signal it.
    MaySignal,
    /// The process exists but the caller may not signal it (`EPERM`).
    NotPermitted,
    /// No such process (`ESRCH`); a zombie not yet reaped still counts as existing.
    NoSuchProcess,
}

impl Probe {
    /// Whether the process exists (either of the first two answers).
    pub fn exists(self) -> bool {
        self != Probe::NoSuchProcess
    }
}

/// `kill(pid, 0)`: the null signal, which checks that `pid` exists and may be signalled
/// without sending anything.
///
/// A pid can be reused after its process ended: a positive answer about a process you did
/// not start says "some process has this pid now".
///
/// # Errors
/// [`ErrorKind::InvalidInput`] for a pid of 0 or above `i32::MAX`; any other failure than
/// `ESRCH`/`EPERM` as its kind.
///
/// # Examples
/// ```
/// use ipckit::signal::{probe, Probe};
/// assert_eq!(probe(std::process::id())?, Probe::MaySignal);
/// let mut child = std::process::Command::new("true").spawn()?;
/// let pid = child.id();
/// child.wait()?; // reaped: the pid is free
/// assert!(matches!(probe(pid)?, Probe::NoSuchProcess | Probe::MaySignal)); // (or reused)
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/kill.2.html>
#[doc(alias = "kill")]
pub fn probe(pid: u32) -> Result<Probe> {
    let p = checked_pid("kill", "pid", pid)?;
    match sys::kill(p, 0) {
        Ok(()) => Ok(Probe::MaySignal),
        Err(Errno::EPERM) => Ok(Probe::NotPermitted),
        Err(Errno::ESRCH) => Ok(Probe::NoSuchProcess),
        Err(e) => Err(e).ctx("kill", format!("pid {pid} with the null signal")),
    }
}

/// `sigqueue(3)`: sends `sig` to `pid` with `value` (`si_value.sival_int`).
///
/// With a real-time signal every call is queued and delivered in order with its value;
/// with a standard signal a second one sent while the first is pending is lost (value
/// included). The receiver reads the value with [`SigInfo::value`](super::SigInfo::value).
///
/// # Errors
/// - [`ErrorKind::InvalidInput`]: `pid` is 0 or above `i32::MAX`.
/// - [`ErrorKind::NotFound`] (`ESRCH`), [`ErrorKind::PermissionDenied`] (`EPERM`): as [`kill`].
/// - [`ErrorKind::LimitReached`] (`EAGAIN`): the receiver's user has `RLIMIT_SIGPENDING`
///   signals queued already.
///
/// # Examples
/// ```
/// use ipckit::signal::{block, queue, wait, Signal, SignalSet};
/// use std::time::Duration;
/// let sig = Signal::realtime(2)?;
/// let _mask = block(&SignalSet::from(sig))?; // single-threaded: the signal stays pending
/// queue(std::process::id(), sig, 42)?;
/// let info = wait(&SignalSet::from(sig), Some(Duration::from_secs(5)))?;
/// assert_eq!((info.signal(), info.value(), info.sender_pid()), (sig, 42, std::process::id()));
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man3/sigqueue.3.html>
#[doc(alias = "sigqueue")]
pub fn queue(pid: u32, sig: Signal, value: i32) -> Result<()> {
    let p = checked_pid("sigqueue", "pid", pid)?;
    sys::sigqueue(p, sig.as_raw(), value)
        .map_err(|e| send_error(e, "sigqueue", format!("pid {pid} with {sig}")))
}
