//! File-backed shared memory maps (`mmap` with `MAP_SHARED`, `msync`).
//!
//! A [`MappedFile`] maps a regular file `MAP_SHARED`: every process that maps the same file
//! sees the same bytes, and the kernel writes them back to the file (at once with
//! [`MappedFile::flush`], in the background otherwise). The bytes are reached through the
//! [`MappedBytes`] trait, which every kind of memory another process can write implements:
//! [`MappedFile`], [`posix::shm::SharedMemory`](crate::posix::shm::SharedMemory) and
//! [`sysv::shm::Attachment`](crate::sysv::shm::Attachment).
//!
//! # Why no `&[u8]`
//! Another process may change a shared mapping at any moment, which Rust's aliasing rules do
//! not allow behind a `&[u8]` or a `&T`. [`MappedBytes`] therefore offers copies in and out
//! ([`read`](MappedBytes::read), [`write`](MappedBytes::write)), volatile loads and stores, and
//! atomics ([`atomic_u32`](MappedBytes::atomic_u32)) for synchronisation, plus process-shared
//! semaphores placed inside the mapping
//! ([`UnnamedSemaphore`](crate::posix::sem::UnnamedSemaphore)). Copies are plain `memcpy`s
//! through raw pointers, not atomic as a whole: order them against the other process with a
//! semaphore or an atomic (release/acquire), so that no copy overlaps the other side's
//! write. (Volatile copies would not change that: a volatile access racing with a write is
//! undefined behaviour like any other, see [`std::ptr::read_volatile`].)
//!
//! # `SIGBUS`
//! If the file or shared-memory object is truncated (by any process) below the mapped length,
//! touching the part past the new end raises `SIGBUS`, which kills the process. Only shrink an
//! object when every process has agreed to stop using the tail.
//!
//! # References
//! <https://man7.org/linux/man-pages/man2/mmap.2.html>,
//! <https://man7.org/linux/man-pages/man2/msync.2.html>

use std::borrow::Cow;
use std::fs::{File, OpenOptions};
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64};

use crate::error::Context;
use crate::named::{Named, Sealed};
use crate::sys::region::Region;
use crate::{Errno, Error, ErrorKind, Result};

pub(crate) mod sealed {
    /// Gives the trait its mapping; not implementable outside ipckit.
    pub trait Sealed {
        /// The mapping.
        fn region(&self) -> &crate::sys::region::Region;
        /// How errors name the object (`/dev/shm` name, file path or System V segment).
        fn object_str(&self) -> &str;
    }
}

fn access_error(
    e: Errno,
    op: &'static str,
    object: String,
    offset: usize,
    len: usize,
    total: usize,
) -> Error {
    let err = Error::new(
        if e == Errno::EACCES {
            ErrorKind::PermissionDenied
        } else {
            ErrorKind::InvalidInput
        },
        op,
        object,
    );
    match e {
        Errno::EACCES => err.with_detail("the mapping is read-only"),
        _ => err.with_detail(format!(
            "{len} bytes at offset {offset} do not fit in (or are misaligned within) the {total}-byte mapping"
        )),
    }
}

/// Bytes of a shared mapping another process may change at any time: copies, volatile and
/// atomic accesses, never references to the bytes themselves.
///
/// Implemented by [`MappedFile`], [`SharedMemory`](crate::posix::shm::SharedMemory) (POSIX)
/// and [`Attachment`](crate::sysv::shm::Attachment) (System V), so code written against
/// `MappedBytes` works on any of them. Offsets and lengths are in bytes from the start of the
/// mapping; every access is bounds-checked.
pub trait MappedBytes: sealed::Sealed {
    /// The mapped length in bytes.
    fn len(&self) -> usize {
        self.region().len()
    }

    /// Whether the mapping is empty (0 bytes).
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the mapping was made writable (`PROT_WRITE`; for System V, attached without
    /// `SHM_RDONLY`).
    fn is_writable(&self) -> bool {
        self.region().writable()
    }

    /// Copies `buf.len()` bytes starting at `offset` out of the mapping (`memcpy`).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] if the range is not inside the mapping.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{mmap::MappedBytes, posix::shm::SharedMemory};
    /// # let name = format!("/ipckit-doc-mbread-{}", std::process::id());
    /// let shm = SharedMemory::builder(&name).size(16).create_new()?;
    /// shm.write(4, b"abc")?;
    /// let mut out = [0u8; 3];
    /// shm.read(4, &mut out)?;
    /// assert_eq!(&out, b"abc");
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    fn read(&self, offset: usize, buf: &mut [u8]) -> Result<()> {
        self.region().read(offset, buf).map_err(|e| {
            access_error(
                e,
                "read",
                self.object_str().to_string(),
                offset,
                buf.len(),
                self.len(),
            )
        })
    }

    /// Copies `data` into the mapping starting at `offset` (`memcpy`).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] if the range is not inside the mapping;
    /// [`ErrorKind::PermissionDenied`] if the mapping is read-only.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{mmap::MappedBytes, posix::shm::SharedMemory};
    /// # let name = format!("/ipckit-doc-mb2write-{}", std::process::id());
    /// let shm = SharedMemory::builder(&name).size(64).create_new()?;
    /// shm.write(60, b"tail")?;
    /// assert!(shm.write(61, b"tail").is_err()); // past the end
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    fn write(&self, offset: usize, data: &[u8]) -> Result<()> {
        self.region().write(offset, data).map_err(|e| {
            access_error(
                e,
                "write",
                self.object_str().to_string(),
                offset,
                data.len(),
                self.len(),
            )
        })
    }

    /// Sets `len` bytes starting at `offset` to `byte`.
    ///
    /// # Errors
    /// As [`MappedBytes::write`].
    ///
    /// # Examples
    /// ```
    /// use ipckit::{mmap::MappedBytes, posix::shm::SharedMemory};
    /// # let name = format!("/ipckit-doc-mb2fill-{}", std::process::id());
    /// let shm = SharedMemory::builder(&name).size(64).create_new()?;
    /// shm.fill(0, 64, 0xff)?;
    /// assert!(shm.to_vec().iter().all(|&b| b == 0xff));
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    fn fill(&self, offset: usize, len: usize, byte: u8) -> Result<()> {
        self.region().fill(offset, len, byte).map_err(|e| {
            access_error(
                e,
                "fill",
                self.object_str().to_string(),
                offset,
                len,
                self.len(),
            )
        })
    }

    /// Copies the whole mapping into a new `Vec` (`len()` bytes).
    ///
    /// # Examples
    /// ```
    /// use ipckit::{mmap::MappedBytes, posix::shm::SharedMemory};
    /// # let name = format!("/ipckit-doc-mb1to_vec-{}", std::process::id());
    /// let shm = SharedMemory::builder(&name).size(64).create_new()?;
    /// assert_eq!(shm.to_vec(), vec![0; 64]);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    fn to_vec(&self) -> Vec<u8> {
        let mut v = vec![0; self.len()];
        // In bounds by construction.
        let _ = self.region().read(0, &mut v);
        v
    }

    /// A volatile load of the byte at `offset` (never cached in a register or elided).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] if `offset` is outside the mapping.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{mmap::MappedBytes, posix::shm::SharedMemory};
    /// # let name = format!("/ipckit-doc-mb2read_volatile_u8-{}", std::process::id());
    /// let shm = SharedMemory::builder(&name).size(64).create_new()?;
    /// shm.write_volatile_u8(3, 42)?;
    /// assert_eq!(shm.read_volatile_u8(3)?, 42);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    fn read_volatile_u8(&self, offset: usize) -> Result<u8> {
        self.region().read_volatile_u8(offset).map_err(|e| {
            access_error(
                e,
                "read_volatile",
                self.object_str().to_string(),
                offset,
                1,
                self.len(),
            )
        })
    }

    /// A volatile store of `value` to the byte at `offset`.
    ///
    /// # Errors
    /// As [`MappedBytes::write`].
    fn write_volatile_u8(&self, offset: usize, value: u8) -> Result<()> {
        self.region().write_volatile_u8(offset, value).map_err(|e| {
            access_error(
                e,
                "write_volatile",
                self.object_str().to_string(),
                offset,
                1,
                self.len(),
            )
        })
    }

    /// A volatile load of the native-endian `u64` at `offset` (8-byte aligned).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] if outside the mapping or misaligned.
    fn read_volatile_u64(&self, offset: usize) -> Result<u64> {
        self.region().read_volatile_u64(offset).map_err(|e| {
            access_error(
                e,
                "read_volatile",
                self.object_str().to_string(),
                offset,
                8,
                self.len(),
            )
        })
    }

    /// A volatile store of the native-endian `value` to the `u64` at `offset` (8-byte aligned).
    ///
    /// # Errors
    /// As [`MappedBytes::read_volatile_u64`], or [`ErrorKind::PermissionDenied`] if read-only.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{mmap::MappedBytes, posix::shm::SharedMemory};
    /// # let name = format!("/ipckit-doc-mb3write_volatile_u64-{}", std::process::id());
    /// let shm = SharedMemory::builder(&name).size(64).create_new()?;
    /// shm.write_volatile_u64(8, u64::MAX)?;
    /// assert_eq!(shm.read_volatile_u64(8)?, u64::MAX);
    /// assert!(shm.read_volatile_u64(4).is_err()); // misaligned
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    fn write_volatile_u64(&self, offset: usize, value: u64) -> Result<()> {
        self.region()
            .write_volatile_u64(offset, value)
            .map_err(|e| {
                access_error(
                    e,
                    "write_volatile",
                    self.object_str().to_string(),
                    offset,
                    8,
                    self.len(),
                )
            })
    }

    /// The 4 bytes at `offset` (4-byte aligned) as an [`AtomicU32`] shared with every process
    /// mapping them: use `Release` stores and `Acquire` loads to publish data written with
    /// [`MappedBytes::write`].
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] if outside the mapping or misaligned;
    /// [`ErrorKind::PermissionDenied`] if the mapping is read-only (an atomic store would
    /// fault).
    ///
    /// # Examples
    /// ```
    /// use std::sync::atomic::Ordering;
    /// use ipckit::{mmap::MappedBytes, posix::shm::SharedMemory};
    /// # let name = format!("/ipckit-doc-mbatomic-{}", std::process::id());
    /// let shm = SharedMemory::builder(&name).size(64).create_new()?;
    /// let flag = shm.atomic_u32(0)?;
    /// flag.store(1, Ordering::Release);
    /// assert_eq!(shm.atomic_u32(0)?.load(Ordering::Acquire), 1);
    /// assert!(shm.atomic_u32(2).is_err()); // misaligned
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    fn atomic_u32(&self, offset: usize) -> Result<&AtomicU32> {
        self.region().atomic_u32(offset).map_err(|e| {
            access_error(
                e,
                "atomic",
                self.object_str().to_string(),
                offset,
                4,
                self.len(),
            )
        })
    }

    /// The 8 bytes at `offset` (8-byte aligned) as an [`AtomicU64`]; as
    /// [`MappedBytes::atomic_u32`].
    ///
    /// # Errors
    /// As [`MappedBytes::atomic_u32`].
    ///
    /// # Examples
    /// ```
    /// use ipckit::{mmap::MappedBytes, posix::shm::SharedMemory};
    /// # let name = format!("/ipckit-doc-mb4atomic_u64-{}", std::process::id());
    /// let shm = SharedMemory::builder(&name).size(64).create_new()?;
    /// use std::sync::atomic::Ordering;
    /// let counter = shm.atomic_u64(0)?;
    /// counter.fetch_add(5, Ordering::AcqRel);
    /// assert_eq!(shm.read_volatile_u64(0)?, 5);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    fn atomic_u64(&self, offset: usize) -> Result<&AtomicU64> {
        self.region().atomic_u64(offset).map_err(|e| {
            access_error(
                e,
                "atomic",
                self.object_str().to_string(),
                offset,
                8,
                self.len(),
            )
        })
    }
}

/// Options for [`MappedFile`]; made by [`MappedFile::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct MappedFileBuilder {
    path: PathBuf,
    len: Option<usize>,
    writable: bool,
    mode: u32,
}

impl MappedFileBuilder {
    /// The length to map in bytes. A file this call creates, or one shorter than `len`, is
    /// extended to it (`ftruncate`); without it the whole file is mapped.
    pub fn len(mut self, bytes: usize) -> MappedFileBuilder {
        self.len = Some(bytes);
        self
    }

    /// Maps read-only (`PROT_READ`, the file opened `O_RDONLY`); the default is read-write.
    pub fn read_only(mut self) -> MappedFileBuilder {
        self.writable = false;
        self
    }

    /// Permission bits of a file this call creates (default `0o600`, masked by the umask).
    pub fn mode(mut self, mode: u32) -> MappedFileBuilder {
        self.mode = mode;
        self
    }

    /// `open(2)` with `O_CREAT | O_EXCL`, `ftruncate(2)` to [`len`](MappedFileBuilder::len), then
    /// `mmap(2)` `MAP_SHARED`: creates a new file (zero-filled) and maps it.
    ///
    /// # Errors
    /// [`ErrorKind::AlreadyExists`] if the file exists; [`ErrorKind::InvalidInput`] without a
    /// length or with `read_only`; errors of `open`, `ftruncate`, `mmap`.
    ///
    /// # Examples
    /// ```
    /// use ipckit::mmap::{MappedBytes, MappedFile};
    /// let path = std::env::temp_dir().join(format!("ipckit-doc-mmap-{}", std::process::id()));
    /// let map = MappedFile::builder(&path).len(4096).create_new()?;
    /// map.write(0, b"persisted")?;
    /// map.flush()?;
    /// assert_eq!(&std::fs::read(&path).unwrap()[..9], b"persisted");
    /// # drop(map); std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/mmap.2.html>
    pub fn create_new(self) -> Result<MappedFile> {
        self.open_as(true, true)
    }

    /// `open(2)` then `mmap(2)` `MAP_SHARED` of an existing file (extended to
    /// [`len`](MappedFileBuilder::len) if that is given and the file is shorter).
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if the file does not exist; [`ErrorKind::PermissionDenied`];
    /// [`ErrorKind::InvalidInput`] if `len` is longer than a read-only file.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{mmap::MappedFile, ErrorKind};
    /// let e = MappedFile::builder("/nonexistent/ipckit").open().unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::NotFound);
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/mmap.2.html>
    pub fn open(self) -> Result<MappedFile> {
        self.open_as(false, false)
    }

    /// Like [`MappedFileBuilder::create_new`] if the file does not exist, otherwise [`MappedFileBuilder::open`].
    ///
    /// # Errors
    /// As those two.
    ///
    /// # Examples
    /// ```
    /// use ipckit::mmap::{MappedBytes, MappedFile};
    /// let path = std::env::temp_dir().join(format!("ipckit-doc-mmapooc-{}", std::process::id()));
    /// let a = MappedFile::builder(&path).len(10).open_or_create()?;
    /// let b = MappedFile::builder(&path).open_or_create()?;
    /// assert_eq!((a.len(), b.len()), (10, 10));
    /// # drop((a, b)); std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    pub fn open_or_create(self) -> Result<MappedFile> {
        self.open_as(true, false)
    }

    fn open_as(self, create: bool, exclusive: bool) -> Result<MappedFile> {
        let shown = self.path.display().to_string();
        if create && !self.writable {
            return Err(Error::new(ErrorKind::InvalidInput, "open", &shown)
                .with_detail("a read-only mapping cannot create the file"));
        }
        if exclusive && self.len.is_none() {
            return Err(Error::new(ErrorKind::InvalidInput, "open", &shown)
                .with_detail("creating a mapped file needs a length (MappedFileBuilder::len)"));
        }
        let mut oo = OpenOptions::new();
        oo.read(true).write(self.writable).mode(self.mode);
        if exclusive {
            oo.create_new(true);
        } else if create {
            oo.create(true);
        }
        let file = oo.open(&self.path).ctx("open", &shown)?;
        let size = file.metadata().ctx("fstat", &shown)?.len();
        let size = usize::try_from(size).map_err(|_| {
            Error::new(ErrorKind::TooLarge, "mmap", &shown)
                .with_detail("the file does not fit in memory")
        })?;
        let len = match self.len {
            Some(len) if len > size => {
                if !self.writable {
                    return Err(
                        Error::new(ErrorKind::InvalidInput, "mmap", &shown).with_detail(format!(
                            "the read-only file has {size} bytes, fewer than the {len} asked for"
                        )),
                    );
                }
                file.set_len(len as u64).ctx("ftruncate", &shown)?;
                len
            }
            Some(len) => len,
            None => size,
        };
        let region = map_shared(&file, len, self.writable, &shown)?;
        Ok(MappedFile {
            _file: file,
            path: self.path,
            shown,
            region,
        })
    }
}

/// Maps `len` bytes of `fd` `MAP_SHARED`, read-write or read-only.
pub(crate) fn map_shared(
    fd: &impl AsFd,
    len: usize,
    writable: bool,
    object: &str,
) -> Result<Region> {
    Region::map_shared(fd.as_fd(), len, writable).ctx("mmap", object)
}

/// A file mapped `MAP_SHARED` into memory; unmapped and closed on drop (the file stays).
///
/// # References
/// <https://man7.org/linux/man-pages/man2/mmap.2.html>
#[derive(Debug)]
pub struct MappedFile {
    _file: File,
    path: PathBuf,
    shown: String,
    region: Region,
}

impl MappedFile {
    /// Options to map the file at `path`: read-write, the whole file, mode `0o600` if created.
    ///
    /// # Examples
    /// ```
    /// use ipckit::mmap::{MappedBytes, MappedFile};
    /// let path = std::env::temp_dir().join(format!("ipckit-doc-mmapb-{}", std::process::id()));
    /// std::fs::write(&path, b"hello").unwrap();
    /// let map = MappedFile::builder(&path).read_only().open()?;
    /// assert_eq!(map.to_vec(), b"hello");
    /// # drop(map); std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    #[doc(alias = "mmap")]
    pub fn builder(path: impl AsRef<Path>) -> MappedFileBuilder {
        MappedFileBuilder {
            path: path.as_ref().to_path_buf(),
            len: None,
            writable: true,
            mode: 0o600,
        }
    }

    /// The mapped file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `msync(2)` with `MS_SYNC`: writes the mapping's changed pages to the file and waits.
    ///
    /// # Errors
    /// I/O errors writing back (`EIO`, `ENOSPC`).
    ///
    /// # Examples
    /// ```
    /// use ipckit::mmap::{MappedBytes, MappedFile};
    /// let path = std::env::temp_dir().join(format!("ipckit-doc-flush-{}", std::process::id()));
    /// let map = MappedFile::builder(&path).len(4096).create_new()?;
    /// map.write(0, b"saved")?;
    /// map.flush()?; // on disk (or at least in the page cache's write-back) when this returns
    /// assert_eq!(&std::fs::read(&path).unwrap()[..5], b"saved");
    /// # drop(map); std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/msync.2.html>
    #[doc(alias = "msync")]
    pub fn flush(&self) -> Result<()> {
        self.region
            .flush(0, self.region.len(), true)
            .ctx("msync", self.path.display())
    }

    /// `msync(2)` with `MS_ASYNC`: schedules the write-back and returns at once.
    ///
    /// # Errors
    /// As [`MappedFile::flush`].
    ///
    /// # Examples
    /// ```
    /// use ipckit::mmap::{MappedBytes, MappedFile};
    /// let path = std::env::temp_dir().join(format!("ipckit-doc-flushasync-{}", std::process::id()));
    /// let map = MappedFile::builder(&path).len(4096).create_new()?;
    /// map.write(0, b"later")?;
    /// map.flush_async()?;
    /// # drop(map); std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/msync.2.html>
    pub fn flush_async(&self) -> Result<()> {
        self.region
            .flush(0, self.region.len(), false)
            .ctx("msync", self.path.display())
    }

    /// `msync(2)` with `MS_SYNC` of `len` bytes from `offset` only.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a range outside the mapping; as [`MappedFile::flush`].
    ///
    /// # Examples
    /// ```
    /// use ipckit::mmap::{MappedBytes, MappedFile};
    /// let path = std::env::temp_dir().join(format!("ipckit-doc-flushrange-{}", std::process::id()));
    /// let map = MappedFile::builder(&path).len(4096).create_new()?;
    /// map.write(100, b"x")?;
    /// map.flush_range(0, 4096)?;
    /// assert!(map.flush_range(4000, 200).is_err());
    /// # drop(map); std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    pub fn flush_range(&self, offset: usize, len: usize) -> Result<()> {
        if offset
            .checked_add(len)
            .is_none_or(|e| e > self.region.len())
        {
            return Err(access_error(
                Errno::EINVAL,
                "msync",
                self.shown.clone(),
                offset,
                len,
                self.region.len(),
            ));
        }
        self.region
            .flush(offset, len, true)
            .ctx("msync", self.path.display())
    }
}

impl Sealed for MappedFile {}

/// The name is the file's path. A mapped file is a regular file that outlives every
/// mapping, so no handle owns it: [`is_owner`](Named::is_owner) is always false, dropping
/// never removes the file and [`persist`](Named::persist) has nothing to do;
/// [`remove`](Named::remove) unlinks the path (`unlink(2)`), the mapping staying valid
/// until dropped.
impl Named for MappedFile {
    fn name(&self) -> Cow<'_, str> {
        self.path.to_string_lossy()
    }

    fn is_owner(&self) -> bool {
        false
    }

    fn persist(&mut self) {}

    /// `unlink(2)` of the file's path, then unmaps and closes it.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{Named, mmap::MappedFile};
    /// let path = std::env::temp_dir().join(format!("ipckit-doc-mmaprm-{}", std::process::id()));
    /// let map = MappedFile::builder(&path).len(16).create_new()?;
    /// assert!(!map.is_owner());
    /// map.remove()?;
    /// assert!(!path.exists());
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/unlink.2.html>
    fn remove(self) -> Result<()> {
        std::fs::remove_file(&self.path).ctx("unlink", &self.shown)
    }
}

impl sealed::Sealed for MappedFile {
    fn region(&self) -> &Region {
        &self.region
    }
    fn object_str(&self) -> &str {
        &self.shown
    }
}

impl MappedBytes for MappedFile {}
