//! `sysv-shm`, raw: `shmget(IPC_PRIVATE)` + `shmat`, a `semget` set of four and `semop`.

use anyhow::Context as _;

use super::sys::sysv::RawShmSlots;
use crate::common::id_arg;
use crate::scenario::{Case, Endpoint, Scenario, Setup};

/// The raw twin of [`crate::mech::sysv_shm::Ipckit`].
pub struct Raw;

impl Scenario for Raw {
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        let slots = RawShmSlots::create(case.size).context("shmget/semget")?;
        let args = vec![slots.shm_id.to_string(), slots.sem_id.to_string()];
        Ok(Setup::new(args, move || Ok(Box::new(slots) as _)))
    }

    fn peer(&self, case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let shm_id = id_arg(args, 0, "segment id")?;
        let sem_id = id_arg(args, 1, "semaphore set id")?;
        Ok(Box::new(
            RawShmSlots::open(shm_id, sem_id, case.size).context("shmat")?,
        ))
    }
}
