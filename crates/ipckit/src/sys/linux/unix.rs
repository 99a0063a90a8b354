//! Unix domain sockets: `socket`, `bind`, `connect`, `accept4`, `send`/`recv`, socket
//! options, and `sendmsg`/`recvmsg` with `SCM_RIGHTS` control messages.
//!
//! nix covers `sendmsg`/`recvmsg`, but refuses to parse control data that the kernel marked
//! `MSG_CTRUNC`, which is exactly when the fds that did arrive must be found and closed. So the
//! control buffer is parsed here, and every fd the kernel installed becomes an [`OwnedFd`].
//! Everything returns ipckit's [`Errno`]; addresses go in as [`Name`] and come out as
//! [`OwnedName`], so no nix type leaves this file.

use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::sys::socket::{self as sock, AddressFamily, MsgFlags, SockFlag, SockType, UnixAddr};
use nix::sys::time::TimeVal;

use crate::sys::{errno, retry_eintr};
use crate::Errno;

/// `recv` flags, as the kernel spells them.
pub(crate) const MSG_TRUNC: i32 = libc::MSG_TRUNC;
/// `recv` flag: look at the next message without consuming it.
pub(crate) const MSG_PEEK: i32 = libc::MSG_PEEK;
/// `msg_flags` bit: the control data did not fit.
pub(crate) const MSG_CTRUNC: i32 = libc::MSG_CTRUNC;

/// The socket types ipckit uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Type {
    /// `SOCK_STREAM`.
    Stream,
    /// `SOCK_DGRAM`.
    Datagram,
    /// `SOCK_SEQPACKET`.
    SeqPacket,
}

impl Type {
    fn nix(self) -> SockType {
        match self {
            Type::Stream => SockType::Stream,
            Type::Datagram => SockType::Datagram,
            Type::SeqPacket => SockType::SeqPacket,
        }
    }
}

/// A socket name to bind or connect to (checked for length by the caller).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Name<'a> {
    /// A filesystem path.
    Path(&'a Path),
    /// An abstract name (without the leading NUL).
    Abstract(&'a [u8]),
}

/// A socket name the kernel reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OwnedName {
    /// A filesystem path.
    Path(PathBuf),
    /// An abstract name (without the leading NUL).
    Abstract(Vec<u8>),
    /// No name.
    Unnamed,
}

impl OwnedName {
    fn from_nix(a: &UnixAddr) -> OwnedName {
        if let Some(p) = a.path() {
            OwnedName::Path(p.to_path_buf())
        } else if let Some(n) = a.as_abstract() {
            OwnedName::Abstract(n.to_vec())
        } else {
            OwnedName::Unnamed
        }
    }
}

/// A `sockaddr_un`, built once and reused for `bind`, `connect` and `sendto`.
#[derive(Clone)]
pub(crate) struct Addr(UnixAddr);

impl Addr {
    /// The `sockaddr_un` for `name`; an abstract name gets the tight length (no padding).
    pub(crate) fn new(name: Name<'_>) -> Result<Addr, Errno> {
        match name {
            Name::Path(p) => UnixAddr::new(p),
            Name::Abstract(n) => UnixAddr::new_abstract(n),
        }
        .map(Addr)
        .map_err(errno)
    }
}

/// `socket(AF_UNIX, ty, SOCK_CLOEXEC)`.
pub(crate) fn socket(ty: Type) -> Result<OwnedFd, Errno> {
    sock::socket(AddressFamily::Unix, ty.nix(), SockFlag::SOCK_CLOEXEC, None).map_err(errno)
}

/// `socketpair(AF_UNIX, ty, SOCK_CLOEXEC)`.
pub(crate) fn socketpair(ty: Type) -> Result<(OwnedFd, OwnedFd), Errno> {
    sock::socketpair(AddressFamily::Unix, ty.nix(), None, SockFlag::SOCK_CLOEXEC).map_err(errno)
}

/// One `connect` (not retried: a retried connect says `EISCONN`; the caller decides).
pub(crate) fn connect(fd: BorrowedFd<'_>, to: &Addr) -> Result<(), Errno> {
    sock::connect(fd.as_raw_fd(), &to.0).map_err(errno)
}

/// `bind`.
pub(crate) fn bind(fd: BorrowedFd<'_>, to: &Addr) -> Result<(), Errno> {
    sock::bind(fd.as_raw_fd(), &to.0).map_err(errno)
}

/// `listen(fd, SOMAXCONN)`.
pub(crate) fn listen(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    sock::listen(&fd, sock::Backlog::MAXCONN).map_err(errno)
}

/// `getsockname`.
pub(crate) fn local_name(fd: impl AsRawFd) -> Result<OwnedName, Errno> {
    let a = sock::getsockname::<UnixAddr>(fd.as_raw_fd()).map_err(errno)?;
    Ok(OwnedName::from_nix(&a))
}

/// `getpeername`.
pub(crate) fn peer_name(fd: impl AsRawFd) -> Result<OwnedName, Errno> {
    let a = sock::getpeername::<UnixAddr>(fd.as_raw_fd()).map_err(errno)?;
    Ok(OwnedName::from_nix(&a))
}

/// `send(MSG_NOSIGNAL)`, retrying `EINTR`.
pub(crate) fn send(fd: BorrowedFd<'_>, buf: &[u8]) -> Result<usize, Errno> {
    retry_eintr(|| sock::send(fd.as_raw_fd(), buf, MsgFlags::MSG_NOSIGNAL)).map_err(errno)
}

/// `sendmsg(MSG_NOSIGNAL)` of several buffers in one syscall, no control data.
pub(crate) fn sendv(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> Result<usize, Errno> {
    retry_eintr(|| {
        sock::sendmsg::<UnixAddr>(fd.as_raw_fd(), bufs, &[], MsgFlags::MSG_NOSIGNAL, None)
    })
    .map_err(errno)
}

/// `sendto(MSG_NOSIGNAL)`, retrying `EINTR`.
pub(crate) fn send_to(fd: BorrowedFd<'_>, buf: &[u8], to: &Addr) -> Result<usize, Errno> {
    retry_eintr(|| sock::sendto(fd.as_raw_fd(), buf, &to.0, MsgFlags::MSG_NOSIGNAL)).map_err(errno)
}

/// `recv(flags)` ([`MSG_TRUNC`], [`MSG_PEEK`] or 0), retrying `EINTR`.
pub(crate) fn recv(fd: BorrowedFd<'_>, buf: &mut [u8], flags: i32) -> Result<usize, Errno> {
    let flags = MsgFlags::from_bits_retain(flags);
    retry_eintr(|| sock::recv(fd.as_raw_fd(), buf, flags)).map_err(errno)
}

/// `recvmsg(flags)` with room for the sender's address: `(length, sender)`.
pub(crate) fn recv_from(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    flags: i32,
) -> Result<(usize, OwnedName), Errno> {
    let flags = MsgFlags::from_bits_retain(flags);
    let (n, from) = retry_eintr(|| {
        let mut iov = [IoSliceMut::new(buf)];
        let m = sock::recvmsg::<UnixAddr>(fd.as_raw_fd(), &mut iov, None, flags)?;
        Ok::<_, nix::errno::Errno>((m.bytes, m.address))
    })
    .map_err(errno)?;
    Ok((
        n,
        from.map_or(OwnedName::Unnamed, |a| OwnedName::from_nix(&a)),
    ))
}

/// Which way a socket timeout applies.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Timeout {
    /// `SO_RCVTIMEO`.
    Receive,
    /// `SO_SNDTIMEO`.
    Send,
}

/// `setsockopt(SO_RCVTIMEO/SO_SNDTIMEO)`; `None` (or zero) waits forever. The time is
/// rounded up to whole microseconds, so a sub-microsecond timeout is not 0 ("none").
pub(crate) fn set_timeout(
    fd: BorrowedFd<'_>,
    which: Timeout,
    timeout: Option<Duration>,
) -> Result<(), Errno> {
    let tv = match timeout {
        None => TimeVal::new(0, 0),
        Some(d) => {
            let mut secs = d.as_secs().min(i64::MAX as u64 / 2) as i64;
            let mut usecs = d.subsec_nanos().div_ceil(1000) as i64;
            if usecs == 1_000_000 {
                // 999_999_001.. ns rounded up: carry (tv_usec >= 10^6 is EDOM).
                secs += 1;
                usecs = 0;
            }
            TimeVal::new(secs, usecs)
        }
    };
    match which {
        Timeout::Receive => sock::setsockopt(&fd, sock::sockopt::ReceiveTimeout, &tv),
        Timeout::Send => sock::setsockopt(&fd, sock::sockopt::SendTimeout, &tv),
    }
    .map_err(errno)
}

/// `setsockopt(SO_PASSCRED, 1)`.
pub(crate) fn set_passcred(fd: impl AsFd) -> Result<(), Errno> {
    sock::setsockopt(&fd, sock::sockopt::PassCred, &true).map_err(errno)
}

/// `getsockopt(SO_PEERCRED)`: `(pid, uid, gid)`.
pub(crate) fn peer_cred(fd: BorrowedFd<'_>) -> Result<(u32, u32, u32), Errno> {
    let c = sock::getsockopt(&fd, sock::sockopt::PeerCredentials).map_err(errno)?;
    Ok((c.pid() as u32, c.uid(), c.gid()))
}

/// `shutdown(fd, how)`.
pub(crate) fn shutdown(fd: BorrowedFd<'_>, how: std::net::Shutdown) -> Result<(), Errno> {
    let how = match how {
        std::net::Shutdown::Read => sock::Shutdown::Read,
        std::net::Shutdown::Write => sock::Shutdown::Write,
        std::net::Shutdown::Both => sock::Shutdown::Both,
    };
    sock::shutdown(fd.as_raw_fd(), how).map_err(errno)
}

/// The kernel's per-message fd limit (`SCM_MAX_FD` in `include/net/scm.h`).
pub(crate) const SCM_MAX_FD: usize = 253;

const fn cmsg_align(len: usize) -> usize {
    (len + std::mem::size_of::<usize>() - 1) & !(std::mem::size_of::<usize>() - 1)
}

const HDR: usize = cmsg_align(std::mem::size_of::<libc::cmsghdr>());

/// `CMSG_SPACE(len)`.
const fn cmsg_space(len: usize) -> usize {
    HDR + cmsg_align(len)
}

/// `CMSG_LEN(len)`.
const fn cmsg_len(len: usize) -> usize {
    HDR + len
}

const FD_SIZE: usize = std::mem::size_of::<RawFd>();
const UCRED_SPACE: usize = cmsg_space(std::mem::size_of::<libc::ucred>());
const CTRL_CAP: usize = UCRED_SPACE + cmsg_space(SCM_MAX_FD * FD_SIZE);

/// A control buffer on the stack, aligned for `cmsghdr`: no allocation per message.
#[repr(C, align(8))]
struct CmsgBuf([u8; CTRL_CAP]);

/// Room for credentials and one fd.
const SMALL_CAP: usize = UCRED_SPACE + cmsg_space(FD_SIZE);

/// The small control buffer, for receives that want no more than one fd.
#[repr(C, align(8))]
struct SmallCmsgBuf([u8; SMALL_CAP]);

/// What one `recvmsg` returned besides the payload.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Received {
    /// The message's real length in bytes (with `MSG_TRUNC` in the flags, even if longer
    /// than the buffer).
    pub(crate) len: usize,
    /// `msg_flags` (`MSG_TRUNC`, [`MSG_CTRUNC`]).
    pub(crate) msg_flags: i32,
    /// Whether any control message arrived (an `SCM_CREDENTIALS` on a `SO_PASSCRED` socket
    /// tells a zero-length message from the end of a seqpacket stream).
    pub(crate) had_cmsg: bool,
}

/// `recvmsg(fd, buf, flags | MSG_CMSG_CLOEXEC)` with room for `max_fds` fds (at most
/// [`SCM_MAX_FD`]) and, if `passcred`, one `SCM_CREDENTIALS` ahead of them. Every fd that
/// arrives is pushed onto `fds` as an [`OwnedFd`] (also when `MSG_CTRUNC` is set), so none
/// can leak.
pub(crate) fn recvmsg_fds(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    flags: i32,
    max_fds: usize,
    passcred: bool,
    fds: &mut Vec<OwnedFd>,
) -> Result<Received, Errno> {
    let max_fds = max_fds.min(SCM_MAX_FD);
    // Zeroing the full 1 KiB buffer costs more than a small receive needs: use a small one
    // when no fds are wanted.
    let mut small = SmallCmsgBuf([0; SMALL_CAP]);
    let mut big: CmsgBuf;
    // The kernel fits (controllen - header) / 4 fds: pass CMSG_LEN, not CMSG_SPACE, so
    // that exactly max_fds fit.
    let mut ctrl_len = if passcred { UCRED_SPACE } else { 0 };
    if max_fds > 0 {
        ctrl_len += cmsg_len(max_fds * FD_SIZE);
    }
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: msghdr is plain old data; all-zero is a valid empty header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    if ctrl_len > 0 {
        msg.msg_control = if ctrl_len <= SMALL_CAP {
            small.0.as_mut_ptr().cast()
        } else {
            big = CmsgBuf([0; CTRL_CAP]);
            big.0.as_mut_ptr().cast()
        };
        msg.msg_controllen = ctrl_len as _;
    }
    let n = loop {
        // SAFETY: msg points at one iovec covering `buf` (valid for writes of its length)
        // and at `small` or `big` with msg_controllen <= that buffer's size; all outlive
        // the call.
        let r = unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, flags | libc::MSG_CMSG_CLOEXEC) };
        if r >= 0 {
            break r as usize;
        }
        match errno(nix::errno::Errno::last()) {
            Errno::EINTR => continue,
            e => return Err(e),
        }
    };
    let mut had_cmsg = false;
    if ctrl_len > 0 {
        // SAFETY: msg was filled by a successful recvmsg; CMSG_FIRSTHDR/NXTHDR only walk
        // within msg_control..msg_control + msg_controllen, which the kernel set to what it
        // wrote (<= ctrl_len).
        let mut cmsg = unsafe { libc::CMSG_FIRSTHDR(&msg) };
        while !cmsg.is_null() {
            had_cmsg = true;
            // SAFETY: cmsg is non-null and points at a complete cmsghdr inside the control buffer.
            let hdr = unsafe { &*cmsg };
            if hdr.cmsg_level == libc::SOL_SOCKET && hdr.cmsg_type == libc::SCM_RIGHTS {
                let count = (hdr.cmsg_len as usize).saturating_sub(cmsg_len(0)) / FD_SIZE;
                // SAFETY: CMSG_DATA of a cmsghdr inside the control buffer points at its payload.
                let data = unsafe { libc::CMSG_DATA(cmsg) }.cast::<RawFd>();
                for i in 0..count {
                    // SAFETY: the payload holds `count` ints (cmsg_len says so and the kernel
                    // wrote them within the control buffer); read_unaligned since CMSG_DATA need not be
                    // int-aligned on every ABI.
                    let raw = unsafe { data.add(i).read_unaligned() };
                    // SAFETY: the kernel just installed `raw` in this process for us; nothing
                    // else owns it, so it is owned exactly once here.
                    fds.push(unsafe { OwnedFd::from_raw_fd(raw) });
                }
            }
            // SAFETY: as for CMSG_FIRSTHDR; NXTHDR returns null past the end.
            cmsg = unsafe { libc::CMSG_NXTHDR(&msg, cmsg) };
        }
    }
    Ok(Received {
        len: n,
        msg_flags: msg.msg_flags,
        had_cmsg,
    })
}

/// `sendmsg(fd, buf, MSG_NOSIGNAL)` with one `SCM_RIGHTS` control message carrying `fds` (at most
/// [`SCM_MAX_FD`], else `EINVAL` without a syscall). Returns the bytes sent.
pub(crate) fn sendmsg_fds(
    fd: BorrowedFd<'_>,
    buf: &[u8],
    fds: &[BorrowedFd<'_>],
) -> Result<usize, Errno> {
    let flags = libc::MSG_NOSIGNAL;
    if fds.len() > SCM_MAX_FD {
        return Err(Errno::EINVAL);
    }
    let mut ctrl = CmsgBuf([0; CTRL_CAP]);
    let mut iov = libc::iovec {
        iov_base: buf.as_ptr() as *mut libc::c_void,
        iov_len: buf.len(),
    };
    // SAFETY: msghdr is plain old data; all-zero is a valid empty header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    if !fds.is_empty() {
        let payload = fds.len() * FD_SIZE;
        msg.msg_control = ctrl.0.as_mut_ptr().cast();
        msg.msg_controllen = cmsg_space(payload) as _;
        // SAFETY: msg_controllen >= one cmsghdr, so FIRSTHDR returns a pointer into ctrl,
        // aligned for cmsghdr by CmsgBuf's alignment.
        let cmsg = unsafe { &mut *libc::CMSG_FIRSTHDR(&msg) };
        cmsg.cmsg_level = libc::SOL_SOCKET;
        cmsg.cmsg_type = libc::SCM_RIGHTS;
        cmsg.cmsg_len = cmsg_len(payload) as _;
        // SAFETY: the payload area CMSG_DATA..+payload lies within ctrl (CMSG_SPACE(payload)
        // <= CTRL_CAP since fds.len() <= SCM_MAX_FD).
        let data = unsafe { libc::CMSG_DATA(cmsg) }.cast::<RawFd>();
        for (i, f) in fds.iter().enumerate() {
            // SAFETY: i < fds.len(), within the payload area; unaligned write is allowed.
            unsafe { data.add(i).write_unaligned(f.as_raw_fd()) };
        }
    }
    loop {
        // SAFETY: msg points at one iovec over `buf` (the kernel only reads it) and at ctrl
        // with a valid SCM_RIGHTS message of msg_controllen bytes; both outlive the call.
        let r = unsafe { libc::sendmsg(fd.as_raw_fd(), &msg, flags) };
        if r >= 0 {
            return Ok(r as usize);
        }
        match errno(nix::errno::Errno::last()) {
            Errno::EINTR => continue,
            e => return Err(e),
        }
    }
}

/// `accept4(fd, NULL, NULL, SOCK_CLOEXEC)`, retrying `EINTR` and `ECONNABORTED` (a client
/// that gave up before we got to it).
pub(crate) fn accept_cloexec(fd: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
    loop {
        match nix::sys::socket::accept4(fd.as_raw_fd(), nix::sys::socket::SockFlag::SOCK_CLOEXEC) {
            // SAFETY: accept4 just returned this new fd to us; nothing else owns it.
            Ok(raw) => return Ok(unsafe { OwnedFd::from_raw_fd(raw) }),
            Err(nix::errno::Errno::EINTR | nix::errno::Errno::ECONNABORTED) => continue,
            Err(e) => return Err(errno(e)),
        }
    }
}
