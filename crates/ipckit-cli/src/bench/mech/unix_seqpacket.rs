//! `unix-seqpacket`: a Unix seqpacket socket bound to a path in the run's directory; the
//! parent listens and accepts, the peer connects; one message per packet, boundaries kept by
//! the kernel. Sizes above the default buffer get `SO_SNDBUF` raised on both sides (both
//! twins alike); sizes above what the kernel allows are skipped with the real limit.

use anyhow::Context as _;

use ipckit::net::unix::{SocketAddr, UnixSeqpacketListener};

use super::{ipckit_sndbuf, path_arg, Endpoint, Impl, IpckitMsgSocket, Mechanism, Scenario, Setup};
use crate::bench::raw::{self, msg::msg_sndbuf, RawMsgSocket};

/// Unix domain seqpacket sockets.
pub struct UnixSeqpacket;

fn raw_bufs(fd: &std::os::fd::OwnedFd, size: usize) -> anyhow::Result<()> {
    if let Some(v) = msg_sndbuf(size) {
        raw::setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_SNDBUF, v)
            .context("setsockopt SO_SNDBUF")?;
    }
    Ok(())
}

impl Mechanism for UnixSeqpacket {
    fn name(&self) -> &'static str {
        "unix-seqpacket"
    }

    fn about(&self) -> &'static str {
        "Unix seqpacket socket by path (bind/listen/accept/connect), one packet per message; ipckit::net::unix vs raw send/recv"
    }

    fn check(&self, imp: Impl, size: usize) -> Result<(), String> {
        let _ = imp;
        raw::msg::probe_msg_size(libc::SOCK_SEQPACKET, "unix-seqpacket", size)
    }

    fn setup(&self, sc: &Scenario) -> anyhow::Result<Setup> {
        let path = sc.path("seqpacket.sock");
        let args = vec![path.display().to_string()];
        let size = sc.size;
        match sc.imp {
            Impl::Raw => {
                let listener =
                    raw::socket(libc::AF_UNIX, libc::SOCK_SEQPACKET).context("socket")?;
                raw::bind_unix(&listener, &path)
                    .with_context(|| format!("bind {}", path.display()))?;
                raw::listen(&listener, 1).context("listen")?;
                Ok(Setup::new(args, move || {
                    let conn = raw::accept(&listener).context("accept")?;
                    raw::unlink(&path).with_context(|| format!("unlink {}", path.display()))?;
                    raw_bufs(&conn, size)?;
                    Ok(Box::new(RawMsgSocket::new(conn, size.max(2))) as _)
                }))
            }
            Impl::Ipckit => {
                let listener = UnixSeqpacketListener::bind(&SocketAddr::path(&path))?;
                Ok(Setup::new(args, move || {
                    let conn = listener.accept()?;
                    ipckit_sndbuf(&conn, size)?;
                    drop(listener); // removes the socket file
                    Ok(Box::new(IpckitMsgSocket::Seqpacket(conn, size.max(2))) as _)
                }))
            }
        }
    }

    fn peer(&self, sc: &Scenario, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let path = path_arg(args, 0, "socket path")?;
        match sc.imp {
            Impl::Raw => {
                let s = raw::socket(libc::AF_UNIX, libc::SOCK_SEQPACKET).context("socket")?;
                raw::connect_unix(&s, &path)
                    .with_context(|| format!("connect {}", path.display()))?;
                raw_bufs(&s, sc.size)?;
                Ok(Box::new(RawMsgSocket::new(s, sc.size.max(2))))
            }
            Impl::Ipckit => {
                let conn = ipckit::net::unix::UnixSeqpacket::connect(&SocketAddr::path(&path))?;
                ipckit_sndbuf(&conn, sc.size)?;
                Ok(Box::new(IpckitMsgSocket::Seqpacket(conn, sc.size.max(2))))
            }
        }
    }
}
