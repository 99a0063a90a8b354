//! The only FFI in ipckit: thin `libc` calls for what no maintained crate wraps.
//!
//! Each submodule is named after the facility it calls into. Functions here take and return
//! plain Rust values and `Result<_, Errno>`; the public modules turn them into safe types and
//! [`crate::Error`]s. Every `unsafe` block carries a `// SAFETY:` comment.
#![allow(unsafe_code)]

pub(crate) mod sysv;

use std::time::{Duration, Instant};

use nix::errno::Errno;

pub(crate) mod pipe;
pub(crate) mod poll;
pub(crate) mod region;
pub(crate) mod signal;
pub(crate) mod unix;

/// Calls `f` until it returns anything but `EINTR`.
pub(crate) fn retry_eintr<T>(mut f: impl FnMut() -> Result<T, Errno>) -> Result<T, Errno> {
    loop {
        match f() {
            Err(Errno::EINTR) => continue,
            other => return other,
        }
    }
}

/// A point in time a blocking call must return by; `remaining()` keeps counting down across
/// `EINTR` retries, so a signal never extends a timeout.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline(Instant);

impl Deadline {
    /// The deadline `timeout` from now.
    pub(crate) fn after(timeout: Duration) -> Deadline {
        Deadline(Instant::now() + timeout)
    }

    /// Time left, zero once passed.
    pub(crate) fn remaining(&self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }
}

/// Calls `f` with the time left until `deadline` until it returns anything but `EINTR`.
pub(crate) fn retry_eintr_until<T>(
    deadline: Deadline,
    mut f: impl FnMut(Duration) -> Result<T, Errno>,
) -> Result<T, Errno> {
    loop {
        match f(deadline.remaining()) {
            Err(Errno::EINTR) => continue,
            other => return other,
        }
    }
}

pub(crate) mod posix;
