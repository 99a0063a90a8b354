//! `tcp`, raw: `socket`/`bind`/`listen`/`accept`/`connect` on 127.0.0.1, `TCP_NODELAY` by
//! `setsockopt`, framed with `writev`/`read`.

use anyhow::Context as _;

use super::sys::{self, RawStream};
use crate::common::arg;
use crate::scenario::{Case, Endpoint, Scenario, Setup};

/// The raw twin of [`crate::mech::tcp::Ipckit`].
pub struct Raw;

fn nodelay(fd: &std::os::fd::OwnedFd) -> anyhow::Result<()> {
    sys::setsockopt_int(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, 1)
        .context("setsockopt TCP_NODELAY")
}

impl Scenario for Raw {
    fn setup(&self, _case: &Case) -> anyhow::Result<Setup> {
        let listener = sys::socket(libc::AF_INET, libc::SOCK_STREAM).context("socket")?;
        let port = sys::bind_tcp_loopback(&listener).context("bind 127.0.0.1:0")?;
        sys::listen(&listener, 1).context("listen")?;
        Ok(Setup::new(vec![port.to_string()], move || {
            let conn = sys::accept(&listener).context("accept")?;
            nodelay(&conn)?;
            Ok(Box::new(RawStream::socket(conn)) as _)
        }))
    }

    fn peer(&self, _case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let port: u16 = arg(args, 0, "port")?.parse().context("port")?;
        let s = sys::socket(libc::AF_INET, libc::SOCK_STREAM).context("socket")?;
        sys::connect_tcp_loopback(&s, port).with_context(|| format!("connect 127.0.0.1:{port}"))?;
        nodelay(&s)?;
        Ok(Box::new(RawStream::socket(s)))
    }
}
