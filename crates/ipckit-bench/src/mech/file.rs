//! `file`: two append-only spool files, one per direction ([`ipckit::file`]): each message
//! appended as a frame (length, CRC-32, payload) under an exclusive OFD lock, the committed
//! end moved in the header; the receiver waits on inotify, checks the CRC and saves its
//! position in `PATH.pos`. Both twins use the page cache only (`Durability::Buffered`): an
//! `fdatasync` per message would measure the disk, not the mechanism. Raw twin:
//! [`crate::raw::file::Raw`].

use ipckit::file::{Durability, SpoolReader, SpoolWriter};

use crate::common::arg;
use crate::scenario::{any_size, Case, Endpoint, Mechanism, Scenario, Setup};

/// The `file` row.
pub const MECHANISM: Mechanism = Mechanism {
    name: "file",
    about: "two append-only spool files (OFD lock, pwrite, inotify, position sidecar; page cache, no fdatasync); ipckit::file vs raw",
    note: None,
    has_throughput: true,
    check: any_size,
    ipckit: &Ipckit,
    raw: &crate::raw::file::Raw,
};

/// Spool files through ipckit.
pub struct Ipckit;

struct IpckitSpool {
    tx: SpoolWriter,
    rx: SpoolReader,
}

impl Endpoint for IpckitSpool {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        Ok(self.tx.send(msg)?)
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        self.rx.recv(buf)?;
        Ok(())
    }
}

fn writer(path: &str) -> anyhow::Result<SpoolWriter> {
    Ok(SpoolWriter::builder(path)
        .durability(Durability::Buffered)
        .open_or_create()?)
}

impl Scenario for Ipckit {
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        let to_peer = case.path("spool-to-peer").display().to_string();
        let from_peer = case.path("spool-from-peer").display().to_string();
        let tx = writer(&to_peer)?;
        let rx = SpoolReader::builder(&from_peer).open_or_create()?;
        // The harness removes the spools with the case directory.
        Ok(Setup::new(vec![to_peer, from_peer], move || {
            Ok(Box::new(IpckitSpool { tx, rx }) as _)
        }))
    }

    fn peer(&self, _case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let rx = SpoolReader::builder(arg(args, 0, "spool to the peer")?).open()?;
        let tx = writer(arg(args, 1, "spool from the peer")?)?;
        Ok(Box::new(IpckitSpool { tx, rx }))
    }
}
