//! `unix-dgram`, raw: two `socket`s bound by path and `connect`ed to each other after a
//! 1-byte hello, one `send`/`recv` per message, `SO_SNDBUF` as the ipckit twin sets it.

use anyhow::Context as _;

use super::sys::{self, RawMsgSocket};
use super::unix_seqpacket::raw_bufs;
use crate::common::path_arg;
use crate::scenario::{Case, Endpoint, Scenario, Setup};

/// The raw twin of [`crate::mech::unix_dgram::Ipckit`].
pub struct Raw;

/// The size check of the row: probes a datagram `socketpair` with `size` bytes.
pub fn check(size: usize) -> Result<(), String> {
    sys::msg::probe_msg_size(libc::SOCK_DGRAM, "unix-dgram", size)
}

impl Scenario for Raw {
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        let mine = case.path("dgram-parent.sock");
        let theirs = case.path("dgram-peer.sock");
        let args = vec![mine.display().to_string(), theirs.display().to_string()];
        let size = case.size;
        let s = sys::socket(libc::AF_UNIX, libc::SOCK_DGRAM).context("socket")?;
        sys::bind_unix(&s, &mine).with_context(|| format!("bind {}", mine.display()))?;
        raw_bufs(&s, size)?;
        Ok(Setup::new(args, move || {
            let mut ep = RawMsgSocket::new(s, size.max(2));
            let mut hello = Vec::new();
            ep.recv(&mut hello).context("recv hello")?;
            anyhow::ensure!(hello == b"h", "expected the peer's hello, got {hello:?}");
            ep.connect_unix(&theirs)
                .with_context(|| format!("connect {}", theirs.display()))?;
            for p in [&mine, &theirs] {
                sys::unlink(p).with_context(|| format!("unlink {}", p.display()))?;
            }
            Ok(Box::new(ep) as _)
        }))
    }

    fn peer(&self, case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let parent = path_arg(args, 0, "parent socket path")?;
        let mine = path_arg(args, 1, "peer socket path")?;
        let s = sys::socket(libc::AF_UNIX, libc::SOCK_DGRAM).context("socket")?;
        sys::bind_unix(&s, &mine).with_context(|| format!("bind {}", mine.display()))?;
        sys::connect_unix(&s, &parent).with_context(|| format!("connect {}", parent.display()))?;
        raw_bufs(&s, case.size)?;
        let mut ep = RawMsgSocket::new(s, case.size.max(2));
        ep.send(b"h").context("send hello")?;
        Ok(Box::new(ep))
    }
}
