//! The listening sockets ([`Listener`]: [`UnixListener`] for streams,
//! [`UnixSeqpacketListener`] for seqpacket connections, one implementation), and the
//! binding of a socket to an address that both they and [`UnixDatagram`] use: the socket
//! file's mode, its removal on drop, the reclaiming of a stale one, and [`Named`].

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::{desc, new_socket, SocketAddr, UnixSeqpacket, UnixStream, SEQPACKET, STREAM};
#[cfg(doc)]
use super::{UnixDatagram, MAX_ADDR_LEN};
use crate::error::Context;
use crate::named::{Named, Sealed};
use crate::sys::retry_eintr;
use crate::sys::unix::{self as sysu, Type};
use crate::{Errno, Error, ErrorKind, Result};

/// Whether a bind removes a stale socket file first (`bind_reclaim`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reclaim {
    /// Fail with `AlreadyExists` if the path exists.
    No,
    /// Remove a socket file nobody listens on, then bind again once.
    Stale,
}

/// What a socket is bound to: the address, and the socket file it created, if any.
#[derive(Debug)]
pub(super) struct Binding {
    addr: SocketAddr,
    file: Option<BoundPath>,
}

impl Binding {
    /// No address (an unbound socket, one end of a pair, or a wrapped fd).
    pub(super) fn none() -> Binding {
        Binding {
            addr: SocketAddr::Unnamed,
            file: None,
        }
    }

    /// Keeps the socket file: the socket lives on elsewhere (in an fd given away).
    pub(super) fn keep(&mut self) {
        if let Some(f) = &mut self.file {
            f.keep = true;
        }
    }

    pub(super) fn name(&self) -> Cow<'_, str> {
        Cow::Owned(self.addr.to_string())
    }

    pub(super) fn is_owner(&self) -> bool {
        self.file.as_ref().is_some_and(|f| !f.keep)
    }

    /// Unlinks the socket file (whoever created it); nothing to do for an abstract name,
    /// which goes away with the socket.
    pub(super) fn remove(mut self) -> Result<()> {
        match self.file.take() {
            Some(mut f) => {
                f.keep = true;
                std::fs::remove_file(&f.path).ctx("unlink", &self.addr)
            }
            None => match &self.addr {
                SocketAddr::Path(p) => std::fs::remove_file(p).ctx("unlink", &self.addr),
                _ => Ok(()),
            },
        }
    }
}

/// Implements [`Named`] for a type with a `binding: Binding` field.
macro_rules! named_by_binding {
    ($ty:ty) => {
        impl Sealed for $ty {}

        /// The name is the bound address (a path, or `@name` for an abstract one). Only a
        /// socket that bound a filesystem path owns something to remove (its socket file);
        /// an abstract name disappears with the last socket bound to it.
        impl Named for $ty {
            fn name(&self) -> std::borrow::Cow<'_, str> {
                self.binding.name()
            }

            fn is_owner(&self) -> bool {
                self.binding.is_owner()
            }

            fn persist(&mut self) {
                self.binding.keep();
            }

            /// Closes the socket and unlinks its socket file (`unlink(2)`), whoever
            /// created it.
            ///
            /// # Errors
            /// [`ErrorKind::NotFound`] if the file is already gone;
            /// [`ErrorKind::PermissionDenied`] if the directory is not writable.
            fn remove(self) -> Result<()> {
                let Self { binding, fd, .. } = self;
                drop(fd);
                binding.remove()
            }
        }
    };
}

pub(super) use named_by_binding;

/// A socket file this process bound; removed on drop if the path still names that file.
#[derive(Debug)]
struct BoundPath {
    path: PathBuf,
    dev: u64,
    ino: u64,
    keep: bool,
}

impl Drop for BoundPath {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        if let Ok(m) = std::fs::symlink_metadata(&self.path) {
            if m.dev() == self.dev && m.ino() == self.ino {
                let _ = std::fs::remove_file(&self.path);
            }
        }
    }
}

/// Binds a new socket of type `ty` to `addr` (and `listen`s if `listen`), chmods a socket
/// file to 0o600, and on `EADDRINUSE` either explains (`reclaim == false`) or removes a
/// stale socket file and tries again once.
pub(super) fn bind_socket(
    ty: Type,
    addr: &SocketAddr,
    listen: bool,
    reclaim: Reclaim,
) -> Result<(OwnedFd, Binding)> {
    let to = addr.to_sys()?;
    let fd = new_socket(ty, addr)?;
    let mut reclaimed = false;
    loop {
        match sysu::bind(fd.as_fd(), &to) {
            Ok(()) => break,
            Err(Errno::EADDRINUSE) => {
                if let (Reclaim::Stale, false, SocketAddr::Path(p)) = (reclaim, reclaimed, addr) {
                    remove_stale(ty, p, &to, addr)?;
                    reclaimed = true;
                    continue;
                }
                let err = Error::from_errno(Errno::EADDRINUSE, "bind", addr)
                    .with_kind(ErrorKind::AlreadyExists);
                return Err(match addr {
                    SocketAddr::Path(p) => err.with_detail(format!(
                        "{} already exists; if no process listens on it (one that died left \
                         it behind), remove the file or bind with bind_reclaim, which removes \
                         it only when connecting to it is refused",
                        p.display()
                    )),
                    _ => err.with_detail("another socket is bound to this abstract name"),
                });
            }
            Err(e) => {
                let err = Error::from_errno(e, "bind", addr);
                return Err(match (e, addr) {
                    (Errno::ENOENT, SocketAddr::Path(p)) => err.with_detail(format!(
                        "the directory {} does not exist",
                        p.parent().unwrap_or(Path::new("")).display()
                    )),
                    _ => err,
                });
            }
        }
    }
    let file = match addr {
        SocketAddr::Path(p) => {
            // Owner only, before listen(): nobody can connect in between.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o600))
                .ctx("chmod", addr)?;
            let m = std::fs::symlink_metadata(p).ctx("stat", addr)?;
            Some(BoundPath {
                path: p.clone(),
                dev: m.dev(),
                ino: m.ino(),
                keep: false,
            })
        }
        _ => None,
    };
    if listen {
        sysu::listen(fd.as_fd()).ctx("listen", addr)?;
    }
    let binding = Binding {
        addr: addr.clone(),
        file,
    };
    Ok((fd, binding))
}

/// Removes the socket file at `path` if it is a socket nobody listens on (connecting to it
/// is refused); any other case is `AlreadyExists` with the reason.
fn remove_stale(ty: Type, path: &Path, to: &sysu::Addr, addr: &SocketAddr) -> Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let in_use =
        |why: &str| Error::new(ErrorKind::AlreadyExists, "bind_reclaim", addr).with_detail(why);
    let meta = std::fs::symlink_metadata(path).ctx("stat", addr)?;
    if !meta.file_type().is_socket() {
        return Err(in_use("the file there is not a socket; not removed"));
    }
    let probe = new_socket(ty, addr)?;
    match retry_eintr(|| sysu::connect(probe.as_fd(), to)) {
        Ok(()) => Err(in_use("a process is listening on it; not removed")),
        Err(Errno::ECONNREFUSED) => std::fs::remove_file(path).ctx("unlink", addr),
        Err(Errno::EPROTOTYPE) => Err(in_use(
            "a socket of another type is bound there and alive; not removed",
        )),
        Err(e) => Err(Error::from_errno(e, "connect", addr)
            .with_detail("probing whether the socket file is stale")),
    }
}

mod private {
    /// Seals [`super::Connection`]: what a listener makes of an accepted fd.
    pub trait Sealed: Sized {
        /// The socket kind in error messages (`unix-stream`).
        const KIND: &'static str;
        /// The connection type for an fd `accept4` returned.
        fn from_accepted(fd: std::os::fd::OwnedFd) -> crate::Result<Self>;
    }
}

/// A connection type a [`Listener`] accepts: [`UnixStream`] (`SOCK_STREAM`) or
/// [`UnixSeqpacket`] (`SOCK_SEQPACKET`). Sealed: only these two implement it.
pub trait Connection: private::Sealed {}

impl private::Sealed for UnixStream {
    const KIND: &'static str = STREAM;
    fn from_accepted(fd: OwnedFd) -> Result<UnixStream> {
        Ok(UnixStream::from(fd))
    }
}

impl Connection for UnixStream {}

impl private::Sealed for UnixSeqpacket {
    const KIND: &'static str = SEQPACKET;
    fn from_accepted(fd: OwnedFd) -> Result<UnixSeqpacket> {
        UnixSeqpacket::accepted(fd)
    }
}

impl Connection for UnixSeqpacket {}

fn sock_type(kind: &str) -> Type {
    if kind == SEQPACKET {
        Type::SeqPacket
    } else {
        Type::Stream
    }
}

/// A listening stream socket: [`accept`](UnixListener::accept) gives a [`UnixStream`] per
/// client. See [`Listener`].
#[doc(alias = "listen")]
pub type UnixListener = Listener<UnixStream>;

/// A listening seqpacket socket: [`accept`](UnixSeqpacketListener::accept) gives a
/// [`UnixSeqpacket`] per client. See [`Listener`].
pub type UnixSeqpacketListener = Listener<UnixSeqpacket>;

/// A listening Unix socket whose [`accept`](Self::accept) gives a `C` per client:
/// [`UnixListener`] (`SOCK_STREAM`, `C` = [`UnixStream`]) or [`UnixSeqpacketListener`]
/// (`SOCK_SEQPACKET`, `C` = [`UnixSeqpacket`]).
///
/// If it bound a filesystem path, the socket file (mode `0o600`) is removed on drop, unless
/// it was replaced meanwhile or [persisted](Named::persist). Its [`Named::name`] is the
/// address.
///
/// # Examples
/// ```
/// use ipckit::net::unix::{SocketAddr, UnixSeqpacket, UnixSeqpacketListener};
/// let addr: SocketAddr = format!("@ipckit-doc-seq-{}", std::process::id()).parse()?;
/// let listener = UnixSeqpacketListener::bind(&addr)?;
/// let client = UnixSeqpacket::connect(&addr)?;
/// let server = listener.accept()?;
/// client.send(b"one")?;
/// client.send(b"two")?;
/// let mut buf = [0u8; 8];
/// let n = server.recv(&mut buf)?;
/// assert_eq!(&buf[..n], b"one");
/// let n = server.recv(&mut buf)?;
/// assert_eq!(&buf[..n], b"two");
/// # Ok::<(), ipckit::Error>(())
/// ```
pub struct Listener<C: Connection> {
    fd: OwnedFd,
    binding: Binding,
    conn: PhantomData<fn() -> C>,
}

impl<C: Connection> fmt::Debug for Listener<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listener")
            .field("kind", &C::KIND)
            .field("fd", &self.fd)
            .field("binding", &self.binding)
            .finish()
    }
}

impl<C: Connection> Listener<C> {
    /// Binds a socket of this listener's type to `addr` and listens (`socket` + `bind` +
    /// `listen` with backlog `SOMAXCONN`). A socket file is created with mode `0o600`.
    ///
    /// # Errors
    /// - [`ErrorKind::AlreadyExists`] (`EADDRINUSE`) if the path exists (for a socket file
    ///   left behind by a dead process, the detail says how to reclaim it: see
    ///   [`bind_reclaim`](Self::bind_reclaim)) or the abstract name is taken.
    /// - [`ErrorKind::NotFound`] if the path's directory does not exist.
    /// - [`ErrorKind::PermissionDenied`] without write permission on the directory.
    /// - [`ErrorKind::InvalidInput`] for a path or name above [`MAX_ADDR_LEN`] bytes.
    ///
    /// # Examples
    /// ```
    /// use ipckit::net::unix::{SocketAddr, UnixListener};
    /// let path = std::env::temp_dir().join(format!("ipckit-doc-{}.sock", std::process::id()));
    /// let listener = UnixListener::bind(&SocketAddr::path(&path))?;
    /// assert!(path.exists());
    /// let again = UnixListener::bind(&SocketAddr::path(&path)).unwrap_err();
    /// assert_eq!(again.kind(), ipckit::ErrorKind::AlreadyExists);
    /// drop(listener);
    /// assert!(!path.exists()); // removed on drop
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/bind.2.html>,
    /// <https://man7.org/linux/man-pages/man2/listen.2.html>
    #[doc(alias = "listen")]
    pub fn bind(addr: &SocketAddr) -> Result<Listener<C>> {
        Listener::bind_with(addr, Reclaim::No)
    }

    /// Like [`bind`](Self::bind), but if a socket file already exists at the path and
    /// nobody listens on it (connecting to it is refused: the process that bound it is
    /// gone), removes it and binds again. A file that is not a socket, or a socket someone
    /// listens on, is left alone.
    ///
    /// Between the check and the removal another process could bind the same path; use it
    /// where one process at a time owns the path (a service and its restarts).
    ///
    /// # Errors
    /// As [`bind`](Self::bind); [`ErrorKind::AlreadyExists`] with the reason if the file is
    /// not stale.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/bind.2.html>,
    /// <https://man7.org/linux/man-pages/man2/unlink.2.html>
    pub fn bind_reclaim(addr: &SocketAddr) -> Result<Listener<C>> {
        Listener::bind_with(addr, Reclaim::Stale)
    }

    fn bind_with(addr: &SocketAddr, reclaim: Reclaim) -> Result<Listener<C>> {
        let (fd, binding) = bind_socket(sock_type(C::KIND), addr, true, reclaim)?;
        Ok(Listener {
            fd,
            binding,
            conn: PhantomData,
        })
    }

    /// Waits for a client and returns the connection (`accept4` with `SOCK_CLOEXEC`).
    ///
    /// # Errors
    /// [`ErrorKind::WouldBlock`] in non-blocking mode with no client waiting;
    /// [`ErrorKind::LimitReached`] when out of fds.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/accept.2.html>
    #[doc(alias = "accept4")]
    pub fn accept(&self) -> Result<C> {
        let fd = sysu::accept_cloexec(self.fd.as_fd()).ctx("accept4", desc(C::KIND, &self.fd))?;
        C::from_accepted(fd)
    }

    /// The address this listener is bound to (`getsockname`).
    ///
    /// # Errors
    /// Only from `getsockname` on a bad fd.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/getsockname.2.html>
    #[doc(alias = "getsockname")]
    pub fn local_addr(&self) -> Result<SocketAddr> {
        let name = sysu::local_name(self.fd.as_fd()).ctx("getsockname", desc(C::KIND, &self.fd))?;
        Ok(SocketAddr::from_sys(name))
    }

    /// Turns non-blocking mode on or off: [`accept`](Self::accept) then returns
    /// [`ErrorKind::WouldBlock`] instead of waiting.
    ///
    /// # Errors
    /// Only from `fcntl` on a bad fd.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/fcntl.2.html>
    #[doc(alias = "O_NONBLOCK")]
    pub fn set_nonblocking(&self, nonblocking: bool) -> Result<()> {
        crate::sys::fd::set_nonblocking(self.fd.as_fd(), nonblocking)
            .ctx("fcntl(F_SETFL)", desc(C::KIND, &self.fd))
    }
}

named_by_binding!(Listener<UnixStream>);
named_by_binding!(Listener<UnixSeqpacket>);

impl<C: Connection> AsFd for Listener<C> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl<C: Connection> AsRawFd for Listener<C> {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}
