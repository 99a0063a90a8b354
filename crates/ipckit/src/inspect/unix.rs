//! Stale Unix socket files: socket files in a directory that nobody listens on any more,
//! left by a server that died without removing them (`kill -9`, a crash). A new server
//! binding the same path gets `EADDRINUSE` until the file is removed.
//!
//! A socket file is stale when a `connect(2)` to it is refused (`ECONNREFUSED`): no socket
//! is bound to it, or a stream socket is bound but does not listen. One that accepts, or has
//! a full backlog, or is bound by a datagram or seqpacket socket (`EPROTOTYPE`), is live; one
//! that cannot be probed (`EACCES`) is not reported. Probing a live listener makes it accept
//! a connection that closes at once.
//!
//! ```
//! use std::os::unix::net::UnixListener;
//! let dir = std::env::temp_dir().join(format!("ipckit-doc-stale-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let live = UnixListener::bind(dir.join("live.sock")).unwrap();
//! drop(UnixListener::bind(dir.join("dead.sock")).unwrap()); // closed, file left behind
//! assert_eq!(ipckit::inspect::stale_sockets(&dir)?, [dir.join("dead.sock")]);
//! assert!(ipckit::inspect::remove_stale_socket(&dir.join("dead.sock"))?);
//! assert!(!ipckit::inspect::remove_stale_socket(&dir.join("live.sock"))?);
//! # drop(live);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), ipckit::Error>(())
//! ```
//!
//! # References
//! <https://man7.org/linux/man-pages/man7/unix.7.html>

use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use crate::{Errno, Error, ErrorKind, Result};

fn io_error(e: &std::io::Error, op: &'static str, path: &Path) -> Error {
    match e.raw_os_error() {
        Some(raw) => Error::from_errno(Errno::from_raw(raw), op, path.display()),
        None => Error::new(ErrorKind::Other, op, path.display()).with_detail(e),
    }
}

/// Whether the socket file at `path` is stale: a `connect(2)` to it is refused
/// (`ECONNREFUSED`), so nobody listens on it.
///
/// # Errors
/// [`ErrorKind::NotFound`] if `path` does not exist; [`ErrorKind::InvalidInput`] if it is
/// not a socket file (or too long a path for `sockaddr_un`); [`ErrorKind::PermissionDenied`]
/// if it cannot be connected to (`EACCES`: no write permission), so it cannot be told.
///
/// # References
/// <https://man7.org/linux/man-pages/man2/connect.2.html>
pub fn is_stale_socket(path: &Path) -> Result<bool> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| io_error(&e, "stat", path))?;
    if !meta.file_type().is_socket() {
        return Err(Error::new(ErrorKind::InvalidInput, "stat", path.display())
            .with_detail("not a socket file"));
    }
    match crate::sys::inspect::connect_unix(path) {
        Ok(()) => Ok(false),
        Err(Errno::ECONNREFUSED) => Ok(true),
        Err(Errno::EPROTOTYPE) => Ok(false),
        Err(e) => Err(Error::from_errno(e, "connect", path.display())),
    }
}

/// The stale socket files directly in `dir` (not in its subdirectories), sorted by path:
/// those [`is_stale_socket`] says nobody listens on. Files that vanish while it looks, and
/// sockets it may not probe, are left out.
///
/// # Errors
/// [`ErrorKind::NotFound`] if `dir` does not exist, [`ErrorKind::PermissionDenied`] if it
/// cannot be read, [`ErrorKind::Other`] with errno `ENOTDIR` if it is not a directory.
///
/// # Examples
/// ```
/// let here = ipckit::inspect::stale_sockets(&std::env::temp_dir())?;
/// assert!(here.iter().all(|p| p.parent() == Some(std::env::temp_dir().as_path())));
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man7/unix.7.html>
#[doc(alias = "ECONNREFUSED")]
pub fn stale_sockets(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| io_error(&e, "opendir", dir))?;
    let mut stale = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io_error(&e, "readdir", dir))?;
        let is_socket = entry.file_type().is_ok_and(|t| t.is_socket());
        if is_socket && is_stale_socket(&entry.path()).unwrap_or(false) {
            stale.push(entry.path());
        }
    }
    stale.sort();
    Ok(stale)
}

/// Removes the socket file at `path` if it is stale (probed again just before), and says
/// whether it did; a socket someone listens on is left alone (`Ok(false)`).
///
/// A server that binds the path between the probe and the removal loses its file (it keeps
/// its socket, but no one can connect by path); the window is one `unlink(2)`.
///
/// # Errors
/// As [`is_stale_socket`]; [`ErrorKind::PermissionDenied`] if the directory does not allow
/// the removal.
///
/// # References
/// <https://man7.org/linux/man-pages/man2/unlink.2.html>
pub fn remove_stale_socket(path: &Path) -> Result<bool> {
    if !is_stale_socket(path)? {
        return Ok(false);
    }
    std::fs::remove_file(path).map_err(|e| io_error(&e, "unlink", path))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_a_socket_file_is_an_error_not_stale() {
        let missing = Path::new("/ipckit-no-such-dir/x.sock");
        assert_eq!(
            is_stale_socket(missing).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        let e = is_stale_socket(Path::new("/proc/self/status")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert_eq!(
            stale_sockets(Path::new("/ipckit-no-such-dir"))
                .unwrap_err()
                .errno(),
            Some(Errno::ENOENT)
        );
        assert_eq!(
            stale_sockets(Path::new("/proc/self/status"))
                .unwrap_err()
                .errno(),
            Some(Errno::ENOTDIR)
        );
    }
}
