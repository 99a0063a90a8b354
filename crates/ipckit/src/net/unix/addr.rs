//! [`SocketAddr`]: the address of a Unix domain socket (a path, an abstract name, or
//! unnamed), its text form, and its checks before it reaches the kernel.

use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::Context;
use crate::sys::unix::{self as sysu, Name, OwnedName};
use crate::{Error, ErrorKind, Result};

/// The longest path or abstract name a Unix socket address holds: 107 bytes (`sun_path` is
/// 108 bytes; a path needs its terminating NUL, an abstract name its leading one).
pub const MAX_ADDR_LEN: usize = 107;

/// The address of a Unix domain socket: a filesystem path, an abstract name, or unnamed.
///
/// The text form ([`FromStr`], [`Display`](fmt::Display)) is the path itself, or `@` then
/// the name for an abstract address (`@my-service`; bytes that are not printable ASCII are
/// shown as `\xNN`). An unnamed address (an unbound socket, the client end of most
/// connections) displays as `(unnamed)`.
///
/// # Examples
/// ```
/// use ipckit::net::unix::SocketAddr;
///
/// let a: SocketAddr = "@svc".parse()?;
/// assert_eq!(a, SocketAddr::Abstract(b"svc".to_vec()));
/// let p: SocketAddr = "/run/app.sock".parse()?;
/// assert_eq!(p.to_string(), "/run/app.sock");
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man7/unix.7.html> (Address format)
#[doc(alias = "sockaddr_un")]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SocketAddr {
    /// A socket file in the filesystem (at most [`MAX_ADDR_LEN`] bytes, no NUL byte).
    Path(PathBuf),
    /// A Linux abstract name (without the leading NUL; 1 to [`MAX_ADDR_LEN`] bytes). It
    /// disappears when the last socket bound to it closes. There is no file and so no
    /// permission check: any process in the same network namespace can connect, so a
    /// server that cares checks [`UnixStream::peer_cred`](super::UnixStream::peer_cred).
    Abstract(Vec<u8>),
    /// No address: an unbound socket.
    Unnamed,
}

impl SocketAddr {
    /// A filesystem path address.
    pub fn path(path: impl Into<PathBuf>) -> SocketAddr {
        SocketAddr::Path(path.into())
    }

    /// An abstract address named `name` (the bytes after the leading NUL).
    pub fn abstract_name(name: impl AsRef<[u8]>) -> SocketAddr {
        SocketAddr::Abstract(name.as_ref().to_vec())
    }

    /// The socket file's path for a [`SocketAddr::Path`]; `None` for an abstract name (no
    /// file) or [`SocketAddr::Unnamed`].
    ///
    /// # Examples
    /// ```
    /// use ipckit::net::unix::SocketAddr;
    /// assert_eq!(SocketAddr::path("/tmp/s").as_path(), Some(std::path::Path::new("/tmp/s")));
    /// assert_eq!(SocketAddr::abstract_name("svc").as_path(), None);
    /// ```
    pub fn as_path(&self) -> Option<&Path> {
        match self {
            SocketAddr::Path(p) => Some(p),
            _ => None,
        }
    }

    /// The kernel's `sockaddr_un`, checking lengths and NUL bytes.
    pub(super) fn to_sys(&self) -> Result<sysu::Addr> {
        let check = |len: usize, what: &str| {
            if len > MAX_ADDR_LEN {
                Err(
                    Error::new(ErrorKind::InvalidInput, "sockaddr_un", self).with_detail(format!(
                        "{what} of {len} bytes is longer than the {MAX_ADDR_LEN} bytes sun_path holds"
                    )),
                )
            } else {
                Ok(())
            }
        };
        match self {
            SocketAddr::Path(p) => {
                let bytes = p.as_os_str().as_bytes();
                check(bytes.len(), "path")?;
                if bytes.is_empty() || bytes.contains(&0) {
                    return Err(Error::new(ErrorKind::InvalidInput, "sockaddr_un", self)
                        .with_detail("a socket path must be non-empty and contain no NUL byte"));
                }
                sysu::Addr::new(Name::Path(p)).ctx("sockaddr_un", self)
            }
            SocketAddr::Abstract(name) => {
                check(name.len(), "abstract name")?;
                if name.is_empty() {
                    return Err(Error::new(ErrorKind::InvalidInput, "sockaddr_un", self)
                        .with_detail("an abstract name must not be empty"));
                }
                sysu::Addr::new(Name::Abstract(name)).ctx("sockaddr_un", self)
            }
            SocketAddr::Unnamed => Err(Error::new(ErrorKind::InvalidInput, "sockaddr_un", self)
                .with_detail("an unnamed address cannot be bound or connected to")),
        }
    }

    pub(super) fn from_sys(name: OwnedName) -> SocketAddr {
        match name {
            OwnedName::Path(p) => SocketAddr::Path(p),
            OwnedName::Abstract(n) => SocketAddr::Abstract(n),
            OwnedName::Unnamed => SocketAddr::Unnamed,
        }
    }
}

impl FromStr for SocketAddr {
    type Err = Error;

    /// `@name` is an abstract name, anything else a path. In an abstract name `\\` is a
    /// backslash and `\xNN` the byte NN (hex), as [`Display`](fmt::Display) prints them, so
    /// any name round-trips. An empty string, an empty abstract name, one longer than
    /// [`MAX_ADDR_LEN`] bytes or a backslash that starts neither escape is
    /// [`ErrorKind::InvalidInput`].
    fn from_str(s: &str) -> Result<SocketAddr> {
        let addr = match s.strip_prefix('@') {
            Some(name) => SocketAddr::Abstract(unescape(name).ok_or_else(|| {
                Error::new(ErrorKind::InvalidInput, "parse", s)
                    .with_detail("in an abstract name a backslash starts an escape: \\\\ or \\xNN")
            })?),
            None => SocketAddr::Path(PathBuf::from(s)),
        };
        addr.to_sys()?;
        Ok(addr)
    }
}

/// The bytes of an abstract name as [`SocketAddr`]'s `Display` escapes them (`\\`,
/// `\xNN`); `None` for a backslash that starts neither.
fn unescape(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next()? {
            b'\\' => out.push(b'\\'),
            b'x' => {
                let hex = [bytes.next()?, bytes.next()?];
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
            }
            _ => return None,
        }
    }
    Some(out)
}

impl fmt::Display for SocketAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SocketAddr::Path(p) => write!(f, "{}", p.display()),
            SocketAddr::Abstract(name) => {
                f.write_str("@")?;
                for &b in name {
                    if b == b'\\' {
                        f.write_str("\\\\")?;
                    } else if b.is_ascii_graphic() || b == b' ' {
                        write!(f, "{}", b as char)?;
                    } else {
                        write!(f, "\\x{b:02x}")?;
                    }
                }
                Ok(())
            }
            SocketAddr::Unnamed => f.write_str("(unnamed)"),
        }
    }
}

impl From<&Path> for SocketAddr {
    fn from(p: &Path) -> SocketAddr {
        SocketAddr::Path(p.to_path_buf())
    }
}

impl From<PathBuf> for SocketAddr {
    fn from(p: PathBuf) -> SocketAddr {
        SocketAddr::Path(p)
    }
}
