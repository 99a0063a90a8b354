//! `unix-stream`: a Unix stream socket bound to a path in the run's directory; the parent
//! listens and accepts, the peer connects; messages framed as a 4-byte LE length then the
//! payload. Raw twin: [`crate::raw::unix_stream::Raw`].

use ipckit::net::unix::{SocketAddr, UnixListener};

use super::framed::IpckitFramed;
use crate::common::path_arg;
use crate::scenario::{any_size, Case, Endpoint, Mechanism, Scenario, Setup};

/// The `unix-stream` row.
pub const MECHANISM: Mechanism = Mechanism {
    name: "unix-stream",
    about: "Unix stream socket by path (bind/listen/accept/connect), framed; ipckit::net::unix + channel framing vs raw",
    note: None,
    has_throughput: true,
    check: any_size,
    ipckit: &Ipckit,
    raw: &crate::raw::unix_stream::Raw,
};

/// Unix domain stream sockets through ipckit.
pub struct Ipckit;

impl Scenario for Ipckit {
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        let path = case.path("stream.sock");
        let args = vec![path.display().to_string()];
        let listener = UnixListener::bind(&SocketAddr::path(&path))?;
        Ok(Setup::new(args, move || {
            let conn = listener.accept()?;
            let tx = conn.try_clone()?;
            // The listener removes its socket file when the scenario ends.
            Ok(Box::new(IpckitFramed::new(conn, tx, Box::new(listener))) as _)
        }))
    }

    fn peer(&self, _case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let path = path_arg(args, 0, "socket path")?;
        let conn = ipckit::net::unix::UnixStream::connect(&SocketAddr::path(&path))?;
        let tx = conn.try_clone()?;
        Ok(Box::new(IpckitFramed::new(conn, tx, Box::new(()))))
    }
}
