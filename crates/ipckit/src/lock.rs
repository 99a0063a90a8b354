//! Record locks on files: open file description locks (`fcntl(F_OFD_SETLK)`, the default)
//! and `flock(2)`; shared or exclusive, the whole file or a byte range, try / blocking /
//! timeout, released by a guard.
//!
//! A [`Lock`] says what to lock ([`Lock::shared`] or [`Lock::exclusive`], a
//! [`range`](Lock::range), a [`LockMethod`]); [`Lock::lock`], [`Lock::try_lock`] or
//! [`Lock::lock_timeout`] take it on a file (anything [`AsFd`]: `&File`, `File`, an
//! `OwnedFd`) and return a [`LockGuard`] that unlocks when dropped. [`Lock::conflict`] asks
//! the kernel who holds a lock in the way (`F_OFD_GETLK`).
//!
//! Locks are *advisory*: they keep out only processes that take locks too. `read` and
//! `write` on the file are never refused.
//!
//! # Why not classic POSIX locks (`F_SETLK`)
//! Classic `fcntl` record locks belong to a *process* (and a file, by inode), not to the fd
//! that took them, and POSIX specifies two traps that follow from that:
//! - **Closing any fd of the file drops them all.** If a process locks `/x` through fd 3,
//!   and any code in it (a library reading a config file, `std::fs::read("/x")`) opens the
//!   same file and closes that other fd, every lock the process held on `/x` is released,
//!   silently. In a program with libraries, nobody can promise that never happens.
//! - **They are per process, not per thread or fd.** Two threads of one process never
//!   conflict (a second lock request by the same process just replaces or merges the
//!   first), so they cannot be used between threads, and two parts of one program that
//!   lock the same file cannot exclude each other.
//!
//! Open file description locks (Linux 3.15, `F_OFD_SETLK`/`F_OFD_SETLKW`/`F_OFD_GETLK`, in
//! POSIX.1-2024) have the same byte-range semantics and conflict with classic locks, but
//! belong to the *open file description* (what one `open(2)` made): closing another fd of
//! the file does not touch them, two `open`s of a file in one process (or one thread each)
//! exclude each other like two processes, and the lock goes when the last fd of that
//! description is closed — which is also what happens when the holder is killed, even by
//! `kill -9`. That is why they are ipckit's default ([`LockMethod::Ofd`]).
//!
//! `flock(2)` ([`LockMethod::Flock`]) is also per open file description, but whole-file
//! only and independent of `fcntl` locks (on Linux the two never conflict with each other);
//! pick it to cooperate with programs that use `flock` (`flock(1)`, many scripts).
//!
//! Both kinds are shared by every fd that refers to the same description: a `dup` of the fd
//! or a copy inherited across `fork` holds the same lock, and the lock stays until all of
//! them are closed. ipckit opens every fd close-on-exec, so a child started with `exec`
//! does not inherit it, but a `fork`ed child that does not `exec` does.
//!
//! # Within one open file description
//! Locks do not conflict with locks of the same description: locking a range again through
//! the same fd converts it (shared to exclusive or back), and byte ranges of one description
//! merge. A [`LockGuard`] unlocks exactly its own range when dropped, even if another guard
//! on the same description covers part of it: take one guard per description and range.
//!
//! # Examples
//! ```
//! use std::fs::File;
//! use ipckit::lock::Lock;
//!
//! let path = std::env::temp_dir().join(format!("ipckit-doc-lock-{}", std::process::id()));
//! let a = File::create(&path)?;
//! let b = File::open(&path)?; // another open file description, same file
//! let guard = Lock::exclusive().lock(&a)?;
//! // b is locked out, even in this process: the lock belongs to a's description.
//! let e = Lock::shared().try_lock(&b).unwrap_err();
//! assert_eq!(e.kind(), ipckit::ErrorKind::WouldBlock);
//! drop(guard);
//! let _shared = Lock::shared().try_lock(&b)?;
//! # std::fs::remove_file(&path)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # References
//! - <https://man7.org/linux/man-pages/man2/fcntl.2.html> (Open file description locks)
//! - <https://man7.org/linux/man-pages/man2/flock.2.html>
//! - <https://www.gnu.org/software/libc/manual/html_node/Open-File-Description-Locks.html>

use std::fmt;
use std::ops::Range;
use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use crate::sys::lock::{self as syslock, Op, Wait};
use crate::sys::Deadline;
use crate::{Errno, Error, ErrorKind, Result};

/// Shared (read) or exclusive (write) lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
    /// Many holders at once; excludes exclusive locks (`F_RDLCK`, `LOCK_SH`).
    #[doc(alias = "F_RDLCK")]
    #[doc(alias = "LOCK_SH")]
    Shared,
    /// One holder; excludes every other lock (`F_WRLCK`, `LOCK_EX`).
    #[doc(alias = "F_WRLCK")]
    #[doc(alias = "LOCK_EX")]
    Exclusive,
}

/// Which kernel lock a [`Lock`] takes (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LockMethod {
    /// Open file description record locks, `fcntl(F_OFD_SETLK/F_OFD_SETLKW)`: byte ranges,
    /// owned by the open file description. The default.
    #[default]
    #[doc(alias = "F_OFD_SETLK")]
    Ofd,
    /// `flock(2)`: the whole file only, owned by the open file description; independent of
    /// `fcntl` locks.
    #[doc(alias = "flock")]
    Flock,
}

/// A lock to take: its [`LockKind`], its byte range and its [`LockMethod`].
///
/// The range is the whole file by default (offset 0 to the end of the file *and beyond*:
/// bytes appended later are covered too, as `fcntl`'s `l_len = 0`); set one with
/// [`range`](Lock::range) or [`at`](Lock::at). [`LockMethod::Flock`] locks whole files only.
///
/// # Examples
/// See the [module docs](self) and [`Lock::conflict`].
///
/// # References
/// <https://man7.org/linux/man-pages/man2/fcntl.2.html>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lock {
    kind: LockKind,
    method: LockMethod,
    start: u64,
    /// `None`: to the end of the file and beyond.
    end: Option<u64>,
}

/// A lock that another open file description holds, from [`Lock::conflict`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Conflict {
    /// What the holder has.
    pub kind: LockKind,
    /// First byte of the holder's range.
    pub start: u64,
    /// Its length in bytes; 0 means to the end of the file and beyond (`l_len = 0`).
    pub len: u64,
    /// The holder's pid for a classic POSIX (`F_SETLK`) lock. `None` for an open file
    /// description lock: the kernel reports `l_pid = -1`, since such a lock belongs to a
    /// description that several processes may share, not to a process.
    pub pid: Option<u32>,
}

impl Lock {
    /// A shared lock on the whole file, by [`LockMethod::Ofd`].
    ///
    /// # Examples
    /// See the [module docs](self).
    pub fn shared() -> Lock {
        Lock::new(LockKind::Shared)
    }

    /// An exclusive lock on the whole file, by [`LockMethod::Ofd`].
    ///
    /// # Examples
    /// See the [module docs](self).
    pub fn exclusive() -> Lock {
        Lock::new(LockKind::Exclusive)
    }

    /// A `kind` lock on the whole file, by [`LockMethod::Ofd`].
    pub fn new(kind: LockKind) -> Lock {
        Lock {
            kind,
            method: LockMethod::Ofd,
            start: 0,
            end: None,
        }
    }

    /// Locks bytes `range.start..range.end` (offsets in bytes; may lie past the end of the
    /// file). An empty range is refused when the lock is taken.
    pub fn range(mut self, range: Range<u64>) -> Lock {
        self.start = range.start;
        self.end = Some(range.end);
        self
    }

    /// Locks `len` bytes from `start`; `len` 0 means from `start` to the end of the file
    /// and beyond, as `fcntl`'s `l_len = 0`.
    pub fn at(mut self, start: u64, len: u64) -> Lock {
        self.start = start;
        self.end = (len != 0).then(|| start.saturating_add(len));
        self
    }

    /// Takes the lock with `method` instead of [`LockMethod::Ofd`].
    pub fn method(mut self, method: LockMethod) -> Lock {
        self.method = method;
        self
    }

    /// The kind asked for.
    pub fn kind(&self) -> LockKind {
        self.kind
    }

    /// `(start, len)` as `fcntl` wants it (`len` 0: to EOF and beyond).
    fn extent(&self, op: &'static str) -> Result<(u64, u64)> {
        let bad = |d: String| Err(Error::new(ErrorKind::InvalidInput, op, self).with_detail(d));
        let len = match self.end {
            None => 0,
            Some(end) if end <= self.start => {
                return bad(format!("empty byte range {}..{end}", self.start))
            }
            Some(end) => end - self.start,
        };
        if self.start > i64::MAX as u64 || len > i64::MAX as u64 {
            return bad("offsets above 2^63 - 1 (off_t) cannot be locked".into());
        }
        if self.method == LockMethod::Flock && (self.start != 0 || len != 0) {
            return bad("flock(2) locks whole files only: use LockMethod::Ofd for a range".into());
        }
        Ok((self.start, len))
    }

    fn op(&self) -> Op {
        match self.kind {
            LockKind::Shared => Op::Shared,
            LockKind::Exclusive => Op::Exclusive,
        }
    }

    fn name(&self, wait: Wait) -> &'static str {
        match (self.method, wait) {
            (LockMethod::Ofd, Wait::Block) => "fcntl(F_OFD_SETLKW)",
            (LockMethod::Ofd, Wait::Try) => "fcntl(F_OFD_SETLK)",
            (LockMethod::Flock, Wait::Block) => "flock",
            (LockMethod::Flock, Wait::Try) => "flock(LOCK_NB)",
        }
    }

    /// One request; `Ok(false)` if `wait` is `Try` and a conflicting lock is held.
    fn request(&self, fd: std::os::fd::BorrowedFd<'_>, wait: Wait) -> Result<bool> {
        let op_name = self.name(wait);
        let (start, len) = self.extent(op_name)?;
        let r = match self.method {
            LockMethod::Ofd => syslock::ofd_setlk(fd, self.op(), start, len, wait),
            LockMethod::Flock => syslock::flock(fd, self.op(), wait),
        };
        match r {
            Ok(()) => Ok(true),
            Err(Errno::EAGAIN | Errno::EACCES) if wait == Wait::Try => Ok(false),
            Err(e) => Err(Error::from_errno(e, op_name, Target(self, fd.as_raw_fd()))),
        }
    }

    /// Takes the lock on `file`, waiting as long as a conflicting lock is held
    /// (`F_OFD_SETLKW`, or `flock` without `LOCK_NB`); `EINTR` is retried.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for an empty range, offsets above `i64::MAX`, or a range
    /// with [`LockMethod::Flock`]; `EBADF` if `file` is not open for reading (shared
    /// `fcntl` lock) or writing (exclusive `fcntl` lock); `ENOLCK` when the kernel is out of
    /// lock records. The kernel does not detect deadlocks between OFD locks: a wait that
    /// may deadlock should use [`lock_timeout`](Lock::lock_timeout).
    ///
    /// # Examples
    /// ```
    /// let path = std::env::temp_dir().join(format!("ipckit-doc-lockb-{}", std::process::id()));
    /// let f = std::fs::File::create(&path)?;
    /// let guard = ipckit::lock::Lock::exclusive().range(0..100).lock(&f)?;
    /// guard.unlock()?;
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/fcntl.2.html>,
    /// <https://man7.org/linux/man-pages/man2/flock.2.html>
    #[doc(alias = "F_OFD_SETLKW")]
    pub fn lock<F: AsFd>(&self, file: F) -> Result<LockGuard<F>> {
        self.request(file.as_fd(), Wait::Block)?;
        Ok(LockGuard {
            file: Some(file),
            lock: *self,
        })
    }

    /// Takes the lock on `file` if no conflicting lock is held (`F_OFD_SETLK`, or
    /// `flock(LOCK_NB)`).
    ///
    /// # Errors
    /// [`ErrorKind::WouldBlock`] if a conflicting lock is held (see
    /// [`conflict`](Lock::conflict) for who); others as [`lock`](Lock::lock).
    ///
    /// # Examples
    /// See the [module docs](self).
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/fcntl.2.html>
    #[doc(alias = "F_OFD_SETLK")]
    #[doc(alias = "LOCK_NB")]
    pub fn try_lock<F: AsFd>(&self, file: F) -> Result<LockGuard<F>> {
        if self.request(file.as_fd(), Wait::Try)? {
            return Ok(LockGuard {
                file: Some(file),
                lock: *self,
            });
        }
        let fd = file.as_fd().as_raw_fd();
        Err(
            Error::from_errno(Errno::EAGAIN, self.name(Wait::Try), Target(self, fd))
                .with_detail("a conflicting lock is held"),
        )
    }

    /// Takes the lock on `file`, waiting at most `timeout` (any `Duration`, up to
    /// [`Duration::MAX`]: forever, which is [`lock`](Lock::lock)).
    ///
    /// **How it waits:** neither `fcntl` nor `flock` takes a timeout, so this polls: a
    /// non-blocking attempt, then sleeps of 1 ms doubling up to 50 ms between attempts, and
    /// a last attempt at the deadline. It is therefore not queued: a lock that is
    /// released and taken again quickly by others may be missed, and one waiting here may
    /// lose to a blocking [`lock`](Lock::lock) that is queued in the kernel; and it may
    /// notice a release up to 50 ms late. (The alternative, a blocking `F_OFD_SETLKW` cut
    /// short by a signal from a helper thread, needs a process-wide signal handler, which a
    /// library should not install.)
    ///
    /// # Errors
    /// [`ErrorKind::TimedOut`] if the lock was still held by someone else at the deadline;
    /// others as [`lock`](Lock::lock).
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use ipckit::lock::Lock;
    /// let path = std::env::temp_dir().join(format!("ipckit-doc-lockt-{}", std::process::id()));
    /// let a = std::fs::File::options().read(true).write(true).create(true).open(&path)?;
    /// let b = std::fs::File::options().write(true).open(&path)?;
    /// let _held = Lock::shared().lock(&a)?;
    /// let e = Lock::exclusive().lock_timeout(&b, Duration::from_millis(20)).unwrap_err();
    /// assert_eq!(e.kind(), ipckit::ErrorKind::TimedOut);
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lock_timeout<F: AsFd>(&self, file: F, timeout: Duration) -> Result<LockGuard<F>> {
        if timeout == Duration::MAX {
            return self.lock(file);
        }
        let deadline = Deadline::after(timeout);
        let mut pause = Duration::from_millis(1);
        loop {
            if self.request(file.as_fd(), Wait::Try)? {
                return Ok(LockGuard {
                    file: Some(file),
                    lock: *self,
                });
            }
            let left = deadline.remaining();
            if left.is_zero() {
                let fd = file.as_fd().as_raw_fd();
                return Err(Error::new(
                    ErrorKind::TimedOut,
                    self.name(Wait::Try),
                    Target(self, fd),
                )
                .with_detail(format!(
                    "a conflicting lock was still held after {timeout:?}"
                )));
            }
            std::thread::sleep(pause.min(left));
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// Which lock of another open file description (or of a classic POSIX lock of another
    /// process, or of this one) would conflict with this lock on `file`
    /// (`fcntl(F_OFD_GETLK)`); `None` if it could be taken now. Takes nothing.
    ///
    /// The answer may be stale by the time it is read: use it to report who is in the way,
    /// not to decide whether to lock (that is [`try_lock`](Lock::try_lock)).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for [`LockMethod::Flock`] (`flock` has no query: use
    /// `try_lock`) and for a bad range; `EBADF` as [`lock`](Lock::lock).
    ///
    /// # Examples
    /// ```
    /// use ipckit::lock::{Lock, LockKind};
    /// let path = std::env::temp_dir().join(format!("ipckit-doc-lockq-{}", std::process::id()));
    /// let a = std::fs::File::create(&path)?;
    /// let b = std::fs::File::options().read(true).write(true).open(&path)?;
    /// let _held = Lock::exclusive().range(10..20).lock(&a)?;
    /// let c = Lock::shared().range(0..15).conflict(&b)?.expect("10..20 is held");
    /// assert_eq!((c.kind, c.start, c.len, c.pid), (LockKind::Exclusive, 10, 10, None));
    /// assert_eq!(Lock::exclusive().range(20..30).conflict(&b)?, None); // disjoint
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/fcntl.2.html> (`F_OFD_GETLK`)
    #[doc(alias = "F_OFD_GETLK")]
    pub fn conflict(&self, file: impl AsFd) -> Result<Option<Conflict>> {
        const OP: &str = "fcntl(F_OFD_GETLK)";
        let fd = file.as_fd();
        if self.method == LockMethod::Flock {
            return Err(
                Error::new(ErrorKind::InvalidInput, OP, Target(self, fd.as_raw_fd()))
                    .with_detail("flock(2) has no query of the holder: use try_lock"),
            );
        }
        let (start, len) = self.extent(OP)?;
        let held = syslock::ofd_getlk(fd, self.op(), start, len)
            .map_err(|e| Error::from_errno(e, OP, Target(self, fd.as_raw_fd())))?;
        Ok(held.map(|h| Conflict {
            kind: if h.exclusive {
                LockKind::Exclusive
            } else {
                LockKind::Shared
            },
            start: h.start,
            len: h.len,
            pid: u32::try_from(h.pid).ok().filter(|&p| p > 0),
        }))
    }
}

/// Shows a lock: `exclusive bytes 0.. (OFD)`.
impl fmt::Display for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            LockKind::Shared => "shared",
            LockKind::Exclusive => "exclusive",
        };
        let method = match self.method {
            LockMethod::Ofd => "OFD",
            LockMethod::Flock => "flock",
        };
        match self.end {
            None => write!(f, "{kind} lock on bytes {}.. ({method})", self.start),
            Some(end) => write!(f, "{kind} lock on bytes {}..{end} ({method})", self.start),
        }
    }
}

/// A lock and the fd, for error messages.
struct Target<'a>(&'a Lock, i32);

impl fmt::Display for Target<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} of fd {}", self.0, self.1)
    }
}

/// A lock held on a file: unlocks its range when dropped (`F_UNLCK` over the same range, or
/// `LOCK_UN`). Holds the `F` it was taken on (`&File` borrows, `File` owns).
///
/// The kernel also releases the lock when the last fd of the open file description closes,
/// including when the process dies (`kill -9`): a crashed holder never leaves a file
/// locked. An owned `F` is dropped after the unlock.
///
/// # Examples
/// ```
/// let path = std::env::temp_dir().join(format!("ipckit-doc-guard-{}", std::process::id()));
/// let f = std::fs::File::create(&path)?;
/// let guard = ipckit::lock::Lock::exclusive().lock(f)?; // owns the File
/// assert_eq!(guard.lock().kind(), ipckit::lock::LockKind::Exclusive);
/// let f: std::fs::File = guard.unlock()?; // unlocked, the File back
/// # drop(f);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[must_use = "the lock is released when the guard is dropped"]
pub struct LockGuard<F: AsFd> {
    /// `None` only inside `unlock`, after the file was taken out.
    file: Option<F>,
    lock: Lock,
}

impl<F: AsFd> LockGuard<F> {
    /// What this guard holds.
    pub fn lock(&self) -> &Lock {
        &self.lock
    }

    /// The file the lock was taken on.
    pub fn file(&self) -> &F {
        self.file
            .as_ref()
            .expect("a guard holds its file until dropped")
    }

    /// Unlocks now and gives the file back.
    ///
    /// # Errors
    /// From `fcntl(F_OFD_SETLK, F_UNLCK)` / `flock(LOCK_UN)`; the lock is then released
    /// when the file's last fd closes.
    ///
    /// # Examples
    /// See [`LockGuard`].
    pub fn unlock(mut self) -> Result<F> {
        let r = self.release();
        let file = self
            .file
            .take()
            .expect("a guard holds its file until dropped");
        r.map(|()| file)
    }

    fn release(&self) -> Result<()> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let fd = file.as_fd();
        let (start, len) = self.lock.extent("unlock")?;
        let (op, r) = match self.lock.method {
            LockMethod::Ofd => (
                "fcntl(F_OFD_SETLK, F_UNLCK)",
                syslock::ofd_setlk(fd, Op::Unlock, start, len, Wait::Try),
            ),
            LockMethod::Flock => ("flock(LOCK_UN)", syslock::flock(fd, Op::Unlock, Wait::Try)),
        };
        r.map_err(|e| Error::from_errno(e, op, Target(&self.lock, fd.as_raw_fd())))
    }
}

/// Unlocks the range (see [`LockGuard`]).
impl<F: AsFd> Drop for LockGuard<F> {
    fn drop(&mut self) {
        let _ = self.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;

    /// The trap OFD locks avoid, shown on a classic lock in one process: `F_OFD_GETLK`
    /// through another description sees this process's classic lock until *any* fd of the
    /// file is closed, then it is gone; the same sequence leaves an OFD lock in place.
    #[test]
    fn closing_another_fd_drops_a_classic_lock_but_not_an_ofd_lock() {
        let path = std::env::temp_dir().join(format!(
            "ipckit-unit-lock-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let a = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        let probe = File::options().read(true).write(true).open(&path).unwrap();

        syslock::classic_setlk(a.as_fd(), Op::Exclusive, 0, 0).unwrap();
        let c = Lock::exclusive()
            .conflict(&probe)
            .unwrap()
            .expect("classic lock seen");
        assert_eq!(c.pid, Some(std::process::id()));
        drop(File::open(&path).unwrap()); // open and close another fd of the file
        assert_eq!(
            Lock::exclusive().conflict(&probe).unwrap(),
            None,
            "classic lock lost"
        );

        let _g = Lock::exclusive().lock(&a).unwrap();
        drop(File::open(&path).unwrap());
        let c = Lock::exclusive()
            .conflict(&probe)
            .unwrap()
            .expect("OFD lock kept");
        assert_eq!(c.pid, None);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn bad_ranges_are_invalid_input() {
        let f = File::open("/dev/null").unwrap();
        let e = Lock::shared().range(5..5).try_lock(&f).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let e = Lock::shared().at(u64::MAX, 0).try_lock(&f).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let e = Lock::shared()
            .range(0..10)
            .method(LockMethod::Flock)
            .try_lock(&f)
            .unwrap_err();
        assert!(e.to_string().contains("whole files"), "{e}");
        let e = Lock::shared()
            .method(LockMethod::Flock)
            .conflict(&f)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    }
}
