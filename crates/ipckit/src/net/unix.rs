//! Unix domain sockets (`unix(7)`): stream, datagram and seqpacket; fd passing, peer credentials.
//!
//! | type | kernel | shape |
//! |---|---|---|
//! | [`UnixListener`] / [`UnixStream`] | `SOCK_STREAM` | byte stream, both ways, no boundaries |
//! | [`UnixDatagram`] | `SOCK_DGRAM` | datagrams with boundaries, reliable and ordered on Linux |
//! | [`UnixSeqpacketListener`] / [`UnixSeqpacket`] | `SOCK_SEQPACKET` | messages with boundaries over a connection |
//!
//! Addresses ([`SocketAddr`]) are filesystem paths or Linux *abstract* names, written
//! `@name`. An abstract address is passed to the kernel with the tight length
//! `sizeof(sun_family) + 1 + name length` (as socat, Python and systemd do), never padded to
//! 108 bytes with NULs, so `@name` here is the same socket as `\0name` in Python.
//!
//! Every socket is created `SOCK_CLOEXEC`. Every send uses `MSG_NOSIGNAL`: a send to a peer
//! that is gone returns [`ErrorKind::PeerGone`] (`EPIPE`, `ECONNRESET`, `ECONNREFUSED`) and
//! never raises `SIGPIPE`, also in a C host that does not ignore it. `EINTR` is retried.
//!
//! A listener (or datagram socket) that bound a filesystem path creates the socket file with
//! mode `0o600` (owner only; widen it with [`std::fs::set_permissions`]) and removes it when
//! dropped, if the file at that path is still the one it created. Binding over a socket
//! file left behind by a process that died fails with [`ErrorKind::AlreadyExists`]; the
//! `bind_reclaim` constructors remove such a stale file first.
//!
//! # Passing fds
//! `send_fds`/`recv_fds` attach fds to a message (`SCM_RIGHTS`): the receiver gets new fds
//! for the same open files, as [`OwnedFd`]s opened close-on-exec (`MSG_CMSG_CLOEXEC`). The
//! kernel carries at most [`SCM_MAX_FD`] (253) fds per message. A receiver that allowed
//! fewer fds than arrived gets an error, and the fds that did arrive are closed.
//!
//! # Examples
//! ```
//! use std::io::{Read, Write};
//! use ipckit::net::unix::{SocketAddr, UnixListener, UnixStream};
//!
//! let addr: SocketAddr = format!("@ipckit-doc-{}", std::process::id()).parse()?;
//! let listener = UnixListener::bind(&addr)?;
//! let mut client = UnixStream::connect(&addr)?;
//! let mut server = listener.accept()?;
//! client.write_all(b"ping")?;
//! let mut buf = [0u8; 4];
//! server.read_exact(&mut buf)?;
//! assert_eq!(&buf, b"ping");
//! assert_eq!(server.peer_cred()?.pid, std::process::id());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # References
//! - <https://man7.org/linux/man-pages/man7/unix.7.html>
//! - <https://man7.org/linux/man-pages/man2/socket.2.html>
//! - <https://man7.org/linux/man-pages/man3/cmsg.3.html>

use std::fmt;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::socket::{self as sock, AddressFamily, MsgFlags, SockFlag, SockType, UnixAddr};
use nix::sys::time::TimeVal;

use crate::error::Context;
use crate::sys::retry_eintr;
use crate::sys::unix as sysu;
use crate::{Error, ErrorKind, Result};

/// The most fds one message can carry (`SCM_MAX_FD` in the kernel, 253 since Linux 2.6.38).
/// Sending more fails with [`ErrorKind::InvalidInput`] before any syscall.
pub const SCM_MAX_FD: usize = sysu::SCM_MAX_FD;

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
    /// server that cares checks [`UnixStream::peer_cred`].
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

    /// The nix address, checking lengths and NUL bytes.
    fn to_nix(&self) -> Result<UnixAddr> {
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
                UnixAddr::new(p.as_path()).ctx("sockaddr_un", self)
            }
            SocketAddr::Abstract(name) => {
                check(name.len(), "abstract name")?;
                if name.is_empty() {
                    return Err(Error::new(ErrorKind::InvalidInput, "sockaddr_un", self)
                        .with_detail("an abstract name must not be empty"));
                }
                UnixAddr::new_abstract(name).ctx("sockaddr_un", self)
            }
            SocketAddr::Unnamed => Err(Error::new(ErrorKind::InvalidInput, "sockaddr_un", self)
                .with_detail("an unnamed address cannot be bound or connected to")),
        }
    }

    fn from_nix(a: &UnixAddr) -> SocketAddr {
        if let Some(p) = a.path() {
            SocketAddr::Path(p.to_path_buf())
        } else if let Some(n) = a.as_abstract() {
            SocketAddr::Abstract(n.to_vec())
        } else {
            SocketAddr::Unnamed
        }
    }
}

impl FromStr for SocketAddr {
    type Err = Error;

    /// `@name` is an abstract name, anything else a path. An empty string, an empty
    /// abstract name or one longer than [`MAX_ADDR_LEN`] bytes is
    /// [`ErrorKind::InvalidInput`].
    fn from_str(s: &str) -> Result<SocketAddr> {
        let addr = match s.strip_prefix('@') {
            Some(name) => SocketAddr::Abstract(name.as_bytes().to_vec()),
            None => SocketAddr::Path(PathBuf::from(s)),
        };
        addr.to_nix()?;
        Ok(addr)
    }
}

impl fmt::Display for SocketAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SocketAddr::Path(p) => write!(f, "{}", p.display()),
            SocketAddr::Abstract(name) => {
                f.write_str("@")?;
                for &b in name {
                    if b.is_ascii_graphic() || b == b' ' {
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

/// The credentials of the process at the other end of a connection (`SO_PEERCRED`), as
/// they were when it called `connect` (or `socketpair`/`listen`).
#[doc(alias = "ucred")]
#[doc(alias = "SO_PEERCRED")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerCred {
    /// The peer's process id.
    pub pid: u32,
    /// The peer's effective user id.
    pub uid: u32,
    /// The peer's effective group id.
    pub gid: u32,
}

/// Names a socket in error messages: `unix-stream socket fd 5 (local @x, peer (unnamed))`.
/// The addresses are only looked up when an error is displayed.
struct Desc {
    kind: &'static str,
    fd: RawFd,
}

impl fmt::Display for Desc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} socket fd {}", self.kind, self.fd)?;
        let local = sock::getsockname::<UnixAddr>(self.fd).map(|a| SocketAddr::from_nix(&a));
        let peer = sock::getpeername::<UnixAddr>(self.fd).map(|a| SocketAddr::from_nix(&a));
        match (local, peer) {
            (Ok(l), Ok(p)) => write!(f, " (local {l}, peer {p})"),
            (Ok(l), Err(_)) => write!(f, " (local {l})"),
            _ => Ok(()),
        }
    }
}

const STREAM: &str = "unix-stream";
const DGRAM: &str = "unix-dgram";
const SEQPACKET: &str = "unix-seqpacket";

fn desc(kind: &'static str, fd: &impl AsRawFd) -> Desc {
    Desc {
        kind,
        fd: fd.as_raw_fd(),
    }
}

fn new_socket(ty: SockType, addr: &SocketAddr) -> Result<OwnedFd> {
    sock::socket(AddressFamily::Unix, ty, SockFlag::SOCK_CLOEXEC, None).ctx("socket", addr)
}

/// `connect`, retrying `EINTR` (a retried connect that already completed says `EISCONN`).
fn connect_fd(fd: BorrowedFd<'_>, to: &UnixAddr, addr: &SocketAddr) -> Result<()> {
    let mut first = true;
    loop {
        match sock::connect(fd.as_raw_fd(), to) {
            Ok(()) => return Ok(()),
            Err(Errno::EINTR) => first = false,
            Err(Errno::EISCONN) if !first => return Ok(()),
            Err(e) => {
                let err = Error::sys(e, "connect", addr);
                return Err(match e {
                    Errno::ECONNREFUSED => err.with_detail(
                        "nothing listens on this address (a stale socket file, or a listener \
                         that has not called listen yet)",
                    ),
                    Errno::EPROTOTYPE => err
                        .with_kind(ErrorKind::InvalidInput)
                        .with_detail("the socket bound there is of another type"),
                    _ => err,
                });
            }
        }
    }
}

fn connect_socket(ty: SockType, addr: &SocketAddr) -> Result<OwnedFd> {
    let to = addr.to_nix()?;
    let fd = new_socket(ty, addr)?;
    connect_fd(fd.as_fd(), &to, addr)?;
    Ok(fd)
}

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
fn bind_socket(
    ty: SockType,
    addr: &SocketAddr,
    listen: bool,
    reclaim: bool,
) -> Result<(OwnedFd, Option<BoundPath>)> {
    let to = addr.to_nix()?;
    let fd = new_socket(ty, addr)?;
    let mut reclaimed = false;
    loop {
        match sock::bind(fd.as_raw_fd(), &to) {
            Ok(()) => break,
            Err(Errno::EADDRINUSE) => {
                if let (true, false, SocketAddr::Path(p)) = (reclaim, reclaimed, addr) {
                    remove_stale(ty, p, &to, addr)?;
                    reclaimed = true;
                    continue;
                }
                let err =
                    Error::sys(Errno::EADDRINUSE, "bind", addr).with_kind(ErrorKind::AlreadyExists);
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
                let err = Error::sys(e, "bind", addr);
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
    let bound = match addr {
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
        sock::listen(&fd, sock::Backlog::MAXCONN).ctx("listen", addr)?;
    }
    Ok((fd, bound))
}

/// Removes the socket file at `path` if it is a socket nobody listens on (connecting to it
/// is refused); any other case is `AlreadyExists` with the reason.
fn remove_stale(ty: SockType, path: &Path, to: &UnixAddr, addr: &SocketAddr) -> Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let in_use =
        |why: &str| Error::new(ErrorKind::AlreadyExists, "bind_reclaim", addr).with_detail(why);
    let meta = std::fs::symlink_metadata(path).ctx("stat", addr)?;
    if !meta.file_type().is_socket() {
        return Err(in_use("the file there is not a socket; not removed"));
    }
    let probe = new_socket(ty, addr)?;
    match retry_eintr(|| sock::connect(probe.as_raw_fd(), to)) {
        Ok(()) => Err(in_use("a process is listening on it; not removed")),
        Err(Errno::ECONNREFUSED) => std::fs::remove_file(path).ctx("unlink", addr),
        Err(Errno::EPROTOTYPE) => Err(in_use(
            "a socket of another type is bound there and alive; not removed",
        )),
        Err(e) => {
            Err(Error::sys(e, "connect", addr)
                .with_detail("probing whether the socket file is stale"))
        }
    }
}

fn timeval(d: Option<Duration>, op: &'static str, what: Desc) -> Result<TimeVal> {
    match d {
        None => Ok(TimeVal::new(0, 0)),
        Some(d) if d.is_zero() => Err(Error::new(ErrorKind::InvalidInput, op, what)
            .with_detail("a zero timeout; use None for no timeout")),
        Some(d) => {
            let mut secs = d.as_secs().min(i64::MAX as u64 / 2) as i64;
            // Round up so a sub-microsecond timeout is not 0 (which means "none").
            let mut usecs = d.subsec_nanos().div_ceil(1000) as i64;
            if usecs == 1_000_000 {
                // 999_999_001.. ns rounded up: carry (tv_usec >= 10^6 is EDOM).
                secs += 1;
                usecs = 0;
            }
            Ok(TimeVal::new(secs, usecs))
        }
    }
}

fn send_nosignal(fd: BorrowedFd<'_>, buf: &[u8]) -> std::result::Result<usize, Errno> {
    retry_eintr(|| sock::send(fd.as_raw_fd(), buf, MsgFlags::MSG_NOSIGNAL))
}

/// `sendmsg(MSG_NOSIGNAL)` of several buffers in one syscall, no control data.
fn sendv_nosignal(fd: BorrowedFd<'_>, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
    retry_eintr(|| {
        sock::sendmsg::<UnixAddr>(fd.as_raw_fd(), bufs, &[], MsgFlags::MSG_NOSIGNAL, None)
    })
    .map_err(io_err)
}

fn peer_cred(fd: BorrowedFd<'_>, kind: &'static str) -> Result<PeerCred> {
    let c = sock::getsockopt(&fd, sock::sockopt::PeerCredentials)
        .ctx("getsockopt(SO_PEERCRED)", desc(kind, &fd))?;
    Ok(PeerCred {
        pid: c.pid() as u32,
        uid: c.uid(),
        gid: c.gid(),
    })
}

fn send_fds(
    fd: BorrowedFd<'_>,
    kind: &'static str,
    buf: &[u8],
    fds: &[BorrowedFd<'_>],
) -> Result<usize> {
    if fds.len() > SCM_MAX_FD {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "sendmsg(SCM_RIGHTS)",
            desc(kind, &fd),
        )
        .with_detail(format!(
            "{} fds in one message; the kernel carries at most SCM_MAX_FD = {SCM_MAX_FD}",
            fds.len()
        )));
    }
    if kind == STREAM && buf.is_empty() && !fds.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "sendmsg(SCM_RIGHTS)",
            desc(kind, &fd),
        )
        .with_detail("a stream socket carries fds only with at least one byte of data"));
    }
    sysu::sendmsg_fds(fd, buf, fds, libc::MSG_NOSIGNAL).ctx("sendmsg", desc(kind, &fd))
}

/// `recvmsg` with room for `max_fds` fds. Returns the data length (for stream, what was
/// read; for messages, the whole message length, an error if it did not fit).
fn recv_fds(
    fd: BorrowedFd<'_>,
    kind: &'static str,
    buf: &mut [u8],
    max_fds: usize,
    passcred: bool,
) -> Result<(usize, Vec<OwnedFd>)> {
    let mut fds = Vec::new();
    let flags = if kind == STREAM { 0 } else { libc::MSG_TRUNC };
    let r = sysu::recvmsg_fds(fd, buf, flags, max_fds, passcred, &mut fds)
        .ctx("recvmsg", desc(kind, &fd))?;
    if r.msg_flags & libc::MSG_CTRUNC != 0 {
        let arrived = fds.len();
        drop(fds);
        return Err(
            Error::new(ErrorKind::TooLarge, "recvmsg(SCM_RIGHTS)", desc(kind, &fd)).with_detail(
                format!(
                    "control data truncated (MSG_CTRUNC): the message carried more fds than \
                     the {} allowed; the {arrived} that arrived were closed and the {} bytes \
                     of data dropped",
                    max_fds.min(SCM_MAX_FD),
                    r.len
                ),
            ),
        );
    }
    check_message(fd, kind, buf.len(), r, passcred, "recvmsg")?;
    Ok((r.len, fds))
}

/// Turns a message `recvmsg` result into errors: the end of a seqpacket stream (no
/// credentials with a 0-byte result) and a message longer than the buffer.
fn check_message(
    fd: BorrowedFd<'_>,
    kind: &'static str,
    cap: usize,
    r: sysu::Received,
    passcred: bool,
    op: &'static str,
) -> Result<()> {
    // On a SO_PASSCRED socket every message brings credentials, received (a control
    // message) or not (MSG_CTRUNC); the end of the connection brings neither.
    if passcred && r.len == 0 && !r.had_cmsg && r.msg_flags & libc::MSG_CTRUNC == 0 {
        return Err(Error::new(ErrorKind::PeerGone, op, desc(kind, &fd))
            .with_detail("the peer closed the connection"));
    }
    if kind != STREAM && r.len > cap {
        return Err(
            Error::new(ErrorKind::TooLarge, op, desc(kind, &fd)).with_detail(format!(
                "a message of {} bytes does not fit the {cap}-byte buffer; it was discarded",
                r.len
            )),
        );
    }
    Ok(())
}

fn socketpair(ty: SockType, kind: &'static str) -> Result<(OwnedFd, OwnedFd)> {
    sock::socketpair(AddressFamily::Unix, ty, None, SockFlag::SOCK_CLOEXEC).ctx("socketpair", kind)
}

/// Methods every connected socket type shares.
macro_rules! socket_common {
    ($ty:ident, $kind:expr, $ctor:literal) => {
        impl $ty {
            /// Turns non-blocking mode (`O_NONBLOCK`) on or off: a call that would wait fails
            /// with [`ErrorKind::WouldBlock`] instead.
            ///
            /// # Errors
            /// Only from `fcntl` on a bad fd.
            ///
            /// # References
            /// <https://man7.org/linux/man-pages/man2/fcntl.2.html>
            #[doc(alias = "O_NONBLOCK")]
            pub fn set_nonblocking(&self, nonblocking: bool) -> Result<()> {
                crate::sys::poll::set_nonblocking(self.fd.as_fd(), nonblocking)
                    .ctx("fcntl(F_SETFL)", desc($kind, &self.fd))
            }

            /// Sets how long a receive waits (`SO_RCVTIMEO`); `None` waits forever. When it
            /// expires the receive fails with [`ErrorKind::WouldBlock`] (the kernel's
            /// `EAGAIN`). The time is rounded up to whole microseconds.
            ///
            /// # Errors
            /// [`ErrorKind::InvalidInput`] for `Some(Duration::ZERO)`.
            ///
            /// # References
            /// <https://man7.org/linux/man-pages/man7/socket.7.html>
            #[doc(alias = "SO_RCVTIMEO")]
            pub fn set_read_timeout(&self, timeout: Option<Duration>) -> Result<()> {
                let tv = timeval(timeout, "setsockopt(SO_RCVTIMEO)", desc($kind, &self.fd))?;
                sock::setsockopt(&self.fd, sock::sockopt::ReceiveTimeout, &tv)
                    .ctx("setsockopt(SO_RCVTIMEO)", desc($kind, &self.fd))
            }

            /// Sets how long a send waits for room (`SO_SNDTIMEO`); `None` waits forever.
            /// When it expires the send fails with [`ErrorKind::WouldBlock`].
            ///
            /// # Errors
            /// [`ErrorKind::InvalidInput`] for `Some(Duration::ZERO)`.
            ///
            /// # References
            /// <https://man7.org/linux/man-pages/man7/socket.7.html>
            #[doc(alias = "SO_SNDTIMEO")]
            pub fn set_write_timeout(&self, timeout: Option<Duration>) -> Result<()> {
                let tv = timeval(timeout, "setsockopt(SO_SNDTIMEO)", desc($kind, &self.fd))?;
                sock::setsockopt(&self.fd, sock::sockopt::SendTimeout, &tv)
                    .ctx("setsockopt(SO_SNDTIMEO)", desc($kind, &self.fd))
            }

            /// This socket's own address (`getsockname`).
            ///
            /// # Errors
            /// Only from `getsockname` on a bad fd.
            ///
            /// # References
            /// <https://man7.org/linux/man-pages/man2/getsockname.2.html>
            #[doc(alias = "getsockname")]
            pub fn local_addr(&self) -> Result<SocketAddr> {
                let a = sock::getsockname::<UnixAddr>(self.fd.as_raw_fd())
                    .ctx("getsockname", desc($kind, &self.fd))?;
                Ok(SocketAddr::from_nix(&a))
            }

            /// The connected peer's address (`getpeername`); often
            /// [`SocketAddr::Unnamed`] for the client end of a connection.
            ///
            /// # Errors
            /// `ENOTCONN` ([`ErrorKind::Other`]) if not connected.
            ///
            /// # References
            /// <https://man7.org/linux/man-pages/man2/getpeername.2.html>
            #[doc(alias = "getpeername")]
            pub fn peer_addr(&self) -> Result<SocketAddr> {
                let a = sock::getpeername::<UnixAddr>(self.fd.as_raw_fd())
                    .ctx("getpeername", desc($kind, &self.fd))?;
                Ok(SocketAddr::from_nix(&a))
            }

            /// Sends `buf` with the fds `fds` attached as one `SCM_RIGHTS` control message
            /// (`sendmsg`, `MSG_NOSIGNAL`); returns the bytes of `buf` sent. The receiver
            /// gets its own fds for the same open files; the caller's fds stay open.
            ///
            /// # Errors
            /// - [`ErrorKind::InvalidInput`] for more than [`SCM_MAX_FD`] (253) fds, or fds
            ///   with an empty `buf` on a stream socket (the kernel needs a byte to attach
            ///   them to).
            /// - [`ErrorKind::PeerGone`] if the peer is gone.
            /// - [`ErrorKind::LimitReached`] (`ETOOMANYREFS` shows as
            ///   [`ErrorKind::Other`]) if too many fds are in flight.
            ///
            /// # Examples
            /// ```
            #[doc = concat!("let (a, b) = ipckit::net::unix::", $ctor, "::pair()?;")]
            /// let (reader, writer) = ipckit::pipe::pipe()?;
            /// use std::os::fd::AsFd;
            /// a.send_fds(b"x", &[reader.as_fd(), writer.as_fd()])?;
            /// let mut buf = [0u8; 1];
            /// let (n, fds) = b.recv_fds(&mut buf, 4)?;
            /// assert_eq!((n, fds.len()), (1, 2));
            /// # Ok::<(), ipckit::Error>(())
            /// ```
            ///
            /// # References
            /// <https://man7.org/linux/man-pages/man2/sendmsg.2.html>,
            /// <https://man7.org/linux/man-pages/man7/unix.7.html> (`SCM_RIGHTS`)
            #[doc(alias = "sendmsg")]
            #[doc(alias = "SCM_RIGHTS")]
            pub fn send_fds(&self, buf: &[u8], fds: &[BorrowedFd<'_>]) -> Result<usize> {
                send_fds(self.fd.as_fd(), $kind, buf, fds)
            }

            /// Receives data into `buf` together with at most `max_fds` fds passed with it
            /// (`recvmsg` with `MSG_CMSG_CLOEXEC`): returns the byte count and the fds, each
            /// an [`OwnedFd`] that is close-on-exec. `max_fds` above [`SCM_MAX_FD`] is
            /// treated as 253.
            ///
            /// On a stream socket the fds arrive with the receive that reads the first byte
            /// of the data they were sent with (bytes sent before may come in the same
            /// receive), and a receive that got fds stops at the end of that data. Fds that
            /// reach a plain receive (`read`, `recv`) instead are closed by the kernel, never
            /// leaked.
            ///
            /// # Errors
            /// - [`ErrorKind::TooLarge`] if more fds came than `max_fds` allows
            ///   (`MSG_CTRUNC`): the fds that did arrive are closed, none leak, and the data
            ///   of that message is dropped. Also for a message longer than `buf` on
            ///   datagram and seqpacket sockets.
            /// - [`ErrorKind::PeerGone`] at the end of a seqpacket connection.
            /// - [`ErrorKind::WouldBlock`] in non-blocking mode or after a read timeout.
            ///
            /// # References
            /// <https://man7.org/linux/man-pages/man2/recvmsg.2.html>,
            /// <https://man7.org/linux/man-pages/man3/cmsg.3.html>
            #[doc(alias = "recvmsg")]
            #[doc(alias = "MSG_CMSG_CLOEXEC")]
            pub fn recv_fds(
                &self,
                buf: &mut [u8],
                max_fds: usize,
            ) -> Result<(usize, Vec<OwnedFd>)> {
                recv_fds(self.fd.as_fd(), $kind, buf, max_fds, $kind == SEQPACKET)
            }

            /// Shuts down reading, writing or both (`shutdown`); the peer sees end of
            /// stream after a write shutdown.
            ///
            /// # Errors
            /// `ENOTCONN` ([`ErrorKind::Other`]) if not connected.
            ///
            /// # References
            /// <https://man7.org/linux/man-pages/man2/shutdown.2.html>
            pub fn shutdown(&self, how: Shutdown) -> Result<()> {
                let how = match how {
                    Shutdown::Read => sock::Shutdown::Read,
                    Shutdown::Write => sock::Shutdown::Write,
                    Shutdown::Both => sock::Shutdown::Both,
                };
                sock::shutdown(self.fd.as_raw_fd(), how).ctx("shutdown", desc($kind, &self.fd))
            }

            /// A second handle to the same socket (`fcntl(F_DUPFD_CLOEXEC)`).
            ///
            /// # Errors
            /// [`ErrorKind::LimitReached`] when out of fds.
            ///
            /// # References
            /// <https://man7.org/linux/man-pages/man2/dup.2.html>
            #[doc(alias = "dup")]
            pub fn try_clone(&self) -> Result<$ty> {
                let fd = self
                    .fd
                    .try_clone()
                    .ctx("fcntl(F_DUPFD_CLOEXEC)", desc($kind, &self.fd))?;
                Ok($ty::from(fd))
            }
        }

        impl AsFd for $ty {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.fd.as_fd()
            }
        }

        impl AsRawFd for $ty {
            fn as_raw_fd(&self) -> RawFd {
                self.fd.as_raw_fd()
            }
        }

        impl From<$ty> for OwnedFd {
            fn from(s: $ty) -> OwnedFd {
                s.into_fd()
            }
        }
    };
}

fn io_err(e: Errno) -> io::Error {
    io::Error::from_raw_os_error(e as i32)
}

// ---------------------------------------------------------------------------------------
// Stream
// ---------------------------------------------------------------------------------------

/// A connected `SOCK_STREAM` Unix socket: a byte stream both ways.
///
/// Read and write with [`Read`]/[`Write`] (also on `&UnixStream`). Writes use
/// `send(MSG_NOSIGNAL)`, so a write to a closed peer fails with `EPIPE`
/// ([`io::ErrorKind::BrokenPipe`], [`ErrorKind::PeerGone`] once wrapped) instead of raising
/// `SIGPIPE`; `read` returns 0 at end of stream. Their errors are raw OS errors (no
/// allocation), with `EINTR` retried.
#[derive(Debug)]
pub struct UnixStream {
    fd: OwnedFd,
}

impl UnixStream {
    /// Connects to the stream socket listening at `addr` (`socket(AF_UNIX, SOCK_STREAM)` +
    /// `connect`).
    ///
    /// # Errors
    /// - [`ErrorKind::NotFound`] if no socket file exists at the path.
    /// - [`ErrorKind::PeerGone`] (`ECONNREFUSED`) if nothing listens there (a stale socket
    ///   file, an abstract name nobody bound).
    /// - [`ErrorKind::PermissionDenied`] without write permission on the socket file.
    /// - [`ErrorKind::InvalidInput`] for a bad address or a socket of another type there.
    ///
    /// # Examples
    /// ```
    /// use ipckit::net::unix::{SocketAddr, UnixStream};
    /// let err = UnixStream::connect(&SocketAddr::path("/nonexistent/x.sock")).unwrap_err();
    /// assert_eq!(err.kind(), ipckit::ErrorKind::NotFound);
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/connect.2.html>
    pub fn connect(addr: &SocketAddr) -> Result<UnixStream> {
        Ok(UnixStream {
            fd: connect_socket(SockType::Stream, addr)?,
        })
    }

    /// A connected pair of stream sockets (`socketpair`), e.g. to hand one to a child.
    ///
    /// # Errors
    /// [`ErrorKind::LimitReached`] when out of fds.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/socketpair.2.html>
    #[doc(alias = "socketpair")]
    pub fn pair() -> Result<(UnixStream, UnixStream)> {
        let (a, b) = socketpair(SockType::Stream, STREAM)?;
        Ok((UnixStream { fd: a }, UnixStream { fd: b }))
    }

    /// The credentials (pid, uid, gid) of the peer process (`getsockopt(SO_PEERCRED)`), as
    /// they were when it connected.
    ///
    /// # Errors
    /// Only from `getsockopt` on a bad fd.
    ///
    /// # Examples
    /// ```
    /// let (a, _b) = ipckit::net::unix::UnixStream::pair()?;
    /// let cred = a.peer_cred()?;
    /// assert_eq!(cred.pid, std::process::id());
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man7/unix.7.html> (`SO_PEERCRED`)
    #[doc(alias = "SO_PEERCRED")]
    pub fn peer_cred(&self) -> Result<PeerCred> {
        peer_cred(self.fd.as_fd(), STREAM)
    }

    fn into_fd(self) -> OwnedFd {
        self.fd
    }
}

socket_common!(UnixStream, STREAM, "UnixStream");

/// Wraps an fd that must be a connected `AF_UNIX` `SOCK_STREAM` socket (not checked; a
/// wrong fd makes the calls fail with the kernel's error).
impl From<OwnedFd> for UnixStream {
    fn from(fd: OwnedFd) -> UnixStream {
        UnixStream { fd }
    }
}

impl From<std::os::unix::net::UnixStream> for UnixStream {
    fn from(s: std::os::unix::net::UnixStream) -> UnixStream {
        UnixStream { fd: s.into() }
    }
}

impl From<UnixStream> for std::os::unix::net::UnixStream {
    fn from(s: UnixStream) -> std::os::unix::net::UnixStream {
        s.fd.into()
    }
}

fn stream_read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    retry_eintr(|| sock::recv(fd.as_raw_fd(), buf, MsgFlags::empty())).map_err(io_err)
}

impl Read for UnixStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        stream_read(self.fd.as_fd(), buf)
    }
}

impl Read for &UnixStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        stream_read(self.fd.as_fd(), buf)
    }
}

impl Write for UnixStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        send_nosignal(self.fd.as_fd(), buf).map_err(io_err)
    }

    /// One `sendmsg(MSG_NOSIGNAL)`: e.g. a length prefix and its payload in one syscall.
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        sendv_nosignal(self.fd.as_fd(), bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Write for &UnixStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        send_nosignal(self.fd.as_fd(), buf).map_err(io_err)
    }

    /// One `sendmsg(MSG_NOSIGNAL)`: e.g. a length prefix and its payload in one syscall.
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        sendv_nosignal(self.fd.as_fd(), bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A listening `SOCK_STREAM` Unix socket: [`accept`](UnixListener::accept) gives a
/// [`UnixStream`] per client.
///
/// If it bound a filesystem path, the socket file (mode `0o600`) is removed on drop, unless
/// it was replaced meanwhile.
#[derive(Debug)]
pub struct UnixListener {
    fd: OwnedFd,
    bound: Option<BoundPath>,
}

impl UnixListener {
    /// Binds a stream socket to `addr` and listens (`socket` + `bind` + `listen` with
    /// backlog `SOMAXCONN`). A socket file is created with mode `0o600`.
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
    pub fn bind(addr: &SocketAddr) -> Result<UnixListener> {
        let (fd, bound) = bind_socket(SockType::Stream, addr, true, false)?;
        Ok(UnixListener { fd, bound })
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
    pub fn bind_reclaim(addr: &SocketAddr) -> Result<UnixListener> {
        let (fd, bound) = bind_socket(SockType::Stream, addr, true, true)?;
        Ok(UnixListener { fd, bound })
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
    pub fn accept(&self) -> Result<UnixStream> {
        let fd = sysu::accept_cloexec(self.fd.as_fd()).ctx("accept4", desc(STREAM, &self.fd))?;
        Ok(UnixStream { fd })
    }

    /// The address this listener is bound to (`getsockname`).
    ///
    /// # Errors
    /// Only from `getsockname` on a bad fd.
    #[doc(alias = "getsockname")]
    pub fn local_addr(&self) -> Result<SocketAddr> {
        let a = sock::getsockname::<UnixAddr>(self.fd.as_raw_fd())
            .ctx("getsockname", desc(STREAM, &self.fd))?;
        Ok(SocketAddr::from_nix(&a))
    }

    /// Turns non-blocking mode on or off: [`accept`](Self::accept) then returns
    /// [`ErrorKind::WouldBlock`] instead of waiting.
    ///
    /// # Errors
    /// Only from `fcntl` on a bad fd.
    #[doc(alias = "O_NONBLOCK")]
    pub fn set_nonblocking(&self, nonblocking: bool) -> Result<()> {
        crate::sys::poll::set_nonblocking(self.fd.as_fd(), nonblocking)
            .ctx("fcntl(F_SETFL)", desc(STREAM, &self.fd))
    }

    /// Keeps the socket file when this listener is dropped (for a path another process
    /// takes over).
    pub fn persist(&mut self) {
        if let Some(b) = &mut self.bound {
            b.keep = true;
        }
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

// ---------------------------------------------------------------------------------------
// Datagram
// ---------------------------------------------------------------------------------------

/// A `SOCK_DGRAM` Unix socket: whole datagrams, reliable and in order on Linux.
///
/// A datagram's size is limited by the socket's send buffer (`SO_SNDBUF`, about 200 KiB by
/// default): a larger one fails with [`ErrorKind::TooLarge`]. A receive whose buffer is too
/// small for the datagram fails with [`ErrorKind::TooLarge`] (the datagram is consumed)
/// rather than truncating it silently; [`peek_len`](Self::peek_len) tells the size first.
///
/// If it bound a filesystem path, the socket file is removed on drop.
#[derive(Debug)]
pub struct UnixDatagram {
    fd: OwnedFd,
    bound: Option<BoundPath>,
}

impl UnixDatagram {
    /// A datagram socket bound to `addr` (`socket(AF_UNIX, SOCK_DGRAM)` + `bind`), to
    /// receive datagrams sent there. A socket file is created with mode `0o600`.
    ///
    /// # Errors
    /// As [`UnixListener::bind`].
    ///
    /// # Examples
    /// ```
    /// use ipckit::net::unix::{SocketAddr, UnixDatagram};
    /// let addr: SocketAddr = format!("@ipckit-doc-dgram-{}", std::process::id()).parse()?;
    /// let server = UnixDatagram::bind(&addr)?;
    /// let client = UnixDatagram::unbound()?;
    /// client.send_to(b"hi", &addr)?;
    /// let mut buf = [0u8; 16];
    /// assert_eq!(server.recv(&mut buf)?, 2);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/bind.2.html>
    pub fn bind(addr: &SocketAddr) -> Result<UnixDatagram> {
        let (fd, bound) = bind_socket(SockType::Datagram, addr, false, false)?;
        Ok(UnixDatagram { fd, bound })
    }

    /// Like [`bind`](Self::bind), removing a stale socket file first, as
    /// [`UnixListener::bind_reclaim`] does.
    ///
    /// # Errors
    /// As [`UnixListener::bind_reclaim`].
    pub fn bind_reclaim(addr: &SocketAddr) -> Result<UnixDatagram> {
        let (fd, bound) = bind_socket(SockType::Datagram, addr, false, true)?;
        Ok(UnixDatagram { fd, bound })
    }

    /// An unbound datagram socket, to [`send_to`](Self::send_to) or
    /// [`connect`](Self::connect) from.
    ///
    /// # Errors
    /// [`ErrorKind::LimitReached`] when out of fds.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/socket.2.html>
    pub fn unbound() -> Result<UnixDatagram> {
        let fd = new_socket(SockType::Datagram, &SocketAddr::Unnamed)?;
        Ok(UnixDatagram { fd, bound: None })
    }

    /// A connected pair of datagram sockets (`socketpair`).
    ///
    /// # Errors
    /// [`ErrorKind::LimitReached`] when out of fds.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/socketpair.2.html>
    #[doc(alias = "socketpair")]
    pub fn pair() -> Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = socketpair(SockType::Datagram, DGRAM)?;
        Ok((
            UnixDatagram { fd: a, bound: None },
            UnixDatagram { fd: b, bound: None },
        ))
    }

    /// Sets the default destination to `addr` (`connect`): [`send`](Self::send) goes there
    /// and only datagrams from there are received.
    ///
    /// # Errors
    /// As [`UnixStream::connect`] (`ECONNREFUSED`, [`ErrorKind::PeerGone`], if no socket is
    /// bound at `addr`).
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/connect.2.html>
    pub fn connect(&self, addr: &SocketAddr) -> Result<()> {
        let to = addr.to_nix()?;
        connect_fd(self.fd.as_fd(), &to, addr)
    }

    /// Sends `buf` as one datagram to the connected address (`send(MSG_NOSIGNAL)`); returns
    /// its length. Blocks while the receiver's queue is full.
    ///
    /// # Errors
    /// - [`ErrorKind::TooLarge`] (`EMSGSIZE`) above the send buffer size.
    /// - [`ErrorKind::PeerGone`] (`ECONNREFUSED`, `EPIPE`) if the peer socket is closed.
    /// - [`ErrorKind::WouldBlock`] in non-blocking mode with the queue full.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/send.2.html>
    pub fn send(&self, buf: &[u8]) -> Result<usize> {
        send_nosignal(self.fd.as_fd(), buf).ctx("send", desc(DGRAM, &self.fd))
    }

    /// Sends `buf` as one datagram to `addr` (`sendto(MSG_NOSIGNAL)`); returns its length.
    ///
    /// # Errors
    /// As [`send`](Self::send); [`ErrorKind::NotFound`] if no socket file is at the path,
    /// [`ErrorKind::PeerGone`] if nothing is bound there.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/sendto.2.html>
    #[doc(alias = "sendto")]
    pub fn send_to(&self, buf: &[u8], addr: &SocketAddr) -> Result<usize> {
        let to = addr.to_nix()?;
        retry_eintr(|| sock::sendto(self.fd.as_raw_fd(), buf, &to, MsgFlags::MSG_NOSIGNAL))
            .ctx("sendto", addr)
    }

    /// Receives one datagram into `buf` (`recv` with `MSG_TRUNC`); returns its length
    /// (0 for an empty datagram).
    ///
    /// # Errors
    /// - [`ErrorKind::TooLarge`] if the datagram is longer than `buf` (it is consumed).
    /// - [`ErrorKind::WouldBlock`] in non-blocking mode with nothing queued, or after a
    ///   read timeout.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/recv.2.html>
    pub fn recv(&self, buf: &mut [u8]) -> Result<usize> {
        let cap = buf.len();
        let n = retry_eintr(|| sock::recv(self.fd.as_raw_fd(), buf, MsgFlags::MSG_TRUNC))
            .ctx("recv", desc(DGRAM, &self.fd))?;
        let r = sysu::Received {
            len: n,
            msg_flags: 0,
            had_cmsg: false,
        };
        check_message(self.fd.as_fd(), DGRAM, cap, r, false, "recv")?;
        Ok(n)
    }

    /// Receives one datagram into `buf` and tells who sent it (`recvmsg` with
    /// `MSG_TRUNC`): `(length, sender address)`. The sender is
    /// [`SocketAddr::Unnamed`] if it sent from an unbound socket.
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/recvfrom.2.html>
    #[doc(alias = "recvfrom")]
    pub fn recv_from(&self, buf: &mut [u8]) -> Result<(usize, SocketAddr)> {
        let cap = buf.len();
        let (n, from) = retry_eintr(|| {
            let mut iov = [io::IoSliceMut::new(buf)];
            let m = sock::recvmsg::<UnixAddr>(
                self.fd.as_raw_fd(),
                &mut iov,
                None,
                MsgFlags::MSG_TRUNC,
            )?;
            Ok::<_, Errno>((m.bytes, m.address))
        })
        .ctx("recvmsg", desc(DGRAM, &self.fd))?;
        let r = sysu::Received {
            len: n,
            msg_flags: 0,
            had_cmsg: false,
        };
        check_message(self.fd.as_fd(), DGRAM, cap, r, false, "recvmsg")?;
        let from = from.map_or(SocketAddr::Unnamed, |a| SocketAddr::from_nix(&a));
        Ok((n, from))
    }

    /// The length of the next datagram without consuming it (`recv` with
    /// `MSG_PEEK | MSG_TRUNC`); waits like [`recv`](Self::recv).
    ///
    /// # Errors
    /// As [`recv`](Self::recv), never [`ErrorKind::TooLarge`].
    #[doc(alias = "MSG_PEEK")]
    pub fn peek_len(&self) -> Result<usize> {
        retry_eintr(|| {
            sock::recv(
                self.fd.as_raw_fd(),
                &mut [],
                MsgFlags::MSG_PEEK | MsgFlags::MSG_TRUNC,
            )
        })
        .ctx("recv(MSG_PEEK)", desc(DGRAM, &self.fd))
    }

    fn into_fd(self) -> OwnedFd {
        // The socket lives on in the fd: keep its file.
        let UnixDatagram { fd, bound } = self;
        if let Some(mut b) = bound {
            b.keep = true;
        }
        fd
    }

    /// Keeps the socket file when this socket is dropped.
    pub fn persist(&mut self) {
        if let Some(b) = &mut self.bound {
            b.keep = true;
        }
    }
}

socket_common!(UnixDatagram, DGRAM, "UnixDatagram");

/// Wraps an fd that must be an `AF_UNIX` `SOCK_DGRAM` socket. It does not own a socket
/// file.
impl From<OwnedFd> for UnixDatagram {
    fn from(fd: OwnedFd) -> UnixDatagram {
        UnixDatagram { fd, bound: None }
    }
}

// ---------------------------------------------------------------------------------------
// Seqpacket
// ---------------------------------------------------------------------------------------

/// A connected `SOCK_SEQPACKET` Unix socket: whole messages, in order, over a connection.
///
/// Unlike `read` on the raw socket, [`recv`](Self::recv) tells an empty message (`Ok(0)`)
/// from the end of the connection ([`ErrorKind::PeerGone`]): ipckit turns on `SO_PASSCRED`
/// on its seqpacket sockets, so every message, even an empty one, carries credentials, and
/// `recvmsg` without room for them reports `MSG_CTRUNC`; the end of the connection carries
/// none. (As a side effect of `SO_PASSCRED`, the kernel gives a connecting socket an
/// autobound abstract address.)
#[derive(Debug)]
pub struct UnixSeqpacket {
    fd: OwnedFd,
}

fn passcred(fd: &OwnedFd) -> Result<()> {
    sock::setsockopt(fd, sock::sockopt::PassCred, &true)
        .ctx("setsockopt(SO_PASSCRED)", desc(SEQPACKET, fd))
}

impl UnixSeqpacket {
    /// Connects to the seqpacket socket listening at `addr` (`socket(AF_UNIX,
    /// SOCK_SEQPACKET)` + `connect`).
    ///
    /// # Errors
    /// As [`UnixStream::connect`].
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/connect.2.html>
    pub fn connect(addr: &SocketAddr) -> Result<UnixSeqpacket> {
        let to = addr.to_nix()?;
        let fd = new_socket(SockType::SeqPacket, addr)?;
        passcred(&fd)?;
        connect_fd(fd.as_fd(), &to, addr)?;
        Ok(UnixSeqpacket { fd })
    }

    /// A connected pair of seqpacket sockets (`socketpair`).
    ///
    /// # Errors
    /// [`ErrorKind::LimitReached`] when out of fds.
    ///
    /// # Examples
    /// ```
    /// let (a, b) = ipckit::net::unix::UnixSeqpacket::pair()?;
    /// a.send(b"")?;
    /// a.send(b"two")?;
    /// drop(a);
    /// let mut buf = [0u8; 8];
    /// assert_eq!(b.recv(&mut buf)?, 0); // an empty message
    /// assert_eq!(b.recv(&mut buf)?, 3);
    /// assert_eq!(b.recv(&mut buf).unwrap_err().kind(), ipckit::ErrorKind::PeerGone);
    /// # Ok::<(), ipckit::Error>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/socketpair.2.html>
    #[doc(alias = "socketpair")]
    pub fn pair() -> Result<(UnixSeqpacket, UnixSeqpacket)> {
        let (a, b) = socketpair(SockType::SeqPacket, SEQPACKET)?;
        passcred(&a)?;
        passcred(&b)?;
        Ok((UnixSeqpacket { fd: a }, UnixSeqpacket { fd: b }))
    }

    /// Sends `buf` as one message (`send(MSG_NOSIGNAL)`); returns its length.
    ///
    /// # Errors
    /// - [`ErrorKind::TooLarge`] (`EMSGSIZE`) above the send buffer size (about 200 KiB
    ///   by default).
    /// - [`ErrorKind::PeerGone`] (`EPIPE`) if the peer closed.
    /// - [`ErrorKind::WouldBlock`] in non-blocking mode with the queue full.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/send.2.html>
    pub fn send(&self, buf: &[u8]) -> Result<usize> {
        send_nosignal(self.fd.as_fd(), buf).ctx("send", desc(SEQPACKET, &self.fd))
    }

    /// Receives one message into `buf` (`recvmsg` with `MSG_TRUNC`); returns its length, 0
    /// for an empty message.
    ///
    /// # Errors
    /// - [`ErrorKind::PeerGone`] at the end of the connection (the peer closed).
    /// - [`ErrorKind::TooLarge`] if the message is longer than `buf` (it is consumed).
    /// - [`ErrorKind::WouldBlock`] in non-blocking mode or after a read timeout.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/recvmsg.2.html>
    pub fn recv(&self, buf: &mut [u8]) -> Result<usize> {
        self.recv_flags(buf, libc::MSG_TRUNC, "recvmsg")
    }

    /// The length of the next message without consuming it (`recvmsg` with
    /// `MSG_PEEK | MSG_TRUNC`); waits like [`recv`](Self::recv).
    ///
    /// # Errors
    /// As [`recv`](Self::recv), never [`ErrorKind::TooLarge`].
    #[doc(alias = "MSG_PEEK")]
    pub fn peek_len(&self) -> Result<usize> {
        self.recv_flags(
            &mut [],
            libc::MSG_TRUNC | libc::MSG_PEEK,
            "recvmsg(MSG_PEEK)",
        )
    }

    fn recv_flags(&self, buf: &mut [u8], flags: libc::c_int, op: &'static str) -> Result<usize> {
        let cap = if flags & libc::MSG_PEEK != 0 {
            usize::MAX
        } else {
            buf.len()
        };
        // No control buffer: with SO_PASSCRED on, the kernel marks every message, even an
        // empty one, MSG_CTRUNC (its credentials did not fit), and the end of the connection
        // not. Cheaper than receiving the credentials; fds sent along are closed by the kernel.
        let mut fds = Vec::new();
        let r = sysu::recvmsg_fds(self.fd.as_fd(), buf, flags, 0, false, &mut fds)
            .ctx(op, desc(SEQPACKET, &self.fd))?;
        debug_assert!(fds.is_empty());
        check_message(self.fd.as_fd(), SEQPACKET, cap, r, true, op)?;
        Ok(r.len)
    }

    /// The credentials of the peer process (`getsockopt(SO_PEERCRED)`), as they were when
    /// it connected.
    ///
    /// # Errors
    /// Only from `getsockopt` on a bad fd.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man7/unix.7.html> (`SO_PEERCRED`)
    #[doc(alias = "SO_PEERCRED")]
    pub fn peer_cred(&self) -> Result<PeerCred> {
        peer_cred(self.fd.as_fd(), SEQPACKET)
    }

    fn into_fd(self) -> OwnedFd {
        self.fd
    }
}

socket_common!(UnixSeqpacket, SEQPACKET, "UnixSeqpacket");

/// Wraps an fd that must be a connected `AF_UNIX` `SOCK_SEQPACKET` socket, and turns on
/// `SO_PASSCRED` on it (ignoring a failure: then an empty message reads as the end of the
/// connection).
impl From<OwnedFd> for UnixSeqpacket {
    fn from(fd: OwnedFd) -> UnixSeqpacket {
        let _ = passcred(&fd);
        UnixSeqpacket { fd }
    }
}

/// A listening `SOCK_SEQPACKET` Unix socket: [`accept`](Self::accept) gives a
/// [`UnixSeqpacket`] per client. Removes a socket file it bound on drop.
#[derive(Debug)]
pub struct UnixSeqpacketListener {
    fd: OwnedFd,
    bound: Option<BoundPath>,
}

impl UnixSeqpacketListener {
    /// Binds a seqpacket socket to `addr` and listens (`socket(AF_UNIX, SOCK_SEQPACKET)` +
    /// `bind` + `listen`). A socket file is created with mode `0o600`.
    ///
    /// # Errors
    /// As [`UnixListener::bind`].
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
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/bind.2.html>,
    /// <https://man7.org/linux/man-pages/man2/listen.2.html>
    pub fn bind(addr: &SocketAddr) -> Result<UnixSeqpacketListener> {
        let (fd, bound) = bind_socket(SockType::SeqPacket, addr, true, false)?;
        Ok(UnixSeqpacketListener { fd, bound })
    }

    /// Like [`bind`](Self::bind), removing a stale socket file first, as
    /// [`UnixListener::bind_reclaim`] does.
    ///
    /// # Errors
    /// As [`UnixListener::bind_reclaim`].
    pub fn bind_reclaim(addr: &SocketAddr) -> Result<UnixSeqpacketListener> {
        let (fd, bound) = bind_socket(SockType::SeqPacket, addr, true, true)?;
        Ok(UnixSeqpacketListener { fd, bound })
    }

    /// Waits for a client and returns the connection (`accept4` with `SOCK_CLOEXEC`).
    ///
    /// # Errors
    /// As [`UnixListener::accept`].
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/accept.2.html>
    #[doc(alias = "accept4")]
    pub fn accept(&self) -> Result<UnixSeqpacket> {
        let fd = sysu::accept_cloexec(self.fd.as_fd()).ctx("accept4", desc(SEQPACKET, &self.fd))?;
        passcred(&fd)?;
        Ok(UnixSeqpacket { fd })
    }

    /// The address this listener is bound to (`getsockname`).
    ///
    /// # Errors
    /// Only from `getsockname` on a bad fd.
    #[doc(alias = "getsockname")]
    pub fn local_addr(&self) -> Result<SocketAddr> {
        let a = sock::getsockname::<UnixAddr>(self.fd.as_raw_fd())
            .ctx("getsockname", desc(SEQPACKET, &self.fd))?;
        Ok(SocketAddr::from_nix(&a))
    }

    /// Turns non-blocking mode on or off: [`accept`](Self::accept) then returns
    /// [`ErrorKind::WouldBlock`] instead of waiting.
    ///
    /// # Errors
    /// Only from `fcntl` on a bad fd.
    #[doc(alias = "O_NONBLOCK")]
    pub fn set_nonblocking(&self, nonblocking: bool) -> Result<()> {
        crate::sys::poll::set_nonblocking(self.fd.as_fd(), nonblocking)
            .ctx("fcntl(F_SETFL)", desc(SEQPACKET, &self.fd))
    }

    /// Keeps the socket file when this listener is dropped.
    pub fn persist(&mut self) {
        if let Some(b) = &mut self.bound {
            b.keep = true;
        }
    }
}

impl AsFd for UnixSeqpacketListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for UnixSeqpacketListener {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}
