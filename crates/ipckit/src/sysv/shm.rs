//! System V shared memory (`shmget`, `shmat`, `shmdt`, `shmctl`).
//!
//! A [`SharedMemory`] handle names a segment (by id); an [`Attachment`] maps it into this
//! process (`shmat`) until dropped (`shmdt`). The attachment exposes the segment's bytes
//! (its real size, `shm_segsz`) through [`MappedBytes`], like POSIX shared memory and mapped
//! files: bounds-checked copies, volatile loads and stores, and atomics, never a `&[u8]` or `&T`,
//! since other processes write the memory concurrently. Synchronise writers and readers
//! yourself, e.g. with a [`SemaphoreSet`](super::sem::SemaphoreSet) or the atomics.
//!
//! ```
//! use ipckit::{mmap::MappedBytes, sysv::{key::Key, shm::SharedMemory}};
//! let seg = SharedMemory::builder(Key::PRIVATE, 64).create_new()?;
//! let a = seg.attach()?;
//! a.write(0, b"Linux Programming")?;
//! let r = seg.attach_read_only()?;
//! let mut text = [0u8; 17];
//! r.read(0, &mut text)?;
//! assert_eq!(&text, b"Linux Programming");
//! assert_eq!(seg.stat()?.nattch, 2);
//! # Ok::<(), ipckit::Error>(())
//! ```
//!
//! Removal: `IPC_RMID` only *marks* a segment; it is destroyed when the last process
//! detaches. Until then `ipcs` shows it with status `dest` and key 0
//! ([`SegmentStat::dest`]), existing attachments keep working, and nobody can attach it
//! by key any more.
//!
//! # References
//! <https://man7.org/linux/man-pages/man7/sysvipc.7.html>,
//! <https://man7.org/linux/man-pages/man2/shmget.2.html>,
//! <https://man7.org/linux/man-pages/man2/shmop.2.html>,
//! <https://man7.org/linux/man-pages/man2/shmctl.2.html>

use std::time::SystemTime;

use std::borrow::Cow;

use super::key::Key;
use super::{get_object, gone_if_invalid, time, Creation, Perm};
use crate::mmap::{sealed, MappedBytes};
use crate::named::{Named, Sealed};
use crate::sys::region::Region;
use crate::sys::sysv as sys;
use crate::{Errno, Error, ErrorKind, Result};

/// A segment's state (`struct shmid_ds` from `shmctl(IPC_STAT)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentStat {
    /// Owner, creator and permission bits (the key reads [`Key::PRIVATE`] once the segment
    /// is marked for removal).
    pub perm: Perm,
    /// Size in bytes, as created (`shm_segsz`; the kernel maps whole pages).
    pub size: usize,
    /// How many attachments exist, in all processes (`shm_nattch`).
    pub nattch: u64,
    /// Pid of the creator.
    pub cpid: i32,
    /// Pid of the last `shmat`/`shmdt` (0 if none).
    pub lpid: i32,
    /// Time of the last `shmat`, `None` if never.
    pub atime: Option<SystemTime>,
    /// Time of the last `shmdt`, `None` if never.
    pub dtime: Option<SystemTime>,
    /// Time of creation or the last `IPC_SET`.
    pub ctime: Option<SystemTime>,
    /// Marked for removal (`SHM_DEST`): destroyed when `nattch` reaches 0.
    pub dest: bool,
    /// Locked in memory (`SHM_LOCKED`, by `shmctl(SHM_LOCK)`).
    pub locked: bool,
}

/// A System V shared-memory segment: a handle holding the segment's id.
///
/// Made by [`SharedMemory::builder`] (by key) or [`SharedMemory::from_id`]. If this handle
/// created the segment it marks it for removal (`IPC_RMID`) when dropped, unless
/// [`persist`](crate::Named::persist) was called; attachments outlive the handle.
///
/// # References
/// <https://man7.org/linux/man-pages/man2/shmget.2.html>
#[derive(Debug)]
pub struct SharedMemory {
    id: i32,
    key: Key,
    remove_on_drop: bool,
}

/// Opens or creates a [`SharedMemory`] segment by key (`shmget`).
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until create_new(), open() or open_or_create()"]
pub struct SharedMemoryBuilder {
    key: Key,
    size: usize,
    mode: u32,
}

impl SharedMemoryBuilder {
    /// The permission bits a new segment gets (default `0o600`).
    pub fn mode(mut self, mode: u32) -> Self {
        self.mode = mode;
        self
    }

    fn object(&self) -> String {
        format!("System V shared memory key {}", self.key)
    }

    fn get(self, how: Creation) -> Result<SharedMemory> {
        let key = self.key;
        let size = self.size;
        if size == 0 && how != Creation::Open {
            return Err(Error::new(ErrorKind::InvalidInput, "shmget", self.object())
                .with_detail("a new segment needs a size of at least 1 byte"));
        }
        let (id, created) = get_object("shmget", &|| self.object(), key, how, self.mode, |flags| {
            sys::shmget(key.raw(), if flags == 0 { 0 } else { size }, flags)
        })
        .map_err(|e| {
            let shmmax = crate::limits::shmmax().unwrap_or(u64::MAX);
            if e.errno() == Some(Errno::EINVAL) && size as u64 > shmmax {
                e.with_kind(ErrorKind::TooLarge)
                    .with_detail(format!("{size} bytes exceed shmmax, {shmmax} bytes"))
            } else {
                e
            }
        })?;
        let seg = SharedMemory {
            id,
            key,
            remove_on_drop: created,
        };
        if !created {
            let actual = seg.stat()?.size;
            if actual < size {
                return Err(Error::new(ErrorKind::InvalidInput, "shmget", seg.object())
                    .with_detail(format!(
                        "the segment has {actual} bytes, {size} were asked for"
                    )));
            }
        }
        Ok(seg)
    }

    /// `shmget(key, size, IPC_CREAT | IPC_EXCL | mode)`: a new zero-filled segment; this
    /// handle marks it for removal on drop unless persisted.
    ///
    /// # Errors
    /// [`ErrorKind::AlreadyExists`] if a segment has the key; [`ErrorKind::InvalidInput`] for
    /// size 0; [`ErrorKind::TooLarge`] above `shmmax`; [`ErrorKind::LimitReached`] at
    /// `shmmni` segments or `shmall` pages.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{mmap::MappedBytes, sysv::{key::Key, shm::SharedMemory}};
    /// let seg = SharedMemory::builder(Key::PRIVATE, 100).create_new()?;
    /// assert_eq!(seg.stat()?.size, 100);
    /// assert!(seg.attach()?.to_vec().iter().all(|&b| b == 0));
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/shmget.2.html>
    #[doc(alias = "shmget")]
    pub fn create_new(self) -> Result<SharedMemory> {
        self.get(Creation::CreateNew)
    }

    /// `shmget(key, 0, 0)`: opens an existing segment (of at least `size` bytes; 0 accepts
    /// any); never removes it on drop.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if no segment has the key (including one marked for
    /// removal); [`ErrorKind::InvalidInput`] if it is smaller than `size`.
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, shm::SharedMemory};
    /// # let key = Key::new(0x7b000000 | std::process::id() as i32 & 0xffffff);
    /// let seg = SharedMemory::builder(key, 10).create_new()?;
    /// assert_eq!(SharedMemory::builder(key, 0).open()?.id(), seg.id());
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/shmget.2.html>
    pub fn open(self) -> Result<SharedMemory> {
        self.get(Creation::Open)
    }

    /// Creates the segment if no segment has the key, else opens it; exactly one of
    /// several racing callers creates it.
    ///
    /// # Errors
    /// As [`create_new`](Self::create_new) and [`open`](Self::open).
    ///
    /// # Examples
    /// ```
    /// use ipckit::Named;
    /// use ipckit::sysv::{key::Key, shm::SharedMemory};
    /// # let key = Key::new(0x7a000000 | std::process::id() as i32 & 0xffffff);
    /// let a = SharedMemory::builder(key, 10).open_or_create()?;
    /// let b = SharedMemory::builder(key, 10).open_or_create()?;
    /// assert!(a.is_owner() && !b.is_owner());
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/shmget.2.html>
    pub fn open_or_create(self) -> Result<SharedMemory> {
        self.get(Creation::OpenOrCreate)
    }
}

impl SharedMemory {
    /// A builder for the segment with `key` and `size` bytes (mode `0o600`).
    pub fn builder(key: Key, size: usize) -> SharedMemoryBuilder {
        SharedMemoryBuilder {
            key,
            size,
            mode: 0o600,
        }
    }

    /// A handle to the existing segment with this id (as `ipcs` shows it); never removes it
    /// on drop. Works for a segment marked for removal while it is still attached.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if no segment has the id; [`ErrorKind::PermissionDenied`]
    /// without read permission.
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, shm::SharedMemory};
    /// let seg = SharedMemory::builder(Key::PRIVATE, 8).create_new()?;
    /// assert_eq!(SharedMemory::from_id(seg.id())?.stat()?.size, 8);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/shmctl.2.html>
    pub fn from_id(id: i32) -> Result<SharedMemory> {
        let ds = sys::shmctl_stat(id).map_err(|e| {
            gone_if_invalid(
                Error::from_errno(
                    e,
                    "shmctl(IPC_STAT)",
                    format!("System V shared memory {id}"),
                ),
                || false,
            )
        })?;
        Ok(SharedMemory {
            id,
            key: Key::new(ds.perm.key),
            remove_on_drop: false,
        })
    }

    /// `shmctl(id, IPC_RMID)` without a handle: marks the segment with this id for removal,
    /// needing only to be its owner or creator (as `ipcrm -m` does).
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if no segment has the id; [`ErrorKind::PermissionDenied`] if
    /// the caller is neither owner nor creator.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{Named, sysv::{key::Key, shm::SharedMemory}};
    /// let mut seg = SharedMemory::builder(Key::PRIVATE, 1).create_new()?;
    /// seg.persist();
    /// SharedMemory::remove_id(seg.id())?;
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/shmctl.2.html>
    pub fn remove_id(id: i32) -> Result<()> {
        sys::shmctl_rmid(id).map_err(|e| {
            let err = Error::from_errno(
                e,
                "shmctl(IPC_RMID)",
                format!("System V shared memory {id}"),
            );
            if e == Errno::EINVAL || e == Errno::EIDRM {
                err.with_kind(ErrorKind::NotFound)
            } else {
                err
            }
        })
    }

    /// The segment's id (`shmid`).
    pub fn id(&self) -> i32 {
        self.id
    }

    /// The key the segment was opened with.
    pub fn key(&self) -> Key {
        self.key
    }

    fn object(&self) -> String {
        format!("System V shared memory {} (key {})", self.id, self.key)
    }

    fn err(&self, op: &'static str, e: Errno) -> Error {
        gone_if_invalid(Error::from_errno(e, op, self.object()), || {
            sys::shmctl_stat(self.id).is_ok()
        })
    }

    fn attach_with(&self, read_only: bool) -> Result<Attachment> {
        let size = self.stat()?.size;
        let region = Region::shmat(self.id, size, read_only).map_err(|e| self.err("shmat", e))?;
        Ok(Attachment {
            region,
            id: self.id,
            object: format!("System V shared memory {} attached", self.id),
        })
    }

    /// `shmat(id, NULL, 0)`: maps the segment read-write into this process.
    ///
    /// # Errors
    /// [`ErrorKind::PermissionDenied`] without read and write permission;
    /// [`ErrorKind::NotFound`] if the segment is gone; [`ErrorKind::LimitReached`] if the
    /// address space is full.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{mmap::MappedBytes, sysv::{key::Key, shm::SharedMemory}};
    /// let seg = SharedMemory::builder(Key::PRIVATE, 4).create_new()?;
    /// let a = seg.attach()?;
    /// a.write(0, b"abcd")?;
    /// assert_eq!(seg.attach()?.to_vec(), b"abcd"); // a second mapping of the same memory
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/shmop.2.html>
    #[doc(alias = "shmat")]
    pub fn attach(&self) -> Result<Attachment> {
        self.attach_with(false)
    }

    /// `shmat(id, NULL, SHM_RDONLY)`: maps the segment read-only (writing through it is
    /// refused with [`ErrorKind::PermissionDenied`]).
    ///
    /// # Errors
    /// As [`attach`](Self::attach), needing only read permission.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{mmap::MappedBytes, ErrorKind, sysv::{key::Key, shm::SharedMemory}};
    /// let seg = SharedMemory::builder(Key::PRIVATE, 4).create_new()?;
    /// let r = seg.attach_read_only()?;
    /// assert_eq!(r.write(0, b"x").unwrap_err().kind(), ErrorKind::PermissionDenied);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/shmop.2.html>
    #[doc(alias = "SHM_RDONLY")]
    pub fn attach_read_only(&self) -> Result<Attachment> {
        self.attach_with(true)
    }

    /// `shmctl(IPC_STAT)`: size, attach count, pids, times, permissions, `dest` state.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if the segment is gone; [`ErrorKind::PermissionDenied`]
    /// without read permission.
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, shm::SharedMemory};
    /// let seg = SharedMemory::builder(Key::PRIVATE, 10).create_new()?;
    /// let st = seg.stat()?;
    /// assert_eq!((st.size, st.nattch, st.cpid), (10, 0, std::process::id() as i32));
    /// assert!(!st.dest && st.atime.is_none());
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/shmctl.2.html>
    #[doc(alias = "shmctl")]
    #[doc(alias = "IPC_STAT")]
    pub fn stat(&self) -> Result<SegmentStat> {
        let ds = sys::shmctl_stat(self.id).map_err(|e| self.err("shmctl(IPC_STAT)", e))?;
        let mode = ds.perm.mode;
        Ok(SegmentStat {
            perm: Perm::from_sys(&ds.perm),
            size: ds.segsz,
            nattch: ds.nattch,
            cpid: ds.cpid,
            lpid: ds.lpid,
            atime: time(ds.atime),
            dtime: time(ds.dtime),
            ctime: time(ds.ctime),
            dest: mode & sys::SHM_DEST != 0,
            locked: mode & sys::SHM_LOCKED != 0,
        })
    }

    /// `shmctl(IPC_SET)` of the permission bits (`0o777` mask).
    ///
    /// # Errors
    /// [`ErrorKind::PermissionDenied`] if the caller is not the owner or creator.
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, shm::SharedMemory};
    /// let seg = SharedMemory::builder(Key::PRIVATE, 1).create_new()?;
    /// seg.set_mode(0o644)?;
    /// assert_eq!(seg.stat()?.perm.mode, 0o644);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/shmctl.2.html>
    #[doc(alias = "IPC_SET")]
    pub fn set_mode(&self, mode: u32) -> Result<()> {
        let mut ds = sys::shmctl_stat(self.id).map_err(|e| self.err("shmctl(IPC_STAT)", e))?;
        ds.perm.mode = mode & 0o777;
        sys::shmctl_set(self.id, &ds.perm).map_err(|e| self.err("shmctl(IPC_SET)", e))
    }

    /// `shmctl(IPC_RMID)`: marks the segment for removal. It is destroyed once no process
    /// has it attached; until then [`SegmentStat::dest`] is true and its key is gone. This
    /// handle then no longer removes it on drop.
    ///
    /// # Errors
    /// [`ErrorKind::PermissionDenied`] if the caller is not the owner or creator;
    /// [`ErrorKind::NotFound`] if the segment is already destroyed.
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, shm::SharedMemory};
    /// let mut seg = SharedMemory::builder(Key::PRIVATE, 1).create_new()?;
    /// let a = seg.attach()?;
    /// seg.mark_for_removal()?;
    /// assert!(seg.stat()?.dest);
    /// drop(a); // the last detach destroys it
    /// assert!(seg.stat().is_err());
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/shmctl.2.html>
    #[doc(alias = "IPC_RMID")]
    pub fn mark_for_removal(&mut self) -> Result<()> {
        self.remove_on_drop = false;
        sys::shmctl_rmid(self.id).map_err(|e| self.err("shmctl(IPC_RMID)", e))
    }
}

impl Sealed for SharedMemory {}

/// The name is the key (`0x000004d2`); the owner is the handle that created the segment.
impl Named for SharedMemory {
    fn name(&self) -> Cow<'_, str> {
        Cow::Owned(self.key.to_string())
    }

    /// Whether this handle will mark the segment for removal when dropped.
    fn is_owner(&self) -> bool {
        self.remove_on_drop
    }

    /// Keeps the segment in the kernel after this handle drops.
    fn persist(&mut self) {
        self.remove_on_drop = false;
    }

    /// Marks the segment for removal ([`mark_for_removal`](Self::mark_for_removal)) and
    /// drops the handle.
    ///
    /// # Errors
    /// As [`mark_for_removal`](Self::mark_for_removal).
    ///
    /// # Examples
    /// ```
    /// use ipckit::{Named, sysv::{key::Key, shm::SharedMemory}};
    /// SharedMemory::builder(Key::PRIVATE, 1).create_new()?.remove()?;
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/shmctl.2.html>
    fn remove(mut self) -> Result<()> {
        self.mark_for_removal()
    }
}

impl Drop for SharedMemory {
    fn drop(&mut self) {
        if self.remove_on_drop {
            let _ = sys::shmctl_rmid(self.id);
        }
    }
}

/// A segment attached to this process (`shmat`), detached when dropped (`shmdt`).
///
/// Its bytes (`shm_segsz` of them) are reached through [`MappedBytes`], the same trait as
/// POSIX shared memory and mapped files (`use ipckit::mmap::MappedBytes`): copies
/// ([`read`](MappedBytes::read), [`write`](MappedBytes::write)), volatile loads and stores,
/// and atomics ([`atomic_u32`](MappedBytes::atomic_u32),
/// [`atomic_u64`](MappedBytes::atomic_u64)). Other processes may write the bytes at any
/// time, so they are never handed out as a `&[u8]` (that would be a data race in Rust's
/// memory model); synchronise with a semaphore or the atomics. A read-only attachment
/// refuses writes and atomics with [`ErrorKind::PermissionDenied`].
///
/// # Examples
/// ```
/// use ipckit::{mmap::MappedBytes, sysv::{key::Key, shm::SharedMemory}};
/// let seg = SharedMemory::builder(Key::PRIVATE, 8).create_new()?;
/// let a = seg.attach()?;
/// a.write(2, b"hi")?;
/// let mut out = [0u8; 2];
/// a.read(2, &mut out)?;
/// assert_eq!(&out, b"hi");
/// assert_eq!(a.len(), 8);
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/shmop.2.html>
#[derive(Debug)]
pub struct Attachment {
    region: Region,
    id: i32,
    object: String,
}

impl Attachment {
    /// The id of the attached segment.
    pub fn id(&self) -> i32 {
        self.id
    }

    /// Whether it was attached with `SHM_RDONLY`.
    pub fn is_read_only(&self) -> bool {
        !self.region.writable()
    }

    /// The address it is mapped at in this process.
    pub fn addr(&self) -> usize {
        self.region.addr()
    }

    /// `shmdt(2)` now, reporting an error (dropping ignores it).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] if the kernel no longer has it attached.
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, shm::SharedMemory};
    /// let seg = SharedMemory::builder(Key::PRIVATE, 1).create_new()?;
    /// seg.attach()?.detach()?;
    /// assert_eq!(seg.stat()?.nattch, 0);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/shmop.2.html>
    #[doc(alias = "shmdt")]
    pub fn detach(self) -> Result<()> {
        let Attachment { region, object, .. } = self;
        region
            .detach()
            .map_err(|e| Error::from_errno(e, "shmdt", object))
    }
}

impl sealed::Sealed for Attachment {
    fn region(&self) -> &Region {
        &self.region
    }
    fn object_str(&self) -> &str {
        &self.object
    }
}

impl MappedBytes for Attachment {}
