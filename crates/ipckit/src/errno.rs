//! [`Errno`]: ipckit's own `errno` value, so that no dependency's type is part of the API.

use std::fmt;

/// An `errno` value the kernel returned: its number, its symbolic name (`ENOENT`) and its
/// description (`No such file or directory`, from `strerror(3)`).
///
/// ipckit's own type, so that no dependency's version is part of ipckit's public API.
/// Compare against the associated constants, which carry the man pages' names:
///
/// ```
/// use ipckit::Errno;
/// let e = Errno::from_raw(2);
/// assert_eq!(e, Errno::ENOENT);
/// assert_eq!(e.name(), "ENOENT");
/// assert_eq!(e.raw(), 2);
/// assert_eq!(e.to_string(), "ENOENT: No such file or directory");
/// assert_eq!(Errno::EWOULDBLOCK, Errno::EAGAIN); // one number, two names
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man3/errno.3.html>
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Errno(i32);

macro_rules! errnos {
    ($($name:ident),* $(,)?) => {
        impl Errno {
            $(
                #[doc = concat!("`", stringify!($name), "` (see `errno(3)`).")]
                pub const $name: Errno = Errno(libc::$name);
            )*

            /// The symbolic name (`"ENOENT"`); `"E?"` for a number this table does not
            /// know. Where two names share a number (`EAGAIN`/`EWOULDBLOCK`), the first one
            /// `errno(3)` lists.
            pub fn name(self) -> &'static str {
                $(
                    if self.0 == libc::$name {
                        return stringify!($name);
                    }
                )*
                "E?"
            }
        }
    };
}

errnos!(
    EPERM,
    ENOENT,
    ESRCH,
    EINTR,
    EIO,
    ENXIO,
    E2BIG,
    ENOEXEC,
    EBADF,
    ECHILD,
    EAGAIN,
    ENOMEM,
    EACCES,
    EFAULT,
    ENOTBLK,
    EBUSY,
    EEXIST,
    EXDEV,
    ENODEV,
    ENOTDIR,
    EISDIR,
    EINVAL,
    ENFILE,
    EMFILE,
    ENOTTY,
    ETXTBSY,
    EFBIG,
    ENOSPC,
    ESPIPE,
    EROFS,
    EMLINK,
    EPIPE,
    EDOM,
    ERANGE,
    EDEADLK,
    ENAMETOOLONG,
    ENOLCK,
    ENOSYS,
    ENOTEMPTY,
    ELOOP,
    ENOMSG,
    EIDRM,
    ENOSTR,
    ENODATA,
    ETIME,
    ENOSR,
    EREMOTE,
    ENOLINK,
    EPROTO,
    EBADMSG,
    EOVERFLOW,
    EILSEQ,
    EUSERS,
    ENOTSOCK,
    EDESTADDRREQ,
    EMSGSIZE,
    EPROTOTYPE,
    ENOPROTOOPT,
    EPROTONOSUPPORT,
    ESOCKTNOSUPPORT,
    EOPNOTSUPP,
    EPFNOSUPPORT,
    EAFNOSUPPORT,
    EADDRINUSE,
    EADDRNOTAVAIL,
    ENETDOWN,
    ENETUNREACH,
    ENETRESET,
    ECONNABORTED,
    ECONNRESET,
    ENOBUFS,
    EISCONN,
    ENOTCONN,
    ESHUTDOWN,
    ETOOMANYREFS,
    ETIMEDOUT,
    ECONNREFUSED,
    EHOSTDOWN,
    EHOSTUNREACH,
    EALREADY,
    EINPROGRESS,
    ESTALE,
    EDQUOT,
    ECANCELED,
    EOWNERDEAD,
    ENOTRECOVERABLE,
    EWOULDBLOCK,
    EDEADLOCK,
    ENOTSUP,
);

impl Errno {
    /// The `Errno` for a raw number, as `errno` or [`std::io::Error::raw_os_error`] gives it.
    pub const fn from_raw(raw: i32) -> Errno {
        Errno(raw)
    }

    /// The raw number, as `errno` holds it.
    pub const fn raw(self) -> i32 {
        self.0
    }

    /// The calling thread's current `errno` (read it right after the failing call).
    pub fn last() -> Errno {
        Errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }

    /// The `errno` an [`std::io::Error`] carries: its [`raw_os_error`](std::io::Error::raw_os_error)
    /// when the kernel made it, or the errno of the [`crate::Error`] inside when it was
    /// converted from one (which has no `raw_os_error`, see [`crate::Error`]); `None` when
    /// neither holds one.
    ///
    /// # Examples
    /// ```
    /// use std::io;
    /// use ipckit::{Errno, Error};
    /// let from_kernel = io::Error::from_raw_os_error(32);
    /// assert_eq!(Errno::from_io_error(&from_kernel), Some(Errno::EPIPE));
    /// let from_ipckit: io::Error = Error::from_errno(Errno::EPIPE, "write", "pipe").into();
    /// assert_eq!(from_ipckit.raw_os_error(), None);
    /// assert_eq!(Errno::from_io_error(&from_ipckit), Some(Errno::EPIPE));
    /// assert_eq!(Errno::from_io_error(&io::Error::other("no errno")), None);
    /// ```
    pub fn from_io_error(e: &std::io::Error) -> Option<Errno> {
        match e.raw_os_error() {
            Some(n) => Some(Errno(n)),
            None => crate::Error::inside(e).and_then(crate::Error::errno),
        }
    }

    /// The description `strerror(3)` gives (`"No such file or directory"`).
    pub fn description(self) -> &'static str {
        crate::sys::errno_description(self.0)
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            "E?" => write!(f, "Errno({})", self.0),
            name => f.write_str(name),
        }
    }
}

/// `NAME: description`, e.g. `ENOENT: No such file or directory`.
impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self, self.description())
    }
}

impl From<Errno> for std::io::Error {
    fn from(e: Errno) -> std::io::Error {
        std::io::Error::from_raw_os_error(e.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Errno;

    #[test]
    fn names_and_descriptions_match_the_kernel() {
        assert_eq!(Errno::EIDRM.name(), "EIDRM");
        assert_eq!(Errno::EAGAIN.name(), "EAGAIN");
        assert_eq!(Errno::EPIPE.description(), "Broken pipe");
        assert_eq!(format!("{:?}", Errno::from_raw(9999)), "Errno(9999)");
        let io: std::io::Error = Errno::EACCES.into();
        assert_eq!(io.raw_os_error(), Some(libc::EACCES));
    }
}
