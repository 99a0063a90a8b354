//! `unix-seqpacket`, raw: `socket`/`bind`/`listen`/`accept`/`connect`, one `send`/`recv`
//! per message, `SO_SNDBUF` as the ipckit twin sets it.

use anyhow::Context as _;

use super::sys::{self, RawMsgSocket};
use crate::common::{msg_sndbuf, path_arg};
use crate::scenario::{Case, Endpoint, Scenario, Setup};

/// The raw twin of [`crate::mech::unix_seqpacket::Ipckit`].
pub struct Raw;

/// Sets `SO_SNDBUF` to [`msg_sndbuf`]`(size)` when the default is not enough.
pub(crate) fn raw_bufs(fd: &std::os::fd::OwnedFd, size: usize) -> anyhow::Result<()> {
    if let Some(v) = msg_sndbuf(size) {
        sys::setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_SNDBUF, v)
            .context("setsockopt SO_SNDBUF")?;
    }
    Ok(())
}

/// The size check of the row: probes a seqpacket `socketpair` with `size` bytes.
pub fn check(size: usize) -> Result<(), String> {
    sys::msg::probe_msg_size(libc::SOCK_SEQPACKET, "unix-seqpacket", size)
}

impl Scenario for Raw {
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        let path = case.path("seqpacket.sock");
        let args = vec![path.display().to_string()];
        let size = case.size;
        let listener = sys::socket(libc::AF_UNIX, libc::SOCK_SEQPACKET).context("socket")?;
        sys::bind_unix(&listener, &path).with_context(|| format!("bind {}", path.display()))?;
        sys::listen(&listener, 1).context("listen")?;
        Ok(Setup::new(args, move || {
            let conn = sys::accept(&listener).context("accept")?;
            sys::unlink(&path).with_context(|| format!("unlink {}", path.display()))?;
            raw_bufs(&conn, size)?;
            Ok(Box::new(RawMsgSocket::new(conn, size.max(2))) as _)
        }))
    }

    fn peer(&self, case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let path = path_arg(args, 0, "socket path")?;
        let s = sys::socket(libc::AF_UNIX, libc::SOCK_SEQPACKET).context("socket")?;
        sys::connect_unix(&s, &path).with_context(|| format!("connect {}", path.display()))?;
        raw_bufs(&s, case.size)?;
        Ok(Box::new(RawMsgSocket::new(s, case.size.max(2))))
    }
}
