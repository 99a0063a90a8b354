//! `tcp`: a TCP connection over loopback (127.0.0.1, ephemeral port), `TCP_NODELAY` on both
//! ends; messages framed as a 4-byte LE length then the payload.

use anyhow::Context as _;

use super::{arg, Endpoint, Impl, IpckitFramed, Mechanism, Scenario, Setup};
use crate::bench::raw::{self, RawStream};

/// TCP over loopback.
pub struct Tcp;

fn nodelay(fd: &std::os::fd::OwnedFd) -> anyhow::Result<()> {
    raw::setsockopt_int(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, 1)
        .context("setsockopt TCP_NODELAY")
}

impl Mechanism for Tcp {
    fn name(&self) -> &'static str {
        "tcp"
    }

    fn about(&self) -> &'static str {
        "TCP over 127.0.0.1 with TCP_NODELAY, framed; ipckit::net::tcp + channel framing vs raw"
    }

    fn setup(&self, sc: &Scenario) -> anyhow::Result<Setup> {
        match sc.imp {
            Impl::Raw => {
                let listener = raw::socket(libc::AF_INET, libc::SOCK_STREAM).context("socket")?;
                let port = raw::bind_tcp_loopback(&listener).context("bind 127.0.0.1:0")?;
                raw::listen(&listener, 1).context("listen")?;
                Ok(Setup::new(vec![port.to_string()], move || {
                    let conn = raw::accept(&listener).context("accept")?;
                    nodelay(&conn)?;
                    Ok(Box::new(RawStream::socket(conn)) as _)
                }))
            }
            Impl::Ipckit => {
                let listener = ipckit::net::tcp::listen("127.0.0.1:0")?;
                let port = listener.local_addr().context("getsockname")?.port();
                Ok(Setup::new(vec![port.to_string()], move || {
                    // accept turns TCP_NODELAY on.
                    let conn = ipckit::net::tcp::accept(&listener)?;
                    let tx = conn.try_clone().context("dup (TCP stream)")?;
                    Ok(Box::new(IpckitFramed::new(conn, tx, Box::new(()))) as _)
                }))
            }
        }
    }

    fn peer(&self, sc: &Scenario, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let port: u16 = arg(args, 0, "port")?.parse().context("port")?;
        match sc.imp {
            Impl::Raw => {
                let s = raw::socket(libc::AF_INET, libc::SOCK_STREAM).context("socket")?;
                raw::connect_tcp_loopback(&s, port)
                    .with_context(|| format!("connect 127.0.0.1:{port}"))?;
                nodelay(&s)?;
                Ok(Box::new(RawStream::socket(s)))
            }
            Impl::Ipckit => {
                // connect turns TCP_NODELAY on.
                let conn = ipckit::net::tcp::connect(format!("127.0.0.1:{port}"))?;
                let tx = conn.try_clone().context("dup (TCP stream)")?;
                Ok(Box::new(IpckitFramed::new(conn, tx, Box::new(()))))
            }
        }
    }
}
