//! Memory another process may write at any time: a `MAP_SHARED` mapping (`mmap(2)`, owned
//! through memmap2's [`MmapRaw`]) or a System V segment attached with `shmat(2)` (detached
//! with `shmdt(2)` on drop).
//!
//! Both are one [`Region`]: a base pointer, a length and whether it may be written. No Rust
//! reference to the bytes is ever created (another process changing them behind a `&[u8]`
//! would be a data race in Rust's memory model); the bytes are reached only through the
//! bounds-checked copies, volatile loads and stores, and atomics below. This is the only
//! place in ipckit that touches such memory.
//!
//! The bulk copies ([`Region::read`], [`Region::write`], [`Region::fill`]) are plain
//! `memcpy`/`memset` through raw pointers. Making them volatile would not help: a volatile
//! access that races with a write is undefined behaviour exactly like a plain one (see
//! [`std::ptr::read_volatile`]), and copying word by word made 1 MiB messages 1.2 to 2.4
//! times slower than `memcpy` in `ipckit bench`. What makes a copy sound is
//! synchronisation: the processes hand the bytes over with a semaphore or with the atomics
//! here (Acquire/Release), so no copy overlaps a write by the other side.

use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU64};

use libc::c_void;
use memmap2::{MmapOptions, MmapRaw};

use crate::Errno;

/// The errno of an `io::Error` from memmap2 (`EIO` if it carries none).
fn io_errno(e: &std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))
}

/// What keeps the memory mapped, and how it is released.
#[derive(Debug)]
enum Backing {
    /// An `mmap(2)` mapping; memmap2 `munmap`s it on drop.
    Mmap(MmapRaw),
    /// A `shmat(2)` attachment at the region's base; [`Region`]'s `Drop` calls `shmdt(2)`.
    Shmat,
}

/// Shared memory of `len` bytes at `base`, mapped for as long as the `Region` lives.
///
/// Accesses are bounds-checked (`EINVAL` outside the region or misaligned) and writes are
/// refused on a read-only region (`EACCES`), so a store never faults.
#[derive(Debug)]
pub struct Region {
    base: NonNull<u8>,
    len: usize,
    writable: bool,
    backing: Backing,
}

// SAFETY: the region is plain shared memory with no thread affinity: `munmap` and `shmdt` may
// run on any thread, and the memory is only reached through raw-pointer copies, volatile
// and atomic accesses.
unsafe impl Send for Region {}
// SAFETY: every access through `&Region` is a raw-pointer copy, a volatile load/store or an
// atomic, none of which creates a Rust reference to non-atomic shared bytes.
unsafe impl Sync for Region {}

impl Region {
    /// Takes ownership of an `mmap(2)` mapping; `writable` says whether it was mapped
    /// `PROT_WRITE`.
    pub(crate) fn from_mmap(map: MmapRaw, writable: bool) -> Region {
        // memmap2 never hands out a null mapping (a 0-length map is still a valid address);
        // the fallback keeps the type honest without a panic path.
        let base = NonNull::new(map.as_mut_ptr()).unwrap_or(NonNull::dangling());
        Region {
            base,
            len: map.len(),
            writable,
            backing: Backing::Mmap(map),
        }
    }

    /// `mmap(2)` of `len` bytes of `fd` from offset 0, `MAP_SHARED`, read-write if
    /// `writable`, else read-only.
    pub(crate) fn map_shared(
        fd: BorrowedFd<'_>,
        len: usize,
        writable: bool,
    ) -> Result<Region, Errno> {
        let mut o = MmapOptions::new();
        o.len(len);
        let raw = fd.as_raw_fd();
        let map = if writable {
            o.map_raw(raw)
        } else {
            o.map_raw_read_only(raw)
        }
        .map_err(|e| io_errno(&e))?;
        Ok(Region::from_mmap(map, writable))
    }

    /// `shmat(id, NULL, flags)` of a System V segment of `len` bytes (its `shm_segsz`),
    /// `SHM_RDONLY` if `read_only`.
    pub(crate) fn shmat(id: i32, len: usize, read_only: bool) -> Result<Region, Errno> {
        let flags = if read_only { libc::SHM_RDONLY } else { 0 };
        // SAFETY: a NULL address lets the kernel choose where to map; nothing is overwritten.
        let p = unsafe { libc::shmat(id, std::ptr::null(), flags) };
        if p as isize == -1 {
            return Err(Errno::last());
        }
        let base = NonNull::new(p.cast::<u8>()).ok_or(Errno::EINVAL)?;
        Ok(Region {
            base,
            len,
            writable: !read_only,
            backing: Backing::Shmat,
        })
    }

    /// Unmaps now, reporting the error `shmdt(2)` returns (dropping ignores it); an `mmap`
    /// region is unmapped by memmap2, which has no error to report.
    pub(crate) fn detach(self) -> Result<(), Errno> {
        if let Backing::Mmap(_) = self.backing {
            drop(self);
            return Ok(());
        }
        let me = std::mem::ManuallyDrop::new(self);
        // SAFETY: `base` came from `shmat` and is detached exactly once: `Drop` will not run
        // for `me` (which owns nothing else), and no borrow of the region outlives `self`.
        let r = unsafe { libc::shmdt(me.base.as_ptr().cast::<c_void>()) };
        if r == -1 {
            Err(Errno::last())
        } else {
            Ok(())
        }
    }

    /// Length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether the region may be written.
    pub(crate) fn writable(&self) -> bool {
        self.writable
    }

    /// The address of the first byte in this process.
    pub(crate) fn addr(&self) -> usize {
        self.base.as_ptr() as usize
    }

    /// `msync(2)` of `len` bytes from `offset` (`MS_SYNC` if `wait`, else `MS_ASYNC`). A
    /// System V segment has no file to write back to: nothing to do.
    pub(crate) fn flush(&self, offset: usize, len: usize, wait: bool) -> Result<(), Errno> {
        match &self.backing {
            Backing::Mmap(map) if wait => map.flush_range(offset, len),
            Backing::Mmap(map) => map.flush_async_range(offset, len),
            Backing::Shmat => Ok(()),
        }
        .map_err(|e| io_errno(&e))
    }

    /// The pointer to `size` bytes at `offset`, aligned to `align` (a power of two, or 1):
    /// `EACCES` if `write` on a read-only region, `EINVAL` if outside it or misaligned.
    pub(crate) fn ptr(
        &self,
        offset: usize,
        size: usize,
        align: usize,
        write: bool,
    ) -> Result<*mut u8, Errno> {
        if write && !self.writable {
            return Err(Errno::EACCES);
        }
        match offset.checked_add(size) {
            Some(end) if end <= self.len => {
                // SAFETY: `offset <= len`, so the pointer is inside the region or one past
                // its end.
                let p = unsafe { self.base.as_ptr().add(offset) };
                if (p as usize) % align != 0 {
                    return Err(Errno::EINVAL);
                }
                Ok(p)
            }
            _ => Err(Errno::EINVAL),
        }
    }

    /// Copies `buf.len()` bytes starting at `offset` into `buf` (`memcpy`).
    pub(crate) fn read(&self, offset: usize, buf: &mut [u8]) -> Result<(), Errno> {
        let p = self.ptr(offset, buf.len(), 1, false)?;
        // SAFETY: `ptr` checked that `buf.len()` bytes from `p` lie inside the mapping; `buf`
        // is a separate Rust allocation of that length, so the ranges do not overlap.
        unsafe { std::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), buf.len()) };
        Ok(())
    }

    /// Copies `data` into the region starting at `offset` (`memcpy`).
    pub(crate) fn write(&self, offset: usize, data: &[u8]) -> Result<(), Errno> {
        let p = self.ptr(offset, data.len(), 1, true)?;
        // SAFETY: `ptr` checked that `data.len()` bytes from `p` lie inside the writable
        // mapping; `data` is a separate Rust allocation, so the ranges do not overlap.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), p, data.len()) };
        Ok(())
    }

    /// Sets `len` bytes at `offset` to `byte` (`memset`).
    pub(crate) fn fill(&self, offset: usize, len: usize, byte: u8) -> Result<(), Errno> {
        let p = self.ptr(offset, len, 1, true)?;
        // SAFETY: `ptr` checked that `len` bytes from `p` lie inside the writable mapping.
        unsafe { std::ptr::write_bytes(p, byte, len) };
        Ok(())
    }

    /// A volatile load of the byte at `offset`.
    pub(crate) fn read_volatile_u8(&self, offset: usize) -> Result<u8, Errno> {
        let p = self.ptr(offset, 1, 1, false)?;
        // SAFETY: in bounds (checked); a byte needs no alignment.
        Ok(unsafe { p.read_volatile() })
    }

    /// A volatile store of the byte at `offset`.
    pub(crate) fn write_volatile_u8(&self, offset: usize, v: u8) -> Result<(), Errno> {
        let p = self.ptr(offset, 1, 1, true)?;
        // SAFETY: in bounds and writable (checked).
        unsafe { p.write_volatile(v) };
        Ok(())
    }

    /// A volatile load of the native-endian `u64` at `offset` (8-byte aligned).
    pub(crate) fn read_volatile_u64(&self, offset: usize) -> Result<u64, Errno> {
        let p = self.ptr(offset, 8, 8, false)?;
        // SAFETY: in bounds and 8-aligned (checked).
        Ok(unsafe { p.cast::<u64>().read_volatile() })
    }

    /// A volatile store of the native-endian `u64` at `offset` (8-byte aligned).
    pub(crate) fn write_volatile_u64(&self, offset: usize, v: u64) -> Result<(), Errno> {
        let p = self.ptr(offset, 8, 8, true)?;
        // SAFETY: in bounds, writable and 8-aligned (checked).
        unsafe { p.cast::<u64>().write_volatile(v) };
        Ok(())
    }

    /// The `AtomicU32` at `offset` (4-byte aligned, writable region: an atomic
    /// read-modify-write on a read-only mapping would fault).
    pub(crate) fn atomic_u32(&self, offset: usize) -> Result<&AtomicU32, Errno> {
        let p = self.ptr(offset, 4, 4, true)?;
        // SAFETY: in bounds, 4-aligned and writable (checked); every access ipckit makes to
        // these bytes is atomic or volatile, and the reference is borrowed from `self`, so
        // it cannot outlive the mapping.
        Ok(unsafe { AtomicU32::from_ptr(p.cast()) })
    }

    /// The `AtomicU64` at `offset` (8-byte aligned, writable region).
    pub(crate) fn atomic_u64(&self, offset: usize) -> Result<&AtomicU64, Errno> {
        let p = self.ptr(offset, 8, 8, true)?;
        // SAFETY: as in `atomic_u32`, with 8-byte alignment.
        Ok(unsafe { AtomicU64::from_ptr(p.cast()) })
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        if let Backing::Shmat = self.backing {
            // SAFETY: `base` came from `shmat` and is detached once, here (`detach` skips
            // `Drop`); no borrow of the region outlives `self`.
            unsafe { libc::shmdt(self.base.as_ptr().cast::<c_void>()) };
        }
        // An `Mmap` backing is unmapped by its own `Drop`.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anon(len: usize, writable: bool) -> Region {
        let map = memmap2::MmapOptions::new().len(len).map_anon().unwrap();
        Region::from_mmap(MmapRaw::from(map), writable)
    }

    /// A machine word: the alignment test covers every offset within two of them.
    const W: usize = std::mem::size_of::<usize>();

    #[test]
    fn copies_and_fill_at_every_alignment_touch_exactly_their_bytes() {
        let r = anon(128, true);
        for off in 0..2 * W + 1 {
            for len in (0..3 * W + 2).chain([64, 65]) {
                r.fill(0, 128, 0xee).unwrap();
                let data: Vec<u8> = (0..len).map(|i| (i * 7 + off + 1) as u8).collect();
                r.write(off, &data).unwrap();
                let mut all = vec![0u8; 128];
                r.read(0, &mut all).unwrap();
                assert!(all[..off].iter().all(|&b| b == 0xee), "before {off}+{len}");
                assert_eq!(&all[off..off + len], &data[..], "write {off}+{len}");
                assert!(
                    all[off + len..].iter().all(|&b| b == 0xee),
                    "after {off}+{len}"
                );
                let mut back = vec![0u8; len];
                r.read(off, &mut back).unwrap();
                assert_eq!(back, data, "read {off}+{len}");

                r.fill(off, len, 0x5a).unwrap();
                r.read(0, &mut all).unwrap();
                assert!(all[..off].iter().all(|&b| b == 0xee));
                assert!(all[off..off + len].iter().all(|&b| b == 0x5a));
                assert!(all[off + len..].iter().all(|&b| b == 0xee));
            }
        }
    }

    #[test]
    fn bounds_alignment_and_read_only_are_refused() {
        let r = anon(16, true);
        assert_eq!(r.write(15, b"ab"), Err(Errno::EINVAL));
        assert_eq!(r.write(usize::MAX, b"a"), Err(Errno::EINVAL));
        assert_eq!(r.read(17, &mut []), Err(Errno::EINVAL));
        assert!(r.read(16, &mut []).is_ok());
        assert_eq!(r.atomic_u32(2).err(), Some(Errno::EINVAL));
        assert_eq!(r.atomic_u64(12).err(), Some(Errno::EINVAL));
        assert_eq!(r.read_volatile_u64(4), Err(Errno::EINVAL));
        r.write_volatile_u64(8, u64::MAX).unwrap();
        assert_eq!(r.read_volatile_u64(8), Ok(u64::MAX));
        r.atomic_u32(4)
            .unwrap()
            .store(7, std::sync::atomic::Ordering::SeqCst);
        let mut b = [0u8; 4];
        r.read(4, &mut b).unwrap();
        assert_eq!(u32::from_ne_bytes(b), 7);

        let ro = anon(16, false);
        assert_eq!(ro.write(0, b"x"), Err(Errno::EACCES));
        assert_eq!(ro.fill(0, 1, 0), Err(Errno::EACCES));
        assert_eq!(ro.write_volatile_u8(0, 1), Err(Errno::EACCES));
        assert_eq!(ro.atomic_u32(0).err(), Some(Errno::EACCES));
        assert_eq!(ro.read_volatile_u8(3), Ok(0));
    }
}
