//! `fifo`: two FIFOs (`mkfifo`), one per direction, opened by path in the peer; messages
//! framed as a 4-byte LE length then the payload. Raw twin: [`crate::raw::fifo::Raw`].

use super::framed::IpckitFramed;
use crate::common::path_arg;
use crate::scenario::{any_size, Case, Endpoint, Mechanism, Scenario, Setup};

/// The `fifo` row.
pub const MECHANISM: Mechanism = Mechanism {
    name: "fifo",
    about: "two FIFOs (mkfifo + open by path), framed; ipckit::fifo + channel framing vs raw",
    note: None,
    has_throughput: true,
    check: any_size,
    ipckit: &Ipckit,
    raw: &crate::raw::fifo::Raw,
};

/// Named pipes through ipckit.
pub struct Ipckit;

impl Scenario for Ipckit {
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        let to_peer = case.path("fifo-to-peer");
        let from_peer = case.path("fifo-from-peer");
        let args = vec![
            to_peer.display().to_string(),
            from_peer.display().to_string(),
        ];
        let to = ipckit::fifo::Fifo::builder(&to_peer)
            .mode(0o600)
            .create_new()?;
        let from = ipckit::fifo::Fifo::builder(&from_peer)
            .mode(0o600)
            .create_new()?;
        Ok(Setup::new(args, move || {
            // Same order as the peer: each open waits for the other end's.
            let tx = to.open_writer()?;
            let rx = from.open_reader()?;
            // The owners unlink the paths when the scenario ends.
            Ok(Box::new(IpckitFramed::new(rx, tx, Box::new((to, from)))) as _)
        }))
    }

    fn peer(&self, _case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let to_peer = path_arg(args, 0, "FIFO to the peer")?;
        let from_peer = path_arg(args, 1, "FIFO from the peer")?;
        let rx = ipckit::fifo::FifoReader::open(&to_peer)?;
        let tx = ipckit::fifo::FifoWriter::open(&from_peer)?;
        Ok(Box::new(IpckitFramed::new(rx, tx, Box::new(()))))
    }
}
