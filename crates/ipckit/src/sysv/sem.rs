//! System V semaphore sets (`semget`, `semop`, `semtimedop`, `semctl`).
//!
//! A set holds `nsems` counters (each 0 to 32767, `SEMVMX`). [`SemaphoreSet::op`] applies
//! several [`SemOp`]s at once, atomically: either all of them happen or the call waits (or
//! fails) with none applied. An op with `SEM_UNDO` ([`SemOp::undo`]) is reverted by the
//! kernel when the process exits, even by `SIGKILL`, so a crashed holder never keeps a lock.
//!
//! ```
//! use ipckit::sysv::{key::Key, sem::{SemaphoreSet, SemOp}};
//! let set = SemaphoreSet::builder(Key::PRIVATE, 2).values(&[1, 0]).create_new()?;
//! {
//!     let _held = set.acquire(0)?; // P(0) with SEM_UNDO
//!     assert_eq!(set.get(0)?, 0);
//! } // V(0)
//! set.op(&[SemOp::post(1), SemOp::wait(0)])?; // both or neither
//! assert_eq!(set.values()?, [0, 1]);
//! # Ok::<(), ipckit::Error>(())
//! ```
//!
//! # Initialisation without a race
//! `semget(IPC_CREAT)` creates a set whose values are 0 and `semctl(SETALL)` sets them
//! later: a process that opens the set between the two sees, and may act on, values that
//! were never meant. The classic fix (Stevens, *UNIX Network Programming* vol. 2, §11.2),
//! which ipckit follows: the creator creates with `IPC_EXCL`, sets the values, then performs
//! one `semop` that leaves them unchanged (+1 then -1 on semaphore 0) only to set
//! `sem_otime`, which is 0 until the first `semop`. A process that *opens* the set
//! ([`SemaphoreSetBuilder::open`], or `open_or_create` finding it) polls `IPC_STAT` until
//! `sem_otime` is non-zero, for at most [`init_timeout`](SemaphoreSetBuilder::init_timeout)
//! (10 s by default), before using it. Sets made by other programs (`ipcmk -S`, a C program
//! that never calls `semop`) keep `sem_otime` at 0: open those with
//! [`SemaphoreSetBuilder::no_init_wait`] or [`SemaphoreSet::from_id`].
//!
//! # References
//! <https://man7.org/linux/man-pages/man7/sysvipc.7.html>,
//! <https://man7.org/linux/man-pages/man2/semop.2.html>,
//! <https://man7.org/linux/man-pages/man2/semctl.2.html>

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use super::key::Key;
use super::{get_object, gone_if_invalid, time, Creation, Perm};
use crate::named::{Named, Sealed};
use crate::sys::{retry_eintr, retry_eintr_until, sysv as sys, Deadline};
use crate::{Errno, Error, ErrorKind, Result};

/// The largest value a semaphore holds (`SEMVMX` on Linux).
pub const SEMVMX: u16 = 32767;

/// The most semaphores a set can have whatever `semmsl` says (`sem_num` is 16 bits).
const MAX_NSEMS: usize = 1 << 16;

/// One operation of a [`SemaphoreSet::op`] call (`struct sembuf`).
///
/// `delta > 0` adds (V, post, release); `delta < 0` waits until the value is at least
/// `-delta` and subtracts it (P, wait, acquire); `delta == 0` waits until the value is 0.
///
/// # References
/// <https://man7.org/linux/man-pages/man2/semop.2.html>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[doc(alias = "sembuf")]
pub struct SemOp {
    num: u16,
    delta: i16,
    flags: i16,
}

impl SemOp {
    /// Adds `delta` to semaphore `num` (see the type's docs for the sign).
    pub fn new(num: u16, delta: i16) -> SemOp {
        SemOp {
            num,
            delta,
            flags: 0,
        }
    }

    /// P: waits until semaphore `num` is ≥ 1, then subtracts 1.
    pub fn wait(num: u16) -> SemOp {
        SemOp::new(num, -1)
    }

    /// V: adds 1 to semaphore `num`, waking waiters.
    pub fn post(num: u16) -> SemOp {
        SemOp::new(num, 1)
    }

    /// Waits until semaphore `num` is 0 (`sem_op` 0).
    pub fn wait_zero(num: u16) -> SemOp {
        SemOp::new(num, 0)
    }

    /// With `SEM_UNDO`: the kernel reverts this op when the process exits (by any means).
    #[doc(alias = "SEM_UNDO")]
    pub fn undo(mut self) -> SemOp {
        self.flags |= sys::SEM_UNDO as i16;
        self
    }

    /// With `IPC_NOWAIT`: if this op would wait, the whole call fails with
    /// [`ErrorKind::WouldBlock`] and nothing is applied.
    #[doc(alias = "IPC_NOWAIT")]
    pub fn nowait(mut self) -> SemOp {
        self.flags |= sys::IPC_NOWAIT as i16;
        self
    }

    /// The semaphore's index in the set.
    pub fn num(&self) -> u16 {
        self.num
    }

    /// The change (or 0 for wait-for-zero).
    pub fn delta(&self) -> i16 {
        self.delta
    }

    fn is_nowait(&self) -> bool {
        self.flags & sys::IPC_NOWAIT as i16 != 0
    }
}

/// A semaphore set's state (`struct semid_ds` from `semctl(IPC_STAT)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetStat {
    /// Owner, creator and permission bits.
    pub perm: Perm,
    /// Number of semaphores in the set.
    pub nsems: usize,
    /// Time of the last `semop`, `None` if never (see the module docs on initialisation).
    pub otime: Option<SystemTime>,
    /// Time of creation or the last `IPC_SET`.
    pub ctime: Option<SystemTime>,
}

/// A System V semaphore set: a handle holding the set's id.
///
/// Made by [`SemaphoreSet::builder`] (by key) or [`SemaphoreSet::from_id`]. If this handle
/// created the set it removes it (`IPC_RMID`) when dropped, unless
/// [`persist`](crate::Named::persist) was called.
///
/// # References
/// <https://man7.org/linux/man-pages/man2/semget.2.html>
#[derive(Debug)]
pub struct SemaphoreSet {
    id: i32,
    key: Key,
    nsems: usize,
    remove_on_drop: bool,
}

/// Opens or creates a [`SemaphoreSet`] by key (`semget`), initialising it without a race.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until create_new(), open() or open_or_create()"]
pub struct SemaphoreSetBuilder {
    key: Key,
    nsems: usize,
    mode: u32,
    values: Option<Vec<u16>>,
    init_timeout: Option<Duration>,
}

impl SemaphoreSetBuilder {
    /// The permission bits a new set gets (default `0o600`; read lets a process read values,
    /// write ("alter") lets it change them).
    pub fn mode(mut self, mode: u32) -> Self {
        self.mode = mode;
        self
    }

    /// The initial values of a new set, one per semaphore (default all 0). Ignored when an
    /// existing set is opened.
    pub fn values(mut self, values: &[u16]) -> Self {
        self.values = Some(values.to_vec());
        self
    }

    /// How long opening an existing set waits for its creator to initialise it (default
    /// 10 s); see the module docs.
    pub fn init_timeout(mut self, timeout: Duration) -> Self {
        self.init_timeout = Some(timeout);
        self
    }

    /// Opens without waiting for the creator's initialisation (for sets made by programs
    /// that never call `semop`, like `ipcmk -S`).
    pub fn no_init_wait(mut self) -> Self {
        self.init_timeout = Some(Duration::ZERO);
        self
    }

    fn object(&self) -> String {
        format!("System V semaphore set key {}", self.key)
    }

    fn get(self, how: Creation) -> Result<SemaphoreSet> {
        let key = self.key;
        if self.nsems > MAX_NSEMS {
            return Err(
                Error::new(ErrorKind::InvalidInput, "semget", self.object()).with_detail(format!(
                    "{} semaphores: a set has at most {MAX_NSEMS} (and semmsl, \
                     /proc/sys/kernel/sem)",
                    self.nsems
                )),
            );
        }
        let values = self.values.clone().unwrap_or_else(|| vec![0; self.nsems]);
        if values.len() != self.nsems || values.iter().any(|&v| v > SEMVMX) {
            return Err(
                Error::new(ErrorKind::InvalidInput, "semget", self.object()).with_detail(format!(
                    "{} initial values for {} semaphores (each 0..={SEMVMX})",
                    values.len(),
                    self.nsems
                )),
            );
        }
        if self.nsems == 0 && how != Creation::Open {
            return Err(Error::new(ErrorKind::InvalidInput, "semget", self.object())
                .with_detail("a new set needs at least one semaphore"));
        }
        let nsems = i32::try_from(self.nsems).unwrap_or(i32::MAX);
        let (id, created) =
            get_object("semget", &|| self.object(), key, how, self.mode, |flags| {
                if flags == 0 {
                    sys::semget(key.raw(), 0, 0)
                } else {
                    sys::semget(key.raw(), nsems, flags)
                }
            })?;
        let mut set = SemaphoreSet {
            id,
            key,
            nsems: self.nsems,
            remove_on_drop: created,
        };
        if created {
            set.initialise(&values)?;
        } else {
            let st = set.stat()?;
            set.nsems = st.nsems;
            if st.nsems < self.nsems {
                return Err(Error::new(ErrorKind::InvalidInput, "semget", set.object())
                    .with_detail(format!(
                        "the set has {} semaphores, {} were asked for",
                        st.nsems, self.nsems
                    )));
            }
            let timeout = self.init_timeout.unwrap_or(Duration::from_secs(10));
            set.wait_initialised(timeout)?;
        }
        Ok(set)
    }

    /// `semget(key, nsems, IPC_CREAT | IPC_EXCL | mode)`, then `SETALL` and a `semop` that
    /// marks the set initialised; this handle removes it on drop unless persisted.
    ///
    /// # Errors
    /// [`ErrorKind::AlreadyExists`] if a set has the key; [`ErrorKind::InvalidInput`] for 0
    /// semaphores, more than `semmsl`, or values that do not match `nsems` or exceed
    /// [`SEMVMX`]; [`ErrorKind::LimitReached`] at `semmni` sets or `semmns` semaphores.
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, sem::SemaphoreSet};
    /// let set = SemaphoreSet::builder(Key::PRIVATE, 3).values(&[1, 2, 3]).create_new()?;
    /// assert_eq!(set.values()?, [1, 2, 3]);
    /// assert!(set.stat()?.otime.is_some()); // marked initialised
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/semget.2.html>
    #[doc(alias = "semget")]
    pub fn create_new(self) -> Result<SemaphoreSet> {
        self.get(Creation::CreateNew)
    }

    /// `semget(key, 0, 0)`: opens an existing set (of at least `nsems` semaphores; 0 accepts
    /// any), waiting for its initialisation; never removes it on drop.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if no set has the key; [`ErrorKind::InvalidInput`] if it has
    /// fewer than `nsems` semaphores; [`ErrorKind::TimedOut`] if its creator did not
    /// initialise it within the init timeout.
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, sem::SemaphoreSet};
    /// # let key = Key::new(0x7d000000 | std::process::id() as i32 & 0xffffff);
    /// let set = SemaphoreSet::builder(key, 1).values(&[5]).create_new()?;
    /// let other = SemaphoreSet::builder(key, 0).open()?;
    /// assert_eq!((other.len(), other.get(0)?), (1, 5));
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/semget.2.html>
    pub fn open(self) -> Result<SemaphoreSet> {
        self.get(Creation::Open)
    }

    /// Creates and initialises the set if no set has the key, else opens it (waiting for
    /// its initialisation). Exactly one of several racing callers creates it, and none sees
    /// the values before they are set.
    ///
    /// # Errors
    /// As [`create_new`](Self::create_new) and [`open`](Self::open).
    ///
    /// # Examples
    /// ```
    /// use ipckit::Named;
    /// use ipckit::sysv::{key::Key, sem::SemaphoreSet};
    /// # let key = Key::new(0x7c000000 | std::process::id() as i32 & 0xffffff);
    /// let a = SemaphoreSet::builder(key, 1).values(&[1]).open_or_create()?;
    /// let b = SemaphoreSet::builder(key, 1).values(&[9]).open_or_create()?;
    /// assert!(a.is_owner() && !b.is_owner());
    /// assert_eq!(b.get(0)?, 1); // the creator's values
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/semget.2.html>
    pub fn open_or_create(self) -> Result<SemaphoreSet> {
        self.get(Creation::OpenOrCreate)
    }
}

impl SemaphoreSet {
    /// A builder for the set with `key` and `nsems` semaphores (mode `0o600`, values 0).
    pub fn builder(key: Key, nsems: usize) -> SemaphoreSetBuilder {
        SemaphoreSetBuilder {
            key,
            nsems,
            mode: 0o600,
            values: None,
            init_timeout: None,
        }
    }

    /// A handle to the existing set with this id (as `ipcs` shows it); never removes it on
    /// drop and does not wait for initialisation.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if no set has the id; [`ErrorKind::PermissionDenied`] without
    /// read permission.
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, sem::SemaphoreSet};
    /// let set = SemaphoreSet::builder(Key::PRIVATE, 2).create_new()?;
    /// assert_eq!(SemaphoreSet::from_id(set.id())?.len(), 2);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/semctl.2.html>
    pub fn from_id(id: i32) -> Result<SemaphoreSet> {
        let ds = sys::semctl_stat(id).map_err(|e| {
            gone_if_invalid(
                Error::from_errno(
                    e,
                    "semctl(IPC_STAT)",
                    format!("System V semaphore set {id}"),
                ),
                || false,
            )
        })?;
        Ok(SemaphoreSet {
            id,
            key: Key::new(ds.perm.key),
            nsems: ds.nsems as usize,
            remove_on_drop: false,
        })
    }

    /// `semctl(id, 0, IPC_RMID)` without a handle: removes the set with this id, needing
    /// only to be its owner or creator (as `ipcrm -s` does).
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if no set has the id; [`ErrorKind::PermissionDenied`] if the
    /// caller is neither owner nor creator.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{Named, sysv::{key::Key, sem::SemaphoreSet}};
    /// let mut set = SemaphoreSet::builder(Key::PRIVATE, 1).create_new()?;
    /// set.persist();
    /// SemaphoreSet::remove_id(set.id())?;
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/semctl.2.html>
    pub fn remove_id(id: i32) -> Result<()> {
        sys::semctl_rmid(id).map_err(|e| {
            let err = Error::from_errno(
                e,
                "semctl(IPC_RMID)",
                format!("System V semaphore set {id}"),
            );
            if e == Errno::EINVAL || e == Errno::EIDRM {
                err.with_kind(ErrorKind::NotFound)
            } else {
                err
            }
        })
    }

    fn initialise(&self, values: &[u16]) -> Result<()> {
        sys::semctl_setall(self.id, values).map_err(|e| self.err("semctl(SETALL)", e))?;
        // A no-op semop (+1 then -1, or -1 then +1 at the top of the range) only to set
        // sem_otime, which openers wait for.
        let first = if values[0] < SEMVMX { 1 } else { -1 };
        let mut ops = [
            sembuf(0, first, sys::IPC_NOWAIT as i16),
            sembuf(0, -first, sys::IPC_NOWAIT as i16),
        ];
        retry_eintr(|| sys::semop(self.id, &mut ops, None)).map_err(|e| self.err("semop", e))
    }

    fn wait_initialised(&self, timeout: Duration) -> Result<()> {
        if timeout.is_zero() {
            return Ok(());
        }
        let deadline = Deadline::after(timeout);
        let mut pause = Duration::from_micros(100);
        loop {
            if self.stat()?.otime.is_some() {
                return Ok(());
            }
            let left = deadline.remaining();
            if left.is_zero() {
                return Err(
                    Error::new(ErrorKind::TimedOut, "semget", self.object()).with_detail(format!(
                        "the set was not initialised within {} (sem_otime is still 0): \
                         its creator may have died, or made it without semop; \
                         open it with no_init_wait()",
                        crate::error::duration_text(timeout)
                    )),
                );
            }
            std::thread::sleep(pause.min(left));
            pause = (pause * 2).min(Duration::from_millis(10));
        }
    }

    /// The set's id (`semid`).
    pub fn id(&self) -> i32 {
        self.id
    }

    /// The key the set was opened with ([`Key::PRIVATE`] for private sets).
    pub fn key(&self) -> Key {
        self.key
    }

    /// The number of semaphores in the set.
    pub fn len(&self) -> usize {
        self.nsems
    }

    /// Whether the set has no semaphores (never, for a set the kernel made).
    pub fn is_empty(&self) -> bool {
        self.nsems == 0
    }

    fn object(&self) -> String {
        format!("System V semaphore set {} (key {})", self.id, self.key)
    }

    fn err(&self, op: &'static str, e: Errno) -> Error {
        let err = gone_if_invalid(Error::from_errno(e, op, self.object()), || {
            sys::semctl_stat(self.id).is_ok()
        });
        match e {
            Errno::ERANGE => err
                .with_kind(ErrorKind::InvalidInput)
                .with_detail(format!("a semaphore value would leave 0..={SEMVMX}")),
            Errno::E2BIG => err.with_detail("more operations than semopm allows in one call"),
            _ => err,
        }
    }

    fn check_num(&self, op: &'static str, num: u16) -> Result<()> {
        if usize::from(num) < self.nsems {
            Ok(())
        } else {
            Err(
                Error::new(ErrorKind::InvalidInput, op, self.object()).with_detail(format!(
                    "semaphore {num} is out of range: the set has {}",
                    self.nsems
                )),
            )
        }
    }

    /// Checks `ops` and runs `f` on them as `struct sembuf`s (on the stack for up to 8 ops,
    /// so a P or V costs no allocation).
    fn with_sembufs<T>(
        &self,
        op: &'static str,
        ops: &[SemOp],
        f: impl FnOnce(&mut [sys::SemBuf]) -> Result<T>,
    ) -> Result<T> {
        if ops.is_empty() {
            return Err(
                Error::new(ErrorKind::InvalidInput, op, self.object()).with_detail("no operations")
            );
        }
        for o in ops {
            self.check_num(op, o.num)?;
        }
        let conv = |o: &SemOp| sembuf(o.num, o.delta, o.flags);
        if ops.len() <= 8 {
            let mut arr = [sembuf(0, 0, 0); 8];
            for (b, o) in arr.iter_mut().zip(ops) {
                *b = conv(o);
            }
            f(&mut arr[..ops.len()])
        } else {
            f(&mut ops.iter().map(conv).collect::<Vec<_>>())
        }
    }

    /// `semop(2)`: applies every op atomically, waiting while any of them would block
    /// (unless it has [`SemOp::nowait`]). `EINTR` is retried.
    ///
    /// # Errors
    /// [`ErrorKind::WouldBlock`] if an op with `nowait` would wait (nothing applied);
    /// [`ErrorKind::InvalidInput`] for an empty list, a semaphore number out of range, or a
    /// value that would exceed [`SEMVMX`]; [`ErrorKind::TooLarge`] for more ops than
    /// `semopm`; [`ErrorKind::PeerGone`] if the set was removed while waiting;
    /// [`ErrorKind::PermissionDenied`] without alter permission.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{ErrorKind, sysv::{key::Key, sem::{SemaphoreSet, SemOp}}};
    /// let set = SemaphoreSet::builder(Key::PRIVATE, 2).values(&[1, 0]).create_new()?;
    /// // P(0) and P(1) together: semaphore 1 is 0, so nothing happens at all.
    /// let e = set.op(&[SemOp::wait(0), SemOp::wait(1).nowait()]).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::WouldBlock);
    /// assert_eq!(set.get(0)?, 1);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/semop.2.html>
    #[doc(alias = "semop")]
    pub fn op(&self, ops: &[SemOp]) -> Result<()> {
        self.with_sembufs("semop", ops, |bufs| {
            retry_eintr(|| sys::semop(self.id, bufs, None)).map_err(|e| self.err("semop", e))
        })
    }

    /// `semtimedop(2)`: as [`op`](Self::op), waiting at most `timeout` (the kernel's own
    /// timeout; `EINTR` retries with the time left).
    ///
    /// # Errors
    /// As [`op`](Self::op); [`ErrorKind::TimedOut`] when the time runs out (with a
    /// `nowait` op in the list, the kernel's `EAGAIN` cannot tell the two apart and is
    /// reported as [`ErrorKind::WouldBlock`]).
    ///
    /// # Examples
    /// ```
    /// use ipckit::{ErrorKind, sysv::{key::Key, sem::{SemaphoreSet, SemOp}}};
    /// use std::time::Duration;
    /// let set = SemaphoreSet::builder(Key::PRIVATE, 1).create_new()?;
    /// let e = set.op_timeout(&[SemOp::wait(0)], Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/semtimedop.2.html>
    #[doc(alias = "semtimedop")]
    pub fn op_timeout(&self, ops: &[SemOp], timeout: Duration) -> Result<()> {
        let nowait = ops.iter().any(SemOp::is_nowait);
        let deadline = Deadline::after(timeout);
        self.with_sembufs("semtimedop", ops, |bufs| {
            retry_eintr_until(deadline, |left| sys::semop(self.id, bufs, Some(left))).map_err(|e| {
                let err = self.err("semtimedop", e);
                if e == Errno::EAGAIN && !nowait {
                    err.with_kind(ErrorKind::TimedOut)
                } else {
                    err
                }
            })
        })
    }

    /// P with `SEM_UNDO` on semaphore `num`, returning a guard that does V (with
    /// `SEM_UNDO`) when dropped. If the process dies holding it, the kernel gives it back.
    ///
    /// # Errors
    /// As [`op`](Self::op).
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, sem::SemaphoreSet};
    /// let set = SemaphoreSet::builder(Key::PRIVATE, 1).values(&[1]).create_new()?;
    /// let guard = set.acquire(0)?;
    /// assert_eq!(set.get(0)?, 0);
    /// drop(guard);
    /// assert_eq!(set.get(0)?, 1);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/semop.2.html>
    pub fn acquire(&self, num: u16) -> Result<SemGuard<'_>> {
        self.op(&[SemOp::wait(num).undo()])?;
        Ok(SemGuard { set: self, num })
    }

    /// As [`acquire`](Self::acquire), but [`ErrorKind::WouldBlock`] at once if the value is 0.
    ///
    /// # Errors
    /// As [`op`](Self::op).
    ///
    /// # Examples
    /// ```
    /// use ipckit::{ErrorKind, sysv::{key::Key, sem::SemaphoreSet}};
    /// let set = SemaphoreSet::builder(Key::PRIVATE, 1).values(&[1]).create_new()?;
    /// let _g = set.try_acquire(0)?;
    /// assert_eq!(set.try_acquire(0).unwrap_err().kind(), ErrorKind::WouldBlock);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/semop.2.html>
    pub fn try_acquire(&self, num: u16) -> Result<SemGuard<'_>> {
        self.op(&[SemOp::wait(num).undo().nowait()])?;
        Ok(SemGuard { set: self, num })
    }

    /// As [`acquire`](Self::acquire), waiting at most `timeout` (`semtimedop`).
    ///
    /// # Errors
    /// As [`op_timeout`](Self::op_timeout).
    ///
    /// # Examples
    /// ```
    /// use ipckit::{ErrorKind, sysv::{key::Key, sem::SemaphoreSet}};
    /// use std::time::Duration;
    /// let set = SemaphoreSet::builder(Key::PRIVATE, 1).create_new()?;
    /// let e = set.acquire_timeout(0, Duration::from_millis(5)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/semtimedop.2.html>
    pub fn acquire_timeout(&self, num: u16, timeout: Duration) -> Result<SemGuard<'_>> {
        self.op_timeout(&[SemOp::wait(num).undo()], timeout)?;
        Ok(SemGuard { set: self, num })
    }

    fn ctl(
        &self,
        op: &'static str,
        num: u16,
        call: impl FnOnce(i32, u16) -> std::result::Result<i32, Errno>,
    ) -> Result<i32> {
        self.check_num(op, num)?;
        call(self.id, num).map_err(|e| self.err(op, e))
    }

    /// `semctl(GETVAL)`: semaphore `num`'s value.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] if `num` is out of range; [`ErrorKind::NotFound`] if the
    /// set was removed; [`ErrorKind::PermissionDenied`] without read permission.
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, sem::SemaphoreSet};
    /// let set = SemaphoreSet::builder(Key::PRIVATE, 1).values(&[4]).create_new()?;
    /// assert_eq!(set.get(0)?, 4);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/semctl.2.html>
    #[doc(alias = "GETVAL")]
    pub fn get(&self, num: u16) -> Result<u16> {
        self.ctl("semctl(GETVAL)", num, sys::semctl_getval)
            .map(|v| v as u16)
    }

    /// `semctl(SETVAL)`: sets semaphore `num` to `value` (0..=[`SEMVMX`]), waking waiters
    /// and clearing every process's undo adjustment for it.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] if `num` is out of range or `value` > [`SEMVMX`];
    /// [`ErrorKind::PermissionDenied`] without alter permission.
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, sem::SemaphoreSet};
    /// let set = SemaphoreSet::builder(Key::PRIVATE, 1).create_new()?;
    /// set.set(0, 7)?;
    /// assert_eq!(set.get(0)?, 7);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/semctl.2.html>
    #[doc(alias = "SETVAL")]
    pub fn set(&self, num: u16, value: u16) -> Result<()> {
        self.ctl("semctl(SETVAL)", num, |id, num| {
            sys::semctl_setval(id, num, value).map(|()| 0)
        })
        .map(drop)
    }

    /// `semctl(GETALL)`: every semaphore's value, in order.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if the set was removed; [`ErrorKind::PermissionDenied`]
    /// without read permission.
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, sem::SemaphoreSet};
    /// let set = SemaphoreSet::builder(Key::PRIVATE, 2).values(&[3, 4]).create_new()?;
    /// assert_eq!(set.values()?, [3, 4]);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/semctl.2.html>
    #[doc(alias = "GETALL")]
    pub fn values(&self) -> Result<Vec<u16>> {
        let mut v = vec![0u16; self.nsems];
        sys::semctl_getall(self.id, &mut v).map_err(|e| self.err("semctl(GETALL)", e))?;
        Ok(v)
    }

    /// `semctl(SETALL)`: sets every semaphore (`values.len()` must be the set's size).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] if the length differs or a value exceeds [`SEMVMX`];
    /// [`ErrorKind::PermissionDenied`] without alter permission.
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, sem::SemaphoreSet};
    /// let set = SemaphoreSet::builder(Key::PRIVATE, 2).create_new()?;
    /// set.set_values(&[1, 2])?;
    /// assert_eq!(set.values()?, [1, 2]);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/semctl.2.html>
    #[doc(alias = "SETALL")]
    pub fn set_values(&self, values: &[u16]) -> Result<()> {
        if values.len() != self.nsems {
            return Err(
                Error::new(ErrorKind::InvalidInput, "semctl(SETALL)", self.object()).with_detail(
                    format!("{} values for {} semaphores", values.len(), self.nsems),
                ),
            );
        }
        sys::semctl_setall(self.id, values).map_err(|e| self.err("semctl(SETALL)", e))
    }

    /// `semctl(GETPID)`: the pid of the last process that operated on semaphore `num`
    /// (0 if none).
    ///
    /// # Errors
    /// As [`get`](Self::get).
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, sem::SemaphoreSet};
    /// let set = SemaphoreSet::builder(Key::PRIVATE, 1).create_new()?;
    /// assert_eq!(set.pid(0)?, std::process::id() as i32); // the initialising semop
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/semctl.2.html>
    #[doc(alias = "GETPID")]
    pub fn pid(&self, num: u16) -> Result<i32> {
        self.ctl("semctl(GETPID)", num, sys::semctl_getpid)
    }

    /// `semctl(GETNCNT)`: how many processes wait for semaphore `num` to increase.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, sem::SemaphoreSet};
    /// let set = SemaphoreSet::builder(Key::PRIVATE, 1).create_new()?;
    /// assert_eq!(set.ncnt(0)?, 0);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/semctl.2.html>
    #[doc(alias = "GETNCNT")]
    pub fn ncnt(&self, num: u16) -> Result<u32> {
        self.ctl("semctl(GETNCNT)", num, sys::semctl_getncnt)
            .map(|v| v as u32)
    }

    /// `semctl(GETZCNT)`: how many processes wait for semaphore `num` to become 0.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, sem::SemaphoreSet};
    /// let set = SemaphoreSet::builder(Key::PRIVATE, 1).create_new()?;
    /// assert_eq!(set.zcnt(0)?, 0);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/semctl.2.html>
    #[doc(alias = "GETZCNT")]
    pub fn zcnt(&self, num: u16) -> Result<u32> {
        self.ctl("semctl(GETZCNT)", num, sys::semctl_getzcnt)
            .map(|v| v as u32)
    }

    /// `semctl(IPC_STAT)`: permissions, size and times.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if the set was removed; [`ErrorKind::PermissionDenied`]
    /// without read permission.
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, sem::SemaphoreSet};
    /// let set = SemaphoreSet::builder(Key::PRIVATE, 4).mode(0o640).create_new()?;
    /// let st = set.stat()?;
    /// assert_eq!((st.nsems, st.perm.mode), (4, 0o640));
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/semctl.2.html>
    #[doc(alias = "IPC_STAT")]
    pub fn stat(&self) -> Result<SetStat> {
        let ds = sys::semctl_stat(self.id).map_err(|e| self.err("semctl(IPC_STAT)", e))?;
        Ok(SetStat {
            perm: Perm::from_sys(&ds.perm),
            nsems: ds.nsems as usize,
            otime: time(ds.otime),
            ctime: time(ds.ctime),
        })
    }

    /// `semctl(IPC_SET)` of the permission bits (`0o777` mask).
    ///
    /// # Errors
    /// [`ErrorKind::PermissionDenied`] if the caller is not the owner or creator.
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, sem::SemaphoreSet};
    /// let set = SemaphoreSet::builder(Key::PRIVATE, 1).create_new()?;
    /// set.set_mode(0o660)?;
    /// assert_eq!(set.stat()?.perm.mode, 0o660);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/semctl.2.html>
    #[doc(alias = "IPC_SET")]
    pub fn set_mode(&self, mode: u32) -> Result<()> {
        let mut ds = sys::semctl_stat(self.id).map_err(|e| self.err("semctl(IPC_STAT)", e))?;
        ds.perm.mode = mode & 0o777;
        sys::semctl_set(self.id, &ds.perm).map_err(|e| self.err("semctl(IPC_SET)", e))
    }
}

impl Sealed for SemaphoreSet {}

/// The name is the key (`0x000004d2`); the owner is the handle that created the set.
impl Named for SemaphoreSet {
    fn name(&self) -> Cow<'_, str> {
        Cow::Owned(self.key.to_string())
    }

    fn is_owner(&self) -> bool {
        self.remove_on_drop
    }

    /// Keeps the set in the kernel after this handle drops.
    fn persist(&mut self) {
        self.remove_on_drop = false;
    }

    /// `semctl(IPC_RMID)`: removes the set now; waiting processes wake with
    /// [`ErrorKind::PeerGone`].
    ///
    /// # Errors
    /// [`ErrorKind::PermissionDenied`] if the caller is not the owner or creator;
    /// [`ErrorKind::NotFound`] if it was already removed.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{Named, sysv::{key::Key, sem::SemaphoreSet}};
    /// let set = SemaphoreSet::builder(Key::PRIVATE, 1).create_new()?;
    /// set.remove()?;
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/semctl.2.html>
    #[doc(alias = "IPC_RMID")]
    fn remove(mut self) -> Result<()> {
        self.remove_on_drop = false;
        sys::semctl_rmid(self.id).map_err(|e| self.err("semctl(IPC_RMID)", e))
    }
}

impl Drop for SemaphoreSet {
    fn drop(&mut self) {
        if self.remove_on_drop {
            let _ = sys::semctl_rmid(self.id);
        }
    }
}

/// One `struct sembuf`.
fn sembuf(num: u16, op: i16, flags: i16) -> sys::SemBuf {
    sys::SemBuf { num, op, flags }
}

/// A held semaphore: made by [`SemaphoreSet::acquire`] (P with `SEM_UNDO`), released (V
/// with `SEM_UNDO`) when dropped or by [`SemGuard::release`].
#[derive(Debug)]
#[must_use = "the semaphore is released as soon as the guard drops"]
pub struct SemGuard<'a> {
    set: &'a SemaphoreSet,
    num: u16,
}

impl SemGuard<'_> {
    /// Releases now, reporting an error (dropping ignores it).
    ///
    /// # Errors
    /// As [`SemaphoreSet::op`] (e.g. [`ErrorKind::NotFound`] if the set was removed).
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, sem::SemaphoreSet};
    /// let set = SemaphoreSet::builder(Key::PRIVATE, 1).values(&[1]).create_new()?;
    /// set.acquire(0)?.release()?;
    /// assert_eq!(set.get(0)?, 1);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/semop.2.html>
    pub fn release(self) -> Result<()> {
        let me = std::mem::ManuallyDrop::new(self);
        me.set.op(&[SemOp::post(me.num).undo()])
    }
}

impl Drop for SemGuard<'_> {
    fn drop(&mut self) {
        let _ = self.set.op(&[SemOp::post(self.num).undo()]);
    }
}
