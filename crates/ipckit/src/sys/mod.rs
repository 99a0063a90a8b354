//! The only FFI in ipckit: thin `libc` calls for what no maintained crate wraps.
//!
//! This is the platform seam: the implementation for each target lives in `sys/<os>/`, one
//! file per facility (`sys/linux/sysv.rs`, ...), and is re-exported here under the same
//! names, so the public modules write `crate::sys::sysv::msgget` whatever the target.
//! Another Unix adds `sys/<os>/` with the same items and one `cfg` arm below.
//!
//! Each submodule is named after the facility it calls into. Functions here take and return
//! plain Rust values and `Result<_, Errno>`; the public modules turn them into safe types and
//! [`crate::Error`]s. Every `unsafe` block carries a `// SAFETY:` comment.
#![allow(unsafe_code)]

#[cfg(not(target_os = "linux"))]
compile_error!(
    "ipckit supports Linux only for now: its System V, POSIX, signalfd and socket code is \
     written against Linux (sys/linux/). Another Unix needs its own sys/<os>/ module."
);

#[cfg(target_os = "linux")]
mod linux;
#[cfg(all(target_os = "linux", feature = "tokio"))]
pub(crate) use linux::reactor;
#[cfg(target_os = "linux")]
pub(crate) use linux::{fd, inspect, io, pipe, poll, posix, region, signal, sysv, unix};
#[cfg(target_os = "linux")]
pub(crate) use linux::{inotify, lock};

use std::time::{Duration, Instant};

use nix::errno::Errno;

/// `strerror(3)` for a raw `errno` number.
pub(crate) fn errno_description(raw: i32) -> &'static str {
    Errno::from_raw(raw).desc()
}

/// ipckit's [`crate::Errno`] for nix's, at the seam.
pub(crate) fn errno(e: Errno) -> crate::Errno {
    crate::Errno::from_raw(e as i32)
}

/// An error that may be `EINTR`: nix's errno inside `sys`, ipckit's own [`crate::Errno`]
/// outside it.
pub(crate) trait Interrupted {
    /// Whether this is `EINTR` (a signal interrupted the call; retry it).
    fn is_eintr(&self) -> bool;
}

impl Interrupted for Errno {
    fn is_eintr(&self) -> bool {
        *self == Errno::EINTR
    }
}

impl Interrupted for crate::Errno {
    fn is_eintr(&self) -> bool {
        *self == crate::Errno::EINTR
    }
}

/// Calls `f` until it returns anything but `EINTR`.
pub(crate) fn retry_eintr<T, E: Interrupted>(mut f: impl FnMut() -> Result<T, E>) -> Result<T, E> {
    loop {
        match f() {
            Err(e) if e.is_eintr() => continue,
            other => return other,
        }
    }
}

/// A point in time a blocking call must return by; `remaining()` keeps counting down across
/// `EINTR` retries, so a signal never extends a timeout. A timeout too large for
/// [`Instant`] (up to [`Duration::MAX`]) saturates: the deadline never passes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline(Option<Instant>);

impl Deadline {
    /// The deadline `timeout` from now; `Duration::MAX` (or anything past what `Instant`
    /// can hold) means never.
    pub(crate) fn after(timeout: Duration) -> Deadline {
        Deadline(Instant::now().checked_add(timeout))
    }

    /// Time left, zero once passed; [`Duration::MAX`] for a deadline that never passes.
    pub(crate) fn remaining(&self) -> Duration {
        match self.0 {
            Some(at) => at.saturating_duration_since(Instant::now()),
            None => Duration::MAX,
        }
    }
}

/// Calls `f` with the time left until `deadline` until it returns anything but `EINTR`.
pub(crate) fn retry_eintr_until<T, E: Interrupted>(
    deadline: Deadline,
    mut f: impl FnMut(Duration) -> Result<T, E>,
) -> Result<T, E> {
    loop {
        match f(deadline.remaining()) {
            Err(e) if e.is_eintr() => continue,
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_saturates_at_duration_max() {
        let d = Deadline::after(Duration::MAX);
        assert_eq!(d.remaining(), Duration::MAX);
        let d = Deadline::after(Duration::ZERO);
        assert_eq!(d.remaining(), Duration::ZERO);
        let d = Deadline::after(Duration::from_secs(3600));
        assert!(d.remaining() > Duration::from_secs(3599));
    }
}
