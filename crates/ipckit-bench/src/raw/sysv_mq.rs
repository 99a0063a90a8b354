//! `sysv-mq`, raw: `msgget(IPC_PRIVATE)`, `msgsnd`/`msgrcv` of type 1.

use anyhow::Context as _;

use super::sys::sysv::{RawMsq, RawMsqPair};
use crate::common::id_arg;
use crate::scenario::{Case, Endpoint, Scenario, Setup};

/// The raw twin of [`crate::mech::sysv_mq::Ipckit`].
pub struct Raw;

impl Scenario for Raw {
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        let size = case.size;
        let tx = RawMsq::create().context("msgget")?;
        let rx = RawMsq::create().context("msgget")?;
        let args = vec![tx.id.to_string(), rx.id.to_string()];
        Ok(Setup::new(args, move || {
            Ok(Box::new(RawMsqPair::new(tx, rx, size)) as _)
        }))
    }

    fn peer(&self, case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let to_peer = id_arg(args, 0, "queue to the peer")?;
        let from_peer = id_arg(args, 1, "queue from the peer")?;
        Ok(Box::new(RawMsqPair::new(
            RawMsq::open(from_peer),
            RawMsq::open(to_peer),
            case.size,
        )))
    }
}
