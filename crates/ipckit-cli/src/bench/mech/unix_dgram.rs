//! `unix-dgram`: two Unix datagram sockets bound to paths in the run's directory, each
//! connected to the other: the parent binds first and waits for the peer's 1-byte hello
//! (sent once the peer has bound and connected), then connects back and unlinks both paths. One message per
//! datagram. Sizes above the default buffer get `SO_SNDBUF` raised on both sides (both twins
//! alike); sizes above what the kernel allows are skipped with the real limit.

use anyhow::Context as _;

use ipckit::net::unix::{SocketAddr, UnixDatagram};

use super::{ipckit_sndbuf, path_arg, Endpoint, Impl, IpckitMsgSocket, Mechanism, Scenario, Setup};
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
        let _ = imp;
        raw::msg::probe_msg_size(libc::SOCK_DGRAM, "unix-dgram", size)
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
            Impl::Ipckit => {
                let s = UnixDatagram::bind(&SocketAddr::path(&mine))?;
                ipckit_sndbuf(&s, size)?;
                Ok(Setup::new(args, move || {
                    let mut hello = [0u8; 1];
                    let n = s.recv(&mut hello)?;
                    anyhow::ensure!(
                        hello[..n] == *b"h",
                        "expected the peer's hello, got {:?}",
                        &hello[..n]
                    );
                    s.connect(&SocketAddr::path(&theirs))?;
                    // `s` removes its own socket file on drop; the peer's is removed here.
                    raw::unlink(&theirs).with_context(|| format!("unlink {}", theirs.display()))?;
                    Ok(Box::new(IpckitMsgSocket::Dgram(s, size.max(2))) as _)
                }))
            }
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
            Impl::Ipckit => {
                let mut s = UnixDatagram::bind(&SocketAddr::path(&mine))?;
                // The parent removes this socket file once it has connected to it.
                ipckit::Named::persist(&mut s);
                s.connect(&SocketAddr::path(&parent))?;
                ipckit_sndbuf(&s, sc.size)?;
                s.send(b"h")?;
                Ok(Box::new(IpckitMsgSocket::Dgram(s, sc.size.max(2))))
            }
        }
    }
}
