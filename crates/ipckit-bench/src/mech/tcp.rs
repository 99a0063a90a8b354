//! `tcp`: a TCP connection over loopback (127.0.0.1, ephemeral port), `TCP_NODELAY` on both
//! ends; messages framed as a 4-byte LE length then the payload. Raw twin:
//! [`crate::raw::tcp::Raw`].

use anyhow::Context as _;

use super::framed::IpckitFramed;
use crate::common::arg;
use crate::scenario::{any_size, Case, Endpoint, Mechanism, Scenario, Setup};

/// The `tcp` row.
pub const MECHANISM: Mechanism = Mechanism {
    name: "tcp",
    about: "TCP over 127.0.0.1 with TCP_NODELAY, framed; ipckit::net::tcp + channel framing vs raw",
    note: None,
    has_throughput: true,
    check: any_size,
    ipckit: &Ipckit,
    raw: &crate::raw::tcp::Raw,
};

/// TCP over loopback through ipckit.
pub struct Ipckit;

impl Scenario for Ipckit {
    fn setup(&self, _case: &Case) -> anyhow::Result<Setup> {
        let listener = ipckit::net::tcp::listen("127.0.0.1:0")?;
        let port = listener.local_addr().context("getsockname")?.port();
        Ok(Setup::new(vec![port.to_string()], move || {
            // accept turns TCP_NODELAY on.
            let conn = ipckit::net::tcp::accept(&listener)?;
            let tx = conn.try_clone().context("dup (TCP stream)")?;
            Ok(Box::new(IpckitFramed::new(conn, tx, Box::new(()))) as _)
        }))
    }

    fn peer(&self, _case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let port: u16 = arg(args, 0, "port")?.parse().context("port")?;
        // connect turns TCP_NODELAY on.
        let conn = ipckit::net::tcp::connect(format!("127.0.0.1:{port}"))?;
        let tx = conn.try_clone().context("dup (TCP stream)")?;
        Ok(Box::new(IpckitFramed::new(conn, tx, Box::new(()))))
    }
}
