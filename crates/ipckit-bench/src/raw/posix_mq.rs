//! `posix-mq`, raw: `mq_open` by name, `mq_send`/`mq_receive` at priority 0.

use anyhow::Context as _;

use super::sys::posix::{RawMq, RawMqPair};
use crate::common::arg;
use crate::common::posix_mq::geometry;
use crate::scenario::{Case, Endpoint, Scenario, Setup};

/// The raw twin of [`crate::mech::posix_mq::Ipckit`].
pub struct Raw;

impl Scenario for Raw {
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        let (maxmsg, msgsize) = geometry(case.size).map_err(anyhow::Error::msg)?;
        let to_peer = format!("/{}", case.unique("mq-to-peer"));
        let from_peer = format!("/{}", case.unique("mq-from-peer"));
        let args = vec![to_peer.clone(), from_peer.clone()];
        let tx = RawMq::create(&to_peer, maxmsg, msgsize)
            .with_context(|| format!("mq_open {to_peer}"))?;
        let rx = RawMq::create(&from_peer, maxmsg, msgsize)
            .with_context(|| format!("mq_open {from_peer}"))?;
        Ok(Setup::new(args, move || {
            Ok(Box::new(RawMqPair { tx, rx, msgsize }) as _)
        }))
    }

    fn peer(&self, case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let to_peer = arg(args, 0, "queue to the peer")?;
        let from_peer = arg(args, 1, "queue from the peer")?;
        let rx = RawMq::open(to_peer).with_context(|| format!("mq_open {to_peer}"))?;
        let tx = RawMq::open(from_peer).with_context(|| format!("mq_open {from_peer}"))?;
        Ok(Box::new(RawMqPair {
            tx,
            rx,
            msgsize: case.size,
        }))
    }
}
