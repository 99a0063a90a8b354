//! POSIX semaphores: named (`sem_open`) and unnamed process-shared (`sem_init`).
//!
//! A semaphore is a counter that never goes below zero: [`post`](Semaphore::post) adds one,
//! [`wait`](Semaphore::wait) takes one, waiting while it is zero. Two kinds:
//!
//! - [`Semaphore`]: a *named* semaphore (`/jobs`, on Linux the file `/dev/shm/sem.jobs`) that
//!   any process can open by name.
//! - [`UnnamedSemaphore`]: a `sem_t` placed inside shared memory
//!   ([`SharedMemory`](super::shm::SharedMemory) or a [`MappedFile`](crate::mmap::MappedFile))
//!   with `pshared = 1`, used by every process that maps it. It borrows the mapping, so it
//!   cannot outlive it.
//!
//! ```
//! use ipckit::posix::sem::Semaphore;
//! # let name = format!("/ipckit-doc-sem-{}", std::process::id());
//! let sem = Semaphore::builder(&name).value(1).create_new()?;
//! {
//!     let _held = sem.acquire()?; // value 0 until the guard drops
//!     assert_eq!(sem.value()?, 0);
//! }
//! assert_eq!(sem.value()?, 1);
//! # Ok::<(), ipckit::Error>(())
//! ```
//!
//! # References
//! <https://man7.org/linux/man-pages/man7/sem_overview.7.html>

use std::time::Duration;

use super::{open_with, validate_name, Creation, NAME_MAX};
use crate::mmap::MappedBytes;
use crate::sys::posix::{self as sys, NamedSem, RegionSem, SemOps};
use crate::sys::{retry_eintr, retry_eintr_until, Deadline};
use crate::{Errno, Error, ErrorKind, Result};

/// The longest semaphore name after the slash: `NAME_MAX` minus the `sem.` prefix of its file.
pub const SEM_NAME_MAX: usize = NAME_MAX - 4;

/// `SEM_VALUE_MAX` (`sysconf(_SC_SEM_VALUE_MAX)`): the largest value a semaphore may hold.
///
/// # Examples
/// ```
/// assert!(ipckit::posix::sem::value_max() >= 32767);
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man3/sysconf.3.html>
#[doc(alias = "SEM_VALUE_MAX")]
pub fn value_max() -> u32 {
    sys::sem_value_max()
        .and_then(|v| u32::try_from(v).ok())
        .unwrap_or(32767) // the POSIX minimum
}

fn check_value(op: &'static str, object: &str, value: u32) -> Result<()> {
    if value > value_max() {
        return Err(
            Error::new(ErrorKind::InvalidInput, op, object).with_detail(format!(
                "initial value {value} is above SEM_VALUE_MAX ({})",
                value_max()
            )),
        );
    }
    Ok(())
}

// The operations both kinds share, with errors naming `object`.
fn wait(s: &dyn SemOps, object: &str) -> Result<()> {
    retry_eintr(|| s.wait()).map_err(|e| Error::from_errno(e, "sem_wait", object))
}

fn try_wait(s: &dyn SemOps, object: &str) -> Result<()> {
    retry_eintr(|| s.try_wait()).map_err(|e| Error::from_errno(e, "sem_trywait", object))
}

fn wait_timeout(s: &dyn SemOps, object: &str, timeout: Duration) -> Result<()> {
    retry_eintr_until(Deadline::after(timeout), |left| {
        s.timed_wait(&sys::realtime_after(left))
    })
    .map_err(|e| Error::from_errno(e, "sem_timedwait", object))
}

fn post(s: &dyn SemOps, object: &str) -> Result<()> {
    s.post().map_err(|e| {
        let err = Error::from_errno(e, "sem_post", object);
        if e == Errno::EOVERFLOW {
            err.with_kind(ErrorKind::LimitReached).with_detail(format!(
                "the value is already SEM_VALUE_MAX ({})",
                value_max()
            ))
        } else {
            err
        }
    })
}

fn value(s: &dyn SemOps, object: &str) -> Result<u32> {
    s.value()
        .map(|v| u32::try_from(v).unwrap_or(0))
        .map_err(|e| Error::from_errno(e, "sem_getvalue", object))
}

/// Holds one unit of a semaphore; [`post`](Semaphore::post)s it back on drop.
///
/// Made by [`Semaphore::acquire`] and [`UnnamedSemaphore::acquire`].
#[must_use = "the semaphore is posted back as soon as the guard drops"]
pub struct SemGuard<'a> {
    sem: &'a dyn SemOps,
}

impl std::fmt::Debug for SemGuard<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SemGuard").finish_non_exhaustive()
    }
}

impl Drop for SemGuard<'_> {
    fn drop(&mut self) {
        // Cannot overflow: this guard took the unit it gives back.
        let _ = self.sem.post();
    }
}

/// Options for opening or creating a named [`Semaphore`]; made by [`Semaphore::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct SemaphoreBuilder {
    name: String,
    mode: u32,
    value: u32,
}

impl SemaphoreBuilder {
    /// Permission bits of a semaphore this call creates (default `0o600`, masked by the
    /// umask). A process needs both read and write permission to open it.
    pub fn mode(mut self, mode: u32) -> SemaphoreBuilder {
        self.mode = mode;
        self
    }

    /// The initial value of a semaphore this call creates (default 0, at most
    /// [`value_max()`]). Ignored when an existing semaphore is opened.
    pub fn value(mut self, value: u32) -> SemaphoreBuilder {
        self.value = value;
        self
    }

    /// `sem_open(3)` with `O_CREAT | O_EXCL`: creates the semaphore, failing if it exists.
    /// The handle unlinks it on drop unless [`Named::persist`](crate::Named::persist) is called.
    ///
    /// # Errors
    /// [`ErrorKind::AlreadyExists`] if it exists; [`ErrorKind::InvalidInput`] for a bad name
    /// (at most [`SEM_NAME_MAX`] bytes after the slash) or a value above [`value_max()`].
    ///
    /// # Examples
    /// ```
    /// use ipckit::{posix::sem::Semaphore, ErrorKind};
    /// # let name = format!("/ipckit-doc-semnew-{}", std::process::id());
    /// let s = Semaphore::builder(&name).value(3).create_new()?;
    /// assert_eq!(s.value()?, 3);
    /// let e = Semaphore::builder(&name).create_new().unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/sem_open.3.html>
    pub fn create_new(self) -> Result<Semaphore> {
        self.open_as(Creation::CreateNew)
    }

    /// `sem_open(3)` without `O_CREAT`: opens an existing semaphore; never unlinks on drop.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if it does not exist; [`ErrorKind::PermissionDenied`].
    ///
    /// # Examples
    /// ```
    /// use ipckit::{posix::sem::Semaphore, ErrorKind};
    /// let e = Semaphore::builder("/ipckit-doc-no-such-sem").open().unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::NotFound);
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/sem_open.3.html>
    pub fn open(self) -> Result<Semaphore> {
        self.open_as(Creation::Open)
    }

    /// Creates the semaphore (with the initial value) if it does not exist, otherwise opens
    /// it. Only the creating handle unlinks on drop.
    ///
    /// # Errors
    /// As [`SemaphoreBuilder::create_new`] and [`SemaphoreBuilder::open`].
    ///
    /// # Examples
    /// ```
    /// use ipckit::Named;
    /// use ipckit::posix::sem::Semaphore;
    /// # let name = format!("/ipckit-doc-semooc-{}", std::process::id());
    /// let a = Semaphore::builder(&name).value(2).open_or_create()?;
    /// let b = Semaphore::builder(&name).value(9).open_or_create()?; // opens: value stays 2
    /// assert_eq!((a.is_owner(), b.is_owner(), b.value()?), (true, false, 2));
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    pub fn open_or_create(self) -> Result<Semaphore> {
        self.open_as(Creation::OpenOrCreate)
    }

    fn open_as(self, how: Creation) -> Result<Semaphore> {
        let cname = validate_name(&self.name, "sem_open", SEM_NAME_MAX)?;
        check_value("sem_open", &self.name, self.value)?;
        let (sem, created) = open_with(how, |create| {
            let oflag = if create { sys::SEM_CREATE } else { 0 };
            NamedSem::open(&cname, oflag, self.mode, self.value)
                .map_err(|e| Error::from_errno(e, "sem_open", &self.name))
        })?;
        Ok(Semaphore {
            sem,
            name: self.name,
            owner: created,
        })
    }
}

/// A named POSIX semaphore (`sem_open`), closed on drop (`sem_close`) and unlinked on drop by
/// the handle that created it (unless [`Named::persist`](crate::Named::persist)).
///
/// All operations take `&self`; a handle may be shared between threads.
///
/// # References
/// <https://man7.org/linux/man-pages/man7/sem_overview.7.html>
#[derive(Debug)]
#[doc(alias = "sem_t")]
pub struct Semaphore {
    sem: NamedSem,
    name: String,
    owner: bool,
}

impl Semaphore {
    /// Options to open or create the semaphore `name` (e.g. `"/jobs"`, see
    /// [the naming rule](super#names)): mode `0o600`, initial value 0.
    ///
    /// # Examples
    /// ```
    /// use ipckit::Named;
    /// use ipckit::posix::sem::Semaphore;
    /// # let name = format!("/ipckit-doc-semb-{}", std::process::id());
    /// let s = Semaphore::builder(&name).mode(0o600).value(1).open_or_create()?;
    /// assert!(s.is_owner());
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    #[doc(alias = "sem_open")]
    pub fn builder(name: &str) -> SemaphoreBuilder {
        SemaphoreBuilder {
            name: name.to_string(),
            mode: 0o600,
            value: 0,
        }
    }

    /// The semaphore's name, with its leading slash (what [`Named::name`](crate::Named::name) gives, as a `&str`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `sem_wait(3)`: takes one unit, waiting while the value is 0.
    ///
    /// # Errors
    /// Not expected on a valid handle (`EINTR` is retried).
    ///
    /// # Examples
    /// ```
    /// use ipckit::posix::sem::Semaphore;
    /// # let name = format!("/ipckit-doc-sem{}-{}", "wait", std::process::id());
    /// let s = Semaphore::builder(&name).value(1).create_new()?;
    /// s.wait()?;
    /// assert_eq!(s.value()?, 0);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/sem_wait.3.html>
    #[doc(alias = "sem_wait")]
    pub fn wait(&self) -> Result<()> {
        wait(&self.sem, &self.name)
    }

    /// `sem_trywait(3)`: takes one unit if the value is above 0.
    ///
    /// # Errors
    /// [`ErrorKind::WouldBlock`] if the value is 0.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{posix::sem::Semaphore, ErrorKind};
    /// # let name = format!("/ipckit-doc-semtry-{}", std::process::id());
    /// let s = Semaphore::builder(&name).value(1).create_new()?;
    /// s.try_wait()?;
    /// assert_eq!(s.try_wait().unwrap_err().kind(), ErrorKind::WouldBlock);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/sem_wait.3.html>
    #[doc(alias = "sem_trywait")]
    pub fn try_wait(&self) -> Result<()> {
        try_wait(&self.sem, &self.name)
    }

    /// `sem_timedwait(3)`: takes one unit, waiting at most `timeout`.
    ///
    /// # Errors
    /// [`ErrorKind::TimedOut`] if the value stayed 0 for `timeout`.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use ipckit::{posix::sem::Semaphore, ErrorKind};
    /// # let name = format!("/ipckit-doc-semtw-{}", std::process::id());
    /// let s = Semaphore::builder(&name).create_new()?;
    /// let e = s.wait_timeout(Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/sem_wait.3.html>
    #[doc(alias = "sem_timedwait")]
    pub fn wait_timeout(&self, timeout: Duration) -> Result<()> {
        wait_timeout(&self.sem, &self.name, timeout)
    }

    /// `sem_post(3)`: adds one unit, waking one waiter.
    ///
    /// # Errors
    /// [`ErrorKind::LimitReached`] (`EOVERFLOW`) if the value is already [`value_max()`].
    ///
    /// # Examples
    /// ```
    /// use ipckit::posix::sem::Semaphore;
    /// # let name = format!("/ipckit-doc-sem{}-{}", "post", std::process::id());
    /// let s = Semaphore::builder(&name).create_new()?;
    /// s.post()?;
    /// s.post()?;
    /// assert_eq!(s.value()?, 2);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/sem_post.3.html>
    #[doc(alias = "sem_post")]
    pub fn post(&self) -> Result<()> {
        post(&self.sem, &self.name)
    }

    /// `sem_getvalue(3)`: the current value (0 while processes wait).
    ///
    /// # Errors
    /// Not expected on a valid handle.
    ///
    /// # Examples
    /// ```
    /// use ipckit::posix::sem::Semaphore;
    /// # let name = format!("/ipckit-doc-sem{}-{}", "value", std::process::id());
    /// let s = Semaphore::builder(&name).value(3).create_new()?;
    /// assert_eq!(s.value()?, 3);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/sem_getvalue.3.html>
    #[doc(alias = "sem_getvalue")]
    pub fn value(&self) -> Result<u32> {
        value(&self.sem, &self.name)
    }

    /// [`Semaphore::wait`], returning a guard that posts the unit back when dropped: the
    /// semaphore as a cross-process lock (initial value 1).
    ///
    /// # Errors
    /// As [`Semaphore::wait`].
    ///
    /// # Examples
    /// ```
    /// use ipckit::posix::sem::Semaphore;
    /// # let name = format!("/ipckit-doc-sem{}-{}", "acq", std::process::id());
    /// let lock = Semaphore::builder(&name).value(1).create_new()?;
    /// {
    ///     let _held = lock.acquire()?;
    ///     // ... the critical section: other processes wait in acquire()
    /// }
    /// assert_eq!(lock.value()?, 1);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/sem_wait.3.html>
    pub fn acquire(&self) -> Result<SemGuard<'_>> {
        self.wait()?;
        Ok(SemGuard { sem: &self.sem })
    }

    /// `sem_unlink(3)`: removes the name; the semaphore is freed once every process closed it.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if there is no such semaphore; [`ErrorKind::PermissionDenied`];
    /// [`ErrorKind::InvalidInput`] for a bad name.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{posix::sem::Semaphore, ErrorKind};
    /// let e = Semaphore::unlink("/ipckit-doc-no-such-sem").unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::NotFound);
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/sem_unlink.3.html>
    #[doc(alias = "sem_unlink")]
    pub fn unlink(name: &str) -> Result<()> {
        let c = validate_name(name, "sem_unlink", SEM_NAME_MAX)?;
        sys::sem_unlink(&c).map_err(|e| Error::from_errno(e, "sem_unlink", name))
    }
}

super::named_posix_object!(
    Semaphore,
    "semaphore",
    "sem_unlink",
    "use ipckit::{Named, posix::sem::Semaphore};
# let name = format!(\"/ipckit-doc-semremove-{}\", std::process::id());
let h = Semaphore::builder(&name).create_new()?;
h.remove()?;
assert!(Semaphore::unlink(&name).is_err()); // already gone
# Ok::<(), ipckit::Error>(())"
);

impl Drop for Semaphore {
    fn drop(&mut self) {
        if self.owner {
            if let Ok(c) = validate_name(&self.name, "sem_unlink", SEM_NAME_MAX) {
                let _ = sys::sem_unlink(&c);
            }
        }
    }
}

/// An unnamed process-shared semaphore (`sem_init` with `pshared = 1`) living inside a shared
/// mapping, borrowed from it.
///
/// One process calls [`UnnamedSemaphore::init`] once, before any other uses it (typically the
/// creator of the shared memory, before it tells others the name); every process then gets it
/// with [`UnnamedSemaphore::at`] at the same offset. It takes [`UnnamedSemaphore::SIZE`] bytes
/// at an offset that is a multiple of [`UnnamedSemaphore::ALIGN`]; keep your data elsewhere.
/// Nothing is destroyed on drop (`sem_destroy` is only safe once no process waits on it, which
/// no handle can know; on Linux it does nothing).
///
/// # Examples
/// ```
/// use ipckit::posix::{sem::UnnamedSemaphore, shm::SharedMemory};
/// # let name = format!("/ipckit-doc-usem-{}", std::process::id());
/// let shm = SharedMemory::builder(&name).size(4096).create_new()?;
/// let ready = UnnamedSemaphore::init(&shm, 0, 0)?;
/// // ... another process maps `name` and calls UnnamedSemaphore::at(&its_shm, 0)?.post()
/// ready.post()?;
/// UnnamedSemaphore::at(&shm, 0)?.wait()?;
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man3/sem_init.3.html>
#[derive(Clone, Copy)]
pub struct UnnamedSemaphore<'a> {
    sem: RegionSem<'a>,
    object: &'a str,
    offset: usize,
}

impl std::fmt::Debug for UnnamedSemaphore<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnnamedSemaphore")
            .field("object", &self.object)
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

impl<'a> UnnamedSemaphore<'a> {
    /// Bytes a semaphore occupies in the mapping (`sizeof(sem_t)`, 32 on 64-bit Linux).
    pub const SIZE: usize = sys::SEM_SIZE;
    /// The alignment its offset needs (`alignof(sem_t)`).
    pub const ALIGN: usize = sys::SEM_ALIGN;

    fn place<M: MappedBytes>(map: &M, offset: usize, op: &'static str) -> Result<()> {
        if !map.is_writable() {
            return Err(
                Error::new(ErrorKind::PermissionDenied, op, map.object_str())
                    .with_detail("a semaphore needs a writable mapping"),
            );
        }
        if offset % Self::ALIGN != 0 || offset.checked_add(Self::SIZE).is_none_or(|e| e > map.len())
        {
            return Err(Error::new(ErrorKind::InvalidInput, op, map.object_str()).with_detail(format!(
                "a semaphore needs {} bytes at an offset that is a multiple of {}; offset {offset} in a {}-byte mapping is not",
                Self::SIZE,
                Self::ALIGN,
                map.len()
            )));
        }
        Ok(())
    }

    /// `sem_init(3)` with `pshared = 1`: initialises a semaphore with `value` in the
    /// [`SIZE`](Self::SIZE) bytes at `offset` of `map`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] if the bytes are not inside the mapping or `offset` is not
    /// a multiple of [`ALIGN`](Self::ALIGN), or `value` is above [`value_max()`];
    /// [`ErrorKind::PermissionDenied`] if the mapping is read-only.
    ///
    /// # Examples
    /// ```
    /// use ipckit::posix::{sem::UnnamedSemaphore, shm::SharedMemory};
    /// # let name = format!("/ipckit-doc-usem{}-{}", "init", std::process::id());
    /// let shm = SharedMemory::builder(&name).size(4096).create_new()?;
    /// let sem = UnnamedSemaphore::init(&shm, 64, 2)?;
    /// assert_eq!((sem.offset(), sem.value()?), (64, 2));
    /// assert!(UnnamedSemaphore::init(&shm, 65, 0).is_err()); // misaligned
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/sem_init.3.html>
    #[doc(alias = "sem_init")]
    pub fn init<M: MappedBytes>(map: &'a M, offset: usize, value: u32) -> Result<Self> {
        Self::place(map, offset, "sem_init")?;
        let object = map.object_str();
        check_value("sem_init", object, value)?;
        let sem = RegionSem::init(map.region(), offset, value)
            .map_err(|e| Error::from_errno(e, "sem_init", object))?;
        Ok(UnnamedSemaphore {
            sem,
            object,
            offset,
        })
    }

    /// The semaphore another process initialised at `offset` of its mapping of the same
    /// object.
    ///
    /// # Errors
    /// As [`UnnamedSemaphore::init`] for the placement.
    ///
    /// # Examples
    /// ```
    /// use ipckit::posix::{sem::UnnamedSemaphore, shm::SharedMemory};
    /// # let name = format!("/ipckit-doc-usem{}-{}", "at", std::process::id());
    /// let shm = SharedMemory::builder(&name).size(4096).create_new()?;
    /// UnnamedSemaphore::init(&shm, 0, 1)?;
    /// // Another process maps the same object and finds the semaphore there:
    /// let other = SharedMemory::builder(&name).open()?;
    /// UnnamedSemaphore::at(&other, 0)?.try_wait()?;
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    pub fn at<M: MappedBytes>(map: &'a M, offset: usize) -> Result<Self> {
        Self::place(map, offset, "sem_open")?;
        let object = map.object_str();
        let sem = RegionSem::at(map.region(), offset)
            .map_err(|e| Error::from_errno(e, "sem_open", object))?;
        Ok(UnnamedSemaphore {
            sem,
            object,
            offset,
        })
    }

    /// The offset of the semaphore in its mapping.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// `sem_wait(3)`: takes one unit, waiting while the value is 0.
    ///
    /// # Errors
    /// Not expected on an initialised semaphore.
    #[doc(alias = "sem_wait")]
    pub fn wait(&self) -> Result<()> {
        wait(&self.sem, self.object)
    }

    /// `sem_trywait(3)`: takes one unit if the value is above 0.
    ///
    /// # Errors
    /// [`ErrorKind::WouldBlock`] if the value is 0.
    #[doc(alias = "sem_trywait")]
    pub fn try_wait(&self) -> Result<()> {
        try_wait(&self.sem, self.object)
    }

    /// `sem_timedwait(3)`: takes one unit, waiting at most `timeout`.
    ///
    /// # Errors
    /// [`ErrorKind::TimedOut`] if the value stayed 0 for `timeout`.
    #[doc(alias = "sem_timedwait")]
    pub fn wait_timeout(&self, timeout: Duration) -> Result<()> {
        wait_timeout(&self.sem, self.object, timeout)
    }

    /// `sem_post(3)`: adds one unit, waking one waiter (in any process).
    ///
    /// # Errors
    /// [`ErrorKind::LimitReached`] if the value is already [`value_max()`].
    #[doc(alias = "sem_post")]
    pub fn post(&self) -> Result<()> {
        post(&self.sem, self.object)
    }

    /// `sem_getvalue(3)`: the current value.
    ///
    /// # Errors
    /// Not expected on an initialised semaphore.
    #[doc(alias = "sem_getvalue")]
    pub fn value(&self) -> Result<u32> {
        value(&self.sem, self.object)
    }

    /// [`UnnamedSemaphore::wait`], returning a guard that posts the unit back when dropped.
    ///
    /// # Errors
    /// As [`UnnamedSemaphore::wait`].
    pub fn acquire(&self) -> Result<SemGuard<'_>> {
        self.wait()?;
        Ok(SemGuard { sem: &self.sem })
    }
}
