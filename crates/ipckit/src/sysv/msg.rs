//! System V message queues (`msgget`, `msgsnd`, `msgrcv`, `msgctl`).
//!
//! A queue holds typed messages: each has an `mtype` (a positive `i64`) and up to `msgmax`
//! bytes of text (`/proc/sys/kernel/msgmax`, 8192 by default). A receiver picks messages
//! by type with a [`Selector`], so one queue can carry several independent streams, or
//! requests and replies (replies typed with the requester's pid).
//!
//! ```
//! use ipckit::sysv::{key::Key, msg::{MessageQueue, Selector}};
//! let q = MessageQueue::builder(Key::PRIVATE).create_new()?; // removed when `q` drops
//! q.send(2, b"second")?;
//! q.send(1, b"first")?;
//! let m = q.recv(Selector::LowestUpTo(5))?; // the lowest type first
//! assert_eq!((m.mtype, &m.data[..]), (1, &b"first"[..]));
//! assert_eq!(q.recv(Selector::Any)?.data, b"second");
//! # Ok::<(), ipckit::Error>(())
//! ```
//!
//! # Timeouts
//! The kernel has no timed `msgsnd`/`msgrcv`. [`MessageQueue::send_timeout`] and
//! [`MessageQueue::recv_timeout`] poll: they try with `IPC_NOWAIT`, and while the call would
//! block they sleep and retry, the sleep starting at 50 µs and doubling up to 5 ms, until
//! the deadline. The cost: a message that arrives while the caller sleeps is seen up to
//! 5 ms late (about 2.5 ms on average once the backoff has grown), and a long wait costs
//! about 200 syscalls and wake-ups a second. Nothing process-wide (signal handlers, timer
//! threads) is involved. Use the blocking calls where latency matters.
//!
//! # References
//! <https://man7.org/linux/man-pages/man7/sysvipc.7.html>,
//! <https://man7.org/linux/man-pages/man2/msgop.2.html>

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime};

use super::key::Key;
use super::{get_object, gone_if_invalid, time, Creation, Perm};
use crate::named::{Named, Sealed};
use crate::sys::{retry_eintr, sysv as sys, Deadline};
use crate::{Errno, Error, ErrorKind, Result};

/// `msgmax` when `/proc/sys/kernel/msgmax` cannot be read (the Linux default).
const DEFAULT_MSGMAX: usize = 8192;

/// The current `msgmax` ([`crate::limits::msgmax`]), the Linux default if unreadable.
fn msgmax() -> usize {
    crate::limits::msgmax().map_or(DEFAULT_MSGMAX, |v| usize::try_from(v).unwrap_or(usize::MAX))
}
/// The largest receive buffer `recv` grows to when a message does not fit.
const MAX_AUTO_BUFFER: usize = 256 << 20;

/// Which message `msgrcv` takes (its `msgtyp` argument and `MSG_EXCEPT`).
///
/// # References
/// <https://man7.org/linux/man-pages/man2/msgop.2.html>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Selector {
    /// The first message in the queue, whatever its type (`msgtyp` 0).
    Any,
    /// The first message of exactly this type (`msgtyp` > 0).
    Exactly(i64),
    /// The first message of the lowest type that is ≤ this one (`msgtyp` < 0: Linux passes
    /// `-T`). Repeated, it drains the queue in type order, like a priority queue.
    LowestUpTo(i64),
    /// The first message whose type is *not* this one (`MSG_EXCEPT`, Linux only).
    #[doc(alias = "MSG_EXCEPT")]
    Except(i64),
}

impl Selector {
    /// The selector `msgrcv` applies to a raw `msgtyp` without `MSG_EXCEPT`: 0 is
    /// [`Selector::Any`], `T > 0` [`Selector::Exactly`], `-T` [`Selector::LowestUpTo`]`(T)`.
    pub fn from_msgtyp(msgtyp: i64) -> Selector {
        match msgtyp {
            0 => Selector::Any,
            t if t > 0 => Selector::Exactly(t),
            t => Selector::LowestUpTo(t.saturating_neg()),
        }
    }

    /// `(msgtyp, extra flags)` for `msgrcv`, or why the selector is invalid.
    fn raw(self) -> std::result::Result<(i64, i32), &'static str> {
        let check = |t: i64| {
            Some(t)
                .filter(|&t| t >= 1 && sys::mtype_fits(t))
                .ok_or("a message type in a selector must be at least 1")
        };
        Ok(match self {
            Selector::Any => (0, 0),
            Selector::Exactly(t) => (check(t)?, 0),
            Selector::LowestUpTo(t) => (-check(t)?, 0),
            Selector::Except(t) => (check(t)?, sys::MSG_EXCEPT),
        })
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Any => f.write_str("any type"),
            Selector::Exactly(t) => write!(f, "type {t}"),
            Selector::LowestUpTo(t) => write!(f, "lowest type <= {t}"),
            Selector::Except(t) => write!(f, "any type except {t}"),
        }
    }
}

/// Flags of [`MessageQueue::recv_with`] (`msgrcv`'s `msgflg`). Combine with `|`.
///
/// The other two flags `msgrcv` takes have their own types: `MSG_EXCEPT` is
/// [`Selector::Except`] (it changes what `msgtyp` means) and `IPC_NOWAIT` is
/// [`Wait::NoWait`] (beside [`Wait::Block`] and [`Wait::Timeout`]).
///
/// # References
/// <https://man7.org/linux/man-pages/man2/msgop.2.html>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RecvFlags(u8);

impl RecvFlags {
    /// No flag: a message longer than the buffer is an error and stays queued.
    pub const EMPTY: RecvFlags = RecvFlags(0);
    /// `MSG_NOERROR`: a message longer than the buffer is truncated to it (the rest is
    /// lost) instead of failing with `E2BIG`.
    #[doc(alias = "MSG_NOERROR")]
    pub const NOERROR: RecvFlags = RecvFlags(1);

    /// Whether every flag of `other` is set in `self`.
    pub fn contains(self, other: RecvFlags) -> bool {
        self.0 & other.0 == other.0
    }

    fn raw(self) -> i32 {
        if self.contains(RecvFlags::NOERROR) {
            sys::MSG_NOERROR
        } else {
            0
        }
    }
}

impl std::ops::BitOr for RecvFlags {
    type Output = RecvFlags;
    fn bitor(self, rhs: RecvFlags) -> RecvFlags {
        RecvFlags(self.0 | rhs.0)
    }
}

/// Whether a queue operation waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Block until the operation can complete.
    Block,
    /// Do not wait (`IPC_NOWAIT`): [`ErrorKind::WouldBlock`] instead.
    NoWait,
    /// Wait at most this long ([`ErrorKind::TimedOut`] then); see the module docs for how.
    Timeout(Duration),
}

/// A received message: its type and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The message's type (`mtype`, ≥ 1).
    pub mtype: i64,
    /// The message text.
    pub data: Vec<u8>,
}

/// A message queue's state (`struct msqid_ds` from `msgctl(IPC_STAT)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueStat {
    /// Owner, creator and permission bits.
    pub perm: Perm,
    /// Messages in the queue (`msg_qnum`).
    pub qnum: u64,
    /// Bytes of message text in the queue (`msg_cbytes`).
    pub cbytes: u64,
    /// The most bytes of text the queue holds (`msg_qbytes`; `msgmnb` by default).
    pub qbytes: u64,
    /// Pid of the last `msgsnd` (0: none yet).
    pub lspid: i32,
    /// Pid of the last `msgrcv` (0: none yet).
    pub lrpid: i32,
    /// Time of the last `msgsnd`, `None` if never.
    pub stime: Option<SystemTime>,
    /// Time of the last `msgrcv`, `None` if never.
    pub rtime: Option<SystemTime>,
    /// Time of creation or the last `IPC_SET`.
    pub ctime: Option<SystemTime>,
}

/// A System V message queue: a handle holding the queue's id.
///
/// Made by [`MessageQueue::builder`] (by key) or [`MessageQueue::from_id`]. If this handle
/// created the queue it removes it (`IPC_RMID`) when dropped, unless
/// [`persist`](Named::persist) was called ([`Named`] gives `name`, `is_owner`, `persist`
/// and `remove`). All methods take `&self`; share the handle
/// between threads freely.
///
/// # References
/// <https://man7.org/linux/man-pages/man2/msgget.2.html>
#[derive(Debug)]
pub struct MessageQueue {
    id: i32,
    key: Key,
    remove_on_drop: bool,
    msgmax: usize,
}

/// Opens or creates a [`MessageQueue`] by key (`msgget`).
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until create_new(), open() or open_or_create()"]
pub struct MessageQueueBuilder {
    key: Key,
    mode: u32,
}

impl MessageQueueBuilder {
    /// The permission bits a new queue gets (default `0o600`; only `0o777` bits count:
    /// read lets a process `msgrcv` and stat, write lets it `msgsnd`).
    pub fn mode(mut self, mode: u32) -> Self {
        self.mode = mode;
        self
    }

    fn get(self, how: Creation) -> Result<MessageQueue> {
        let key = self.key;
        let (id, created) = get_object(
            "msgget",
            &|| format!("System V message queue key {key}"),
            key,
            how,
            self.mode,
            |flags| sys::msgget(key.raw(), flags),
        )?;
        Ok(MessageQueue {
            id,
            key,
            remove_on_drop: created,
            msgmax: msgmax(),
        })
    }

    /// `msgget(key, IPC_CREAT | IPC_EXCL | mode)`: creates a new queue; this handle removes
    /// it on drop unless persisted. With [`Key::PRIVATE`], always a new queue.
    ///
    /// # Errors
    /// [`ErrorKind::AlreadyExists`] if a queue has the key; [`ErrorKind::LimitReached`] at
    /// `msgmni` queues (`ENOSPC`).
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, msg::MessageQueue};
    /// let q = MessageQueue::builder(Key::PRIVATE).mode(0o640).create_new()?;
    /// assert_eq!(q.stat()?.perm.mode, 0o640);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/msgget.2.html>
    #[doc(alias = "msgget")]
    pub fn create_new(self) -> Result<MessageQueue> {
        self.get(Creation::CreateNew)
    }

    /// `msgget(key, 0)`: opens an existing queue; this handle never removes it on drop.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if no queue has the key; [`ErrorKind::InvalidInput`] for
    /// [`Key::PRIVATE`] (open a private queue with [`MessageQueue::from_id`]).
    ///
    /// # Examples
    /// ```
    /// use ipckit::{ErrorKind, sysv::{key::Key, msg::MessageQueue}};
    /// let e = MessageQueue::builder(Key::new(0x7eadbeef)).open().unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::NotFound);
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/msgget.2.html>
    pub fn open(self) -> Result<MessageQueue> {
        self.get(Creation::Open)
    }

    /// Creates the queue if no queue has the key, else opens it. Exactly one of several
    /// racing callers creates it, and only that handle removes it on drop.
    ///
    /// # Errors
    /// As [`create_new`](Self::create_new) and [`open`](Self::open).
    ///
    /// # Examples
    /// ```
    /// use ipckit::{Named, sysv::{key::Key, msg::MessageQueue}};
    /// # let key = Key::new(0x7e000000 | std::process::id() as i32 & 0xffffff);
    /// let a = MessageQueue::builder(key).open_or_create()?; // creates
    /// let b = MessageQueue::builder(key).open_or_create()?; // opens the same queue
    /// assert!(a.is_owner() && !b.is_owner());
    /// assert_eq!(a.id(), b.id());
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/msgget.2.html>
    pub fn open_or_create(self) -> Result<MessageQueue> {
        self.get(Creation::OpenOrCreate)
    }
}

impl MessageQueue {
    /// A builder for the queue with `key` (mode `0o600` unless set).
    pub fn builder(key: Key) -> MessageQueueBuilder {
        MessageQueueBuilder { key, mode: 0o600 }
    }

    /// A handle to the existing queue with this id (as `ipcs` shows it); never removes it on
    /// drop.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if no queue has the id; [`ErrorKind::PermissionDenied`] if the
    /// caller may not read it (`msgctl(IPC_STAT)` checks read permission).
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, msg::MessageQueue};
    /// let q = MessageQueue::builder(Key::PRIVATE).create_new()?;
    /// let same = MessageQueue::from_id(q.id())?;
    /// same.send(1, b"hi")?;
    /// assert_eq!(q.stat()?.qnum, 1);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/msgctl.2.html>
    pub fn from_id(id: i32) -> Result<MessageQueue> {
        let ds = sys::msgctl_stat(id)
            .map_err(|e| Error::from_errno(e, "msgctl(IPC_STAT)", id_object(id)))
            .map_err(|e| gone_if_invalid(e, || false))?;
        Ok(MessageQueue {
            id,
            key: Key::new(ds.perm.key),
            remove_on_drop: false,
            msgmax: msgmax(),
        })
    }

    /// `msgctl(id, IPC_RMID)` without a handle: removes the queue with this id. Unlike
    /// [`from_id`](Self::from_id) followed by [`remove`](Named::remove) it needs no read
    /// permission, only to be the owner or creator (as `ipcrm -q` does).
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if no queue has the id; [`ErrorKind::PermissionDenied`] if
    /// the caller is neither owner nor creator.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{Named, sysv::{key::Key, msg::MessageQueue}};
    /// let mut q = MessageQueue::builder(Key::PRIVATE).create_new()?;
    /// q.persist();
    /// MessageQueue::remove_id(q.id())?;
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/msgctl.2.html>
    pub fn remove_id(id: i32) -> Result<()> {
        sys::msgctl_rmid(id).map_err(|e| {
            let err = Error::from_errno(e, "msgctl(IPC_RMID)", id_object(id));
            if e == Errno::EINVAL || e == Errno::EIDRM {
                err.with_kind(ErrorKind::NotFound)
            } else {
                err
            }
        })
    }

    /// The queue's id (`msqid`).
    pub fn id(&self) -> i32 {
        self.id
    }

    /// The key the queue was opened with ([`Key::PRIVATE`] for private queues).
    pub fn key(&self) -> Key {
        self.key
    }

    fn object(&self) -> String {
        format!("System V message queue {} (key {})", self.id, self.key)
    }

    fn err(&self, op: &'static str, e: Errno) -> Error {
        gone_if_invalid(Error::from_errno(e, op, self.object()), || {
            sys::msgctl_stat(self.id).is_ok()
        })
    }

    /// `msgsnd(2)`: sends `data` with type `mtype`, waiting as `wait` says while the queue is
    /// full (`qbytes` bytes or messages).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] if `mtype < 1`; [`ErrorKind::TooLarge`] if `data` is longer
    /// than `msgmax` or than the queue's `qbytes` (it could never be queued), with the limit
    /// in the message; [`ErrorKind::WouldBlock`] ([`Wait::NoWait`]) or
    /// [`ErrorKind::TimedOut`] ([`Wait::Timeout`]) if the queue stayed full;
    /// [`ErrorKind::PeerGone`] if the queue was removed while waiting (`EIDRM`),
    /// [`ErrorKind::NotFound`] if it was removed before; [`ErrorKind::PermissionDenied`]
    /// without write permission.
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, msg::{MessageQueue, Wait}};
    /// use std::time::Duration;
    /// let q = MessageQueue::builder(Key::PRIVATE).create_new()?;
    /// q.send_with(7, b"hello", Wait::Timeout(Duration::from_secs(1)))?;
    /// assert_eq!(q.stat()?.cbytes, 5);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/msgop.2.html>
    #[doc(alias = "msgsnd")]
    pub fn send_with(&self, mtype: i64, data: &[u8], wait: Wait) -> Result<()> {
        let Some(mtype) = Some(mtype).filter(|&t| t >= 1 && sys::mtype_fits(t)) else {
            return Err(Error::new(ErrorKind::InvalidInput, "msgsnd", self.object())
                .with_detail(format!("message type {mtype} is not >= 1")));
        };
        if data.len() > self.msgmax {
            // Above msgmax when opened: refuse before copying it, unless msgmax was raised.
            self.check_size(data.len())?;
        }
        let nowait = || sys::msgsnd(self.id, mtype, data, sys::IPC_NOWAIT);
        let r = match retry_eintr(nowait) {
            // The queue is full: if the message is longer than the queue's capacity it could
            // never be queued (the kernel would wait forever), so say so instead of waiting.
            Err(Errno::EAGAIN) => match self.check_size(data.len()) {
                Err(too_large) => return Err(too_large),
                Ok(()) => match wait {
                    Wait::Block => retry_eintr(|| sys::msgsnd(self.id, mtype, data, 0)),
                    Wait::NoWait => Err(Errno::EAGAIN),
                    Wait::Timeout(t) => poll_until(Deadline::after(t), nowait),
                },
            },
            other => other,
        };
        r.map_err(|e| {
            if e == Errno::EINVAL {
                if let Err(too_large) = self.check_size(data.len()) {
                    return too_large;
                }
            }
            self.err("msgsnd", e)
        })
    }

    /// `TooLarge` if `len` exceeds the current `msgmax` or the queue's `qbytes`.
    fn check_size(&self, len: usize) -> Result<()> {
        let msgmax = msgmax();
        if len > msgmax {
            return Err(
                Error::new(ErrorKind::TooLarge, "msgsnd", self.object()).with_detail(format!(
                    "message of {len} bytes exceeds msgmax, {msgmax} bytes \
                     (/proc/sys/kernel/msgmax)"
                )),
            );
        }
        if let Ok(ds) = sys::msgctl_stat(self.id) {
            if len as u64 > ds.qbytes {
                return Err(
                    Error::new(ErrorKind::TooLarge, "msgsnd", self.object()).with_detail(format!(
                        "message of {len} bytes exceeds the queue's capacity (qbytes), {} bytes",
                        ds.qbytes
                    )),
                );
            }
        }
        Ok(())
    }

    /// `msgsnd(2)`, blocking while the queue is full. See [`send_with`](Self::send_with).
    ///
    /// # Errors
    /// As [`send_with`](Self::send_with).
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, msg::{MessageQueue, Selector}};
    /// let q = MessageQueue::builder(Key::PRIVATE).create_new()?;
    /// q.send(3, b"abc")?;
    /// assert_eq!(q.recv(Selector::Exactly(3))?.data, b"abc");
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/msgop.2.html>
    pub fn send(&self, mtype: i64, data: &[u8]) -> Result<()> {
        self.send_with(mtype, data, Wait::Block)
    }

    /// `msgsnd(2)` with `IPC_NOWAIT`: [`ErrorKind::WouldBlock`] if the queue is full.
    ///
    /// # Errors
    /// As [`send_with`](Self::send_with).
    ///
    /// # Examples
    /// ```
    /// use ipckit::{ErrorKind, sysv::{key::Key, msg::MessageQueue}};
    /// let q = MessageQueue::builder(Key::PRIVATE).create_new()?;
    /// q.set_qbytes(4)?;
    /// q.try_send(1, b"1234")?;
    /// assert_eq!(q.try_send(1, b"5").unwrap_err().kind(), ErrorKind::WouldBlock);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/msgop.2.html>
    pub fn try_send(&self, mtype: i64, data: &[u8]) -> Result<()> {
        self.send_with(mtype, data, Wait::NoWait)
    }

    /// `msgsnd(2)` waiting at most `timeout` (by polling: see the module docs).
    ///
    /// # Errors
    /// As [`send_with`](Self::send_with); [`ErrorKind::TimedOut`] if the queue stayed full.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{ErrorKind, sysv::{key::Key, msg::MessageQueue}};
    /// use std::time::Duration;
    /// let q = MessageQueue::builder(Key::PRIVATE).create_new()?;
    /// q.set_qbytes(1)?;
    /// q.send(1, b"x")?;
    /// let e = q.send_timeout(1, b"y", Duration::from_millis(20)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/msgop.2.html>
    pub fn send_timeout(&self, mtype: i64, data: &[u8], timeout: Duration) -> Result<()> {
        self.send_with(mtype, data, Wait::Timeout(timeout))
    }

    /// `msgrcv(2)` of the message `sel` picks into `buf`, which is resized to the message's
    /// length; returns the message's type.
    ///
    /// At most `max_len` bytes are received. A longer message is an error
    /// ([`ErrorKind::TooLarge`], `E2BIG`) and stays in the queue, unless `flags` has
    /// [`RecvFlags::NOERROR`]: then its first `max_len` bytes are returned and the rest is
    /// lost. `buf`'s allocation is reused from call to call.
    ///
    /// # Errors
    /// [`ErrorKind::TooLarge`] as above; [`ErrorKind::WouldBlock`] ([`Wait::NoWait`]) or
    /// [`ErrorKind::TimedOut`] ([`Wait::Timeout`]) if no message matched;
    /// [`ErrorKind::InvalidInput`] for a selector type < 1; [`ErrorKind::PeerGone`] if the
    /// queue was removed while waiting, [`ErrorKind::NotFound`] if before;
    /// [`ErrorKind::PermissionDenied`] without read permission.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{ErrorKind, sysv::{key::Key, msg::{MessageQueue, RecvFlags, Selector, Wait}}};
    /// let q = MessageQueue::builder(Key::PRIVATE).create_new()?;
    /// q.send(1, b"too long")?;
    /// let mut buf = Vec::new();
    /// let e = q
    ///     .recv_with(Selector::Any, &mut buf, 3, RecvFlags::EMPTY, Wait::NoWait)
    ///     .unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TooLarge); // still queued
    /// assert_eq!(q.recv_with(Selector::Any, &mut buf, 3, RecvFlags::NOERROR, Wait::NoWait)?, 1);
    /// assert_eq!(buf, b"too");
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/msgop.2.html>
    #[doc(alias = "msgrcv")]
    #[doc(alias = "MSG_NOERROR")]
    pub fn recv_with(
        &self,
        sel: Selector,
        buf: &mut Vec<u8>,
        max_len: usize,
        flags: RecvFlags,
        wait: Wait,
    ) -> Result<i64> {
        let (msgtyp, sel_flags) = sel.raw().map_err(|why| {
            Error::new(ErrorKind::InvalidInput, "msgrcv", self.object()).with_detail(why)
        })?;
        let flags = sel_flags | flags.raw();
        // No message is longer than msgmax or the queue's capacity: do not allocate more.
        let max_len = if max_len > 1 << 20 {
            let qbytes = sys::msgctl_stat(self.id).map_or(0, |d| d.qbytes as usize);
            max_len.min(self.msgmax.max(qbytes).max(1 << 20))
        } else {
            max_len
        };
        buf.clear();
        if buf.try_reserve_exact(max_len).is_err() {
            return Err(Error::new(ErrorKind::LimitReached, "msgrcv", self.object())
                .with_detail(format!("cannot allocate a buffer of {max_len} bytes")));
        }
        buf.resize(max_len, 0);
        let r = match wait {
            Wait::Block => retry_eintr(|| sys::msgrcv(self.id, buf, msgtyp, flags)),
            Wait::NoWait => {
                retry_eintr(|| sys::msgrcv(self.id, buf, msgtyp, flags | sys::IPC_NOWAIT))
            }
            Wait::Timeout(t) => poll_until(Deadline::after(t), || {
                sys::msgrcv(self.id, buf, msgtyp, flags | sys::IPC_NOWAIT)
            }),
        };
        match r {
            Ok((mtype, n)) => {
                buf.truncate(n);
                Ok(mtype)
            }
            Err(e) => {
                buf.clear();
                let err = self.err("msgrcv", e);
                Err(if e == Errno::E2BIG {
                    err.with_detail(format!(
                        "the next message selected ({sel}) is longer than {max_len} bytes; \
                         it stays in the queue"
                    ))
                } else {
                    err
                })
            }
        }
    }

    /// `msgrcv(2)` of the whole message `sel` picks into `buf` (its allocation reused),
    /// waiting as `wait` says; returns the message's type.
    ///
    /// `buf` is sized to `msgmax` bytes for the call and grown if a message is longer
    /// (`msgmax` lowered since it was sent), so a message is never truncated; afterwards it
    /// holds exactly the message. The allocating [`recv`](Self::recv),
    /// [`try_recv`](Self::try_recv) and [`recv_timeout`](Self::recv_timeout) are this with a
    /// fresh buffer.
    ///
    /// # Errors
    /// As [`recv_with`](Self::recv_with), except that a long message is not `TooLarge`.
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, msg::{MessageQueue, Selector, Wait}};
    /// let q = MessageQueue::builder(Key::PRIVATE).create_new()?;
    /// let mut buf = Vec::new();
    /// for text in [&b"one"[..], b"two"] {
    ///     q.send(1, text)?;
    ///     assert_eq!(q.recv_into(Selector::Any, &mut buf, Wait::Block)?, 1);
    ///     assert_eq!(buf, text); // the same allocation each time
    /// }
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/msgop.2.html>
    pub fn recv_into(&self, sel: Selector, buf: &mut Vec<u8>, wait: Wait) -> Result<i64> {
        let mut max = self.msgmax.max(1);
        let deadline = match wait {
            Wait::Timeout(t) => Some(Deadline::after(t)),
            _ => None,
        };
        loop {
            let w = deadline.map_or(wait, |d| Wait::Timeout(d.remaining()));
            match self.recv_with(sel, buf, max, RecvFlags::EMPTY, w) {
                Ok(mtype) => return Ok(mtype),
                Err(e) if e.errno() == Some(Errno::E2BIG) && max < MAX_AUTO_BUFFER => {
                    let qbytes = sys::msgctl_stat(self.id).map_or(0, |d| d.qbytes as usize);
                    max = (max * 2).max(qbytes).min(MAX_AUTO_BUFFER);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// [`recv_into`](Self::recv_into) with a new buffer.
    fn recv_any(&self, sel: Selector, wait: Wait) -> Result<Message> {
        let mut data = Vec::new();
        let mtype = self.recv_into(sel, &mut data, wait)?;
        Ok(Message { mtype, data })
    }

    /// `msgrcv(2)`: blocks until a message `sel` picks arrives, and returns it whole in a
    /// new buffer ([`recv_into`](Self::recv_into) reuses one).
    ///
    /// # Errors
    /// As [`recv_with`](Self::recv_with) (a message is never truncated: the buffer grows).
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, msg::{MessageQueue, Selector}};
    /// let q = MessageQueue::builder(Key::PRIVATE).create_new()?;
    /// q.send(1, b"one")?;
    /// q.send(2, b"two")?;
    /// assert_eq!(q.recv(Selector::Except(1))?.data, b"two");
    /// assert_eq!(q.recv(Selector::Any)?.mtype, 1);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/msgop.2.html>
    pub fn recv(&self, sel: Selector) -> Result<Message> {
        self.recv_any(sel, Wait::Block)
    }

    /// `msgrcv(2)` with `IPC_NOWAIT`: [`ErrorKind::WouldBlock`] if no message matches.
    ///
    /// # Errors
    /// As [`recv_with`](Self::recv_with).
    ///
    /// # Examples
    /// ```
    /// use ipckit::{ErrorKind, sysv::{key::Key, msg::{MessageQueue, Selector}}};
    /// let q = MessageQueue::builder(Key::PRIVATE).create_new()?;
    /// q.send(5, b"x")?;
    /// let e = q.try_recv(Selector::Exactly(4)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::WouldBlock);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/msgop.2.html>
    pub fn try_recv(&self, sel: Selector) -> Result<Message> {
        self.recv_any(sel, Wait::NoWait)
    }

    /// `msgrcv(2)` waiting at most `timeout` (by polling: see the module docs).
    ///
    /// # Errors
    /// As [`recv_with`](Self::recv_with); [`ErrorKind::TimedOut`] if nothing matched in time.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{ErrorKind, sysv::{key::Key, msg::{MessageQueue, Selector}}};
    /// use std::time::Duration;
    /// let q = MessageQueue::builder(Key::PRIVATE).create_new()?;
    /// let e = q.recv_timeout(Selector::Any, Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/msgop.2.html>
    pub fn recv_timeout(&self, sel: Selector, timeout: Duration) -> Result<Message> {
        self.recv_any(sel, Wait::Timeout(timeout))
    }

    /// `msgctl(IPC_STAT)`: the queue's counters, pids, times and permissions.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if the queue was removed; [`ErrorKind::PermissionDenied`]
    /// without read permission.
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, msg::MessageQueue};
    /// let q = MessageQueue::builder(Key::PRIVATE).create_new()?;
    /// q.send(1, b"abcd")?;
    /// let st = q.stat()?;
    /// assert_eq!((st.qnum, st.cbytes, st.lspid), (1, 4, std::process::id() as i32));
    /// assert!(st.stime.is_some() && st.rtime.is_none());
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/msgctl.2.html>
    #[doc(alias = "msgctl")]
    #[doc(alias = "IPC_STAT")]
    pub fn stat(&self) -> Result<QueueStat> {
        let ds = sys::msgctl_stat(self.id).map_err(|e| self.err("msgctl(IPC_STAT)", e))?;
        Ok(QueueStat {
            perm: Perm::from_sys(&ds.perm),
            qnum: ds.qnum,
            cbytes: ds.cbytes,
            qbytes: ds.qbytes,
            lspid: ds.lspid,
            lrpid: ds.lrpid,
            stime: time(ds.stime),
            rtime: time(ds.rtime),
            ctime: time(ds.ctime),
        })
    }

    fn set(&self, f: impl FnOnce(&mut sys::MsqidDs)) -> Result<()> {
        let mut ds = sys::msgctl_stat(self.id).map_err(|e| self.err("msgctl(IPC_STAT)", e))?;
        f(&mut ds);
        sys::msgctl_set(self.id, &ds).map_err(|e| self.err("msgctl(IPC_SET)", e))
    }

    /// `msgctl(IPC_SET)` of `msg_qbytes`: the most bytes of text the queue holds. Raising it
    /// above `msgmnb` needs `CAP_SYS_RESOURCE`.
    ///
    /// # Errors
    /// [`ErrorKind::PermissionDenied`] if the caller is not the owner/creator or raises it
    /// above `msgmnb` unprivileged; [`ErrorKind::NotFound`] if the queue was removed.
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, msg::MessageQueue};
    /// let q = MessageQueue::builder(Key::PRIVATE).create_new()?;
    /// q.set_qbytes(100)?;
    /// assert_eq!(q.stat()?.qbytes, 100);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/msgctl.2.html>
    #[doc(alias = "IPC_SET")]
    pub fn set_qbytes(&self, qbytes: u64) -> Result<()> {
        self.set(|ds| ds.qbytes = qbytes)
    }

    /// `msgctl(IPC_SET)` of the permission bits (`0o777` mask).
    ///
    /// # Errors
    /// [`ErrorKind::PermissionDenied`] if the caller is not the owner or creator;
    /// [`ErrorKind::NotFound`] if the queue was removed.
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::{key::Key, msg::MessageQueue};
    /// let q = MessageQueue::builder(Key::PRIVATE).create_new()?;
    /// q.set_mode(0o644)?;
    /// assert_eq!(q.stat()?.perm.mode, 0o644);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/msgctl.2.html>
    pub fn set_mode(&self, mode: u32) -> Result<()> {
        self.set(|ds| ds.perm.mode = mode & 0o777)
    }
}

impl Sealed for MessageQueue {}

/// The name is the key (`0x000004d2`); the owner is the handle that created the queue.
impl Named for MessageQueue {
    fn name(&self) -> Cow<'_, str> {
        Cow::Owned(self.key.to_string())
    }

    fn is_owner(&self) -> bool {
        self.remove_on_drop
    }

    /// Keeps the queue in the kernel after this handle drops (it stays until `remove`,
    /// `ipcrm` or reboot).
    fn persist(&mut self) {
        self.remove_on_drop = false;
    }

    /// `msgctl(IPC_RMID)`: removes the queue now. Waiting senders and receivers wake with
    /// [`ErrorKind::PeerGone`] (`EIDRM`); later calls on the id get `NotFound`.
    ///
    /// # Errors
    /// [`ErrorKind::PermissionDenied`] if the caller is not the owner or creator;
    /// [`ErrorKind::NotFound`] if it was already removed.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{ErrorKind, Named, sysv::{key::Key, msg::MessageQueue}};
    /// let q = MessageQueue::builder(Key::PRIVATE).create_new()?;
    /// let id = q.id();
    /// q.remove()?;
    /// assert_eq!(MessageQueue::from_id(id).unwrap_err().kind(), ErrorKind::NotFound);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/msgctl.2.html>
    #[doc(alias = "IPC_RMID")]
    fn remove(mut self) -> Result<()> {
        self.remove_on_drop = false;
        sys::msgctl_rmid(self.id).map_err(|e| self.err("msgctl(IPC_RMID)", e))
    }
}

impl Drop for MessageQueue {
    fn drop(&mut self) {
        if self.remove_on_drop {
            let _ = sys::msgctl_rmid(self.id);
        }
    }
}

fn id_object(id: i32) -> String {
    format!("System V message queue {id}")
}

/// Retries `f` (a call made with `IPC_NOWAIT`) while it would block, sleeping 50 µs doubling
/// to 5 ms between tries, until `deadline`; then `ETIMEDOUT`. `EINTR` is retried.
fn poll_until<T>(
    deadline: Deadline,
    mut f: impl FnMut() -> std::result::Result<T, Errno>,
) -> std::result::Result<T, Errno> {
    let mut pause = Duration::from_micros(50);
    loop {
        match f() {
            Err(Errno::EAGAIN | Errno::ENOMSG) => {
                let left = deadline.remaining();
                if left.is_zero() {
                    return Err(Errno::ETIMEDOUT);
                }
                std::thread::sleep(pause.min(left));
                pause = (pause * 2).min(Duration::from_millis(5));
            }
            Err(Errno::EINTR) => continue,
            other => return other,
        }
    }
}
