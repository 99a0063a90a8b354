//! The ring's own syscalls: `memfd_create`, seals, `fstat`, `mmap`, `futex`, `poll`, and
//! the doorbell's `send` / `recv` on the connection's socket.
//!
//! Thin `libc` calls that return `Result<_, crate::Errno>`; the rest of `ring` turns them into
//! [`crate::Error`]s. They live here rather than in `crate::sys` so that the ring is one
//! self-contained module (issue 9); the platform seam can absorb this file later.

use std::ffi::CStr;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use crate::Errno;

/// The seals every shared ring carries before it is passed to the peer.
pub(super) const SEALS: i32 = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL;
/// Seals that would make the ring unusable (a writable shared mapping is refused).
pub(super) const WRITE_SEALS: i32 = libc::F_SEAL_WRITE | libc::F_SEAL_FUTURE_WRITE;

fn check(r: libc::c_int) -> Result<libc::c_int, Errno> {
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r)
    }
}

/// `memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING)`: an anonymous file with no name in
/// any file system.
pub(super) fn memfd_create(name: &CStr) -> Result<OwnedFd, Errno> {
    // SAFETY: `name` is a valid NUL-terminated string; the call has no other pointer argument.
    let fd = check(unsafe {
        libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING)
    })?;
    // SAFETY: the kernel just returned `fd`, a new descriptor nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `ftruncate(fd, len)`.
pub(super) fn ftruncate(fd: BorrowedFd<'_>, len: u64) -> Result<(), Errno> {
    let len = libc::off_t::try_from(len).map_err(|_| Errno::EINVAL)?;
    // SAFETY: plain integer arguments; the fd is borrowed for the call.
    check(unsafe { libc::ftruncate(fd.as_raw_fd(), len) }).map(drop)
}

/// `fcntl(fd, F_ADD_SEALS, seals)`.
pub(super) fn add_seals(fd: BorrowedFd<'_>, seals: i32) -> Result<(), Errno> {
    // SAFETY: plain integer arguments; the fd is borrowed for the call.
    check(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_ADD_SEALS, seals) }).map(drop)
}

/// `fcntl(fd, F_GET_SEALS)`: the seals of a memfd (`EINVAL` for a file that cannot be sealed).
pub(super) fn seals(fd: BorrowedFd<'_>) -> Result<i32, Errno> {
    // SAFETY: plain integer arguments; the fd is borrowed for the call.
    check(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GET_SEALS) })
}

/// `fstat(fd)`: whether it is a regular file, and its size in bytes.
pub(super) fn regular_file_size(fd: BorrowedFd<'_>) -> Result<(bool, u64), Errno> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `st` is writable storage of the right type that the kernel fills on success.
    check(unsafe { libc::fstat(fd.as_raw_fd(), st.as_mut_ptr()) })?;
    // SAFETY: fstat succeeded, so it initialised `st`.
    let st = unsafe { st.assume_init() };
    let regular = st.st_mode & libc::S_IFMT == libc::S_IFREG;
    Ok((regular, u64::try_from(st.st_size).unwrap_or(0)))
}

/// `geteuid()`.
pub(super) fn geteuid() -> u32 {
    // SAFETY: geteuid has no arguments and cannot fail.
    unsafe { libc::geteuid() }
}

/// A `MAP_SHARED` read-write mapping of a whole memfd; unmapped on drop.
#[derive(Debug)]
pub(super) struct Map {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is plain memory owned by this value; which thread touches it is governed
// by the ring's `&mut self` methods, as for any owned buffer.
unsafe impl Send for Map {}
// SAFETY: shared references only read through atomics (`Map::atomic_u64`) or lend bytes under
// the ring protocol; no `&self` method writes plain memory.
unsafe impl Sync for Map {}

impl Map {
    /// `mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0)`.
    ///
    /// The caller guarantees that the file is at least `len` bytes and cannot shrink (sealed
    /// `F_SEAL_SHRINK`), so that no access below `len` can fault.
    pub(super) fn shared(fd: BorrowedFd<'_>, len: usize) -> Result<Map, Errno> {
        if len == 0 {
            return Err(Errno::EINVAL);
        }
        // SAFETY: a new mapping at an address the kernel chooses; no existing memory is
        // affected. The result is checked against MAP_FAILED.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_POPULATE,
                fd.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(Errno::last());
        }
        let ptr = NonNull::new(p.cast::<u8>()).ok_or(Errno::EINVAL)?;
        Ok(Map { ptr, len })
    }

    /// The mapping's length in bytes.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The first byte of the mapping (page aligned).
    #[inline]
    pub(super) fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// The 8-byte word at `offset`, as an atomic. `offset` is rounded down to a multiple of 8
    /// and must be below `len - 7`, which is checked (a panic here is a bug in ring, never an
    /// effect of the peer: offsets come from validated or masked indices).
    #[inline]
    pub(super) fn atomic_u64(&self, offset: usize) -> &AtomicU64 {
        let offset = offset & !7;
        assert!(offset + 8 <= self.len, "ring word out of the mapping");
        // SAFETY: `offset + 8 <= len` keeps the word inside the live mapping; the base is page
        // aligned and `offset` a multiple of 8, so the pointer is aligned for AtomicU64. Shared
        // memory written concurrently by another process is exactly what atomics are for, and
        // the reference lives no longer than `&self`, which keeps the mapping alive.
        unsafe { &*self.ptr.as_ptr().add(offset).cast::<AtomicU64>() }
    }
}

impl Drop for Map {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are exactly what mmap returned; no reference into the mapping
        // outlives `self` (every borrow handed out is tied to a borrow of the owner).
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), self.len);
        }
    }
}

/// The futex word of a 64-bit index: its low 32 bits, at the same address on little-endian.
fn futex_word(index: &AtomicU64) -> *const u32 {
    let p = (index as *const AtomicU64).cast::<u32>();
    if cfg!(target_endian = "big") {
        p.wrapping_add(1)
    } else {
        p
    }
}

/// `futex(FUTEX_WAIT)` on the low half of `index` while it equals `expected`, for at most
/// `timeout`. Returns when woken, on timeout, on a signal or when the value differs: the
/// caller re-checks the index in every case.
pub(super) fn futex_wait(index: &AtomicU64, expected: u32, timeout: Duration) {
    let ts = libc::timespec {
        tv_sec: libc::time_t::try_from(timeout.as_secs()).unwrap_or(libc::time_t::MAX),
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    };
    // SAFETY: the word is 4 aligned bytes inside a live shared mapping (`index` is a
    // reference into it); FUTEX_WAIT without FUTEX_PRIVATE_FLAG because the mapping is shared
    // between processes; `ts` outlives the call. Any error (EAGAIN, ETIMEDOUT, EINTR) only
    // means "re-check", so the result is ignored.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            futex_word(index),
            libc::FUTEX_WAIT,
            expected,
            &ts as *const libc::timespec,
            std::ptr::null::<u32>(),
            0u32,
        );
    }
}

/// `futex(FUTEX_WAKE, 1)` on the low half of `index`.
pub(super) fn futex_wake(index: &AtomicU64) {
    // SAFETY: as in `futex_wait`; FUTEX_WAKE only reads the address as a key.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            futex_word(index),
            libc::FUTEX_WAKE,
            1u32,
            std::ptr::null::<libc::timespec>(),
            std::ptr::null::<u32>(),
            0u32,
        );
    }
}

/// `poll(fd, POLLRDHUP, 0)`: whether the other end of a connected socket hung up (or the
/// socket is in error). Never blocks.
pub(super) fn hung_up(fd: BorrowedFd<'_>) -> bool {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLRDHUP,
        revents: 0,
    };
    loop {
        // SAFETY: one valid pollfd, count 1, timeout 0.
        let r = unsafe { libc::poll(&mut p, 1, 0) };
        if r < 0 && Errno::last() == Errno::EINTR {
            continue;
        }
        return r > 0 && p.revents & (libc::POLLHUP | libc::POLLRDHUP | libc::POLLERR) != 0;
    }
}

const MEMBARRIER_CMD_QUERY: libc::c_long = 0;
const MEMBARRIER_CMD_GLOBAL_EXPEDITED: libc::c_long = 1 << 1;
const MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED: libc::c_long = 1 << 2;

fn membarrier(cmd: libc::c_long) -> libc::c_long {
    // SAFETY: membarrier takes two integer arguments (cmd, flags) and a cpu id unused here;
    // it touches no memory of ours.
    unsafe {
        libc::syscall(
            libc::SYS_membarrier,
            cmd,
            0 as libc::c_long,
            0 as libc::c_long,
        )
    }
}

/// Registers this process for `MEMBARRIER_CMD_GLOBAL_EXPEDITED` (once; later calls return
/// the first result): afterwards a peer's [`membarrier_global`] runs a full memory barrier
/// on every CPU that runs one of our threads. `false` where the kernel (or a seccomp
/// filter) does not offer it.
pub(super) fn membarrier_register() -> bool {
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *REGISTERED.get_or_init(|| {
        let q = membarrier(MEMBARRIER_CMD_QUERY);
        q > 0
            && q & MEMBARRIER_CMD_GLOBAL_EXPEDITED != 0
            && membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) == 0
    })
}

/// `membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED)`: a full memory barrier on every CPU running
/// a thread of a registered process, before this returns. `false` if the call failed.
pub(super) fn membarrier_global() -> bool {
    membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) == 0
}

/// Rings the peer's doorbell: `send(fd, 1 byte, MSG_DONTWAIT | MSG_NOSIGNAL)` on the
/// connection's socket, one seqpacket record. `MSG_DONTWAIT` makes this one call
/// non-blocking whatever the flags of the socket's file description, and this side's socket
/// description is ours alone (the peer holds the other end), so no peer can make it block.
/// Errors are ignored: `EAGAIN` means the peer's receive queue is full of unread bytes, so
/// its socket is readable and a waiter there is (or will be) awake anyway; `EPIPE` /
/// `ECONNRESET` mean the peer is gone, which its hang-up tells us; a doorbell is only a
/// hint, and the waiter re-checks the ring (and wakes on its own at the check interval).
pub(super) fn ring_bell(fd: BorrowedFd<'_>) {
    let one = [BELL];
    // SAFETY: sends 1 byte from a live local buffer, never blocking (MSG_DONTWAIT) and
    // never raising SIGPIPE (MSG_NOSIGNAL); the fd is borrowed for the call.
    unsafe {
        libc::send(
            fd.as_raw_fd(),
            one.as_ptr().cast(),
            one.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        );
    }
}

/// The doorbell record's one byte (its value is never looked at: any record after the
/// handshake is a ring).
pub(super) const BELL: u8 = b'!';

/// The most records [`drain`] takes per call: more than a connected Unix seqpacket socket
/// queues by default (about 280 one-byte records in `wmem_default`), so a drain normally
/// empties it, and bounded, so that a peer that floods the socket as fast as we read costs
/// us wake-ups, never an endless loop.
pub(super) const DRAIN_MAX: usize = 512;

/// What [`drain`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Drained {
    /// Records taken.
    pub(super) records: usize,
    /// The bound was reached: more may be queued (the socket may still be readable).
    pub(super) more: bool,
}

/// Drains the doorbell records a peer sent on the connection's socket, without blocking:
/// `recv(MSG_DONTWAIT)` (non-blocking per call, whatever the description's flags) at most
/// [`DRAIN_MAX`] times, until `EAGAIN`, an end of file (the peer hung up: that stays
/// readable, and the waiter's re-check sees it) or an error. After the handshake nothing
/// else reads this socket.
pub(super) fn drain(fd: BorrowedFd<'_>) -> Drained {
    let mut buf = [0u8; 16];
    for records in 0..DRAIN_MAX {
        // SAFETY: receives at most 16 bytes (the rest of a longer record is discarded, as
        // seqpacket does) into a live local buffer, never blocking. With no control buffer,
        // fds a peer attached (`SCM_RIGHTS`) are closed by the kernel.
        let r = unsafe {
            libc::recv(
                fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT,
            )
        };
        if r < 0 && Errno::last() == Errno::EINTR {
            continue;
        }
        if r <= 0 {
            return Drained {
                records,
                more: false,
            };
        }
    }
    Drained {
        records: DRAIN_MAX,
        more: true,
    }
}
