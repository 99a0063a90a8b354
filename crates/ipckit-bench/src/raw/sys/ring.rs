//! The raw twin of `ipckit::ring`: a minimal single-producer single-consumer ring of
//! variable-length records in a `memfd_create` mapping, written straight against libc and
//! atomics, with the layout of [`crate::common::ring`]. Waiting is a busy spin on the peer's
//! index (as `pp spin`) or a plain futex hand-off (as `pp futex`): set the waiter flag,
//! SeqCst fence, re-check, `FUTEX_WAIT` on the index; the publisher stores the index, SeqCst
//! fence, and calls `FUTEX_WAKE` if the flag is set.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{fence, AtomicU64, Ordering};

use super::fd::cvt;
use crate::common::ring::{record_size, CAPACITY, DATA, OFF_FLAGS, OFF_HEAD, OFF_TAIL, SKIP};

/// Bytes of one ring mapping.
const MAP_LEN: usize = DATA + CAPACITY;
/// Offsets of the waiter flags.
const CONSUMER_SLEEPS: usize = OFF_FLAGS;
const PRODUCER_SLEEPS: usize = OFF_FLAGS + 8;

/// How a blocked side waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Busy-spin on the peer's index, no `pause`; a `sched_yield` after every ~50 µs of polls.
    Spin,
    /// Sleep in `FUTEX_WAIT` at once (flag, fence, re-check).
    Futex,
}

/// One ring's `MAP_SHARED` mapping of [`MAP_LEN`] bytes; unmapped on drop. Holds no fd: the
/// mapping keeps the memfd alive, and the memory goes when both sides have unmapped it.
#[derive(Debug)]
struct RingMap {
    base: *mut u8,
}

impl RingMap {
    /// Maps `fd` (a memfd of [`MAP_LEN`] bytes), populated (`MAP_POPULATE`, as
    /// `ipckit::ring` does) so that no page fault falls inside a measured hand-off.
    fn map(fd: &OwnedFd) -> io::Result<RingMap> {
        // SAFETY: a fresh shared mapping of `MAP_LEN` bytes of `fd` at an address the kernel
        // picks; nothing else is mapped there.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                MAP_LEN,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_POPULATE,
                fd.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(RingMap { base: p.cast() })
    }

    /// The `u64` control or length word at byte `off` (a multiple of 8 below `MAP_LEN`).
    #[inline(always)]
    fn word(&self, off: usize) -> &AtomicU64 {
        debug_assert!(off % 8 == 0 && off + 8 <= MAP_LEN);
        // SAFETY: `base` is page-aligned and `off` a multiple of 8 inside the mapping, which
        // lives as long as `self`; the word is only ever accessed atomically by both sides.
        unsafe { &*self.base.add(off).cast::<AtomicU64>() }
    }

    /// The length word of the record at data position `pos` (below the capacity, a
    /// multiple of 8).
    #[inline(always)]
    fn len_word(&self, pos: u64) -> &AtomicU64 {
        self.word(DATA + pos as usize)
    }

    /// `FUTEX_WAIT` on the low half of the word at `off` while it holds `seen`.
    fn futex_wait(&self, off: usize, seen: u64) {
        let addr = self.word(off).as_ptr().cast::<u32>();
        // SAFETY: `addr` is an aligned `u32` inside the mapping (the low half of a
        // little-endian word); a null timeout waits until woken. The result does not matter:
        // the caller re-checks the index (EAGAIN, EINTR and spurious wake-ups included).
        unsafe {
            libc::syscall(
                libc::SYS_futex,
                addr,
                libc::FUTEX_WAIT,
                seen as u32,
                std::ptr::null::<libc::timespec>(),
                std::ptr::null::<u32>(),
                0u32,
            );
        }
    }

    /// `FUTEX_WAKE` one waiter on the word at `off`.
    fn futex_wake(&self, off: usize) {
        let addr = self.word(off).as_ptr().cast::<u32>();
        // SAFETY: as in `futex_wait`; waking has no other effect.
        unsafe {
            libc::syscall(libc::SYS_futex, addr, libc::FUTEX_WAKE, 1u32);
        }
    }
}

impl Drop for RingMap {
    fn drop(&mut self) {
        // SAFETY: `base` is the mapping made in `map`, unmapped exactly once, here; no slice
        // into it outlives `self` (they are lent only within one call).
        unsafe {
            libc::munmap(self.base.cast(), MAP_LEN);
        }
    }
}

/// Polls between two `sched_yield` calls of a spinning side: about 50 µs here, the
/// analogue of ipckit's spin window, so that a spinner whose peer was preempted by another
/// task on the peer's CPU (a loaded machine, tests in parallel) lets it run instead of
/// burning its whole time slice. The hand-off itself never yields.
const POLLS_PER_YIELD: u32 = 1 << 15;

/// Counts one poll; every [`POLLS_PER_YIELD`] polls calls `sched_yield`.
#[inline(always)]
fn yield_now_and_then(polls: u32) -> u32 {
    if polls < POLLS_PER_YIELD {
        return polls + 1;
    }
    // SAFETY: sched_yield takes no arguments and cannot fail on Linux.
    unsafe {
        libc::sched_yield();
    }
    0
}

/// Creates one ring: `memfd_create(MFD_CLOEXEC)` and `ftruncate` (zeroed: both indices 0).
/// Nothing is named anywhere: the memory is freed when the last fd and mapping go.
pub fn memfd_ring() -> io::Result<OwnedFd> {
    // SAFETY: the name is a NUL-terminated literal.
    let fd = cvt(unsafe { libc::memfd_create(c"ipckit-bench-ring".as_ptr(), libc::MFD_CLOEXEC) })?;
    // SAFETY: `fd` was just returned by memfd_create, so nothing else owns it.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: `fd` is an open, writable memfd.
    cvt(unsafe { libc::ftruncate(fd.as_raw_fd(), MAP_LEN as libc::off_t) })?;
    Ok(fd)
}

/// The producer of one ring.
#[derive(Debug)]
pub struct Producer {
    map: RingMap,
    /// Bytes published so far.
    tail: u64,
    /// The consumer index as last read.
    head: u64,
    wait: Wait,
}

impl Producer {
    /// Maps the ring `fd` (from [`memfd_ring`]) as its producer.
    ///
    /// # Errors
    /// `mmap` failed.
    pub fn new(fd: &OwnedFd, wait: Wait) -> io::Result<Producer> {
        Ok(Producer {
            map: RingMap::map(fd)?,
            tail: 0,
            head: 0,
            wait,
        })
    }

    /// Waits until `need` bytes after the tail are free.
    #[inline(always)]
    fn wait_space(&mut self, need: u64) {
        let cap = CAPACITY as u64;
        let mut polls = 0u32;
        while cap - (self.tail - self.head) < need {
            let head = self.map.word(OFF_HEAD);
            self.head = head.load(Ordering::Acquire);
            if cap - (self.tail - self.head) >= need {
                break;
            }
            if self.wait == Wait::Spin {
                polls = yield_now_and_then(polls);
                continue;
            }
            let flag = self.map.word(PRODUCER_SLEEPS);
            flag.store(1, Ordering::Relaxed);
            fence(Ordering::SeqCst);
            let seen = head.load(Ordering::Acquire);
            if seen == self.head {
                self.map.futex_wait(OFF_HEAD, seen);
            }
            flag.store(0, Ordering::Relaxed);
        }
    }

    /// Stores the tail (Release); in futex mode fences and wakes a sleeping consumer.
    #[inline(always)]
    fn publish(&mut self) {
        self.map.word(OFF_TAIL).store(self.tail, Ordering::Release);
        if self.wait == Wait::Futex {
            fence(Ordering::SeqCst);
            if self.map.word(CONSUMER_SLEEPS).load(Ordering::Relaxed) != 0 {
                self.map.futex_wake(OFF_TAIL);
            }
        }
    }

    /// Reserves a record of `len` bytes, lets `fill` write all of them in place, publishes
    /// it.
    ///
    /// # Errors
    /// `len` is above half the capacity.
    #[inline]
    pub fn send_with(&mut self, len: usize, fill: impl FnOnce(&mut [u8])) -> io::Result<()> {
        let cap = CAPACITY as u64;
        if len > CAPACITY / 2 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "message above cap/2",
            ));
        }
        let rec = record_size(len as u64);
        let mut pos = self.tail & (cap - 1);
        if rec > cap - pos {
            // A skip marker turns the rest of the data area into padding.
            let skip = cap - pos;
            self.wait_space(skip);
            self.map.len_word(pos).store(SKIP, Ordering::Relaxed);
            self.tail += skip;
            self.publish();
            pos = 0;
        }
        self.wait_space(rec);
        // SAFETY: `pos + rec <= cap`, so bytes `DATA + pos + 8 ..+ len` lie in the mapping;
        // they are free (the Acquire load of the consumer index in `wait_space` showed them
        // released) and we are the only producer, so no one else accesses them until the
        // Release store of the tail below; the slice ends before it.
        let buf = unsafe {
            std::slice::from_raw_parts_mut(self.map.base.add(DATA + pos as usize + 8), len)
        };
        fill(buf);
        self.map.len_word(pos).store(len as u64, Ordering::Relaxed);
        self.tail += rec;
        self.publish();
        Ok(())
    }
}

/// The consumer of one ring.
#[derive(Debug)]
pub struct Consumer {
    map: RingMap,
    /// Bytes released so far.
    head: u64,
    /// The producer index as last read.
    tail: u64,
    wait: Wait,
}

impl Consumer {
    /// Maps the ring `fd` (from [`memfd_ring`]) as its consumer.
    ///
    /// # Errors
    /// `mmap` failed.
    pub fn new(fd: &OwnedFd, wait: Wait) -> io::Result<Consumer> {
        Ok(Consumer {
            map: RingMap::map(fd)?,
            head: 0,
            tail: 0,
            wait,
        })
    }

    /// Waits until the producer index is past the head.
    #[inline(always)]
    fn wait_data(&mut self) {
        let tail = self.map.word(OFF_TAIL);
        let cap = CAPACITY as u64;
        let mut polls = 0u32;
        loop {
            // Touch the next record's first two lines while polling, as `ipckit::ring`
            // does, so that their misses overlap with the index's (without it this twin's
            // 64 B round trip is ~40% slower here: three serial line transfers per hop).
            std::hint::black_box(
                self.map
                    .len_word(self.head & (cap - 1))
                    .load(Ordering::Relaxed),
            );
            std::hint::black_box(
                self.map
                    .len_word((self.head + 64) & (cap - 1))
                    .load(Ordering::Relaxed),
            );
            self.tail = tail.load(Ordering::Acquire);
            if self.tail != self.head {
                return;
            }
            if self.wait == Wait::Spin {
                polls = yield_now_and_then(polls);
                continue;
            }
            let flag = self.map.word(CONSUMER_SLEEPS);
            flag.store(1, Ordering::Relaxed);
            fence(Ordering::SeqCst);
            let seen = tail.load(Ordering::Acquire);
            if seen == self.head {
                self.map.futex_wait(OFF_TAIL, seen);
            }
            flag.store(0, Ordering::Relaxed);
        }
    }

    /// Stores the head (Release); in futex mode fences and wakes a sleeping producer.
    #[inline(always)]
    fn publish(&mut self) {
        self.map.word(OFF_HEAD).store(self.head, Ordering::Release);
        if self.wait == Wait::Futex {
            fence(Ordering::SeqCst);
            if self.map.word(PRODUCER_SLEEPS).load(Ordering::Relaxed) != 0 {
                self.map.futex_wake(OFF_HEAD);
            }
        }
    }

    /// Waits for the next record, lends its bytes in place to `read`, releases it.
    ///
    /// # Errors
    /// A length word out of range (a corrupted ring).
    #[inline]
    pub fn recv_with<R>(&mut self, read: impl FnOnce(&[u8]) -> R) -> io::Result<R> {
        let cap = CAPACITY as u64;
        loop {
            if self.head == self.tail {
                self.wait_data();
            }
            let pos = self.head & (cap - 1);
            let word = self.map.len_word(pos).load(Ordering::Relaxed);
            if word == SKIP {
                self.head += cap - pos;
                self.publish();
                continue;
            }
            let rec = if word <= cap / 2 {
                record_size(word)
            } else {
                u64::MAX
            };
            if rec > self.tail - self.head || pos + rec > cap {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("record length {word} at {pos} out of range"),
                ));
            }
            // SAFETY: `pos + rec <= cap`, so bytes `DATA + pos + 8 ..+ word` lie in the
            // mapping; they are published (the Acquire load of the tail covered them) and the
            // producer writes them again only after our Release store of the head below; the
            // slice ends before it.
            let bytes = unsafe {
                std::slice::from_raw_parts(
                    self.map.base.add(DATA + pos as usize + 8),
                    word as usize,
                )
            };
            let r = read(bytes);
            self.head += rec;
            self.publish();
            return Ok(r);
        }
    }
}
