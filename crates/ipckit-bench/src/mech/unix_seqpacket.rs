//! `unix-seqpacket`: a Unix seqpacket socket bound to a path in the run's directory; the
//! parent listens and accepts, the peer connects; one message per packet, boundaries kept by
//! the kernel. Sizes above the default buffer get `SO_SNDBUF` raised on both sides (both
//! twins alike); sizes above what the kernel allows are skipped with the real limit. Raw
//! twin: [`crate::raw::unix_seqpacket::Raw`].

use ipckit::net::unix::{SocketAddr, UnixSeqpacketListener};

use super::framed::{ipckit_sndbuf, IpckitMsgSocket};
use crate::common::path_arg;
use crate::scenario::{Case, Endpoint, Mechanism, Scenario, Setup};

/// The `unix-seqpacket` row.
pub const MECHANISM: Mechanism = Mechanism {
    name: "unix-seqpacket",
    about: "Unix seqpacket socket by path (bind/listen/accept/connect), one packet per message; ipckit::net::unix vs raw send/recv",
    note: None,
    has_throughput: true,
    check: crate::raw::unix_seqpacket::check,
    ipckit: &Ipckit,
    raw: &crate::raw::unix_seqpacket::Raw,
};

/// Unix domain seqpacket sockets through ipckit.
pub struct Ipckit;

impl Scenario for Ipckit {
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        let path = case.path("seqpacket.sock");
        let args = vec![path.display().to_string()];
        let size = case.size;
        let listener = UnixSeqpacketListener::bind(&SocketAddr::path(&path))?;
        Ok(Setup::new(args, move || {
            let conn = listener.accept()?;
            ipckit_sndbuf(&conn, size)?;
            drop(listener); // removes the socket file
            Ok(Box::new(IpckitMsgSocket::Seqpacket(conn, size.max(2))) as _)
        }))
    }

    fn peer(&self, case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let path = path_arg(args, 0, "socket path")?;
        let conn = ipckit::net::unix::UnixSeqpacket::connect(&SocketAddr::path(&path))?;
        ipckit_sndbuf(&conn, case.size)?;
        Ok(Box::new(IpckitMsgSocket::Seqpacket(conn, case.size.max(2))))
    }
}
