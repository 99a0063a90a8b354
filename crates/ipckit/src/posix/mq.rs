//! POSIX message queues (`mq_open`, `mq_send`, `mq_receive`, `mq_notify`).
//!
//! A [`MessageQueue`] holds up to `maxmsg` messages of at most `msgsize` bytes each, fixed when
//! the queue is created. Messages come out highest priority first (priorities `0` to
//! [`prio_max()`]` - 1`), oldest first within a priority. On Linux the descriptor is a file
//! descriptor ([`AsFd`]) that `poll`/`epoll` report readable when a message is waiting and
//! writable when there is room.
//!
//! ```
//! use ipckit::posix::mq::MessageQueue;
//! # let name = format!("/ipckit-doc-mq-{}", std::process::id());
//! let q = MessageQueue::builder(&name).maxmsg(4).msgsize(64).create_new()?;
//! q.send(b"low", 1)?;
//! q.send(b"high", 9)?;
//! let mut buf = Vec::new();
//! assert_eq!(q.recv(&mut buf)?, (4, 9));
//! assert_eq!(buf, b"high");
//! # Ok::<(), ipckit::Error>(())
//! ```
//! (`q` unlinks the queue when dropped, because it created it.)
//!
//! # References
//! <https://man7.org/linux/man-pages/man7/mq_overview.7.html>

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use super::{open_with, validate_name, Creation, NAME_MAX};
use crate::error::Context;
use crate::sys::posix as sys;
use crate::sys::{retry_eintr, retry_eintr_until, Deadline};
use crate::{Errno, Error, ErrorKind, Result};

/// Where the kernel publishes the message-queue limits.
const PROC_MQUEUE: &str = "/proc/sys/fs/mqueue";

/// `MQ_PRIO_MAX` (`sysconf(_SC_MQ_PRIO_MAX)`): priorities run from `0` to this minus one
/// (32768 on Linux).
///
/// # Examples
/// ```
/// assert!(ipckit::posix::mq::prio_max() >= 32);
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man3/sysconf.3.html>
#[doc(alias = "MQ_PRIO_MAX")]
pub fn prio_max() -> u32 {
    static MAX: OnceLock<u32> = OnceLock::new();
    *MAX.get_or_init(|| {
        sys::mq_prio_max()
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(32) // the POSIX minimum
    })
}

/// The system-wide message-queue limits from `/proc/sys/fs/mqueue` (Linux).
///
/// A process without `CAP_SYS_RESOURCE` cannot create a queue with more than `msg_max`
/// messages or messages above `msgsize_max` bytes; at most `queues_max` queues exist at once.
/// A field is `None` if the file cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limits {
    /// `msg_max`: the most messages an unprivileged caller may ask for.
    pub msg_max: Option<u64>,
    /// `msgsize_max`: the largest message size in bytes an unprivileged caller may ask for.
    pub msgsize_max: Option<u64>,
    /// `queues_max`: how many queues may exist system-wide.
    pub queues_max: Option<u64>,
    /// `msg_default`: `maxmsg` of a queue created without attributes.
    pub msg_default: Option<u64>,
    /// `msgsize_default`: `msgsize` of a queue created without attributes.
    pub msgsize_default: Option<u64>,
}

impl Limits {
    /// Reads the limits from `/proc/sys/fs/mqueue/{msg_max,msgsize_max,queues_max,...}`
    /// (through [`crate::limits`], which has one function per file).
    ///
    /// # Examples
    /// ```
    /// let l = ipckit::posix::mq::Limits::read();
    /// assert!(l.msgsize_max.is_some());
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man7/mq_overview.7.html> (section "/proc interfaces")
    pub fn read() -> Limits {
        Limits {
            msg_max: crate::limits::mq_msg_max(),
            msgsize_max: crate::limits::mq_msgsize_max(),
            queues_max: crate::limits::mq_queues_max(),
            msg_default: crate::limits::mq_msg_default(),
            msgsize_default: crate::limits::mq_msgsize_default(),
        }
    }
}

impl std::fmt::Display for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = |v: Option<u64>| v.map_or_else(|| "?".to_string(), |v| v.to_string());
        write!(
            f,
            "{PROC_MQUEUE}: msg_max={} msgsize_max={} queues_max={}",
            s(self.msg_max),
            s(self.msgsize_max),
            s(self.queues_max)
        )
    }
}

/// Which directions a handle may use (`O_RDONLY`, `O_WRONLY`, `O_RDWR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Receive only (`O_RDONLY`).
    ReadOnly,
    /// Send only (`O_WRONLY`).
    WriteOnly,
    /// Send and receive (`O_RDWR`).
    ReadWrite,
}

/// The attributes of an open queue (`mq_getattr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attributes {
    /// The most messages the queue holds (`mq_maxmsg`).
    pub maxmsg: usize,
    /// The largest message in bytes (`mq_msgsize`).
    pub msgsize: usize,
    /// Messages waiting now (`mq_curmsgs`).
    pub curmsgs: usize,
    /// Whether this descriptor is non-blocking (`O_NONBLOCK` in `mq_flags`).
    pub nonblocking: bool,
}

/// Options for opening or creating a [`MessageQueue`]; made by [`MessageQueue::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct MessageQueueBuilder {
    name: String,
    access: Access,
    mode: u32,
    maxmsg: Option<usize>,
    msgsize: Option<usize>,
    nonblocking: bool,
}

impl MessageQueueBuilder {
    /// Opens for receiving only (`O_RDONLY`).
    pub fn read_only(mut self) -> MessageQueueBuilder {
        self.access = Access::ReadOnly;
        self
    }

    /// Opens for sending only (`O_WRONLY`).
    pub fn write_only(mut self) -> MessageQueueBuilder {
        self.access = Access::WriteOnly;
        self
    }

    /// Opens for sending and receiving (`O_RDWR`, the default).
    pub fn read_write(mut self) -> MessageQueueBuilder {
        self.access = Access::ReadWrite;
        self
    }

    /// Permission bits for a queue this call creates (default `0o600`; masked by the umask).
    pub fn mode(mut self, mode: u32) -> MessageQueueBuilder {
        self.mode = mode;
        self
    }

    /// The most messages the queue holds, for a queue this call creates (default:
    /// `/proc/sys/fs/mqueue/msg_default`, usually 10).
    pub fn maxmsg(mut self, n: usize) -> MessageQueueBuilder {
        self.maxmsg = Some(n);
        self
    }

    /// The largest message in bytes, for a queue this call creates (default:
    /// `/proc/sys/fs/mqueue/msgsize_default`, usually 8192).
    pub fn msgsize(mut self, bytes: usize) -> MessageQueueBuilder {
        self.msgsize = Some(bytes);
        self
    }

    /// Opens the descriptor non-blocking (`O_NONBLOCK`): [`MessageQueue::send`] and
    /// [`MessageQueue::recv`] then fail with [`ErrorKind::WouldBlock`] instead of waiting
    /// (blocking is the default; [`MessageQueue::set_nonblocking`] changes it later).
    #[doc(alias = "O_NONBLOCK")]
    pub fn nonblocking(mut self) -> MessageQueueBuilder {
        self.nonblocking = true;
        self
    }

    /// `mq_open(3)` with `O_CREAT | O_EXCL`: creates the queue, failing if it exists. The
    /// returned handle unlinks the queue on drop unless [`Named::persist`](crate::Named::persist) is called.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a bad name or a zero `maxmsg`/`msgsize`, or (`EINVAL`)
    /// attributes above the kernel limits, which the error's detail lists;
    /// [`ErrorKind::AlreadyExists`] if the queue exists; [`ErrorKind::LimitReached`] when
    /// `queues_max` or `RLIMIT_MSGQUEUE` is reached; [`ErrorKind::PermissionDenied`].
    ///
    /// # Examples
    /// ```
    /// use ipckit::{posix::mq::MessageQueue, ErrorKind};
    /// # let name = format!("/ipckit-doc-mqnew-{}", std::process::id());
    /// let q = MessageQueue::builder(&name).create_new()?;
    /// let again = MessageQueue::builder(&name).create_new();
    /// assert_eq!(again.unwrap_err().kind(), ErrorKind::AlreadyExists);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/mq_open.3.html>
    pub fn create_new(self) -> Result<MessageQueue> {
        self.open_as(Creation::CreateNew)
    }

    /// `mq_open(3)` without `O_CREAT`: opens an existing queue; never unlinks it on drop.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if there is no such queue; [`ErrorKind::PermissionDenied`] if
    /// the queue's mode does not allow the requested access; [`ErrorKind::InvalidInput`] for
    /// a bad name.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{posix::mq::MessageQueue, ErrorKind};
    /// let e = MessageQueue::builder("/ipckit-doc-no-such-queue").open().unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::NotFound);
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/mq_open.3.html>
    pub fn open(self) -> Result<MessageQueue> {
        self.open_as(Creation::Open)
    }

    /// `mq_open(3)`: opens the queue, creating it first if it does not exist. Only a handle
    /// that actually created it unlinks it on drop ([`Named::is_owner`](crate::Named::is_owner)).
    ///
    /// # Errors
    /// As [`MessageQueueBuilder::create_new`] and [`MessageQueueBuilder::open`].
    ///
    /// # Examples
    /// ```
    /// use ipckit::posix::mq::MessageQueue;
    /// # let name = format!("/ipckit-doc-mqooc-{}", std::process::id());
    /// use ipckit::Named;
    /// let a = MessageQueue::builder(&name).open_or_create()?;
    /// let b = MessageQueue::builder(&name).open_or_create()?;
    /// assert!(a.is_owner() && !b.is_owner());
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/mq_open.3.html>
    pub fn open_or_create(self) -> Result<MessageQueue> {
        self.open_as(Creation::OpenOrCreate)
    }

    fn open_as(self, how: Creation) -> Result<MessageQueue> {
        let cname = validate_name(&self.name, "mq_open", NAME_MAX)?;
        let limits = Limits::read();
        let maxmsg = self
            .maxmsg
            .unwrap_or(limits.msg_default.unwrap_or(10) as usize);
        let msgsize = self
            .msgsize
            .unwrap_or(limits.msgsize_default.unwrap_or(8192) as usize);
        if maxmsg == 0 || msgsize == 0 {
            return Err(Error::new(ErrorKind::InvalidInput, "mq_open", &self.name)
                .with_detail("maxmsg and msgsize must be at least 1"));
        }
        let explicit = self.maxmsg.is_some() || self.msgsize.is_some();
        let too_big = |what: &str| {
            Error::new(ErrorKind::InvalidInput, "mq_open", &self.name)
                .with_detail(format!("{what} does not fit in mq_attr"))
        };
        if !sys::mq_attr_fits(maxmsg) {
            return Err(too_big("maxmsg"));
        }
        if !sys::mq_attr_fits(msgsize) {
            return Err(too_big("msgsize"));
        }
        let (fd, created) = open_with(how, |create| {
            // Attributes only matter when creating; pass them whenever we create so the
            // defaults come from /proc rather than from nowhere.
            let open = sys::MqOpen {
                read: self.access != Access::WriteOnly,
                write: self.access != Access::ReadOnly,
                nonblocking: self.nonblocking,
                create: create.then_some((self.mode, maxmsg, msgsize)),
            };
            sys::mq_open(cname.as_c_str(), open)
                .map_err(|e| open_error(e, &self.name, create, explicit, maxmsg, msgsize, &limits))
        })?;
        let mut q = MessageQueue {
            fd,
            name: self.name,
            owner: created,
            access: self.access,
            maxmsg: 0,
            msgsize: 0,
            notify: Mutex::new(None),
        };
        let a = q.attr()?;
        q.maxmsg = a.maxmsg;
        q.msgsize = a.msgsize;
        Ok(q)
    }
}

fn open_error(
    e: Errno,
    name: &str,
    create: bool,
    explicit: bool,
    maxmsg: usize,
    msgsize: usize,
    limits: &Limits,
) -> Error {
    let err = Error::from_errno(e, "mq_open", name);
    match e {
        Errno::EINVAL if create => err.with_detail(format!(
            "maxmsg={maxmsg} msgsize={msgsize}{} exceed the limits for this process ({limits}; \
             a process with CAP_SYS_RESOURCE may go above them)",
            if explicit { "" } else { " (the defaults)" }
        )),
        Errno::ENOSPC => err.with_detail(format!(
            "the system-wide number of queues is reached ({limits})"
        )),
        Errno::EMFILE if create => err.with_detail(format!(
            "the open-descriptor limit or RLIMIT_MSGQUEUE (bytes of queues per user) is reached; \
             this queue needs about {} bytes",
            maxmsg.saturating_mul(msgsize)
        )),
        _ => err,
    }
}

/// A POSIX message queue descriptor (`mqd_t`), closed on drop; the queue itself is unlinked
/// on drop only by the handle that created it.
///
/// All operations take `&self`: one handle may be shared between threads (`Arc`).
///
/// # References
/// <https://man7.org/linux/man-pages/man7/mq_overview.7.html>
#[doc(alias = "mqd_t")]
pub struct MessageQueue {
    fd: OwnedFd,
    name: String,
    owner: bool,
    access: Access,
    maxmsg: usize,
    msgsize: usize,
    notify: Mutex<Option<Arc<sys::NotifySlot>>>,
}

impl MessageQueue {
    /// Options to open or create the queue `name` (e.g. `"/orders"`, see
    /// [the naming rule](super#names)); read-write, mode `0o600`, blocking by default.
    ///
    /// # Examples
    /// ```
    /// use ipckit::posix::mq::MessageQueue;
    /// # let name = format!("/ipckit-doc-mqb-{}", std::process::id());
    /// let q = MessageQueue::builder(&name).maxmsg(8).msgsize(128).mode(0o600).create_new()?;
    /// assert_eq!((q.maxmsg(), q.msgsize()), (8, 128));
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    #[doc(alias = "mq_open")]
    pub fn builder(name: &str) -> MessageQueueBuilder {
        MessageQueueBuilder {
            name: name.to_string(),
            access: Access::ReadWrite,
            mode: 0o600,
            maxmsg: None,
            msgsize: None,
            nonblocking: false,
        }
    }

    /// The queue's name, with its leading slash (what [`Named::name`](crate::Named::name) gives, as a `&str`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The most messages the queue holds (fixed at creation).
    pub fn maxmsg(&self) -> usize {
        self.maxmsg
    }

    /// The largest message in bytes (fixed at creation).
    pub fn msgsize(&self) -> usize {
        self.msgsize
    }

    /// How this handle was opened.
    pub fn access(&self) -> Access {
        self.access
    }

    /// `mq_unlink(3)`: removes the name `name`; the queue disappears once every descriptor is
    /// closed.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if there is no such queue; [`ErrorKind::PermissionDenied`];
    /// [`ErrorKind::InvalidInput`] for a bad name.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{Named, posix::mq::MessageQueue};
    /// # let name = format!("/ipckit-doc-mqunlink-{}", std::process::id());
    /// let mut q = MessageQueue::builder(&name).create_new()?;
    /// q.persist();
    /// drop(q);
    /// MessageQueue::unlink(&name)?;
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/mq_unlink.3.html>
    #[doc(alias = "mq_unlink")]
    pub fn unlink(name: &str) -> Result<()> {
        let c = validate_name(name, "mq_unlink", NAME_MAX)?;
        sys::mq_unlink(c.as_c_str()).ctx("mq_unlink", name)
    }

    /// Whether the queue this handle has open was unlinked (`mq_unlink(3)`, `ipckit rm`):
    /// its link count (`fstat(2)` `st_nlink`) is 0. No new sender can open it by name then,
    /// so a receiver waiting on it waits for nothing. A queue re-created under the same name
    /// is another queue: this one still counts as unlinked.
    ///
    /// # Errors
    /// Only from `fstat` on a bad descriptor.
    ///
    /// # Examples
    /// ```
    /// use ipckit::posix::mq::MessageQueue;
    /// # let name = format!("/ipckit-doc-mqunlinked-{}", std::process::id());
    /// let q = MessageQueue::builder(&name).create_new()?;
    /// assert!(!q.is_unlinked()?);
    /// MessageQueue::unlink(&name)?;
    /// assert!(q.is_unlinked()?);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man7/mq_overview.7.html>
    pub fn is_unlinked(&self) -> Result<bool> {
        crate::sys::io::is_unlinked(self.fd.as_fd()).ctx("fstat", &self.name)
    }

    fn check_send(&self, op: &'static str, msg: &[u8], prio: u32) -> Result<()> {
        if self.access == Access::ReadOnly {
            return Err(Error::new(ErrorKind::InvalidInput, op, &self.name)
                .with_detail("the queue was opened read-only (receive only)"));
        }
        if prio >= prio_max() {
            return Err(
                Error::new(ErrorKind::InvalidInput, op, &self.name).with_detail(format!(
                    "priority {prio} is not below MQ_PRIO_MAX ({})",
                    prio_max()
                )),
            );
        }
        if msg.len() > self.msgsize {
            return Err(
                Error::new(ErrorKind::TooLarge, op, &self.name).with_detail(format!(
                    "message of {} bytes exceeds the queue's msgsize of {} bytes",
                    msg.len(),
                    self.msgsize
                )),
            );
        }
        Ok(())
    }

    /// `mq_send(3)`: appends `msg` (0 to [`msgsize`](Self::msgsize) bytes) with priority
    /// `prio` (0 to [`prio_max()`]` - 1`, higher is received first), waiting while the queue is
    /// full (unless the descriptor is non-blocking).
    ///
    /// # Errors
    /// [`ErrorKind::TooLarge`] if `msg` is longer than `msgsize` (nothing is sent);
    /// [`ErrorKind::InvalidInput`] for a priority out of range or a read-only handle;
    /// [`ErrorKind::WouldBlock`] if non-blocking and full.
    ///
    /// # Examples
    /// ```
    /// use ipckit::{posix::mq::MessageQueue, ErrorKind};
    /// # let name = format!("/ipckit-doc-mqsend-{}", std::process::id());
    /// let q = MessageQueue::builder(&name).msgsize(4).create_new()?;
    /// q.send(b"ok", 0)?;
    /// assert_eq!(q.send(b"too long", 0).unwrap_err().kind(), ErrorKind::TooLarge);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/mq_send.3.html>
    #[doc(alias = "mq_send")]
    pub fn send(&self, msg: &[u8], prio: u32) -> Result<()> {
        self.check_send("mq_send", msg, prio)?;
        retry_eintr(|| sys::mq_send(self.fd.as_fd(), msg, prio)).ctx("mq_send", &self.name)
    }

    /// `mq_timedsend(3)` with a deadline already passed: sends `msg` if there is room now.
    ///
    /// # Errors
    /// [`ErrorKind::WouldBlock`] if the queue is full; otherwise as [`MessageQueue::send`].
    ///
    /// # Examples
    /// ```
    /// use ipckit::{posix::mq::MessageQueue, ErrorKind};
    /// # let name = format!("/ipckit-doc-mqtry-{}", std::process::id());
    /// let q = MessageQueue::builder(&name).maxmsg(1).msgsize(8).create_new()?;
    /// q.try_send(b"1", 0)?;
    /// assert_eq!(q.try_send(b"2", 0).unwrap_err().kind(), ErrorKind::WouldBlock);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/mq_send.3.html>
    pub fn try_send(&self, msg: &[u8], prio: u32) -> Result<()> {
        self.check_send("mq_timedsend", msg, prio)?;
        retry_eintr(|| sys::mq_timedsend(self.fd.as_fd(), msg, prio, &sys::RealTime::PASSED))
            .map_err(would_block)
            .ctx("mq_timedsend", &self.name)
    }

    /// `mq_timedsend(3)`: like [`MessageQueue::send`], waiting at most `timeout` for room.
    ///
    /// # Errors
    /// [`ErrorKind::TimedOut`] if the queue stayed full for `timeout`; otherwise as
    /// [`MessageQueue::send`].
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use ipckit::{posix::mq::MessageQueue, ErrorKind};
    /// # let name = format!("/ipckit-doc-mqts-{}", std::process::id());
    /// let q = MessageQueue::builder(&name).maxmsg(1).msgsize(8).create_new()?;
    /// q.send_timeout(b"1", 0, Duration::from_millis(10))?;
    /// let e = q.send_timeout(b"2", 0, Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/mq_send.3.html>
    #[doc(alias = "mq_timedsend")]
    pub fn send_timeout(&self, msg: &[u8], prio: u32, timeout: Duration) -> Result<()> {
        self.check_send("mq_timedsend", msg, prio)?;
        retry_eintr_until(Deadline::after(timeout), |left| {
            sys::mq_timedsend(self.fd.as_fd(), msg, prio, &sys::realtime_after(left))
        })
        .ctx("mq_timedsend", &self.name)
    }

    fn prepare_recv(&self, op: &'static str, buf: &mut Vec<u8>) -> Result<()> {
        if self.access == Access::WriteOnly {
            return Err(Error::new(ErrorKind::InvalidInput, op, &self.name)
                .with_detail("the queue was opened write-only (send only)"));
        }
        buf.resize(self.msgsize, 0);
        Ok(())
    }

    fn finish_recv(buf: &mut Vec<u8>, r: Result<(usize, u32)>) -> Result<(usize, u32)> {
        match r {
            Ok((n, p)) => {
                buf.truncate(n);
                Ok((n, p))
            }
            Err(e) => {
                buf.clear();
                Err(e)
            }
        }
    }

    /// `mq_receive(3)`: waits for the oldest message of the highest priority, replaces the
    /// contents of `buf` with it and returns `(length in bytes, priority)`.
    ///
    /// `buf` is grown to the queue's `msgsize` before the call, so a message always fits.
    ///
    /// # Errors
    /// [`ErrorKind::WouldBlock`] if the descriptor is non-blocking and the queue is empty;
    /// [`ErrorKind::InvalidInput`] on a write-only handle.
    ///
    /// # Examples
    /// ```
    /// use ipckit::posix::mq::MessageQueue;
    /// # let name = format!("/ipckit-doc-mqrecv-{}", std::process::id());
    /// let q = MessageQueue::builder(&name).create_new()?;
    /// q.send(b"a", 1)?;
    /// q.send(b"b", 5)?;
    /// let mut buf = Vec::new();
    /// assert_eq!(q.recv(&mut buf)?, (1, 5));
    /// assert_eq!(q.recv(&mut buf)?, (1, 1));
    /// assert_eq!(buf, b"a");
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/mq_receive.3.html>
    #[doc(alias = "mq_receive")]
    pub fn recv(&self, buf: &mut Vec<u8>) -> Result<(usize, u32)> {
        self.prepare_recv("mq_receive", buf)?;
        let r = retry_eintr(|| sys::mq_receive(self.fd.as_fd(), buf, None))
            .ctx("mq_receive", &self.name);
        Self::finish_recv(buf, r)
    }

    /// `mq_timedreceive(3)` with a deadline already passed: like [`MessageQueue::recv`] but
    /// returns at once when the queue is empty.
    ///
    /// # Errors
    /// [`ErrorKind::WouldBlock`] if the queue is empty; otherwise as [`MessageQueue::recv`].
    ///
    /// # Examples
    /// ```
    /// use ipckit::{posix::mq::MessageQueue, ErrorKind};
    /// # let name = format!("/ipckit-doc-mqtr-{}", std::process::id());
    /// let q = MessageQueue::builder(&name).create_new()?;
    /// let mut buf = Vec::new();
    /// assert_eq!(q.try_recv(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/mq_receive.3.html>
    pub fn try_recv(&self, buf: &mut Vec<u8>) -> Result<(usize, u32)> {
        self.prepare_recv("mq_timedreceive", buf)?;
        let r = retry_eintr(|| sys::mq_receive(self.fd.as_fd(), buf, Some(&sys::RealTime::PASSED)))
            .map_err(would_block)
            .ctx("mq_timedreceive", &self.name);
        Self::finish_recv(buf, r)
    }

    /// `mq_timedreceive(3)`: like [`MessageQueue::recv`], waiting at most `timeout`.
    ///
    /// # Errors
    /// [`ErrorKind::TimedOut`] if no message arrived within `timeout`; otherwise as
    /// [`MessageQueue::recv`].
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use ipckit::{posix::mq::MessageQueue, ErrorKind};
    /// # let name = format!("/ipckit-doc-mqrt-{}", std::process::id());
    /// let q = MessageQueue::builder(&name).create_new()?;
    /// let e = q.recv_timeout(&mut Vec::new(), Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/mq_receive.3.html>
    #[doc(alias = "mq_timedreceive")]
    pub fn recv_timeout(&self, buf: &mut Vec<u8>, timeout: Duration) -> Result<(usize, u32)> {
        self.prepare_recv("mq_timedreceive", buf)?;
        let r = retry_eintr_until(Deadline::after(timeout), |left| {
            sys::mq_receive(self.fd.as_fd(), buf, Some(&sys::realtime_after(left)))
        })
        .ctx("mq_timedreceive", &self.name);
        Self::finish_recv(buf, r)
    }

    /// `mq_getattr(3)`: the queue's `maxmsg`, `msgsize`, current message count, and whether
    /// this descriptor is non-blocking.
    ///
    /// # Errors
    /// Only if the descriptor is unusable (not expected).
    ///
    /// # Examples
    /// ```
    /// use ipckit::posix::mq::MessageQueue;
    /// # let name = format!("/ipckit-doc-mqattr-{}", std::process::id());
    /// let q = MessageQueue::builder(&name).maxmsg(3).msgsize(16).create_new()?;
    /// q.send(b"x", 0)?;
    /// let a = q.attr()?;
    /// assert_eq!((a.maxmsg, a.msgsize, a.curmsgs, a.nonblocking), (3, 16, 1, false));
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/mq_getattr.3.html>
    #[doc(alias = "mq_getattr")]
    pub fn attr(&self) -> Result<Attributes> {
        let a = sys::mq_getattr(self.fd.as_fd()).ctx("mq_getattr", &self.name)?;
        Ok(Attributes {
            maxmsg: a.maxmsg,
            msgsize: a.msgsize,
            curmsgs: a.curmsgs,
            nonblocking: a.nonblocking,
        })
    }

    /// `mq_setattr(3)`: makes this descriptor non-blocking (`true`) or blocking (`false`); the
    /// only attribute that can change after creation.
    ///
    /// # Errors
    /// Only if the descriptor is unusable (not expected).
    ///
    /// # Examples
    /// ```
    /// use ipckit::{posix::mq::MessageQueue, ErrorKind};
    /// # let name = format!("/ipckit-doc-mqnb-{}", std::process::id());
    /// let q = MessageQueue::builder(&name).create_new()?;
    /// q.set_nonblocking(true)?;
    /// assert_eq!(q.recv(&mut Vec::new()).unwrap_err().kind(), ErrorKind::WouldBlock);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/mq_setattr.3.html>
    #[doc(alias = "mq_setattr")]
    pub fn set_nonblocking(&self, nonblocking: bool) -> Result<()> {
        sys::mq_set_nonblocking(self.fd.as_fd(), nonblocking).ctx("mq_setattr", &self.name)
    }

    /// `mq_notify(3)` with `SIGEV_THREAD`: runs `callback` once, on a thread the C library
    /// starts, when a message arrives on the queue while it is empty.
    ///
    /// The registration is **one-shot**: it is removed when it fires (and when this
    /// descriptor is closed). To keep being notified, re-arm it from the callback *before*
    /// draining the queue (call `notify_callback` again, then [`MessageQueue::try_recv`] until
    /// [`ErrorKind::WouldBlock`]), so a message that arrives while you drain is not missed.
    /// No notification is sent for a message that a process blocked in `mq_receive` takes, nor
    /// for messages added to a queue that is not empty. Only one process may be registered
    /// per queue.
    ///
    /// # Errors
    /// [`ErrorKind::AlreadyExists`] (`EBUSY`) if a process is already registered.
    ///
    /// # Examples
    /// ```
    /// use std::sync::mpsc;
    /// use ipckit::posix::mq::MessageQueue;
    /// # let name = format!("/ipckit-doc-mqnotify-{}", std::process::id());
    /// let q = MessageQueue::builder(&name).create_new()?;
    /// let (tx, rx) = mpsc::channel();
    /// q.notify_callback(move || { let _ = tx.send(()); })?;
    /// q.send(b"wake", 0)?;
    /// rx.recv_timeout(std::time::Duration::from_secs(10)).expect("notified");
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/mq_notify.3.html>
    #[doc(alias = "mq_notify")]
    pub fn notify_callback(&self, callback: impl FnOnce() + Send + 'static) -> Result<()> {
        let slot: Arc<sys::NotifySlot> = Arc::new(Mutex::new(Some(Box::new(callback))));
        sys::mq_notify_thread(self.fd.as_fd(), slot.clone())
            .map_err(|e| notify_error(e, &self.name))?;
        // Keep a handle so a later cancel drops the closure (and what it captured).
        if let Ok(mut g) = self.notify.lock() {
            if let Some(old) = g.replace(slot) {
                drop(old.lock().ok().and_then(|mut f| f.take()));
            }
        }
        Ok(())
    }

    /// `mq_notify(3)` with `SIGEV_SIGNAL`: sends signal `signo` to this process when a message
    /// arrives on the queue while it is empty. One-shot, as [`MessageQueue::notify_callback`]
    /// explains: re-arm before draining. Install a handler (or block the signal and wait for
    /// it) first: a signal whose action is the default may end the process.
    ///
    /// # Errors
    /// [`ErrorKind::AlreadyExists`] (`EBUSY`) if a process is already registered;
    /// [`ErrorKind::InvalidInput`] for an invalid signal number.
    ///
    /// # Examples
    /// ```no_run
    /// # let q = ipckit::posix::mq::MessageQueue::builder("/q").open()?;
    /// q.notify_signal(libc::SIGUSR1)?; // a handler for SIGUSR1 is installed elsewhere
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/mq_notify.3.html>
    pub fn notify_signal(&self, signo: i32) -> Result<()> {
        if !sys::is_signal(signo) {
            return Err(Error::new(ErrorKind::InvalidInput, "mq_notify", &self.name)
                .with_detail(format!("{signo} is not a signal number")));
        }
        sys::mq_notify_signal(self.fd.as_fd(), signo, 0).map_err(|e| notify_error(e, &self.name))
    }

    /// `mq_notify(3)` with a null event: removes this process's registration (a pending
    /// callback is dropped without running).
    ///
    /// # Errors
    /// Only if the descriptor is unusable (not expected); cancelling when nothing is
    /// registered is not an error.
    ///
    /// # Examples
    /// ```
    /// use ipckit::posix::mq::MessageQueue;
    /// # let name = format!("/ipckit-doc-mqcancel-{}", std::process::id());
    /// let q = MessageQueue::builder(&name).create_new()?;
    /// q.notify_callback(|| unreachable!("cancelled"))?;
    /// q.notify_cancel()?;
    /// q.send(b"x", 0)?;
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/mq_notify.3.html>
    pub fn notify_cancel(&self) -> Result<()> {
        match sys::mq_notify_cancel(self.fd.as_fd()) {
            Ok(()) | Err(Errno::EBUSY) => {}
            Err(e) => return Err(Error::from_errno(e, "mq_notify", &self.name)),
        }
        if let Ok(mut g) = self.notify.lock() {
            if let Some(old) = g.take() {
                drop(old.lock().ok().and_then(|mut f| f.take()));
            }
        }
        Ok(())
    }
}

fn notify_error(e: Errno, name: &str) -> Error {
    let err = Error::from_errno(e, "mq_notify", name);
    if e == Errno::EBUSY {
        err.with_kind(ErrorKind::AlreadyExists)
            .with_detail("another process is already registered for notification on this queue")
    } else {
        err
    }
}

/// A timed call with a deadline already passed reports `ETIMEDOUT` when it would have waited.
fn would_block(e: Errno) -> Errno {
    if e == Errno::ETIMEDOUT {
        Errno::EAGAIN
    } else {
        e
    }
}

impl std::fmt::Debug for MessageQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageQueue")
            .field("fd", &self.fd)
            .field("name", &self.name)
            .field("owner", &self.owner)
            .field("access", &self.access)
            .field("maxmsg", &self.maxmsg)
            .field("msgsize", &self.msgsize)
            .finish_non_exhaustive()
    }
}

super::named_posix_object!(
    MessageQueue,
    "queue",
    "mq_unlink",
    "use ipckit::{Named, posix::mq::MessageQueue};
# let name = format!(\"/ipckit-doc-mqremove-{}\", std::process::id());
let q = MessageQueue::builder(&name).create_new()?;
q.remove()?;
assert!(MessageQueue::builder(&name).open().is_err());
# Ok::<(), ipckit::Error>(())"
);

impl AsFd for MessageQueue {
    /// The queue descriptor, for `poll`/`epoll` (readable: a message waits; writable: room).
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl Drop for MessageQueue {
    fn drop(&mut self) {
        if let Ok(mut g) = self.notify.lock() {
            if let Some(old) = g.take() {
                drop(old.lock().ok().and_then(|mut f| f.take()));
            }
        }
        if self.owner {
            if let Ok(c) = validate_name(&self.name, "mq_unlink", NAME_MAX) {
                let _ = sys::mq_unlink(c.as_c_str());
            }
        }
    }
}
