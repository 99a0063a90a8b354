//! What [`Catcher`](super::Catcher) and [`SignalFd`](super::SignalFd) share: a non-blocking
//! fd from which signal records are read, and the waiting loops over it.

use std::os::fd::BorrowedFd;
use std::time::Duration;

use super::SigInfo;
use crate::error::{Context, Error, Result};
use crate::sys::signal::{self as sys, RawInfo};
use crate::sys::Deadline;

/// Records read per `read(2)`.
const BATCH: usize = 16;

/// A pollable, non-blocking fd of signal records.
pub(crate) trait Source {
    /// The fd to `poll`.
    fn fd(&self) -> BorrowedFd<'_>;
    /// The object named in errors (`"signal catcher pipe"`, `"signalfd for SIGUSR1"`).
    fn object(&self) -> String;
    /// The error of a receive that found nothing within `timeout`.
    fn timed_out(&self, timeout: Duration) -> Error;
    /// One non-blocking `read(2)` of up to `out.len()` records; `Ok(0)` if none is pending.
    fn read(&self, out: &mut [RawInfo]) -> Result<usize>;
}

/// The next pending record, without waiting.
pub(crate) fn try_recv(src: &impl Source) -> Result<Option<SigInfo>> {
    let mut one = [RawInfo::default()];
    Ok((src.read(&mut one)? == 1).then(|| SigInfo::from_raw(one[0])))
}

/// Appends every pending record to `buf`, without waiting; how many it appended.
pub(crate) fn try_recv_many(src: &impl Source, buf: &mut Vec<SigInfo>) -> Result<usize> {
    let mut raw = [RawInfo::default(); BATCH];
    let mut total = 0;
    loop {
        let n = src.read(&mut raw)?;
        buf.extend(raw[..n].iter().map(|&r| SigInfo::from_raw(r)));
        total += n;
        if n < BATCH {
            return Ok(total);
        }
    }
}

/// Waits until the fd is readable; `Ok(false)` once `deadline` passed.
fn ready(src: &impl Source, deadline: Option<Deadline>) -> Result<bool> {
    sys::readable(src.fd(), deadline).ctx("poll", src.object())
}

/// Waits up to `timeout` (`None`: forever) for the next record.
pub(crate) fn recv(src: &impl Source, timeout: Option<Duration>) -> Result<SigInfo> {
    let deadline = timeout.map(Deadline::after);
    loop {
        if let Some(info) = try_recv(src)? {
            return Ok(info);
        }
        if !ready(src, deadline)? {
            return Err(src.timed_out(timeout.unwrap_or_default()));
        }
    }
}

/// Waits up to `timeout` (`None`: forever) for a record, then appends every pending one to
/// `buf`; how many it appended (at least one).
pub(crate) fn recv_many(
    src: &impl Source,
    buf: &mut Vec<SigInfo>,
    timeout: Option<Duration>,
) -> Result<usize> {
    let deadline = timeout.map(Deadline::after);
    loop {
        let n = try_recv_many(src, buf)?;
        if n > 0 {
            return Ok(n);
        }
        if !ready(src, deadline)? {
            return Err(src.timed_out(timeout.unwrap_or_default()));
        }
    }
}
