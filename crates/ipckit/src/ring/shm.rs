//! One direction's shared memory: the layout, its creation (memfd, header, seals) and its
//! verification when it arrives from a peer.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};

use super::sys::{self, Map};
use crate::error::Context;
use crate::{Error, ErrorKind, Result};

/// The cache-line stride of the control words: 128 bytes, two 64-byte lines, so that the
/// adjacent-line prefetcher of x86 never couples the producer's and the consumer's lines.
pub(super) const LINE: usize = 128;
/// Offset of the header line: magic, version, line size, capacity, data offset.
const OFF_HEADER: usize = 0;
/// Offset of the producer index (bytes ever published, a multiple of 8), written only by the
/// producer.
const OFF_TAIL: usize = LINE;
/// Offset of the consumer index (bytes ever released, a multiple of 8), written only by the
/// consumer.
const OFF_HEAD: usize = 2 * LINE;
/// Offset of the flags line, written rarely: +0 consumer waiting (for data), +8 producer
/// waiting (for space), each a set of [`SLEEPING`] and [`PARKED`] bits; +16 producer closed,
/// +24 consumer closed.
const OFF_FLAGS: usize = 3 * LINE;
/// Offset of the data area (`capacity` bytes).
pub(super) const DATA: usize = 4 * LINE;

/// `b"IPCKRING"` as a little-endian word.
const MAGIC: u64 = u64::from_le_bytes(*b"IPCKRING");
/// The layout version; a peer with another version is refused. Version 2 added the
/// doorbells (two eventfds per ring passed at the handshake) and the [`PARKED`] bit;
/// version 3 rings the doorbell over the connection's socket instead (no eventfds: the
/// hello carries the two memfds only), with the same layout.
pub(super) const VERSION: u64 = 3;

/// Waiter bit: the waiter sleeps (or is about to) in `FUTEX_WAIT` on the index.
pub(super) const SLEEPING: u64 = 1;
/// Waiter bit: the waiter is parked asynchronously (or is about to be), waiting for the
/// connection's socket to become readable (the doorbell, see `ring::park`).
pub(super) const PARKED: u64 = 2;

/// The smallest capacity, in bytes.
pub const MIN_CAPACITY: usize = 4096;
/// The largest capacity, in bytes (1 GiB).
pub const MAX_CAPACITY: usize = 1 << 30;

/// The length word of a skip marker: the rest of the data area up to the wrap is padding.
pub(super) const SKIP: u64 = u64::MAX;

/// A flag word in the flags line.
#[derive(Clone, Copy)]
pub(super) enum Flag {
    /// The consumer waits for the producer index: [`SLEEPING`] and/or [`PARKED`].
    DataWaiter = 0,
    /// The producer waits for the consumer index: [`SLEEPING`] and/or [`PARKED`].
    SpaceWaiter = 8,
    /// The producer has been dropped: no more records will come.
    ProducerClosed = 16,
    /// The consumer has been dropped: nobody will read.
    ConsumerClosed = 24,
}

/// One direction of a connection: a mapping of a sealed memfd with the ring layout and the
/// capacity this side checked (never re-read from shared memory).
#[derive(Debug)]
pub(super) struct Ring {
    map: Map,
    capacity: u64,
}

/// Checks a requested capacity.
pub(super) fn check_capacity(capacity: usize) -> Result<()> {
    if !capacity.is_power_of_two() || !(MIN_CAPACITY..=MAX_CAPACITY).contains(&capacity) {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "ring",
            format!("capacity {capacity}"),
        )
        .with_detail("a power of two from 4096 (4 KiB) to 1073741824 (1 GiB) bytes"));
    }
    Ok(())
}

impl Ring {
    /// Creates a ring of `capacity` data bytes in a new memfd, writes its header and seals it
    /// (`F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL`). Returns the ring and the memfd to
    /// pass.
    pub(super) fn create(capacity: usize) -> Result<(Ring, OwnedFd)> {
        check_capacity(capacity)?;
        let fd = sys::memfd_create(c"ipckit-ring").ctx("memfd_create", "ipckit-ring")?;
        let len = DATA + capacity;
        sys::ftruncate(fd.as_fd(), len as u64).ctx("ftruncate", "ipckit-ring memfd")?;
        let map = Map::shared(fd.as_fd(), len).ctx("mmap", "ipckit-ring memfd")?;
        let w = |off: usize, v: u64| map.atomic_u64(OFF_HEADER + off).store(v, Ordering::Relaxed);
        w(0, MAGIC);
        w(8, VERSION);
        w(16, LINE as u64);
        w(24, capacity as u64);
        w(32, DATA as u64);
        sys::add_seals(fd.as_fd(), sys::SEALS).ctx("fcntl(F_ADD_SEALS)", "ipckit-ring memfd")?;
        Ok((
            Ring {
                map,
                capacity: capacity as u64,
            },
            fd,
        ))
    }

    /// Maps a ring a peer passed: checks that it is a sealed regular memfd of
    /// `DATA + capacity` bytes, and that the header (read once) matches.
    pub(super) fn verify(fd: BorrowedFd<'_>, max_capacity: usize, peer: &str) -> Result<Ring> {
        let bad = |what: String| {
            Error::new(ErrorKind::InvalidData, "ring handshake", peer).with_detail(what)
        };
        let seals = sys::seals(fd).map_err(|e| bad(format!("F_GET_SEALS: {e} (not a memfd)")))?;
        if seals & sys::SEALS != sys::SEALS || seals & sys::WRITE_SEALS != 0 {
            return Err(bad(format!(
                "memfd seals {seals:#x}: need SHRINK|GROW|SEAL and no WRITE"
            )));
        }
        let (regular, size) = sys::regular_file_size(fd).ctx("fstat", peer)?;
        let capacity = size.wrapping_sub(DATA as u64);
        if !regular
            || size < (DATA + MIN_CAPACITY) as u64
            || capacity > max_capacity as u64
            || !capacity.is_power_of_two()
        {
            return Err(bad(format!(
                "memfd of {size} bytes: need {DATA} + a power-of-two capacity up to {max_capacity}"
            )));
        }
        let map = Map::shared(fd, size as usize).ctx("mmap", peer)?;
        let r = |off: usize| map.atomic_u64(OFF_HEADER + off).load(Ordering::Relaxed);
        let header = [r(0), r(8), r(16), r(24), r(32)];
        if header != [MAGIC, VERSION, LINE as u64, capacity, DATA as u64] {
            return Err(bad(format!(
                "ring header {header:x?}: need magic IPCKRING, version {VERSION}, line {LINE}, \
                 capacity {capacity}, data offset {DATA}"
            )));
        }
        Ok(Ring { map, capacity })
    }

    /// The data area's size in bytes (a power of two).
    #[inline]
    pub(super) fn capacity(&self) -> u64 {
        self.capacity
    }

    /// The largest record payload: half the capacity.
    #[inline]
    pub(super) fn max_message(&self) -> u64 {
        self.capacity / 2
    }

    /// The producer index.
    #[inline]
    pub(super) fn tail(&self) -> &AtomicU64 {
        self.map.atomic_u64(OFF_TAIL)
    }

    /// The consumer index.
    #[inline]
    pub(super) fn head(&self) -> &AtomicU64 {
        self.map.atomic_u64(OFF_HEAD)
    }

    /// A flag word (0 or not).
    #[inline]
    pub(super) fn flag(&self, f: Flag) -> &AtomicU64 {
        self.map.atomic_u64(OFF_FLAGS + f as usize)
    }

    /// The length word at data position `pos & (capacity - 1)` (rounded down to 8).
    #[inline]
    pub(super) fn word(&self, pos: u64) -> &AtomicU64 {
        self.map
            .atomic_u64(DATA + (pos & (self.capacity - 1)) as usize)
    }

    /// The data bytes `pos..pos + len` (positions within the data area), or `None` if they are
    /// not inside it.
    #[inline]
    pub(super) fn bytes_ptr(&self, pos: u64, len: u64) -> Option<*mut u8> {
        let end = pos.checked_add(len)?;
        if end > self.capacity {
            return None;
        }
        debug_assert!(DATA + end as usize <= self.map.len());
        // SAFETY: `DATA + pos + len <= DATA + capacity == map.len()`, so the pointer (and
        // the `len` bytes after it) stay inside the mapping.
        Some(unsafe { self.map.as_ptr().add(DATA + pos as usize) })
    }
}
