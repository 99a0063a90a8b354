//! The ring's own syscalls: `memfd_create`, seals, `fstat`, `mmap`, `futex`, `poll`.
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

/// `eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)`: a doorbell whose fd is readable while its
/// counter is non-zero.
pub(super) fn eventfd() -> Result<OwnedFd, Errno> {
    // SAFETY: plain integer arguments.
    let fd = check(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) })?;
    // SAFETY: the kernel just returned `fd`, a new descriptor nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Whether `fd` is an eventfd (its `/proc/self/fd` link is `anon_inode:[eventfd]`) opened
/// `O_NONBLOCK`.
pub(super) fn is_nonblocking_eventfd(fd: BorrowedFd<'_>) -> bool {
    let link = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()));
    // SAFETY: plain integer arguments; the fd is borrowed for the call.
    let fl = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    matches!(link, Ok(p) if p.as_os_str() == "anon_inode:[eventfd]")
        && fl >= 0
        && fl & libc::O_NONBLOCK != 0
}

/// Rings a doorbell: adds 1 to the eventfd's counter (each write is an edge for the
/// waiter's edge-triggered `epoll`; nobody reads the counter), unless the fd is not
/// writable now (`poll(POLLOUT, 0)`: the counter is saturated, and the waiter falls back to
/// its check interval). Errors are ignored: a doorbell is only a hint, the waiter
/// re-checks the ring (and wakes on its own at the check interval).
///
/// The peer shares this file description: it could clear `O_NONBLOCK` and fill the counter
/// between the `poll` and the `write`, which would block the write until the peer reads.
/// That needs a hostile peer hitting a window of a few instructions; the `poll` closes the
/// wide one (a counter it filled earlier). A `send(MSG_DONTWAIT)` on a socket would close
/// it entirely (eventfds accept no per-call "don't wait": `pwritev2(RWF_NOWAIT)` is
/// `EOPNOTSUPP` on them, Linux 6.18).
pub(super) fn eventfd_ring(fd: BorrowedFd<'_>) {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: one valid pollfd, count 1, timeout 0.
    let r = unsafe { libc::poll(&mut p, 1, 0) };
    if r != 1 || p.revents & libc::POLLOUT == 0 {
        return;
    }
    let one = 1u64.to_ne_bytes();
    // SAFETY: writes 8 bytes from a live local buffer; the fd is borrowed for the call.
    unsafe {
        libc::write(fd.as_raw_fd(), one.as_ptr().cast(), one.len());
    }
}

/// Discards whatever a peer sent on the connection's socket after the handshake (nothing,
/// if it follows the protocol), without blocking: `recv(MSG_DONTWAIT)` at most 64 times.
pub(super) fn discard_pending(fd: BorrowedFd<'_>) {
    let mut buf = [0u8; 64];
    for _ in 0..64 {
        // SAFETY: receives at most 64 bytes into a live local buffer, never blocking. With no
        // control buffer, fds a peer attached (`SCM_RIGHTS`) are discarded by the kernel.
        let r = unsafe {
            libc::recv(
                fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT,
            )
        };
        if r <= 0 {
            return;
        }
    }
}
