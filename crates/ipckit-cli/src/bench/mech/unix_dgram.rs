//! `unix-dgram`: two Unix datagram sockets bound to paths in the run's directory, each
//! connected to the other: the parent binds first and waits for the peer's 1-byte hello
//! (sent once the peer has bound and connected), then connects back and unlinks both paths. One message per
//! datagram. Sizes above the default buffer get `SO_SNDBUF` raised on both sides (both twins
//! alike); sizes above what the kernel allows are skipped with the real limit.

use anyhow::Context as _;

use super::{path_arg, Endpoint, Impl, Mechanism, Scenario, Setup};
use crate::bench::raw::{self, msg::msg_sndbuf, RawMsgSocket};

/// Unix domain datagram sockets.
pub struct UnixDgram;

fn raw_bufs(fd: &std::os::fd::OwnedFd, size: usize) -> anyhow::Result<()> {
    if let Some(v) = msg_sndbuf(size) {
        raw::setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_SNDBUF, v)
            .context("setsockopt SO_SNDBUF")?;
    }
    Ok(())
}

impl Mechanism for UnixDgram {
    fn name(&self) -> &'static str {
        "unix-dgram"
    }

    fn about(&self) -> &'static str {
        "two Unix datagram sockets bound by path and connected to each other; ipckit::net::unix vs raw send/recv"
    }

    fn check(&self, imp: Impl, size: usize) -> Result<(), String> {
        raw::msg::probe_msg_size(libc::SOCK_DGRAM, "unix-dgram", size)?;
        match imp {
            Impl::Raw => Ok(()),
            Impl::Ipckit => Err("ipckit::net::unix not landed yet".into()),
        }
    }

    fn setup(&self, sc: &Scenario) -> anyhow::Result<Setup> {
        let mine = sc.path("dgram-parent.sock");
        let theirs = sc.path("dgram-peer.sock");
        let args = vec![mine.display().to_string(), theirs.display().to_string()];
        let size = sc.size;
        match sc.imp {
            Impl::Raw => {
                let s = raw::socket(libc::AF_UNIX, libc::SOCK_DGRAM).context("socket")?;
                raw::bind_unix(&s, &mine).with_context(|| format!("bind {}", mine.display()))?;
                raw_bufs(&s, size)?;
                Ok(Setup::new(args, move || {
                    let mut ep = RawMsgSocket::new(s, size.max(2));
                    let mut hello = Vec::new();
                    ep.recv(&mut hello).context("recv hello")?;
                    anyhow::ensure!(hello == b"h", "expected the peer's hello, got {hello:?}");
                    ep.connect_unix(&theirs)
                        .with_context(|| format!("connect {}", theirs.display()))?;
                    for p in [&mine, &theirs] {
                        raw::unlink(p).with_context(|| format!("unlink {}", p.display()))?;
                    }
                    Ok(Box::new(ep) as _)
                }))
            }
            Impl::Ipckit => anyhow::bail!("ipckit::net::unix not landed yet"),
        }
    }

    fn peer(&self, sc: &Scenario, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let parent = path_arg(args, 0, "parent socket path")?;
        let mine = path_arg(args, 1, "peer socket path")?;
        match sc.imp {
            Impl::Raw => {
                let s = raw::socket(libc::AF_UNIX, libc::SOCK_DGRAM).context("socket")?;
                raw::bind_unix(&s, &mine).with_context(|| format!("bind {}", mine.display()))?;
                raw::connect_unix(&s, &parent)
                    .with_context(|| format!("connect {}", parent.display()))?;
                raw_bufs(&s, sc.size)?;
                let mut ep = RawMsgSocket::new(s, sc.size.max(2));
                ep.send(b"h").context("send hello")?;
                Ok(Box::new(ep))
            }
            Impl::Ipckit => anyhow::bail!("ipckit::net::unix not landed yet"),
        }
    }
}
