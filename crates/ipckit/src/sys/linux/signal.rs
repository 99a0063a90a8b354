//! Signal calls no crate covers: real-time signal numbers, `sigqueue`, `sigtimedwait`,
//! `sigpending`, `strsignal`, signal sets holding real-time signals, `kill` of a real-time
//! signal, and `sigaction` with the self-pipe handler behind `signal::Catcher`.
//!
//! nix's `Signal` enum cannot name `SIGRTMIN..=SIGRTMAX`, so everything that must accept a
//! real-time signal takes the raw number here. signal-hook's registry keeps its handler
//! installed forever (it cannot put back the previous disposition) and its iterator keeps one
//! slot per signal (it coalesces queued real-time signals and drops `si_value`), so the
//! handler below is ipckit's own: it writes one fixed-size record per arrival to a pipe.

use std::ffi::CStr;
use std::mem::MaybeUninit;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use nix::errno::Errno;

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

/// An empty `sigset_t`.
pub(crate) fn empty_set() -> libc::sigset_t {
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigemptyset initialises the whole set it is given; it cannot fail for a valid
    // pointer.
    unsafe {
        libc::sigemptyset(set.as_mut_ptr());
        set.assume_init()
    }
}

/// Adds `signo` to `set` (`EINVAL` for a number the C library does not accept).
pub(crate) fn set_add(set: &mut libc::sigset_t, signo: i32) -> Result<(), Errno> {
    // SAFETY: set is an initialised sigset_t borrowed mutably.
    Errno::result(unsafe { libc::sigaddset(set, signo) }).map(drop)
}

/// Removes `signo` from `set`.
pub(crate) fn set_del(set: &mut libc::sigset_t, signo: i32) -> Result<(), Errno> {
    // SAFETY: set is an initialised sigset_t borrowed mutably.
    Errno::result(unsafe { libc::sigdelset(set, signo) }).map(drop)
}

/// Whether `signo` is in `set` (false for a number out of range).
pub(crate) fn set_has(set: &libc::sigset_t, signo: i32) -> bool {
    // SAFETY: set is an initialised sigset_t; sigismember only reads it.
    unsafe { libc::sigismember(set, signo) == 1 }
}

/// The same set as nix's `SigSet` (which can hold real-time signals, but not name them).
pub(crate) fn to_nix(set: &libc::sigset_t) -> nix::sys::signal::SigSet {
    // SAFETY: set is a valid, initialised sigset_t made by the functions above or read from
    // the kernel.
    unsafe { nix::sys::signal::SigSet::from_sigset_t_unchecked(*set) }
}

/// The signals pending for the calling thread or the process (`sigpending(2)`).
pub(crate) fn sigpending() -> Result<libc::sigset_t, Errno> {
    let mut set = empty_set();
    // SAFETY: set is a valid sigset_t the call fills.
    Errno::result(unsafe { libc::sigpending(&mut set) })?;
    Ok(set)
}

/// `kill(2)` with a raw signal number (0 is the null signal).
pub(crate) fn kill(pid: i32, signo: i32) -> Result<(), Errno> {
    // SAFETY: kill takes plain integers.
    Errno::result(unsafe { libc::kill(pid, signo) }).map(drop)
}

/// `killpg(2)` with a raw signal number.
pub(crate) fn killpg(pgrp: i32, signo: i32) -> Result<(), Errno> {
    // SAFETY: killpg takes plain integers.
    Errno::result(unsafe { libc::killpg(pgrp, signo) }).map(drop)
}

/// `sigqueue(3)`: sends `signo` to `pid` with `value` as `sival_int` (the pointer member's
/// remaining bytes are zero, so a receiver reading `sival_ptr` sees the same number).
pub(crate) fn sigqueue(pid: i32, signo: i32, value: i32) -> Result<(), Errno> {
    let val = libc::sigval {
        sival_ptr: value as u32 as usize as *mut libc::c_void,
    };
    // SAFETY: sigqueue takes plain integers and a sigval by value; the pointer in it is a
    // number the kernel only copies, never dereferences.
    Errno::result(unsafe { libc::sigqueue(pid, signo, val) }).map(drop)
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
    pub(crate) fn from_signalfd(info: &libc::signalfd_siginfo) -> RawInfo {
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
pub(crate) fn sigtimedwait(
    set: &libc::sigset_t,
    timeout: Option<Duration>,
) -> Result<RawInfo, Errno> {
    let mut info = MaybeUninit::<libc::siginfo_t>::zeroed();
    let ts = timeout.map(|t| libc::timespec {
        tv_sec: t.as_secs().min(libc::time_t::MAX as u64) as libc::time_t,
        tv_nsec: t.subsec_nanos() as _,
    });
    let tsp = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: set is a valid sigset_t, info is writable storage for one siginfo_t, tsp is
    // null or points at a timespec living until the call returns.
    let n = Errno::result(unsafe { libc::sigtimedwait(set, info.as_mut_ptr(), tsp) })?;
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
    Errno::result(unsafe { libc::sigaction(signo, &sa, &mut old) })?;
    Ok(SavedAction(old))
}

/// `sigaction(2)`: puts back a disposition [`set_action`] returned.
pub(crate) fn restore_action(signo: i32, saved: &SavedAction) -> Result<(), Errno> {
    // SAFETY: saved.0 is a sigaction the kernel reported for this process, so installing it
    // again restores exactly what was there (a handler of this program, SIG_DFL or SIG_IGN).
    Errno::result(unsafe { libc::sigaction(signo, &saved.0, std::ptr::null_mut()) }).map(drop)
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

/// Decodes one handler record read from a catcher's pipe.
pub(crate) fn decode_record(buf: &[u8; RECORD]) -> RawInfo {
    RawInfo::decode(buf)
}

/// The size of one handler record.
pub(crate) const RECORD_SIZE: usize = RECORD;
