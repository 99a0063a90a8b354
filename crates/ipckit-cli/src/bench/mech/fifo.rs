//! `fifo`: two FIFOs (`mkfifo`), one per direction, opened by path in the peer; messages
//! framed as a 4-byte LE length then the payload.

use anyhow::Context as _;

use super::{path_arg, Endpoint, Impl, IpckitFramed, Mechanism, Scenario, Setup};
use crate::bench::raw::{self, RawStream};

/// Named pipes.
pub struct Fifo;

impl Mechanism for Fifo {
    fn name(&self) -> &'static str {
        "fifo"
    }

    fn about(&self) -> &'static str {
        "two FIFOs (mkfifo + open by path), framed; ipckit::fifo + channel framing vs raw"
    }

    fn setup(&self, sc: &Scenario) -> anyhow::Result<Setup> {
        let to_peer = sc.path("fifo-to-peer");
        let from_peer = sc.path("fifo-from-peer");
        let args = vec![
            to_peer.display().to_string(),
            from_peer.display().to_string(),
        ];
        match sc.imp {
            Impl::Raw => {
                raw::mkfifo(&to_peer, 0o600)
                    .with_context(|| format!("mkfifo {}", to_peer.display()))?;
                raw::mkfifo(&from_peer, 0o600)
                    .with_context(|| format!("mkfifo {}", from_peer.display()))?;
                Ok(Setup::new(args, move || {
                    // Same order as the peer: each open waits for the other end's.
                    let tx = raw::open(&to_peer, libc::O_WRONLY)
                        .with_context(|| format!("open {}", to_peer.display()))?;
                    let rx = raw::open(&from_peer, libc::O_RDONLY)
                        .with_context(|| format!("open {}", from_peer.display()))?;
                    raw::unlink(&to_peer).context("unlink FIFO")?;
                    raw::unlink(&from_peer).context("unlink FIFO")?;
                    Ok(Box::new(RawStream::pair(Some(rx), Some(tx))) as _)
                }))
            }
            Impl::Ipckit => {
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
        }
    }

    fn peer(&self, sc: &Scenario, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let to_peer = path_arg(args, 0, "FIFO to the peer")?;
        let from_peer = path_arg(args, 1, "FIFO from the peer")?;
        match sc.imp {
            Impl::Raw => {
                let rx = raw::open(&to_peer, libc::O_RDONLY)
                    .with_context(|| format!("open {}", to_peer.display()))?;
                let tx = raw::open(&from_peer, libc::O_WRONLY)
                    .with_context(|| format!("open {}", from_peer.display()))?;
                Ok(Box::new(RawStream::pair(Some(rx), Some(tx))))
            }
            Impl::Ipckit => {
                let rx = ipckit::fifo::FifoReader::open(&to_peer)?;
                let tx = ipckit::fifo::FifoWriter::open(&from_peer)?;
                Ok(Box::new(IpckitFramed::new(rx, tx, Box::new(()))))
            }
        }
    }
}
