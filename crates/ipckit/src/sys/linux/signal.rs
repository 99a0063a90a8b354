//! Every signal call of ipckit on Linux: the signal numbers, `sigset_t`, `pthread_sigmask`,
//! `sigpending`, `kill`/`killpg`, `sigqueue`, `sigtimedwait`, `strsignal`, `signalfd`, and
//! `sigaction` with the self-pipe handler behind `signal::Catcher`. Functions take and return
//! plain numbers, [`SigSet`] and [`RawInfo`], and fail with ipckit's own [`Errno`].
//!
//! Everything takes the raw signal number: nix's `Signal` enum cannot name
//! `SIGRTMIN..=SIGRTMAX`. signal-hook's registry keeps its handler installed forever (it
//! cannot put back the previous disposition) and its iterator keeps one slot per signal (it
//! coalesces queued real-time signals and drops `si_value`), so the handler below is ipckit's
//! own: it writes one fixed-size record per arrival to a pipe.

use std::ffi::CStr;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::sys::Deadline;
use crate::Errno;

/// The standard signal numbers of Linux, by their POSIX names.
pub(crate) use libc::{
    SIGABRT, SIGALRM, SIGBUS, SIGCHLD, SIGCONT, SIGFPE, SIGHUP, SIGILL, SIGINT, SIGIO, SIGKILL,
    SIGPIPE, SIGPROF, SIGPWR, SIGQUIT, SIGSEGV, SIGSTKFLT, SIGSTOP, SIGSYS, SIGTERM, SIGTRAP,
    SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGUSR1, SIGUSR2, SIGVTALRM, SIGWINCH, SIGXCPU, SIGXFSZ,
};

/// The `si_code` values of a user-space or kernel sender (`siginfo_t`).
pub(crate) use libc::{SI_KERNEL, SI_MESGQ, SI_QUEUE, SI_TIMER, SI_TKILL, SI_USER};

/// The standard signals of Linux in number order, with their names without `SIG`.
pub(crate) const STANDARD: &[(i32, &str)] = &[
    (SIGHUP, "HUP"),
    (SIGINT, "INT"),
    (SIGQUIT, "QUIT"),
    (SIGILL, "ILL"),
    (SIGTRAP, "TRAP"),
    (SIGABRT, "ABRT"),
    (SIGBUS, "BUS"),
    (SIGFPE, "FPE"),
    (SIGKILL, "KILL"),
    (SIGUSR1, "USR1"),
    (SIGSEGV, "SEGV"),
    (SIGUSR2, "USR2"),
    (SIGPIPE, "PIPE"),
    (SIGALRM, "ALRM"),
    (SIGTERM, "TERM"),
    (SIGSTKFLT, "STKFLT"),
    (SIGCHLD, "CHLD"),
    (SIGCONT, "CONT"),
    (SIGSTOP, "STOP"),
    (SIGTSTP, "TSTP"),
    (SIGTTIN, "TTIN"),
    (SIGTTOU, "TTOU"),
    (SIGURG, "URG"),
    (SIGXCPU, "XCPU"),
    (SIGXFSZ, "XFSZ"),
    (SIGVTALRM, "VTALRM"),
    (SIGPROF, "PROF"),
    (SIGWINCH, "WINCH"),
    (SIGIO, "IO"),
    (SIGPWR, "PWR"),
    (SIGSYS, "SYS"),
];

/// `-1` from a libc call as the calling thread's errno.
fn cvt(r: libc::c_int) -> Result<libc::c_int, Errno> {
    if r == -1 {
        Err(Errno::last())
    } else {
        Ok(r)
    }
}

/// `-1` from a libc call returning `ssize_t` as the calling thread's errno.
fn cvt_size(r: libc::ssize_t) -> Result<usize, Errno> {
    usize::try_from(r).map_err(|_| Errno::last())
}

/// The lowest real-time signal number the C library leaves to applications.
pub(crate) fn rtmin() -> i32 {
    libc::SIGRTMIN()
}

/// The highest real-time signal number.
pub(crate) fn rtmax() -> i32 {
    libc::SIGRTMAX()
}

/// The description `strsignal(3)` gives for `signo` ("Interrupt", "Real-time signal 3").
pub(crate) fn strsignal(signo: i32) -> String {
    // strsignal may write a static buffer for unknown and real-time signals: serialise the
    // calls and copy the text out before releasing the lock.
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    // SAFETY: strsignal accepts any int and returns a pointer to a NUL-terminated string
    // (static or in a per-process buffer); the lock keeps another ipckit call from
    // overwriting that buffer while we copy it.
    let p = unsafe { libc::strsignal(signo) };
    if p.is_null() {
        return format!("Unknown signal {signo}");
    }
    // SAFETY: p is non-null and NUL-terminated (see above), valid until the next call.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// A `sigset_t`: a set of signal numbers, real-time ones included.
#[derive(Clone, Copy)]
pub(crate) struct SigSet(libc::sigset_t);

impl SigSet {
    /// The empty set (`sigemptyset`).
    pub(crate) fn empty() -> SigSet {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: sigemptyset initialises the whole set it is given; it cannot fail for a
        // valid pointer.
        unsafe {
            libc::sigemptyset(set.as_mut_ptr());
            SigSet(set.assume_init())
        }
    }

    /// Adds `signo` (`sigaddset`; `EINVAL` for a number the C library does not accept).
    pub(crate) fn add(&mut self, signo: i32) -> Result<(), Errno> {
        // SAFETY: self.0 is an initialised sigset_t borrowed mutably.
        cvt(unsafe { libc::sigaddset(&mut self.0, signo) }).map(drop)
    }

    /// Removes `signo` (`sigdelset`).
    pub(crate) fn remove(&mut self, signo: i32) -> Result<(), Errno> {
        // SAFETY: self.0 is an initialised sigset_t borrowed mutably.
        cvt(unsafe { libc::sigdelset(&mut self.0, signo) }).map(drop)
    }

    /// Whether `signo` is a member (`sigismember`; false for a number out of range).
    pub(crate) fn contains(&self, signo: i32) -> bool {
        // SAFETY: self.0 is an initialised sigset_t; sigismember only reads it.
        unsafe { libc::sigismember(&self.0, signo) == 1 }
    }
}

/// The signals pending for the calling thread or the process (`sigpending(2)`).
pub(crate) fn sigpending() -> Result<SigSet, Errno> {
    let mut set = SigSet::empty();
    // SAFETY: set.0 is a valid sigset_t the call fills.
    cvt(unsafe { libc::sigpending(&mut set.0) })?;
    Ok(set)
}

/// How [`thread_mask`] changes the calling thread's mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum How {
    /// `SIG_BLOCK`: adds the set.
    Block,
    /// `SIG_UNBLOCK`: removes the set.
    Unblock,
    /// `SIG_SETMASK`: the set becomes the mask.
    SetMask,
}

/// `pthread_sigmask(2)`: changes the calling thread's mask with `set` (or only reads it when
/// `set` is `None`), returning the mask as it was before.
pub(crate) fn thread_mask(how: How, set: Option<&SigSet>) -> Result<SigSet, Errno> {
    let how = match how {
        How::Block => libc::SIG_BLOCK,
        How::Unblock => libc::SIG_UNBLOCK,
        How::SetMask => libc::SIG_SETMASK,
    };
    let mut old = SigSet::empty();
    let new = set.map_or(std::ptr::null(), |s| &s.0 as *const libc::sigset_t);
    // SAFETY: new is null or points at an initialised sigset_t living until the call
    // returns; old.0 is writable storage for one sigset_t.
    match unsafe { libc::pthread_sigmask(how, new, &mut old.0) } {
        // pthread_sigmask returns the error number instead of setting errno.
        0 => Ok(old),
        e => Err(Errno::from_raw(e)),
    }
}

/// `kill(2)` with a raw signal number (0 is the null signal).
pub(crate) fn kill(pid: i32, signo: i32) -> Result<(), Errno> {
    // SAFETY: kill takes plain integers.
    cvt(unsafe { libc::kill(pid, signo) }).map(drop)
}

/// `killpg(2)` with a raw signal number.
pub(crate) fn killpg(pgrp: i32, signo: i32) -> Result<(), Errno> {
    // SAFETY: killpg takes plain integers.
    cvt(unsafe { libc::killpg(pgrp, signo) }).map(drop)
}

/// `sigqueue(3)`: sends `signo` to `pid` with `value` as `sival_int` (the pointer member's
/// remaining bytes are zero, so a receiver reading `sival_ptr` sees the same number).
pub(crate) fn sigqueue(pid: i32, signo: i32, value: i32) -> Result<(), Errno> {
    let val = libc::sigval {
        sival_ptr: value as u32 as usize as *mut libc::c_void,
    };
    // SAFETY: sigqueue takes plain integers and a sigval by value; the pointer in it is a
    // number the kernel only copies, never dereferences.
    cvt(unsafe { libc::sigqueue(pid, signo, val) }).map(drop)
}

/// Waits until `fd` is readable (or reports an error or hang-up); `Ok(false)` when
/// `deadline` passed first. `EINTR` is retried with the time left.
pub(crate) fn readable(fd: BorrowedFd<'_>, deadline: Option<Deadline>) -> Result<bool, Errno> {
    crate::sys::poll::wait_fd(fd, nix::poll::PollFlags::POLLIN, deadline)
        .map(|ev| !ev.is_empty())
        .map_err(crate::sys::errno)
}

// ---- signalfd ----------------------------------------------------------------------------

/// `signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK)`: a new signalfd reading `set`.
pub(crate) fn signalfd(set: &SigSet) -> Result<OwnedFd, Errno> {
    // SAFETY: set.0 is an initialised sigset_t; -1 asks for a new fd.
    let fd = cvt(unsafe { libc::signalfd(-1, &set.0, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK) })?;
    // SAFETY: fd was just returned by signalfd: open, and owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `signalfd(fd, set, 0)`: the signalfd `fd` reads `set` from now on.
pub(crate) fn signalfd_set_mask(fd: BorrowedFd<'_>, set: &SigSet) -> Result<(), Errno> {
    // SAFETY: fd is an open signalfd borrowed for the call; set.0 is an initialised sigset_t.
    cvt(unsafe { libc::signalfd(fd.as_raw_fd(), &set.0, 0) }).map(drop)
}

/// How many `signalfd_siginfo` records one [`signalfd_read`] takes at most.
const SIGNALFD_BATCH: usize = 16;

/// `read(2)` of a non-blocking signalfd: up to `out.len()` pending signals (at most 16 per
/// call) into `out`, returning how many. `EAGAIN` when none is pending.
pub(crate) fn signalfd_read(fd: BorrowedFd<'_>, out: &mut [RawInfo]) -> Result<usize, Errno> {
    let want = out.len().min(SIGNALFD_BATCH);
    if want == 0 {
        return Ok(0);
    }
    // SAFETY: an all-zero signalfd_siginfo is a valid value (plain integers).
    let mut buf: [libc::signalfd_siginfo; SIGNALFD_BATCH] = unsafe { std::mem::zeroed() };
    let size = std::mem::size_of::<libc::signalfd_siginfo>();
    // SAFETY: buf is writable storage for SIGNALFD_BATCH records and want <= that; the
    // kernel writes whole records only.
    let n = cvt_size(unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), want * size) })?;
    let got = n / size;
    for (o, info) in out.iter_mut().zip(&buf[..got]) {
        *o = RawInfo::from_signalfd(info);
    }
    Ok(got)
}

// ---- the catcher's pipe ------------------------------------------------------------------

/// `pipe2(O_CLOEXEC | O_NONBLOCK)`: the (read, write) ends of a catcher's self-pipe.
pub(crate) fn record_pipe() -> Result<(OwnedFd, OwnedFd), Errno> {
    let mut fds = [-1; 2];
    // SAFETY: fds is writable storage for two ints.
    cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) })?;
    // SAFETY: pipe2 succeeded: both fds are open and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// `read(2)` of a catcher's pipe into `buf`: the number of bytes read, `EAGAIN` when empty.
pub(crate) fn read_records(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: fd is open for the call, buf is writable for buf.len() bytes.
    cvt_size(unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) })
}

/// The fields of a `siginfo_t` (or `signalfd_siginfo`) ipckit reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RawInfo {
    pub signo: i32,
    pub code: i32,
    pub pid: i32,
    pub uid: u32,
    pub status: i32,
    pub value: i32,
    pub value_ptr: u64,
}

const RECORD: usize = 32;

impl RawInfo {
    /// Reads the fields of a siginfo_t the kernel filled for `si_signo`.
    ///
    /// # Safety
    /// `info` must be a siginfo_t filled by the kernel (a handler's argument or
    /// sigtimedwait's output).
    unsafe fn from_siginfo(info: &libc::siginfo_t) -> RawInfo {
        // SAFETY: si_pid, si_uid, si_status and si_value read the union at the offsets
        // every siginfo layout of Linux shares for kill, sigqueue, timers and SIGCHLD; for
        // other origins they read plain integers of another member (SigInfo::from_raw
        // discards those), never pointers we follow.
        let (pid, uid, status, value) = unsafe {
            (
                info.si_pid(),
                info.si_uid(),
                info.si_status(),
                info.si_value(),
            )
        };
        RawInfo {
            signo: info.si_signo,
            code: info.si_code,
            pid,
            uid,
            status,
            // sigval is a union of int and pointer: both are read as plain numbers.
            value: value.sival_ptr as usize as u32 as i32,
            value_ptr: value.sival_ptr as usize as u64,
        }
    }

    /// From a record read off a `signalfd`.
    fn from_signalfd(info: &libc::signalfd_siginfo) -> RawInfo {
        RawInfo {
            signo: info.ssi_signo as i32,
            code: info.ssi_code,
            pid: info.ssi_pid as i32,
            uid: info.ssi_uid,
            status: info.ssi_status,
            value: info.ssi_int,
            value_ptr: info.ssi_ptr,
        }
    }

    fn encode(&self) -> [u8; RECORD] {
        let mut b = [0u8; RECORD];
        b[0..4].copy_from_slice(&self.signo.to_ne_bytes());
        b[4..8].copy_from_slice(&self.code.to_ne_bytes());
        b[8..12].copy_from_slice(&self.pid.to_ne_bytes());
        b[12..16].copy_from_slice(&self.uid.to_ne_bytes());
        b[16..20].copy_from_slice(&self.status.to_ne_bytes());
        b[20..24].copy_from_slice(&self.value.to_ne_bytes());
        b[24..32].copy_from_slice(&self.value_ptr.to_ne_bytes());
        b
    }

    fn decode(b: &[u8; RECORD]) -> RawInfo {
        let i = |r: std::ops::Range<usize>| i32::from_ne_bytes(b[r].try_into().unwrap_or([0; 4]));
        RawInfo {
            signo: i(0..4),
            code: i(4..8),
            pid: i(8..12),
            uid: i(12..16) as u32,
            status: i(16..20),
            value: i(20..24),
            value_ptr: u64::from_ne_bytes(b[24..32].try_into().unwrap_or([0; 8])),
        }
    }
}

/// `sigtimedwait(2)` (`sigwaitinfo` when `timeout` is `None`): takes one signal of `set` off
/// the pending lists. `EAGAIN` when the timeout passed, `EINTR` when a handler ran.
pub(crate) fn sigtimedwait(set: &SigSet, timeout: Option<Duration>) -> Result<RawInfo, Errno> {
    let mut info = MaybeUninit::<libc::siginfo_t>::zeroed();
    let ts = timeout.map(|t| libc::timespec {
        tv_sec: t.as_secs().min(libc::time_t::MAX as u64) as libc::time_t,
        tv_nsec: t.subsec_nanos() as _,
    });
    let tsp = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: set.0 is a valid sigset_t, info is writable storage for one siginfo_t, tsp is
    // null or points at a timespec living until the call returns.
    let n = cvt(unsafe { libc::sigtimedwait(&set.0, info.as_mut_ptr(), tsp) })?;
    // SAFETY: on success the kernel filled info (and it was zeroed before).
    let info = unsafe { info.assume_init() };
    // SAFETY: info was filled by the kernel for a signal of set.
    let mut raw = unsafe { RawInfo::from_siginfo(&info) };
    raw.signo = n;
    Ok(raw)
}

// ---- dispositions -----------------------------------------------------------------------

/// One more than the highest signal number on Linux (`_NSIG`).
const NSIG: usize = 65;

/// Per signal: the write end of the pipe of the `Catcher` that catches it, or -1.
static PIPE_FD: [AtomicI32; NSIG] = [const { AtomicI32::new(-1) }; NSIG];
/// Per signal: handlers currently between reading `PIPE_FD` and finishing their write.
static IN_HANDLER: [AtomicU32; NSIG] = [const { AtomicU32::new(0) }; NSIG];
/// Per signal: arrivals the handler could not record (the pipe was full).
static DROPPED: [AtomicU64; NSIG] = [const { AtomicU64::new(0) }; NSIG];

extern "C" fn on_signal(signo: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // Only async-signal-safe work here: atomics, a read of siginfo, write(2).
    let Some(slot) = usize::try_from(signo).ok().filter(|&s| s < NSIG) else {
        return;
    };
    // SAFETY: __errno_location returns this thread's errno; saving and restoring it keeps
    // the interrupted code's errno intact.
    let saved_errno = unsafe { *libc::__errno_location() };
    IN_HANDLER[slot].fetch_add(1, Ordering::SeqCst);
    let fd = PIPE_FD[slot].load(Ordering::SeqCst);
    if fd >= 0 && !info.is_null() {
        // SAFETY: with SA_SIGINFO the kernel passes a valid siginfo_t for this signal.
        let raw = unsafe { RawInfo::from_siginfo(&*info) };
        let rec = raw.encode();
        // SAFETY: fd is the open, non-blocking write end of the catcher's pipe (the catcher
        // waits for IN_HANDLER to drop to zero before closing it); rec is RECORD bytes,
        // below PIPE_BUF, so the write is atomic.
        let n = unsafe { libc::write(fd, rec.as_ptr().cast(), RECORD) };
        if n != RECORD as isize {
            DROPPED[slot].fetch_add(1, Ordering::Relaxed);
        }
    }
    IN_HANDLER[slot].fetch_sub(1, Ordering::SeqCst);
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = saved_errno };
}

/// A disposition as `sigaction(2)` reported it, to put back later.
pub(crate) struct SavedAction(libc::sigaction);

impl std::fmt::Debug for SavedAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let h = self.0.sa_sigaction;
        let what = if h == libc::SIG_DFL {
            "default".to_string()
        } else if h == libc::SIG_IGN {
            "ignore".to_string()
        } else {
            format!("handler {h:#x}")
        };
        f.debug_tuple("SavedAction").field(&what).finish()
    }
}

/// What to install with [`set_action`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Default,
    Ignore,
    /// The record-writing handler, all signals blocked while it runs, `SA_RESTART`.
    Record,
}

/// `sigaction(2)`: installs `action` for `signo`, returning the previous disposition.
pub(crate) fn set_action(signo: i32, action: Action) -> Result<SavedAction, Errno> {
    // SAFETY: an all-zero sigaction is a valid value (SIG_DFL, no flags, empty mask).
    let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
    match action {
        Action::Default => sa.sa_sigaction = libc::SIG_DFL,
        Action::Ignore => sa.sa_sigaction = libc::SIG_IGN,
        Action::Record => {
            sa.sa_sigaction = on_signal as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
            // SAFETY: sa_mask is a sigset_t inside sa; sigfillset initialises it.
            unsafe { libc::sigfillset(&mut sa.sa_mask) };
        }
    }
    // SAFETY: a zeroed sigaction is valid storage for the previous disposition.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: sa is a fully initialised sigaction whose handler (if any) is async-signal
    // safe; old is writable.
    cvt(unsafe { libc::sigaction(signo, &sa, &mut old) })?;
    Ok(SavedAction(old))
}

/// `sigaction(2)`: puts back a disposition [`set_action`] returned.
pub(crate) fn restore_action(signo: i32, saved: &SavedAction) -> Result<(), Errno> {
    // SAFETY: saved.0 is a sigaction the kernel reported for this process, so installing it
    // again restores exactly what was there (a handler of this program, SIG_DFL or SIG_IGN).
    cvt(unsafe { libc::sigaction(signo, &saved.0, std::ptr::null_mut()) }).map(drop)
}

/// Routes the records of `signo` to the pipe write end `fd`; `false` if another catcher
/// already owns the signal.
pub(crate) fn claim_slot(signo: i32, fd: RawFd) -> bool {
    let Some(slot) = PIPE_FD.get(signo as usize) else {
        return false;
    };
    slot.compare_exchange(-1, fd, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok()
}

/// Stops routing `signo` and waits until no handler still holds the old fd.
pub(crate) fn release_slot(signo: i32) {
    let s = signo as usize;
    if s >= NSIG {
        return;
    }
    PIPE_FD[s].store(-1, Ordering::SeqCst);
    while IN_HANDLER[s].load(Ordering::SeqCst) != 0 {
        std::thread::yield_now();
    }
}

/// Arrivals of `signo` the handler dropped because its pipe was full, since the start.
pub(crate) fn dropped(signo: i32) -> u64 {
    DROPPED
        .get(signo as usize)
        .map_or(0, |d| d.load(Ordering::Relaxed))
}

/// Decodes one handler record read from a catcher's pipe ([`RECORD_SIZE`] bytes; a shorter
/// slice decodes as zeros where bytes are missing).
pub(crate) fn decode_record(buf: &[u8]) -> RawInfo {
    let mut rec = [0u8; RECORD];
    let n = buf.len().min(RECORD);
    rec[..n].copy_from_slice(&buf[..n]);
    RawInfo::decode(&rec)
}

/// The size of one handler record.
pub(crate) const RECORD_SIZE: usize = RECORD;
