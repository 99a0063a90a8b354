//! What travels beside the bytes of a Unix socket: fds (`SCM_RIGHTS`) and credentials
//! (`SO_PEERCRED`, `SO_PASSCRED`), and the checks on what `recvmsg` returned.

use std::os::fd::{BorrowedFd, OwnedFd};

use super::{desc, SEQPACKET, STREAM};
use crate::error::Context;
use crate::sys::unix::{self as sysu, MSG_CTRUNC, MSG_TRUNC};
use crate::{Error, ErrorKind, Result};

/// The most fds one message can carry (`SCM_MAX_FD` in the kernel, 253 since Linux 2.6.38).
/// Sending more fails with [`ErrorKind::InvalidInput`] before any syscall.
pub const SCM_MAX_FD: usize = sysu::SCM_MAX_FD;

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

pub(super) fn peer_cred(fd: BorrowedFd<'_>, kind: &'static str) -> Result<PeerCred> {
    let (pid, uid, gid) = sysu::peer_cred(fd).ctx("getsockopt(SO_PEERCRED)", desc(kind, &fd))?;
    Ok(PeerCred { pid, uid, gid })
}

pub(super) fn send_fds(
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
    sysu::sendmsg_fds(fd, buf, fds).ctx("sendmsg", desc(kind, &fd))
}

/// `recvmsg` with room for `max_fds` fds. Returns the data length (for stream, what was
/// read; for messages, the whole message length, an error if it did not fit).
pub(super) fn recv_fds(
    fd: BorrowedFd<'_>,
    kind: &'static str,
    buf: &mut [u8],
    max_fds: usize,
    passcred: bool,
) -> Result<(usize, Vec<OwnedFd>)> {
    let mut fds = Vec::new();
    let flags = if kind == STREAM { 0 } else { MSG_TRUNC };
    let r = sysu::recvmsg_fds(fd, buf, flags, max_fds, passcred, &mut fds)
        .ctx("recvmsg", desc(kind, &fd))?;
    if r.msg_flags & MSG_CTRUNC != 0 {
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
pub(super) fn check_message(
    fd: BorrowedFd<'_>,
    kind: &'static str,
    cap: usize,
    r: sysu::Received,
    passcred: bool,
    op: &'static str,
) -> Result<()> {
    // On a SO_PASSCRED socket every message brings credentials, received (a control
    // message) or not (MSG_CTRUNC); the end of the connection brings neither.
    if passcred && r.len == 0 && !r.had_cmsg && r.msg_flags & MSG_CTRUNC == 0 {
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

/// Turns on `SO_PASSCRED`, which lets a seqpacket receive tell an empty message from the end
/// of the connection (see [`UnixSeqpacket`](super::UnixSeqpacket)).
pub(super) fn passcred(fd: &OwnedFd) -> Result<()> {
    sysu::set_passcred(fd).ctx("setsockopt(SO_PASSCRED)", desc(SEQPACKET, fd))
}
