//! POSIX shared memory (`shm_open` + `mmap`).
//!
//! A [`SharedMemory`] is a named object (on Linux a file in `/dev/shm`) sized with
//! `ftruncate` and mapped `MAP_SHARED`: every process that opens the name sees the same bytes.
//! The bytes are reached through [`MappedBytes`] (copies, volatile and atomic accesses; never a
//! `&[u8]` or `&T`, since another process may write them at any moment), and a process-shared
//! semaphore can live inside it ([`UnnamedSemaphore`](super::sem::UnnamedSemaphore)).
//!
//! ```
//! use ipckit::{mmap::MappedBytes, posix::shm::SharedMemory};
//! # let name = format!("/ipckit-doc-shm-{}", std::process::id());
//! let writer = SharedMemory::builder(&name).size(4096).create_new()?;
//! writer.write(0, b"hello")?;
//! let reader = SharedMemory::builder(&name).read_only().open()?;
//! let mut buf = [0u8; 5];
//! reader.read(0, &mut buf)?;
//! assert_eq!(&buf, b"hello");
//! # Ok::<(), ipckit::Error>(())
//! ```
//!
//! See [`mmap`](crate::mmap#sigbus) about `SIGBUS` when an object shrinks under a mapping.
//!
//! # References
//! <https://man7.org/linux/man-pages/man7/shm_overview.7.html>

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use super::{open_with, validate_name, Creation, NAME_MAX};
use crate::error::Context;
use crate::mmap::{map_shared, sealed, MappedBytes};
use crate::sys::posix as sys;
use crate::sys::region::Region;
use crate::{Errno, Error, ErrorKind, Result};

/// Options for opening or creating a [`SharedMemory`]; made by [`SharedMemory::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct SharedMemoryBuilder {
    name: String,
    size: Option<usize>,
    writable: bool,
    mode: u32,
}

impl SharedMemoryBuilder {
    /// The size in bytes of an object this call creates (`ftruncate`); required to create.
    /// An existing object keeps its size (see [`SharedMemory::resize`]).
    pub fn size(mut self, bytes: usize) -> SharedMemoryBuilder {
        self.size = Some(bytes);
        self
    }

    /// Opens `O_RDONLY` and maps `PROT_READ` only. Only for [`SharedMemoryBuilder::open`].
    pub fn read_only(mut self) -> SharedMemoryBuilder {
        self.writable = false;
        self
    }

    /// Permission bits of an object this call creates (default `0o600`, masked by the umask).
    pub fn mode(mut self, mode: u32) -> SharedMemoryBuilder {
        self.mode = mode;
        self
    }

    /// `shm_open(3)` with `O_CREAT | O_EXCL`, `ftruncate(2)` to [`size`](SharedMemoryBuilder::size), then
    /// `mmap(2)`: a new, zero-filled object, unlinked when the handle drops unless
    /// [`Named::persist`](crate::Named::persist) is called.
    ///
    /// # Errors
    /// [`ErrorKind::AlreadyExists`] if the name exists; [`ErrorKind::InvalidInput`] for a bad
    /// name, a missing size, or `read_only`; [`ErrorKind::LimitReached`] if `/dev/shm` is full.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{mmap::MappedBytes, posix::shm::SharedMemory};
    /// # let name = format!("/ipckit-doc-shmnew-{}", std::process::id());
    /// let shm = SharedMemory::builder(&name).size(100).create_new()?;
    /// assert_eq!(shm.len(), 100);
    /// assert_eq!(shm.to_vec(), vec![0; 100]);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/shm_open.3.html>
    pub fn create_new(self) -> Result<SharedMemory> {
        self.open_as(Creation::CreateNew)
    }

    /// `shm_open(3)` without `O_CREAT`, then `mmap(2)` of the object's current size; never
    /// unlinks on drop.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if there is no such object; [`ErrorKind::PermissionDenied`];
    /// [`ErrorKind::InvalidInput`] for a bad name.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{posix::shm::SharedMemory, ErrorKind};
    /// let e = SharedMemory::builder("/ipckit-doc-no-such-shm").open().unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::NotFound);
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/shm_open.3.html>
    pub fn open(self) -> Result<SharedMemory> {
        self.open_as(Creation::Open)
    }

    /// Creates the object as [`SharedMemoryBuilder::create_new`] if it does not exist, otherwise opens it
    /// as [`SharedMemoryBuilder::open`]. Only the creating handle unlinks on drop.
    ///
    /// # Errors
    /// As those two.
    ///
    /// # Examples
    /// ```
    /// use ipckit::Named;
    /// use ipckit::{mmap::MappedBytes, posix::shm::SharedMemory};
    /// # let name = format!("/ipckit-doc-shmooc-{}", std::process::id());
    /// let a = SharedMemory::builder(&name).size(100).open_or_create()?;
    /// let b = SharedMemory::builder(&name).size(100).open_or_create()?;
    /// assert!(a.is_owner() && !b.is_owner());
    /// assert_eq!(b.len(), 100);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    pub fn open_or_create(self) -> Result<SharedMemory> {
        self.open_as(Creation::OpenOrCreate)
    }

    fn open_as(self, how: Creation) -> Result<SharedMemory> {
        let cname = validate_name(&self.name, "shm_open", NAME_MAX)?;
        if how != Creation::Open {
            if !self.writable {
                return Err(Error::new(ErrorKind::InvalidInput, "shm_open", &self.name)
                    .with_detail("a read-only handle cannot create (it could not set the size)"));
            }
            if self.size.is_none() {
                return Err(Error::new(ErrorKind::InvalidInput, "shm_open", &self.name)
                    .with_detail(
                        "creating a shared-memory object needs a size (SharedMemoryBuilder::size)",
                    ));
            }
        }
        let (fd, created) = open_with(how, |create| {
            sys::shm_open(cname.as_c_str(), self.writable, create, self.mode)
                .ctx("shm_open", &self.name)
        })?;
        let setup = || -> Result<Region> {
            if created {
                truncate(&fd, self.size.unwrap_or(0), &self.name)?;
            }
            let len = object_size(&fd, &self.name)?;
            map_shared(&fd, len, self.writable, &self.name)
        };
        match setup() {
            Ok(region) => Ok(SharedMemory {
                fd,
                name: self.name,
                owner: created,
                region,
            }),
            Err(e) => {
                if created {
                    let _ = sys::shm_unlink(cname.as_c_str());
                }
                Err(e)
            }
        }
    }
}

fn truncate(fd: &OwnedFd, len: usize, name: &str) -> Result<()> {
    sys::ftruncate(fd.as_fd(), len).map_err(|e| {
        let err = Error::from_errno(e, "ftruncate", name);
        if e == Errno::EFBIG {
            err.with_kind(ErrorKind::TooLarge)
                .with_detail(format!("{len} bytes is beyond off_t"))
        } else {
            err
        }
    })
}

fn object_size(fd: &OwnedFd, name: &str) -> Result<usize> {
    let size = sys::fstat_size(fd.as_fd()).ctx("fstat", name)?;
    usize::try_from(size).map_err(|_| {
        Error::new(ErrorKind::TooLarge, "mmap", name)
            .with_detail("the object does not fit in the address space")
    })
}

/// A POSIX shared-memory object and its `MAP_SHARED` mapping; unmapped and closed on drop,
/// and unlinked on drop by the handle that created it (unless [`Named::persist`](crate::Named::persist)).
///
/// The bytes are accessed through [`MappedBytes`] (`use ipckit::mmap::MappedBytes`).
///
/// # References
/// <https://man7.org/linux/man-pages/man7/shm_overview.7.html>
#[derive(Debug)]
pub struct SharedMemory {
    fd: OwnedFd,
    name: String,
    owner: bool,
    region: Region,
}

impl SharedMemory {
    /// Options to open or create the object `name` (e.g. `"/frames"`, see
    /// [the naming rule](super#names)): read-write, mode `0o600`.
    ///
    /// # Examples
    /// ```
    /// use ipckit::Named;
    /// use ipckit::posix::shm::SharedMemory;
    /// # let name = format!("/ipckit-doc-shmb-{}", std::process::id());
    /// let shm = SharedMemory::builder(&name).size(4096).mode(0o600).open_or_create()?;
    /// assert!(shm.is_owner());
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    #[doc(alias = "shm_open")]
    pub fn builder(name: &str) -> SharedMemoryBuilder {
        SharedMemoryBuilder {
            name: name.to_string(),
            size: None,
            writable: true,
            mode: 0o600,
        }
    }

    /// The object's name, with its leading slash (what [`Named::name`](crate::Named::name) gives, as a `&str`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The object's size now (`fstat`), which another process may have changed with
    /// [`SharedMemory::resize`]; [`MappedBytes::len`] is what this handle has mapped.
    ///
    /// # Errors
    /// Only if the descriptor is unusable (not expected).
    pub fn object_len(&self) -> Result<usize> {
        object_size(&self.fd, &self.name)
    }

    /// `ftruncate(2)` then a new `mmap(2)`: changes the object's size to `len` bytes (new
    /// bytes read as zero) and remaps this handle. Other processes keep their old mapping
    /// length until they call [`SharedMemory::remap`]; shrinking below what they have mapped
    /// makes their access to the tail raise `SIGBUS`.
    ///
    /// # Errors
    /// [`ErrorKind::PermissionDenied`] on a read-only handle; [`ErrorKind::LimitReached`] if
    /// `/dev/shm` is full.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{mmap::MappedBytes, posix::shm::SharedMemory};
    /// # let name = format!("/ipckit-doc-shmresize-{}", std::process::id());
    /// let mut shm = SharedMemory::builder(&name).size(10).create_new()?;
    /// shm.write(0, b"keep")?;
    /// shm.resize(8192)?;
    /// assert_eq!(shm.len(), 8192);
    /// let mut b = [0u8; 4];
    /// shm.read(0, &mut b)?;
    /// assert_eq!(&b, b"keep");
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/ftruncate.2.html>
    #[doc(alias = "ftruncate")]
    pub fn resize(&mut self, len: usize) -> Result<()> {
        if !self.is_writable() {
            return Err(
                Error::new(ErrorKind::PermissionDenied, "ftruncate", &self.name)
                    .with_detail("the object was opened read-only"),
            );
        }
        truncate(&self.fd, len, &self.name)?;
        self.remap()
    }

    /// Maps the object again at its current size (after another process resized it).
    ///
    /// # Errors
    /// Errors of `fstat` and `mmap`.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{mmap::MappedBytes, posix::shm::SharedMemory};
    /// # let name = format!("/ipckit-doc-shmremap-{}", std::process::id());
    /// let mut a = SharedMemory::builder(&name).size(100).create_new()?;
    /// let mut b = SharedMemory::builder(&name).open()?; // elsewhere, usually
    /// a.resize(200)?;
    /// assert_eq!((b.len(), b.object_len()?), (100, 200));
    /// b.remap()?;
    /// assert_eq!(b.len(), 200);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    pub fn remap(&mut self) -> Result<()> {
        let len = object_size(&self.fd, &self.name)?;
        self.region = map_shared(&self.fd, len, self.is_writable(), &self.name)?;
        Ok(())
    }

    /// `shm_unlink(3)`: removes the name `name`; the memory is freed once every process has
    /// unmapped it.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if there is no such object; [`ErrorKind::PermissionDenied`];
    /// [`ErrorKind::InvalidInput`] for a bad name.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{posix::shm::SharedMemory, ErrorKind};
    /// let e = SharedMemory::unlink("/ipckit-doc-no-such-shm").unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::NotFound);
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/shm_unlink.3.html>
    #[doc(alias = "shm_unlink")]
    pub fn unlink(name: &str) -> Result<()> {
        let c = validate_name(name, "shm_unlink", NAME_MAX)?;
        sys::shm_unlink(c.as_c_str()).ctx("shm_unlink", name)
    }
}

impl sealed::Sealed for SharedMemory {
    fn region(&self) -> &Region {
        &self.region
    }
    fn object_str(&self) -> &str {
        &self.name
    }
}

impl MappedBytes for SharedMemory {}

impl AsFd for SharedMemory {
    /// The object's descriptor (for `fstat`, `fchmod`, passing to another process).
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

super::named_posix_object!(
    SharedMemory,
    "object",
    "shm_unlink",
    "use ipckit::{Named, posix::shm::SharedMemory};
# let name = format!(\"/ipckit-doc-shmremove-{}\", std::process::id());
let h = SharedMemory::builder(&name).size(16).create_new()?;
h.remove()?;
assert!(SharedMemory::unlink(&name).is_err()); // already gone
# Ok::<(), ipckit::Error>(())"
);

impl Drop for SharedMemory {
    fn drop(&mut self) {
        if self.owner {
            if let Ok(c) = validate_name(&self.name, "shm_unlink", NAME_MAX) {
                let _ = sys::shm_unlink(c.as_c_str());
            }
        }
    }
}
