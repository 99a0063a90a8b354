//! `unix-dgram`: two Unix datagram sockets bound to paths in the run's directory, each
//! connected to the other: the parent binds first and waits for the peer's 1-byte hello
//! (sent once the peer has bound and connected), then connects back and unlinks both paths.
//! One message per datagram. Sizes above the default buffer get `SO_SNDBUF` raised on both
//! sides (both twins alike); sizes above what the kernel allows are skipped with the real
//! limit. Raw twin: [`crate::raw::unix_dgram::Raw`].

use anyhow::Context as _;
use ipckit::net::unix::{SocketAddr, UnixDatagram};

use super::framed::{ipckit_sndbuf, IpckitMsgSocket};
use crate::common::path_arg;
use crate::scenario::{Case, Endpoint, Mechanism, Scenario, Setup};

/// The `unix-dgram` row.
pub const MECHANISM: Mechanism = Mechanism {
    name: "unix-dgram",
    about: "two Unix datagram sockets bound by path and connected to each other; ipckit::net::unix vs raw send/recv",
    note: None,
    has_throughput: true,
    check: crate::raw::unix_dgram::check,
    ipckit: &Ipckit,
    raw: &crate::raw::unix_dgram::Raw,
};

/// Unix domain datagram sockets through ipckit.
pub struct Ipckit;

impl Scenario for Ipckit {
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        let mine = case.path("dgram-parent.sock");
        let theirs = case.path("dgram-peer.sock");
        let args = vec![mine.display().to_string(), theirs.display().to_string()];
        let size = case.size;
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
            std::fs::remove_file(&theirs)
                .with_context(|| format!("unlink {}", theirs.display()))?;
            Ok(Box::new(IpckitMsgSocket::Dgram(s, size.max(2))) as _)
        }))
    }

    fn peer(&self, case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let parent = path_arg(args, 0, "parent socket path")?;
        let mine = path_arg(args, 1, "peer socket path")?;
        let mut s = UnixDatagram::bind(&SocketAddr::path(&mine))?;
        // The parent removes this socket file once it has connected to it.
        ipckit::Named::persist(&mut s);
        s.connect(&SocketAddr::path(&parent))?;
        ipckit_sndbuf(&s, case.size)?;
        s.send(b"h")?;
        Ok(Box::new(IpckitMsgSocket::Dgram(s, case.size.max(2))))
    }
}
