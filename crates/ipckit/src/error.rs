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
    /// removed while waiting on it (`EIDRM`), or a stream ended.
    PeerGone,
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
/// `mkfifo /tmp/x: EEXIST: File exists`. Convert to [`std::io::Error`] with `?` or `into()`
/// where an `io::Result` is wanted; the kind maps to the nearest [`std::io::ErrorKind`].
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

impl From<Error> for std::io::Error {
    fn from(e: Error) -> std::io::Error {
        std::io::Error::new(e.kind.as_io(), e)
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
    fn ctx(self, op: &'static str, object: impl fmt::Display) -> Result<T> {
        self.map_err(|e| match e.raw_os_error() {
            Some(n) => Error::from_errno(Errno::from_raw(n), op, object),
            None => {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    }

    #[test]
    fn with_kind_overrides_errno_mapping() {
        let e = Error::from_errno(Errno::ENXIO, "open", "/tmp/f").with_kind(ErrorKind::PeerGone);
        assert_eq!(e.kind(), ErrorKind::PeerGone);
        assert_eq!(e.errno(), Some(Errno::ENXIO));
    }
}
