//! Signals: the signal table, sending (`kill`, `sigqueue`), dispositions, masks, `signalfd`.
//!
//! A signal carries a number and, when sent with [`queue`] (`sigqueue(3)`), one `int` of
//! payload. It is a notification, not a data channel:
//!
//! - A *standard* signal (1..=31) is a bit in the pending set: sent N times while blocked, it
//!   is delivered **once**.
//! - A *real-time* signal (`SIGRTMIN..=SIGRTMAX`) is queued: sent N times, it is delivered N
//!   times, in order, each with its value, up to the `RLIMIT_SIGPENDING` limit.
//!
//! What this module offers:
//!
//! | need | use |
//! |---|---|
//! | names, numbers, descriptions, default actions (`kill -l`) | [`Signal`], [`DefaultAction`] |
//! | send | [`kill`], [`kill_group`], [`queue`] (with a value), [`probe`] (the null signal) |
//! | react in a handler, get each arrival with its siginfo | [`Catcher`] |
//! | ignore / restore the default, undone on drop | [`ignore`], [`set_default`] |
//! | block / unblock for this thread, undone on drop | [`block`], [`unblock`], [`set_mask`], [`pending`] |
//! | read blocked signals synchronously | [`wait`] (`sigtimedwait`), [`SignalFd`] (`signalfd`, pollable) |
//! | take many arrivals at once into a `Vec` you reuse | [`Catcher::recv_many`], [`SignalFd::recv_many`] and their `try_` forms |
//!
//! `SIGKILL` and `SIGSTOP` can be neither caught, ignored nor blocked: asking for it is an
//! [`crate::ErrorKind::InvalidInput`] error rather than the silent
//! no-op the kernel makes of it.
//!
//! Dispositions are per process, masks per thread: a signal sent to a process goes to any
//! one of its threads that does not block it. To read signals synchronously ([`wait`],
//! [`SignalFd`]) block them in *every* thread, most simply by blocking them in `main` before
//! any thread starts (threads and children started with `std::process::Command` inherit the
//! mask).
//!
//! # References
//! - <https://man7.org/linux/man-pages/man7/signal.7.html>
//! - <https://man7.org/linux/man-pages/man2/sigaction.2.html>

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use crate::error::{Error, ErrorKind, Result};
use crate::sys::signal as sys;

mod disposition;
mod mask;
mod send;
mod source;

pub use disposition::{ignore, set_default, Catcher, DispositionGuard};
pub use mask::{block, current_mask, pending, set_mask, unblock, wait, MaskGuard, SignalFd};
pub use send::{kill, kill_group, probe, queue, Probe};

/// A signal number: one of the standard signals (1..=31 on Linux) or a real-time signal in
/// `SIGRTMIN..=SIGRTMAX`.
///
/// Parsed from a name with or without the `SIG` prefix, in any case (`SIGINT`, `int`,
/// `RTMIN+3`, `SIGRTMAX-1`, `IOT`, `POLL`, `CLD`) or from a number (`2`); displayed as the
/// `SIG` name (`SIGINT`, `SIGRTMIN+3`; a real-time signal in the upper half of the range is
/// shown from `RTMAX`, as bash's `kill -l` does); `{:#}` leaves out the `SIG` prefix.
///
/// # Examples
/// ```
/// use ipckit::signal::{DefaultAction, Signal};
///
/// let s: Signal = "int".parse()?;
/// assert_eq!(s, Signal::INT);
/// assert_eq!(s.as_raw(), 2);
/// assert_eq!(s.to_string(), "SIGINT");
/// assert_eq!(s.default_action(), DefaultAction::Terminate);
///
/// let rt: Signal = "RTMIN+3".parse()?;
/// assert_eq!(rt.as_raw(), Signal::rtmin().as_raw() + 3);
/// assert_eq!(rt.name(), "RTMIN+3");
/// assert_eq!("SIGRTMAX-1".parse::<Signal>()?.as_raw(), Signal::rtmax().as_raw() - 1);
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man7/signal.7.html>
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signal(i32);

/// What the kernel does with a signal whose disposition is the default (`SIG_DFL`).
///
/// # References
/// <https://man7.org/linux/man-pages/man7/signal.7.html> ("Signal dispositions")
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DefaultAction {
    /// Terminate the process (`Term`).
    Terminate,
    /// Terminate the process and dump core (`Core`).
    Core,
    /// Ignore the signal (`Ign`).
    Ignore,
    /// Stop the process (`Stop`).
    Stop,
    /// Continue the process if it is stopped (`Cont`).
    Continue,
}

impl DefaultAction {
    /// The short name signal(7) uses: `Term`, `Core`, `Ign`, `Stop`, `Cont`.
    pub fn as_str(self) -> &'static str {
        match self {
            DefaultAction::Terminate => "Term",
            DefaultAction::Core => "Core",
            DefaultAction::Ignore => "Ign",
            DefaultAction::Stop => "Stop",
            DefaultAction::Continue => "Cont",
        }
    }
}

impl fmt::Display for DefaultAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Other names the C library and shells accept for the same numbers.
const ALIASES: &[(&str, i32)] = &[
    ("IOT", sys::SIGABRT),
    ("POLL", sys::SIGIO),
    ("CLD", sys::SIGCHLD),
];

/// Whether `n` is one of the standard (non-real-time) signals of the system.
fn is_standard(n: i32) -> bool {
    sys::STANDARD.iter().any(|&(s, _)| s == n)
}

impl Signal {
    /// `SIGHUP`: hangup of the controlling terminal, or "reload the configuration".
    pub const HUP: Signal = Signal(sys::SIGHUP);
    /// `SIGINT`: interrupt from the keyboard (Ctrl-C).
    pub const INT: Signal = Signal(sys::SIGINT);
    /// `SIGQUIT`: quit from the keyboard (Ctrl-\), dumps core.
    pub const QUIT: Signal = Signal(sys::SIGQUIT);
    /// `SIGILL`: illegal instruction.
    pub const ILL: Signal = Signal(sys::SIGILL);
    /// `SIGTRAP`: trace or breakpoint trap.
    pub const TRAP: Signal = Signal(sys::SIGTRAP);
    /// `SIGABRT`: abort(3).
    pub const ABRT: Signal = Signal(sys::SIGABRT);
    /// `SIGBUS`: bus error (bad memory access, e.g. past the end of a mapped file).
    pub const BUS: Signal = Signal(sys::SIGBUS);
    /// `SIGFPE`: arithmetic exception.
    pub const FPE: Signal = Signal(sys::SIGFPE);
    /// `SIGKILL`: kill; cannot be caught, blocked or ignored.
    pub const KILL: Signal = Signal(sys::SIGKILL);
    /// `SIGUSR1`: user-defined signal 1.
    pub const USR1: Signal = Signal(sys::SIGUSR1);
    /// `SIGSEGV`: invalid memory reference.
    pub const SEGV: Signal = Signal(sys::SIGSEGV);
    /// `SIGUSR2`: user-defined signal 2.
    pub const USR2: Signal = Signal(sys::SIGUSR2);
    /// `SIGPIPE`: write to a pipe or socket with no reader.
    pub const PIPE: Signal = Signal(sys::SIGPIPE);
    /// `SIGALRM`: timer signal from alarm(2) or setitimer(2).
    pub const ALRM: Signal = Signal(sys::SIGALRM);
    /// `SIGTERM`: termination request.
    pub const TERM: Signal = Signal(sys::SIGTERM);
    /// `SIGSTKFLT`: stack fault on a coprocessor (unused).
    pub const STKFLT: Signal = Signal(sys::SIGSTKFLT);
    /// `SIGCHLD`: a child stopped, continued or terminated.
    pub const CHLD: Signal = Signal(sys::SIGCHLD);
    /// `SIGCONT`: continue if stopped.
    pub const CONT: Signal = Signal(sys::SIGCONT);
    /// `SIGSTOP`: stop the process; cannot be caught, blocked or ignored.
    pub const STOP: Signal = Signal(sys::SIGSTOP);
    /// `SIGTSTP`: stop typed at the terminal (Ctrl-Z).
    pub const TSTP: Signal = Signal(sys::SIGTSTP);
    /// `SIGTTIN`: terminal input for a background process.
    pub const TTIN: Signal = Signal(sys::SIGTTIN);
    /// `SIGTTOU`: terminal output for a background process.
    pub const TTOU: Signal = Signal(sys::SIGTTOU);
    /// `SIGURG`: urgent condition on a socket.
    pub const URG: Signal = Signal(sys::SIGURG);
    /// `SIGXCPU`: CPU time limit exceeded.
    pub const XCPU: Signal = Signal(sys::SIGXCPU);
    /// `SIGXFSZ`: file size limit exceeded.
    pub const XFSZ: Signal = Signal(sys::SIGXFSZ);
    /// `SIGVTALRM`: virtual alarm clock.
    pub const VTALRM: Signal = Signal(sys::SIGVTALRM);
    /// `SIGPROF`: profiling timer expired.
    pub const PROF: Signal = Signal(sys::SIGPROF);
    /// `SIGWINCH`: window resize.
    pub const WINCH: Signal = Signal(sys::SIGWINCH);
    /// `SIGIO` (`SIGPOLL`): I/O now possible.
    pub const IO: Signal = Signal(sys::SIGIO);
    /// `SIGPWR`: power failure.
    pub const PWR: Signal = Signal(sys::SIGPWR);
    /// `SIGSYS`: bad system call.
    pub const SYS: Signal = Signal(sys::SIGSYS);

    /// The signal numbered `n`, checked against the signals this system has.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] if `n` is 0 (the null signal: see [`probe`]), negative,
    /// above `SIGRTMAX`, or one of the real-time numbers the C library reserves for itself
    /// (32 and 33 with glibc).
    ///
    /// # Examples
    /// ```
    /// use ipckit::signal::Signal;
    /// assert_eq!(Signal::from_raw(15)?, Signal::TERM);
    /// assert!(Signal::from_raw(0).is_err());
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    pub fn from_raw(n: i32) -> Result<Signal> {
        if is_standard(n) || (sys::rtmin()..=sys::rtmax()).contains(&n) {
            Ok(Signal(n))
        } else {
            Err(
                Error::new(ErrorKind::InvalidInput, "signal", n).with_detail(format!(
                    "not a signal number (1..={} without the C library's reserved {}..={})",
                    sys::rtmax(),
                    sys::STANDARD.len() + 1,
                    sys::rtmin() - 1
                )),
            )
        }
    }

    /// The signal's number.
    pub fn as_raw(self) -> i32 {
        self.0
    }

    /// `SIGRTMIN`: the lowest real-time signal an application may use (34 with glibc).
    #[doc(alias = "SIGRTMIN")]
    pub fn rtmin() -> Signal {
        Signal(sys::rtmin())
    }

    /// `SIGRTMAX`: the highest real-time signal (64 on Linux).
    #[doc(alias = "SIGRTMAX")]
    pub fn rtmax() -> Signal {
        Signal(sys::rtmax())
    }

    /// The real-time signal `SIGRTMIN+offset`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] if `SIGRTMIN+offset` is above `SIGRTMAX`.
    ///
    /// # Examples
    /// ```
    /// use ipckit::signal::Signal;
    /// let s = Signal::realtime(1)?;
    /// assert_eq!(s.rt_offset(), Some(1));
    /// assert!(Signal::realtime(1000).is_err());
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    pub fn realtime(offset: u32) -> Result<Signal> {
        let n = i64::from(sys::rtmin()) + i64::from(offset);
        if n <= i64::from(sys::rtmax()) {
            Ok(Signal(n as i32))
        } else {
            Err(
                Error::new(ErrorKind::InvalidInput, "signal", format!("RTMIN+{offset}"))
                    .with_detail(format!(
                        "real-time offsets go from 0 to {}",
                        sys::rtmax() - sys::rtmin()
                    )),
            )
        }
    }

    /// Whether this is a real-time signal (queued, carries a value in order).
    pub fn is_realtime(self) -> bool {
        (sys::rtmin()..=sys::rtmax()).contains(&self.0)
    }

    /// For a real-time signal, `n` in `SIGRTMIN+n`.
    pub fn rt_offset(self) -> Option<u32> {
        self.is_realtime().then(|| (self.0 - sys::rtmin()) as u32)
    }

    /// Whether a handler may be installed for it, and it may be ignored or blocked: every
    /// signal but `SIGKILL` and `SIGSTOP`.
    pub fn is_catchable(self) -> bool {
        self != Signal::KILL && self != Signal::STOP
    }

    /// Every signal of the system in number order: the standard ones, then
    /// `SIGRTMIN..=SIGRTMAX`. This is the list `kill -l` prints.
    ///
    /// # Examples
    /// ```
    /// use ipckit::signal::Signal;
    /// let all: Vec<Signal> = Signal::all().collect();
    /// assert_eq!(all[0], Signal::HUP);
    /// assert_eq!(*all.last().unwrap(), Signal::rtmax());
    /// ```
    pub fn all() -> impl Iterator<Item = Signal> {
        sys::STANDARD
            .iter()
            .map(|&(n, _)| Signal(n))
            .chain((sys::rtmin()..=sys::rtmax()).map(Signal))
    }

    /// The name without `SIG`: `INT`, `RTMIN`, `RTMIN+3`, `RTMAX-1`, `RTMAX`.
    ///
    /// Real-time signals in the lower half of the range count from `RTMIN`, the rest from
    /// `RTMAX` (bash's `kill -l` convention).
    #[doc(alias = "sigabbrev_np")]
    pub fn name(self) -> Cow<'static, str> {
        if let Some(&(_, name)) = sys::STANDARD.iter().find(|&&(n, _)| n == self.0) {
            return Cow::Borrowed(name);
        }
        let (min, max) = (sys::rtmin(), sys::rtmax());
        let off = self.0 - min;
        Cow::Owned(if off == 0 {
            "RTMIN".to_string()
        } else if self.0 == max {
            "RTMAX".to_string()
        } else if off <= (max - min) / 2 {
            format!("RTMIN+{off}")
        } else {
            format!("RTMAX-{}", max - self.0)
        })
    }

    /// The description `strsignal(3)` gives (`Interrupt`, `Real-time signal 3`), in the C
    /// locale's language.
    ///
    /// # Examples
    /// ```
    /// use ipckit::signal::Signal;
    /// assert_eq!(Signal::INT.description(), "Interrupt");
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/strsignal.3.html>
    #[doc(alias = "strsignal")]
    pub fn description(self) -> String {
        sys::strsignal(self.0)
    }

    /// What happens to a process that receives it with the default disposition.
    /// Real-time signals terminate.
    pub fn default_action(self) -> DefaultAction {
        match self.0 {
            sys::SIGQUIT
            | sys::SIGILL
            | sys::SIGTRAP
            | sys::SIGABRT
            | sys::SIGBUS
            | sys::SIGFPE
            | sys::SIGSEGV
            | sys::SIGXCPU
            | sys::SIGXFSZ
            | sys::SIGSYS => DefaultAction::Core,
            sys::SIGCHLD | sys::SIGURG | sys::SIGWINCH => DefaultAction::Ignore,
            sys::SIGSTOP | sys::SIGTSTP | sys::SIGTTIN | sys::SIGTTOU => DefaultAction::Stop,
            sys::SIGCONT => DefaultAction::Continue,
            _ => DefaultAction::Terminate,
        }
    }

    pub(crate) fn require_catchable(self, op: &'static str) -> Result<()> {
        if self.is_catchable() {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::InvalidInput, op, self).with_detail(
                "SIGKILL and SIGSTOP cannot be caught, blocked or ignored (signal(7))",
            ))
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `{:#}` leaves out the `SIG` prefix; width and alignment apply.
        if f.alternate() {
            f.pad(&self.name())
        } else {
            f.pad(&format!("SIG{}", self.name()))
        }
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIG{}({})", self.name(), self.0)
    }
}

impl FromStr for Signal {
    type Err = Error;

    /// Parses `SIGINT`, `INT`, `int`, `2`, `RTMIN`, `RTMIN+3`, `SIGRTMAX-1`, `IOT`, `POLL`.
    fn from_str(s: &str) -> Result<Signal> {
        let bad = |why: &str| {
            Error::new(ErrorKind::InvalidInput, "parse signal", format!("{s:?}")).with_detail(why)
        };
        let t = s.trim();
        if t.is_empty() {
            return Err(bad("empty signal name"));
        }
        if let Ok(n) = t.parse::<i32>() {
            return Signal::from_raw(n).map_err(|e| bad(e.detail().unwrap_or("bad number")));
        }
        let upper = t.to_ascii_uppercase();
        let name = upper.strip_prefix("SIG").unwrap_or(&upper);
        if let Some(&(n, _)) = sys::STANDARD.iter().find(|&&(_, nm)| nm == name) {
            return Ok(Signal(n));
        }
        if let Some(&(_, n)) = ALIASES.iter().find(|&&(nm, _)| nm == name) {
            return Ok(Signal(n));
        }
        let rt_err = || {
            bad(&format!(
                "real-time signals go from RTMIN (= {}) to RTMAX (= {}), e.g. RTMIN+3, RTMAX-1",
                sys::rtmin(),
                sys::rtmax()
            ))
        };
        let parse_off = |rest: &str, sign: char| -> Result<i32> {
            if rest.is_empty() {
                return Ok(0);
            }
            let digits = rest.strip_prefix(sign).ok_or_else(rt_err)?;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(rt_err());
            }
            digits.parse::<i32>().map_err(|_| rt_err())
        };
        let n = if let Some(rest) = name.strip_prefix("RTMIN") {
            sys::rtmin().checked_add(parse_off(rest, '+')?)
        } else if let Some(rest) = name.strip_prefix("RTMAX") {
            sys::rtmax().checked_sub(parse_off(rest, '-')?)
        } else {
            return Err(bad("unknown signal name (see `ipckit signal list`)"));
        };
        match n {
            Some(n) if (sys::rtmin()..=sys::rtmax()).contains(&n) => Ok(Signal(n)),
            _ => Err(rt_err()),
        }
    }
}

impl TryFrom<i32> for Signal {
    type Error = Error;
    fn try_from(n: i32) -> Result<Signal> {
        Signal::from_raw(n)
    }
}

impl From<Signal> for i32 {
    fn from(s: Signal) -> i32 {
        s.0
    }
}

/// A set of signals (`sigset_t`), for masks, [`wait`] and [`SignalFd`].
///
/// # Examples
/// ```
/// use ipckit::signal::{Signal, SignalSet};
/// let set: SignalSet = [Signal::USR1, Signal::rtmin()].into_iter().collect();
/// assert!(set.contains(Signal::USR1));
/// assert!(!set.contains(Signal::USR2));
/// assert_eq!(set.iter().count(), 2);
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man3/sigsetops.3.html>
#[derive(Clone, Copy)]
#[doc(alias = "sigset_t")]
pub struct SignalSet(sys::SigSet);

impl SignalSet {
    /// The empty set (`sigemptyset`).
    #[doc(alias = "sigemptyset")]
    pub fn empty() -> SignalSet {
        SignalSet(sys::SigSet::empty())
    }

    /// Every signal that may be blocked: all of [`Signal::all`] but `SIGKILL` and `SIGSTOP`.
    #[doc(alias = "sigfillset")]
    pub fn all_catchable() -> SignalSet {
        Signal::all().filter(|s| s.is_catchable()).collect()
    }

    /// Adds `sig` (`sigaddset`); adding a member again does nothing.
    #[doc(alias = "sigaddset")]
    pub fn insert(&mut self, sig: Signal) {
        // A Signal is always a number the C library accepts, so this cannot fail.
        let _ = self.0.add(sig.0);
    }

    /// Removes `sig` (`sigdelset`).
    #[doc(alias = "sigdelset")]
    pub fn remove(&mut self, sig: Signal) {
        let _ = self.0.remove(sig.0);
    }

    /// Whether `sig` is a member (`sigismember`).
    #[doc(alias = "sigismember")]
    pub fn contains(&self, sig: Signal) -> bool {
        self.0.contains(sig.0)
    }

    /// Whether the set has no member.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The members in number order.
    pub fn iter(&self) -> impl Iterator<Item = Signal> + '_ {
        Signal::all().filter(move |s| self.contains(*s))
    }

    /// The `sigset_t` at the seam.
    pub(crate) fn as_sys(&self) -> &sys::SigSet {
        &self.0
    }

    pub(crate) fn from_sys(set: sys::SigSet) -> SignalSet {
        SignalSet(set)
    }

    /// The first of `SIGKILL`/`SIGSTOP` in the set, refused as `op`.
    pub(crate) fn require_catchable(&self, op: &'static str) -> Result<()> {
        for s in [Signal::KILL, Signal::STOP] {
            if self.contains(s) {
                s.require_catchable(op)?;
            }
        }
        Ok(())
    }
}

impl Default for SignalSet {
    fn default() -> SignalSet {
        SignalSet::empty()
    }
}

impl PartialEq for SignalSet {
    fn eq(&self, other: &SignalSet) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for SignalSet {}

impl fmt::Debug for SignalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl fmt::Display for SignalSet {
    /// Members separated by spaces: `SIGINT SIGUSR1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

impl FromIterator<Signal> for SignalSet {
    fn from_iter<I: IntoIterator<Item = Signal>>(iter: I) -> SignalSet {
        let mut set = SignalSet::empty();
        set.extend(iter);
        set
    }
}

impl Extend<Signal> for SignalSet {
    fn extend<I: IntoIterator<Item = Signal>>(&mut self, iter: I) {
        for s in iter {
            self.insert(s);
        }
    }
}

impl From<Signal> for SignalSet {
    fn from(s: Signal) -> SignalSet {
        std::iter::once(s).collect()
    }
}

impl<const N: usize> From<[Signal; N]> for SignalSet {
    fn from(a: [Signal; N]) -> SignalSet {
        a.into_iter().collect()
    }
}

/// Who or what sent a signal: the `si_code` of its siginfo, decoded.
///
/// # References
/// <https://man7.org/linux/man-pages/man2/sigaction.2.html> ("The siginfo_t argument")
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Origin {
    /// `kill(2)`, `raise(3)` or `killpg(2)` (`SI_USER`).
    Kill,
    /// `sigqueue(3)` (`SI_QUEUE`): the value is meaningful.
    Queue,
    /// A POSIX timer expired (`SI_TIMER`): the value is the timer's `sigev_value`.
    Timer,
    /// A POSIX message queue became non-empty (`SI_MESGQ`).
    MessageQueue,
    /// `tkill(2)` or `tgkill(2)` (`SI_TKILL`).
    Tkill,
    /// The kernel (`SI_KERNEL`, e.g. `alarm(2)`, or a positive `si_code` such as
    /// `CLD_EXITED`, whose meaning depends on the signal: see [`SigInfo::code`]).
    Kernel,
    /// Any other `si_code` (asynchronous I/O, `SI_SIGIO`, ...).
    Other(i32),
}

/// One received signal with its `siginfo_t`: number, origin, sender, value.
///
/// Made by [`Catcher`], [`SignalFd`] and [`wait`]; displayed as
/// `SIGUSR1 from pid 1234 (uid 1000) value 42`.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use ipckit::signal::{block, queue, wait, Origin, Signal, SignalSet};
/// let set = SignalSet::from(Signal::USR1);
/// let _mask = block(&set)?;
/// queue(std::process::id(), Signal::USR1, -7)?;
/// let info = wait(&set, Some(Duration::from_secs(5)))?;
/// assert_eq!(info.origin(), Origin::Queue);
/// assert_eq!(info.value(), -7);
/// use std::os::unix::fs::MetadataExt;
/// assert_eq!(info.sender_uid(), std::fs::metadata("/proc/self")?.uid());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/sigaction.2.html>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[doc(alias = "siginfo_t")]
pub struct SigInfo {
    signal: Signal,
    code: i32,
    pid: i32,
    uid: u32,
    status: i32,
    value: i32,
    value_ptr: u64,
}

impl SigInfo {
    pub(crate) fn from_raw(raw: sys::RawInfo) -> SigInfo {
        let signal = Signal(raw.signo);
        let origin = origin_of(raw.code);
        let has_sender = matches!(origin, Origin::Kill | Origin::Queue | Origin::Tkill)
            || (signal == Signal::CHLD && raw.code > 0);
        let has_value = matches!(origin, Origin::Queue | Origin::Timer | Origin::MessageQueue);
        SigInfo {
            signal,
            code: raw.code,
            pid: if has_sender { raw.pid } else { 0 },
            uid: if has_sender { raw.uid } else { 0 },
            status: if signal == Signal::CHLD && raw.code > 0 {
                raw.status
            } else {
                0
            },
            value: if has_value { raw.value } else { 0 },
            value_ptr: if has_value { raw.value_ptr } else { 0 },
        }
    }

    /// The signal (`si_signo`).
    #[doc(alias = "si_signo")]
    pub fn signal(&self) -> Signal {
        self.signal
    }

    /// The raw `si_code`: negative or zero for a user-space sender (`SI_USER` 0, `SI_QUEUE`
    /// -1, ...), positive for the kernel, with a meaning per signal (`CLD_EXITED` 1,
    /// `CLD_KILLED` 2, `CLD_STOPPED` 5, `CLD_CONTINUED` 6 for `SIGCHLD`).
    #[doc(alias = "si_code")]
    pub fn code(&self) -> i32 {
        self.code
    }

    /// The `si_code` decoded.
    pub fn origin(&self) -> Origin {
        origin_of(self.code)
    }

    /// The sending process (`si_pid`): the sender of `kill`/`sigqueue`, the child for
    /// `SIGCHLD`; 0 when the kernel sent it.
    #[doc(alias = "si_pid")]
    pub fn sender_pid(&self) -> u32 {
        self.pid.max(0) as u32
    }

    /// The real user id of the sender (`si_uid`), 0 when the kernel sent it.
    #[doc(alias = "si_uid")]
    pub fn sender_uid(&self) -> u32 {
        self.uid
    }

    /// For `SIGCHLD` (with a positive code): the child's exit status or the signal that
    /// stopped, continued or killed it (`si_status`); 0 otherwise.
    #[doc(alias = "si_status")]
    pub fn status(&self) -> i32 {
        self.status
    }

    /// The value sent with [`queue`] (`sigqueue`), a POSIX timer or `mq_notify`
    /// (`si_value.sival_int`); 0 for any other origin.
    #[doc(alias = "si_value")]
    #[doc(alias = "sival_int")]
    pub fn value(&self) -> i32 {
        self.value
    }

    /// The whole `si_value` read as the pointer member (`sival_ptr`), as a number.
    #[doc(alias = "sival_ptr")]
    pub fn value_ptr(&self) -> u64 {
        self.value_ptr
    }
}

fn origin_of(code: i32) -> Origin {
    match code {
        sys::SI_USER => Origin::Kill,
        sys::SI_QUEUE => Origin::Queue,
        sys::SI_TIMER => Origin::Timer,
        sys::SI_MESGQ => Origin::MessageQueue,
        sys::SI_TKILL => Origin::Tkill,
        c if c == sys::SI_KERNEL || c > 0 => Origin::Kernel,
        c => Origin::Other(c),
    }
}

impl fmt::Display for SigInfo {
    /// `SIGUSR1 from pid 1234 (uid 1000) value 42`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.signal)?;
        match self.origin() {
            Origin::Kill | Origin::Tkill => {
                write!(f, " from pid {} (uid {})", self.pid, self.uid)
            }
            Origin::Queue => write!(
                f,
                " from pid {} (uid {}) value {}",
                self.pid, self.uid, self.value
            ),
            Origin::Timer => write!(f, " from a timer value {}", self.value),
            Origin::MessageQueue => write!(f, " from a message queue value {}", self.value),
            Origin::Kernel if self.signal == Signal::CHLD => write!(
                f,
                " from child {} (code {}, status {})",
                self.pid, self.code, self.status
            ),
            Origin::Kernel => f.write_str(" from the kernel"),
            Origin::Other(c) => write!(f, " (code {c})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_signal_round_trips_through_its_names_and_number() {
        let all: Vec<Signal> = Signal::all().collect();
        assert_eq!(all.len(), 31 + (sys::rtmax() - sys::rtmin() + 1) as usize);
        for s in all {
            assert_eq!(s.to_string().parse::<Signal>().unwrap(), s, "{s}");
            assert_eq!(s.name().parse::<Signal>().unwrap(), s);
            assert_eq!(s.name().to_lowercase().parse::<Signal>().unwrap(), s);
            assert_eq!(s.as_raw().to_string().parse::<Signal>().unwrap(), s);
            assert!(!s.description().is_empty());
        }
    }

    #[test]
    fn realtime_names_count_from_both_ends() {
        let (min, max) = (sys::rtmin(), sys::rtmax());
        assert_eq!("RTMIN".parse::<Signal>().unwrap().as_raw(), min);
        assert_eq!("sigrtmin+3".parse::<Signal>().unwrap().as_raw(), min + 3);
        assert_eq!("RTMAX-1".parse::<Signal>().unwrap().as_raw(), max - 1);
        assert_eq!("SIGRTMAX".parse::<Signal>().unwrap().as_raw(), max);
        assert_eq!(Signal(min + 1).name(), "RTMIN+1");
        assert_eq!(Signal(max - 1).name(), "RTMAX-1");
        assert_eq!(Signal(max).to_string(), "SIGRTMAX");
        for bad in [
            "RTMIN+99", "RTMAX-99", "RTMIN-1", "RTMAX+1", "RTMIN+", "RTMIN+x", "RTMINX", "0", "32",
            "65", "-1", "", "SIG", "FOO",
        ] {
            let e = bad.parse::<Signal>().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}");
        }
    }

    #[test]
    fn aliases_and_default_actions() {
        assert_eq!("IOT".parse::<Signal>().unwrap(), Signal::ABRT);
        assert_eq!("SIGPOLL".parse::<Signal>().unwrap(), Signal::IO);
        assert_eq!("cld".parse::<Signal>().unwrap(), Signal::CHLD);
        assert_eq!(Signal::CHLD.default_action(), DefaultAction::Ignore);
        assert_eq!(Signal::SEGV.default_action(), DefaultAction::Core);
        assert_eq!(Signal::TSTP.default_action(), DefaultAction::Stop);
        assert_eq!(Signal::CONT.default_action(), DefaultAction::Continue);
        assert_eq!(Signal::rtmax().default_action(), DefaultAction::Terminate);
        assert_eq!(Signal::rtmin().description(), "Real-time signal 0");
    }

    #[test]
    fn set_operations() {
        let mut s = SignalSet::from([Signal::INT, Signal::rtmax()]);
        assert_eq!(s.to_string(), "SIGINT SIGRTMAX");
        s.remove(Signal::INT);
        assert!(!s.contains(Signal::INT));
        assert!(!SignalSet::all_catchable().contains(Signal::KILL));
        assert!(SignalSet::all_catchable().contains(Signal::rtmin()));
        assert!(SignalSet::empty().is_empty());
    }
}
