//! The one error type of ipckit: [`Error`], its [`ErrorKind`], and [`Result`].
//!
//! Every error names the operation that failed (the syscall, e.g. `"msgsnd"`), the object it
//! acted on (a key, name, path or pid) and, where the kernel gave one, the `errno`:
//!
//! ```text
//! msgget System V message queue key 0x000004d2: ENOENT: No such file or directory
//! ```
//!
//! Match on [`Error::kind`] rather than on the errno: the kind is what a caller decides on
//! (retry, give up, create the object), and it stays the same across platforms.
//!
//! An [`Error`] converts into a [`std::io::Error`] with the nearest kind, the same text and
//! the `Error` inside; [`Errno::from_io_error`] finds the errno in either kind of
//! `io::Error` (see "As a `std::io::Error`" on [`Error`]).

use std::fmt;

pub use crate::errno::Errno;

/// A specialised [`std::result::Result`] whose error is [`ipckit::Error`](Error).
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in the terms a caller decides on.
///
/// Derived from the `errno` by [`ErrorKind::from_errno`] unless the operation knows better
/// (a FIFO opened for writing with no reader gives `ENXIO`, which ipckit reports as
/// [`ErrorKind::PeerGone`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The object does not exist (`ENOENT`, and `EINVAL` for a System V id that was removed).
    NotFound,
    /// The object exists and exclusive creation was asked for (`EEXIST`).
    AlreadyExists,
    /// The caller lacks the permission bits or capability (`EACCES`, `EPERM`).
    PermissionDenied,
    /// A non-blocking call would have had to wait (`EAGAIN`/`EWOULDBLOCK`, `ENOMSG`).
    WouldBlock,
    /// A call with a timeout ran out of time (`ETIMEDOUT`, `EAGAIN` from `semtimedop`).
    TimedOut,
    /// A message or object is larger than a limit allows (`E2BIG`, `EMSGSIZE`, or a
    /// framed length above the receiver's maximum).
    TooLarge,
    /// The other side is gone: the reader of a pipe or socket closed it (`EPIPE`,
    /// `ECONNRESET`, `ECONNREFUSED`), a FIFO has no reader (`ENXIO`), a System V object was
    /// removed while waiting on it (`EIDRM`), or a stream ended cleanly, between two
    /// messages. A stream that ends *inside* a message is [`ErrorKind::UnexpectedEof`].
    PeerGone,
    /// A byte stream ended inside a message: the header or the payload had partly arrived
    /// when the sender closed the stream or died (`read(2)` returned 0 too early). Unlike
    /// [`ErrorKind::PeerGone`] (a clean close between messages) this means a message was
    /// lost; the stream cannot be resynchronised. Converts to
    /// [`std::io::ErrorKind::UnexpectedEof`].
    UnexpectedEof,
    /// A peer broke the protocol: a corrupt shared-memory ring, a bad frame or handshake.
    InvalidData,
    /// An argument is out of range or malformed (`EINVAL`, bad names, bad addresses).
    InvalidInput,
    /// A system-wide or per-process limit is reached (`ENOSPC`, `EMFILE`, `ENFILE`,
    /// `ENOMEM`).
    LimitReached,
    /// Anything else; [`Error::errno`] tells the detail.
    Other,
}

impl ErrorKind {
    /// The kind an `errno` means when the operation has no better knowledge.
    pub fn from_errno(errno: Errno) -> ErrorKind {
        match errno {
            Errno::ENOENT => ErrorKind::NotFound,
            Errno::EEXIST => ErrorKind::AlreadyExists,
            Errno::EACCES | Errno::EPERM => ErrorKind::PermissionDenied,
            Errno::EAGAIN | Errno::ENOMSG => ErrorKind::WouldBlock,
            Errno::ETIMEDOUT => ErrorKind::TimedOut,
            Errno::E2BIG | Errno::EMSGSIZE => ErrorKind::TooLarge,
            Errno::EPIPE
            | Errno::ECONNRESET
            | Errno::ECONNREFUSED
            | Errno::ENXIO
            | Errno::EIDRM => ErrorKind::PeerGone,
            Errno::EINVAL | Errno::ENAMETOOLONG | Errno::EBADF => ErrorKind::InvalidInput,
            Errno::ENOSPC | Errno::EMFILE | Errno::ENFILE | Errno::ENOMEM => {
                ErrorKind::LimitReached
            }
            _ => ErrorKind::Other,
        }
    }

    fn as_io(self) -> std::io::ErrorKind {
        use std::io::ErrorKind as Io;
        match self {
            ErrorKind::NotFound => Io::NotFound,
            ErrorKind::AlreadyExists => Io::AlreadyExists,
            ErrorKind::PermissionDenied => Io::PermissionDenied,
            ErrorKind::WouldBlock => Io::WouldBlock,
            ErrorKind::TimedOut => Io::TimedOut,
            ErrorKind::TooLarge => Io::InvalidData,
            ErrorKind::PeerGone => Io::BrokenPipe,
            ErrorKind::UnexpectedEof => Io::UnexpectedEof,
            ErrorKind::InvalidData => Io::InvalidData,
            ErrorKind::InvalidInput => Io::InvalidInput,
            ErrorKind::LimitReached => Io::OutOfMemory,
            ErrorKind::Other => Io::Other,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::NotFound => "not found",
            ErrorKind::AlreadyExists => "already exists",
            ErrorKind::PermissionDenied => "permission denied",
            ErrorKind::WouldBlock => "would block",
            ErrorKind::TimedOut => "timed out",
            ErrorKind::TooLarge => "too large",
            ErrorKind::PeerGone => "peer gone",
            ErrorKind::UnexpectedEof => "unexpected end of stream",
            ErrorKind::InvalidData => "invalid data",
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::LimitReached => "limit reached",
            ErrorKind::Other => "other error",
        })
    }
}

/// An ipckit error: the operation, the object, the `errno` (if any) and a [`ErrorKind`].
///
/// Displayed as `OP OBJECT: ERRNO: description[: detail]`, e.g.
/// `mkfifo /tmp/x: EEXIST: File exists`.
///
/// # As a `std::io::Error`
/// Convert with `?` or `into()` where an `io::Result` is wanted. The `io::Error` has the
/// nearest [`std::io::ErrorKind`] (`PeerGone` becomes `BrokenPipe`, `TooLarge` `InvalidData`,
/// ...), displays the same text, and carries the `Error` itself: get it back with
/// `io_err.get_ref().and_then(|e| e.downcast_ref::<ipckit::Error>())`, and the errno with
/// [`Errno::from_io_error`], which reads both this and an `io::Error` made by the kernel.
///
/// `io_err.raw_os_error()` is `None` on a converted error: std keeps a raw errno only in an
/// `io::Error` that holds nothing else (`io::Error::from_raw_os_error`), which would lose the
/// operation, the object and the detail, and take std's kind for the errno instead of
/// ipckit's (std reads `ENXIO` as `Uncategorized` where ipckit reports a FIFO without reader
/// as `PeerGone`, `ECONNRESET` as `ConnectionReset` where ipckit says `PeerGone`).
///
/// ```
/// use std::io;
/// use ipckit::{Errno, Error, ErrorKind};
/// let e = Error::from_errno(Errno::ENXIO, "open", "/tmp/f").with_kind(ErrorKind::PeerGone);
/// let io_err: io::Error = e.clone().into();
/// assert_eq!(io_err.kind(), io::ErrorKind::BrokenPipe);
/// assert_eq!(io_err.to_string(), e.to_string());
/// assert_eq!(Errno::from_io_error(&io_err), Some(Errno::ENXIO));
/// let back = io_err.get_ref().and_then(|i| i.downcast_ref::<Error>());
/// assert_eq!(back.map(Error::kind), Some(ErrorKind::PeerGone));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    op: &'static str,
    object: String,
    errno: Option<Errno>,
    detail: Option<String>,
}

impl Error {
    /// An error with no `errno`: ipckit itself refused the call (a bad name, a message above
    /// a limit). `op` names the operation, `object` what it acted on.
    pub fn new(kind: ErrorKind, op: &'static str, object: impl fmt::Display) -> Error {
        Error {
            kind,
            op,
            object: object.to_string(),
            errno: None,
            detail: None,
        }
    }

    /// An error from an `errno`, with the kind [`ErrorKind::from_errno`] gives.
    pub fn from_errno(errno: Errno, op: &'static str, object: impl fmt::Display) -> Error {
        Error {
            kind: ErrorKind::from_errno(errno),
            op,
            object: object.to_string(),
            errno: Some(errno),
            detail: None,
        }
    }

    /// An error from nix's errno, at the seam (crate-internal: nix is not part of the API).
    pub(crate) fn sys(
        errno: nix::errno::Errno,
        op: &'static str,
        object: impl fmt::Display,
    ) -> Error {
        Error::from_errno(crate::sys::errno(errno), op, object)
    }

    /// An error from the calling thread's current `errno` (read at once: call this right
    /// after the failing libc call).
    pub fn last_os(op: &'static str, object: impl fmt::Display) -> Error {
        Error::from_errno(Errno::last(), op, object)
    }

    /// The same error with `kind` in place of the one derived from the errno.
    #[must_use]
    pub fn with_kind(mut self, kind: ErrorKind) -> Error {
        self.kind = kind;
        self
    }

    /// The same error with a human explanation appended (limits, hints on how to fix it).
    #[must_use]
    pub fn with_detail(mut self, detail: impl fmt::Display) -> Error {
        self.detail = Some(detail.to_string());
        self
    }

    /// What went wrong, to match on.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The operation that failed, usually the syscall's name (`"msgsnd"`, `"connect"`).
    pub fn op(&self) -> &'static str {
        self.op
    }

    /// The object the operation acted on, as displayed (a key, name, path or pid).
    pub fn object(&self) -> &str {
        &self.object
    }

    /// The `errno` the kernel returned, if the error came from a syscall.
    pub fn errno(&self) -> Option<Errno> {
        self.errno
    }

    /// The explanation added with [`Error::with_detail`], if any.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// This error as a [`std::io::Error`] (what `From` does): the kind mapped, the text
    /// kept, the `Error` inside, its errno reachable through [`Errno::from_io_error`].
    ///
    /// The one conversion for ipckit's `Read`/`Write` impls, so every fd type reports the
    /// same operation and object: `Error::from_errno(errno, op, object).into_io()`, or
    /// `.map_err(Error::into_io)`.
    pub(crate) fn into_io(self) -> std::io::Error {
        std::io::Error::new(self.kind.as_io(), self)
    }

    /// The ipckit `Error` an `io::Error` carries, if it was made from one.
    pub(crate) fn inside(e: &std::io::Error) -> Option<&Error> {
        e.get_ref().and_then(|inner| inner.downcast_ref::<Error>())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.op)?;
        if !self.object.is_empty() {
            write!(f, " {}", self.object)?;
        }
        match self.errno {
            Some(e) => write!(f, ": {e}")?,
            None => write!(f, ": {}", self.kind)?,
        }
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// The kind mapped to the nearest [`std::io::ErrorKind`], the same text, and the `Error`
/// inside (see [`Error`]'s docs, "As a `std::io::Error`").
impl From<Error> for std::io::Error {
    fn from(e: Error) -> std::io::Error {
        e.into_io()
    }
}

/// Attach an operation and object to a lower-level error (`nix`, `std::io`).
///
/// The object is only formatted when there is an error, so this costs nothing on the
/// success path.
pub(crate) trait Context<T> {
    /// Wrap the error as an [`Error`] for `op` on `object`.
    fn ctx(self, op: &'static str, object: impl fmt::Display) -> Result<T>;
}

impl<T> Context<T> for std::result::Result<T, Errno> {
    fn ctx(self, op: &'static str, object: impl fmt::Display) -> Result<T> {
        self.map_err(|e| Error::from_errno(e, op, object))
    }
}

impl<T> Context<T> for std::result::Result<T, nix::errno::Errno> {
    fn ctx(self, op: &'static str, object: impl fmt::Display) -> Result<T> {
        self.map_err(|e| Error::sys(e, op, object))
    }
}

impl<T> Context<T> for std::io::Result<T> {
    /// An `io::Error` from the kernel keeps its errno; one made from an ipckit [`Error`]
    /// keeps that error's kind, errno and detail under the new operation and object.
    fn ctx(self, op: &'static str, object: impl fmt::Display) -> Result<T> {
        self.map_err(|e| match (Error::inside(&e), e.raw_os_error()) {
            (Some(inner), _) => Error {
                op,
                object: object.to_string(),
                ..inner.clone()
            },
            (None, Some(n)) => Error::from_errno(Errno::from_raw(n), op, object),
            (None, None) => {
                let kind = match e.kind() {
                    std::io::ErrorKind::UnexpectedEof => ErrorKind::PeerGone,
                    std::io::ErrorKind::WouldBlock => ErrorKind::WouldBlock,
                    std::io::ErrorKind::TimedOut => ErrorKind::TimedOut,
                    std::io::ErrorKind::InvalidInput => ErrorKind::InvalidInput,
                    _ => ErrorKind::Other,
                };
                Error::new(kind, op, object).with_detail(e)
            }
        })
    }
}

/// A duration as ipckit's error details show it to a person: `1 s`, `250 ms`, `3.2 µs`,
/// `80 ns`, `0 s` (at most three significant digits, trailing zeros dropped; `999.99367ms`
/// reads `1 s`), not `Debug`'s `999.99367ms`. Public so that a program printing its own
/// messages beside ipckit's errors (the `ipckit` CLI does) writes durations the same way.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use ipckit::error::duration_text;
/// assert_eq!(duration_text(Duration::from_millis(1500)), "1.5 s");
/// assert_eq!(duration_text(Duration::from_micros(12_345)), "12.3 ms");
/// assert_eq!(duration_text(Duration::from_nanos(999_993_670)), "1 s");
/// ```
pub fn duration_text(d: std::time::Duration) -> String {
    const UNITS: [(f64, &str); 4] = [(1e9, "s"), (1e6, "ms"), (1e3, "µs"), (1.0, "ns")];
    let ns = d.as_nanos() as f64;
    if ns == 0.0 {
        return "0 s".into();
    }
    let i = UNITS
        .iter()
        .position(|&(scale, _)| ns / scale >= 1.0)
        .unwrap_or(UNITS.len() - 1);
    let v = ns / UNITS[i].0;
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    let mut n = format!("{v:.digits$}");
    if n.contains('.') {
        n = n.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    match i.checked_sub(1) {
        Some(up) if n == "1000" => format!("1 {}", UNITS[up].1),
        _ => format!("{n} {}", UNITS[i].1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_details_read_well() {
        use std::time::Duration;
        assert_eq!(duration_text(Duration::ZERO), "0 s");
        assert_eq!(duration_text(Duration::from_nanos(999_997_518)), "1 s");
        assert_eq!(duration_text(Duration::from_millis(250)), "250 ms");
        assert_eq!(duration_text(Duration::from_nanos(3_200)), "3.2 µs");
        assert_eq!(duration_text(Duration::from_secs(7200)), "7200 s");
        assert_eq!(duration_text(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(duration_text(Duration::from_secs(90)), "90 s");
        assert_eq!(duration_text(Duration::from_nanos(80)), "80 ns");
        assert_eq!(duration_text(Duration::from_nanos(999_993_670)), "1 s");
        assert_eq!(duration_text(Duration::from_micros(12_345)), "12.3 ms");
    }

    #[test]
    fn display_names_op_object_and_errno() {
        let e = Error::from_errno(Errno::ENOENT, "msgget", "key 0x000004d2");
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert_eq!(
            e.to_string(),
            "msgget key 0x000004d2: ENOENT: No such file or directory"
        );
        let e = Error::new(ErrorKind::TooLarge, "send", "unix:/tmp/s")
            .with_detail("message of 20 bytes exceeds the maximum of 10 bytes");
        assert_eq!(
            e.to_string(),
            "send unix:/tmp/s: too large: message of 20 bytes exceeds the maximum of 10 bytes"
        );
    }

    #[test]
    fn converts_to_io_error_keeping_kind_and_text() {
        let e = Error::from_errno(Errno::EPIPE, "write", "pipe");
        let io: std::io::Error = e.clone().into();
        assert_eq!(io.kind(), std::io::ErrorKind::BrokenPipe);
        assert_eq!(io.to_string(), e.to_string());
        let back = io.get_ref().and_then(|i| i.downcast_ref::<Error>());
        assert_eq!(back, Some(&e));
        assert_eq!(Errno::from_io_error(&io), Some(Errno::EPIPE));
        // Without an errno the kind still maps and the error still comes back.
        let e = Error::new(ErrorKind::TooLarge, "send", "q").with_detail("20 > 10 bytes");
        let io = e.clone().into_io();
        assert_eq!(io.kind(), std::io::ErrorKind::InvalidData);
        assert_eq!(Errno::from_io_error(&io), None);
        assert_eq!(Error::inside(&io), Some(&e));
    }

    #[test]
    fn unexpected_eof_is_std_unexpected_eof() {
        let e = Error::new(ErrorKind::UnexpectedEof, "recv", "unix:/tmp/s")
            .with_detail("stream ended inside a message (got 2 of 5 bytes)");
        assert_eq!(
            e.clone().into_io().kind(),
            std::io::ErrorKind::UnexpectedEof
        );
        assert_ne!(ErrorKind::UnexpectedEof, ErrorKind::PeerGone);
        assert!(e.to_string().contains("unexpected end of stream"));
    }

    /// Why `From<Error> for io::Error` does not use `io::Error::from_raw_os_error`: std maps
    /// errnos to kinds on its own, differently from ipckit's kinds for several of them.
    #[test]
    fn std_raw_os_errors_would_not_keep_ipckits_kind() {
        use std::io::{Error as IoError, ErrorKind as Io};
        let std_kind = |e: Errno| IoError::from_raw_os_error(e.raw()).kind();
        // Where they agree...
        assert_eq!(std_kind(Errno::EPIPE), Io::BrokenPipe);
        assert_eq!(std_kind(Errno::ENOENT), Io::NotFound);
        // ...and where they do not: ipckit's PeerGone, TooLarge and LimitReached.
        for (errno, ours) in [
            (Errno::ECONNRESET, ErrorKind::PeerGone),
            (Errno::ENXIO, ErrorKind::PeerGone),
            (Errno::EIDRM, ErrorKind::PeerGone),
            (Errno::EMSGSIZE, ErrorKind::TooLarge),
            (Errno::EMFILE, ErrorKind::LimitReached),
        ] {
            let e = Error::from_errno(errno, "op", "obj");
            assert_eq!(e.kind(), ours);
            let io: std::io::Error = e.into();
            assert_eq!(io.kind(), ours.as_io(), "{errno:?}");
            assert_ne!(std_kind(errno), io.kind(), "{errno:?}");
            assert_eq!(Errno::from_io_error(&io), Some(errno));
        }
    }

    #[test]
    fn context_on_an_io_error_keeps_the_errno_inside() {
        let inner = Error::from_errno(Errno::ENXIO, "open", "/tmp/f")
            .with_kind(ErrorKind::PeerGone)
            .with_detail("no reader");
        let r: std::io::Result<()> = Err(inner.into());
        let e = r.ctx("connect", "fifo:/tmp/f").unwrap_err();
        assert_eq!((e.op(), e.object()), ("connect", "fifo:/tmp/f"));
        assert_eq!(e.kind(), ErrorKind::PeerGone);
        assert_eq!(e.errno(), Some(Errno::ENXIO));
        assert_eq!(e.detail(), Some("no reader"));
        let r: std::io::Result<()> = Err(std::io::Error::from_raw_os_error(libc::EPIPE));
        assert_eq!(
            r.ctx("write", "pipe").unwrap_err().errno(),
            Some(Errno::EPIPE)
        );
    }

    #[test]
    fn with_kind_overrides_errno_mapping() {
        let e = Error::from_errno(Errno::ENXIO, "open", "/tmp/f").with_kind(ErrorKind::PeerGone);
        assert_eq!(e.kind(), ErrorKind::PeerGone);
        assert_eq!(e.errno(), Some(Errno::ENXIO));
    }
}
