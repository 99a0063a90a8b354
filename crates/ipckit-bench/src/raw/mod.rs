//! The raw twins: every mechanism written straight against `libc`, with no ipckit type.
//!
//! Each ipckit row of the benchmark (`crate::mech::<name>::Ipckit`) has a twin here,
//! `raw::<name>::Raw`, a separate implementation of the same
//! [`Scenario`](crate::scenario::Scenario) that does the same job the way a C programmer
//! would: one syscall per step, no allocation in the loop, the same framing bytes on the wire
//! for byte streams (a 4-byte little-endian length, then the payload). The ratio ipckit / raw
//! in the report is ipckit's overhead over that baseline.
//!
//! This is the only place in the benchmark that may use `unsafe` (all of it in [`sys`]);
//! every block says why it is sound. The twins import [`sys`] and `crate::common`, never
//! `crate::mech`.
#![allow(unsafe_code)]

pub mod sys;

pub mod fifo;
pub mod file;
pub mod mmap_file;
pub mod pipe;
pub mod posix_mq;
pub mod posix_shm;
pub mod shm_ring;
pub mod signal;
pub mod sysv_mq;
pub mod sysv_shm;
pub mod tcp;
pub mod unix_dgram;
pub mod unix_seqpacket;
pub mod unix_stream;

/// Peer: takes ownership of the fd named by an [`fd_arg`](crate::common::fd_arg) argument
/// (once per argument).
///
/// # Errors
/// The argument is not `fd:N`, or no such fd is open.
pub fn inherited(arg: &str) -> anyhow::Result<std::os::fd::OwnedFd> {
    use anyhow::Context as _;
    let n = crate::common::fd_number(arg)?;
    sys::take_inherited(n).with_context(|| format!("inherited fd {n}"))
}
