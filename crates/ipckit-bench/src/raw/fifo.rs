//! `fifo`, raw: `mkfifo`, `open` by path, framed with `writev`/`read`.

use anyhow::Context as _;

use super::sys::{self, RawStream};
use crate::common::path_arg;
use crate::scenario::{Case, Endpoint, Scenario, Setup};

/// The raw twin of [`crate::mech::fifo::Ipckit`].
pub struct Raw;

impl Scenario for Raw {
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        let to_peer = case.path("fifo-to-peer");
        let from_peer = case.path("fifo-from-peer");
        let args = vec![
            to_peer.display().to_string(),
            from_peer.display().to_string(),
        ];
        sys::mkfifo(&to_peer, 0o600).with_context(|| format!("mkfifo {}", to_peer.display()))?;
        sys::mkfifo(&from_peer, 0o600)
            .with_context(|| format!("mkfifo {}", from_peer.display()))?;
        Ok(Setup::new(args, move || {
            // Same order as the peer: each open waits for the other end's.
            let tx = sys::open(&to_peer, libc::O_WRONLY)
                .with_context(|| format!("open {}", to_peer.display()))?;
            let rx = sys::open(&from_peer, libc::O_RDONLY)
                .with_context(|| format!("open {}", from_peer.display()))?;
            sys::unlink(&to_peer).context("unlink FIFO")?;
            sys::unlink(&from_peer).context("unlink FIFO")?;
            Ok(Box::new(RawStream::pair(Some(rx), Some(tx))) as _)
        }))
    }

    fn peer(&self, _case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let to_peer = path_arg(args, 0, "FIFO to the peer")?;
        let from_peer = path_arg(args, 1, "FIFO from the peer")?;
        let rx = sys::open(&to_peer, libc::O_RDONLY)
            .with_context(|| format!("open {}", to_peer.display()))?;
        let tx = sys::open(&from_peer, libc::O_WRONLY)
            .with_context(|| format!("open {}", from_peer.display()))?;
        Ok(Box::new(RawStream::pair(Some(rx), Some(tx))))
    }
}
