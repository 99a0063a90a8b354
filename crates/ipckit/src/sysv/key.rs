//! System V IPC keys (`ftok(3)`, `IPC_PRIVATE`).
//!
//! A [`Key`] names a message queue, semaphore set or shared-memory segment system-wide
//! (within an IPC namespace). Processes agree on one either by a number they share (`1234`,
//! `0x4d2`) or by deriving it from a file with [`Key::ftok`]. [`Key::PRIVATE`] asks for a
//! new object that no other key finds (share its id instead).

use std::ffi::CString;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::str::FromStr;

use crate::error::Context;
use crate::{Error, ErrorKind, Result};

/// A System V IPC key (`key_t`), displayed as `0x%08x` like `ipcs`.
///
/// # Examples
/// ```
/// use ipckit::sysv::key::Key;
/// let k: Key = "0x4d2".parse()?;
/// assert_eq!(k, Key::new(1234));
/// assert_eq!(k.to_string(), "0x000004d2");
/// assert_eq!("1234".parse::<Key>()?, k);
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man7/sysvipc.7.html>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(i32);

impl Key {
    /// `IPC_PRIVATE` (0): every `*get` with it creates a new object that no key finds.
    #[doc(alias = "IPC_PRIVATE")]
    pub const PRIVATE: Key = Key(crate::sys::sysv::IPC_PRIVATE);

    /// The key with this numeric value (`key_t` is a signed 32-bit integer; `ipcs` shows its
    /// bits as unsigned hex).
    pub const fn new(raw: i32) -> Key {
        Key(raw)
    }

    /// The numeric value, as passed to `msgget`/`semget`/`shmget`.
    pub const fn raw(self) -> i32 {
        self.0
    }

    /// Whether this is [`Key::PRIVATE`].
    pub const fn is_private(self) -> bool {
        self.0 == crate::sys::sysv::IPC_PRIVATE
    }

    /// `ftok(3)`: the key derived from an existing file and a project id.
    ///
    /// The key is built from the file's inode number and device (not its name or content)
    /// and **only the low 8 bits of `proj_id`**: ids 1 and 257 give the same key. Those 8
    /// bits must not be 0 (the key could then collide with [`Key::PRIVATE`]). Different files
    /// can still give the same key (the inode is truncated to 16 bits), and a file that is
    /// deleted and created again usually gives a different one.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] if `path` does not exist; [`ErrorKind::InvalidInput`] if the
    /// low 8 bits of `proj_id` are 0 or the path contains a NUL byte.
    ///
    /// # Examples
    /// ```
    /// use ipckit::sysv::key::Key;
    /// let a = Key::ftok("/", 1)?;
    /// assert_eq!(a, Key::ftok("/", 257)?); // only the low 8 bits count
    /// assert_ne!(a, Key::ftok("/", 2)?);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/ftok.3.html>
    pub fn ftok(path: impl AsRef<Path>, proj_id: i32) -> Result<Key> {
        let path = path.as_ref();
        if proj_id & 0xff == 0 {
            return Err(
                Error::new(ErrorKind::InvalidInput, "ftok", path.display()).with_detail(format!(
                    "project id {proj_id} has 0 in its low 8 bits, the only bits ftok uses"
                )),
            );
        }
        let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| {
            Error::new(ErrorKind::InvalidInput, "ftok", path.display())
                .with_detail("path contains a NUL byte")
        })?;
        crate::sys::sysv::ftok(&c, proj_id)
            .map(Key)
            .ctx("ftok", path.display())
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:08x}", self.0 as u32)
    }
}

impl From<i32> for Key {
    fn from(raw: i32) -> Key {
        Key(raw)
    }
}

impl From<Key> for i32 {
    fn from(k: Key) -> i32 {
        k.0
    }
}

/// Parses `1234` (decimal, may be negative), `0x4d2` (hex, up to `0xffffffff`) or
/// `ftok:PATH:ID` (calls [`Key::ftok`]).
impl FromStr for Key {
    type Err = Error;

    fn from_str(s: &str) -> Result<Key> {
        let bad = |why: &str| {
            Error::new(ErrorKind::InvalidInput, "parse key", format!("{s:?}")).with_detail(why)
        };
        if let Some(rest) = s.strip_prefix("ftok:") {
            let (path, id) = rest
                .rsplit_once(':')
                .ok_or_else(|| bad("expected ftok:PATH:ID"))?;
            let id = parse_int(id).ok_or_else(|| bad("the ftok project id is not a number"))?;
            let id = i32::try_from(id).map_err(|_| bad("the ftok project id is out of range"))?;
            return Key::ftok(path, id);
        }
        let v = parse_int(s)
            .ok_or_else(|| bad("expected a decimal or 0x-hex number, or ftok:PATH:ID"))?;
        if let Ok(k) = i32::try_from(v) {
            Ok(Key(k))
        } else if let Ok(u) = u32::try_from(v) {
            Ok(Key(u as i32))
        } else {
            Err(bad("a key is a 32-bit number"))
        }
    }
}

/// A key as a person writes it, resolved when used: a number, or `ftok:PATH:ID` (the file
/// need not exist until [`KeySpec::resolve`]).
///
/// Displayed in canonical form: `0x%08x` for a number, `ftok:PATH:ID` otherwise.
///
/// # Examples
/// ```
/// use ipckit::sysv::key::{Key, KeySpec};
/// let k: KeySpec = "1234".parse()?;
/// assert_eq!((k.resolve()?, k.to_string().as_str()), (Key::new(1234), "0x000004d2"));
/// let f: KeySpec = "ftok:/:7".parse()?;
/// assert_eq!(f.resolve()?, Key::ftok("/", 7)?);
/// assert_eq!(f.to_string(), "ftok:/:7");
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man3/ftok.3.html>
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeySpec {
    /// A numeric key.
    Key(Key),
    /// `ftok(path, id)`, computed by [`KeySpec::resolve`].
    Ftok {
        /// An existing file.
        path: std::path::PathBuf,
        /// The project id (only its low 8 bits count).
        id: i32,
    },
}

impl KeySpec {
    /// The key: the number, or `ftok(3)` of the path and id now.
    ///
    /// # Errors
    /// As [`Key::ftok`] (the file must exist).
    pub fn resolve(&self) -> Result<Key> {
        match self {
            KeySpec::Key(k) => Ok(*k),
            KeySpec::Ftok { path, id } => Key::ftok(path, *id),
        }
    }
}

impl From<Key> for KeySpec {
    fn from(k: Key) -> KeySpec {
        KeySpec::Key(k)
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySpec::Key(k) => write!(f, "{k}"),
            KeySpec::Ftok { path, id } => write!(f, "ftok:{}:{id}", path.display()),
        }
    }
}

/// Parses what [`Key`]'s `FromStr` does, but keeps `ftok:PATH:ID` unresolved.
impl FromStr for KeySpec {
    type Err = Error;

    fn from_str(s: &str) -> Result<KeySpec> {
        let bad = |why: &str| {
            Error::new(ErrorKind::InvalidInput, "parse key", format!("{s:?}")).with_detail(why)
        };
        if let Some(rest) = s.strip_prefix("ftok:") {
            let (path, id) = rest
                .rsplit_once(':')
                .ok_or_else(|| bad("expected ftok:PATH:ID"))?;
            if path.is_empty() {
                return Err(bad("the ftok path is empty"));
            }
            let id = parse_int(id)
                .and_then(|v| i32::try_from(v).ok())
                .ok_or_else(|| bad("the ftok project id is not a 32-bit number"))?;
            if id & 0xff == 0 {
                return Err(bad("the ftok project id has 0 in its low 8 bits"));
            }
            return Ok(KeySpec::Ftok {
                path: path.into(),
                id,
            });
        }
        s.parse().map(KeySpec::Key)
    }
}

fn parse_int(s: &str) -> Option<i64> {
    let (neg, t) = match s.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, s),
    };
    let v = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => i64::from_str_radix(h, 16).ok()?,
        None => t.parse::<i64>().ok()?,
    };
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays() {
        assert_eq!("0".parse::<Key>().unwrap(), Key::PRIVATE);
        assert_eq!("0xffffffff".parse::<Key>().unwrap(), Key::new(-1));
        assert_eq!(Key::new(-1).to_string(), "0xffffffff");
        assert_eq!("-1".parse::<Key>().unwrap(), Key::new(-1));
        assert!("0x1ffffffff".parse::<Key>().is_err());
        assert!("abc".parse::<Key>().is_err());
        assert_eq!(
            "ftok:/:1".parse::<Key>().unwrap(),
            Key::ftok("/", 1).unwrap()
        );
        let e = "ftok:/no/such/file:1".parse::<Key>().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert_eq!(
            Key::ftok("/", 256).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    }
}
