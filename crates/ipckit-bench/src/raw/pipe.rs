//! `pipe`, raw: `pipe2`, the fds' close-on-exec flag cleared for the spawn, `writev`/`read`.

use super::sys::{self, RawStream};
use crate::common::{arg, fd_arg};
use crate::scenario::{Case, Endpoint, Scenario, Setup};

/// The raw twin of [`crate::mech::pipe::Ipckit`].
pub struct Raw;

impl Scenario for Raw {
    fn setup(&self, _case: &Case) -> anyhow::Result<Setup> {
        let (to_peer_r, to_peer_w) = sys::pipe()?;
        let (from_peer_r, from_peer_w) = sys::pipe()?;
        Ok(Setup {
            args: vec![fd_arg(&to_peer_r), fd_arg(&from_peer_w)],
            inherit: vec![to_peer_r, from_peer_w],
            command: None,
            connect: Box::new(move || {
                Ok(Box::new(RawStream::pair(Some(from_peer_r), Some(to_peer_w))) as _)
            }),
        })
    }

    fn peer(&self, _case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let rx = arg(args, 0, "read end")?;
        let tx = arg(args, 1, "write end")?;
        Ok(Box::new(RawStream::pair(
            Some(super::inherited(rx)?),
            Some(super::inherited(tx)?),
        )))
    }
}
