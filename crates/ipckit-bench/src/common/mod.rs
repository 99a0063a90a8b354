//! What the ipckit implementations (`crate::mech`) and their raw twins (`crate::raw`) share:
//! the end-of-phase marker, the peer's argument helpers, and per mechanism the layout, wire
//! encoding or size limits both twins must agree on. Imports neither side, so that neither
//! imports the other.

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;

use anyhow::Context as _;

pub mod posix_mq;
pub mod ring;
pub mod signal;
pub mod slots;

/// Largest frame accepted on byte streams by both twins (16 MiB), and so the largest message
/// size of the benchmark.
pub const MAX_FRAME: usize = 16 << 20;

/// The end-of-phase marker: a message shorter than the data (longer for 1-byte data).
pub fn end_marker(size: usize) -> &'static [u8] {
    if size == 1 {
        &[0xEE, 0xEE]
    } else {
        &[0xEE]
    }
}

/// Whether `msg` is the [`end_marker`] of `size`-byte data.
pub fn is_end(msg: &[u8], size: usize) -> bool {
    msg.len() != size && msg == end_marker(size)
}

/// The argument that hands `fd` to the peer: `fd:N`.
pub fn fd_arg(fd: &OwnedFd) -> String {
    format!("fd:{}", fd.as_raw_fd())
}

/// The number in an [`fd_arg`] argument.
///
/// # Errors
/// `a` is not `fd:N`.
pub fn fd_number(a: &str) -> anyhow::Result<std::os::fd::RawFd> {
    a.strip_prefix("fd:")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("peer argument {a:?} is not fd:N"))
}

/// The argument at `i`.
///
/// # Errors
/// An error naming what is missing.
pub fn arg<'a>(args: &'a [String], i: usize, what: &str) -> anyhow::Result<&'a str> {
    args.get(i)
        .map(String::as_str)
        .with_context(|| format!("peer argument {i} ({what}) missing"))
}

/// A path argument.
///
/// # Errors
/// As [`arg`].
pub fn path_arg(args: &[String], i: usize, what: &str) -> anyhow::Result<PathBuf> {
    arg(args, i, what).map(PathBuf::from)
}

/// A System V id argument.
///
/// # Errors
/// As [`arg`], or the argument is not a number.
pub fn id_arg(args: &[String], i: usize, what: &str) -> anyhow::Result<i32> {
    let a = arg(args, i, what)?;
    a.parse()
        .with_context(|| format!("{what} {a:?} is not an id"))
}

/// `SO_SNDBUF` value both twins set on a datagram/seqpacket socket that must carry
/// `size`-byte messages, or `None` when the default is enough. The kernel doubles it and a
/// Unix datagram must fit in the doubled value minus a small overhead; this leaves room for
/// about two messages in flight, capped by `net.core.wmem_max`.
pub fn msg_sndbuf(size: usize) -> Option<i32> {
    const DEFAULT_ENOUGH: usize = 64 << 10;
    if size <= DEFAULT_ENOUGH {
        return None;
    }
    let want = size.saturating_add(64 << 10);
    Some(want.min(i32::MAX as usize) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_marker_is_never_a_data_message() {
        for size in [1, 2, 64] {
            assert!(is_end(end_marker(size), size));
            assert_ne!(end_marker(size).len(), size);
        }
    }
}
