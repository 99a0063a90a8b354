//! Raw signal calls for the `signal` row: `pthread_sigmask`, `sigqueue`, `sigwaitinfo`,
//! `sigtimedwait`, straight against libc.

use std::io;
use std::mem::MaybeUninit;
use std::time::Duration;

use super::fd::cvt;
use crate::common::signal::signo;

/// A `sigset_t` holding one signal.
#[derive(Clone, Copy)]
pub struct RawSigSet(libc::sigset_t);

impl RawSigSet {
    /// The set `{signo}`.
    pub fn of(signo: libc::c_int) -> io::Result<RawSigSet> {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: sigemptyset initialises the set it points to; sigaddset then only updates
        // that initialised set.
        unsafe {
            cvt(libc::sigemptyset(set.as_mut_ptr()))?;
            cvt(libc::sigaddset(set.as_mut_ptr(), signo))?;
            Ok(RawSigSet(set.assume_init()))
        }
    }

    /// `pthread_sigmask(SIG_BLOCK, set)` for the calling thread (inherited by threads and
    /// children started afterwards).
    pub fn block(&self) -> io::Result<()> {
        // SAFETY: self.0 is an initialised sigset_t; the old mask is not asked for.
        let r = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &self.0, std::ptr::null_mut()) };
        if r != 0 {
            return Err(io::Error::from_raw_os_error(r));
        }
        Ok(())
    }

    /// `sigwaitinfo`: the next signal of the set, as (value, sender pid). `EINTR` retried.
    pub fn wait(&self) -> io::Result<(i32, i32)> {
        loop {
            let mut info = MaybeUninit::<libc::siginfo_t>::uninit();
            // SAFETY: self.0 is initialised; info is storage for one siginfo_t.
            let r = unsafe { libc::sigwaitinfo(&self.0, info.as_mut_ptr()) };
            if r == -1 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            // SAFETY: on success the kernel filled info for a sigqueue'd (or kill'ed) signal,
            // whose pid and value members are plain integers.
            return Ok(unsafe {
                let info = info.assume_init();
                (info.si_value().sival_ptr as usize as i32, info.si_pid())
            });
        }
    }

    /// `sigtimedwait`: as [`RawSigSet::wait`] but `None` once `timeout` passes (`EINTR`
    /// restarts the full timeout: only used outside measurements).
    pub fn wait_timeout(&self, timeout: Duration) -> io::Result<Option<(i32, i32)>> {
        let ts = libc::timespec {
            tv_sec: timeout.as_secs() as libc::time_t,
            tv_nsec: timeout.subsec_nanos() as _,
        };
        loop {
            let mut info = MaybeUninit::<libc::siginfo_t>::uninit();
            // SAFETY: self.0 is initialised; info is storage for one siginfo_t; ts lives
            // across the call.
            let r = unsafe { libc::sigtimedwait(&self.0, info.as_mut_ptr(), &ts) };
            if r == -1 {
                let e = io::Error::last_os_error();
                match e.raw_os_error() {
                    Some(libc::EINTR) => continue,
                    Some(libc::EAGAIN) => return Ok(None),
                    _ => return Err(e),
                }
            }
            // SAFETY: as in `wait`.
            return Ok(Some(unsafe {
                let info = info.assume_init();
                (info.si_value().sival_ptr as usize as i32, info.si_pid())
            }));
        }
    }
}

/// `sigqueue(pid, signo, value)`.
pub fn sigqueue(pid: libc::pid_t, signo: libc::c_int, value: i32) -> io::Result<()> {
    let v = libc::sigval {
        sival_ptr: value as u32 as usize as *mut libc::c_void,
    };
    // SAFETY: plain integers and a sigval passed by value; the kernel only copies it.
    cvt(unsafe { libc::sigqueue(pid, signo, v) }).map(drop)
}

/// Blocks the `signal` row's signal ([`signo`]) in the calling thread, so that every thread
/// and peer started afterwards has it blocked too. Call it in `main`'s thread before any
/// thread.
///
/// # Errors
/// `pthread_sigmask` failed.
pub fn block_for_run() -> anyhow::Result<()> {
    use anyhow::Context as _;
    RawSigSet::of(signo())
        .and_then(|s| s.block())
        .context("pthread_sigmask (blocking the signal bench's SIGRTMIN+4)")
}
