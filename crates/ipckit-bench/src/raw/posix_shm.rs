//! `posix-shm`, raw: `shm_open` + `ftruncate` + `mmap`, `sem_init(pshared)` semaphores,
//! `sem_wait`/`sem_post`.

use anyhow::Context as _;

use super::sys::posix::{RawMap, RawSlots};
use crate::common::arg;
use crate::common::slots::slot_len;
use crate::scenario::{Case, Endpoint, Scenario, Setup};

/// The raw twin of [`crate::mech::posix_shm::Ipckit`].
pub struct Raw;

impl Scenario for Raw {
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        let name = format!("/{}", case.unique("shm"));
        let len = 2 * slot_len(case.size);
        let map = RawMap::create_shm(&name, len).with_context(|| format!("shm_open {name}"))?;
        let slots = RawSlots::new(map, case.size, true, true).context("sem_init")?;
        Ok(Setup::new(vec![name], move || Ok(Box::new(slots) as _)))
    }

    fn peer(&self, case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let name = arg(args, 0, "shared-memory name")?;
        let map = RawMap::open_shm(name, 2 * slot_len(case.size))
            .with_context(|| format!("shm_open {name}"))?;
        Ok(Box::new(RawSlots::new(map, case.size, false, false)?))
    }
}
