//! `mmap-file`, raw: `open` + `ftruncate` + `mmap(MAP_SHARED)` of a file, the same slots as
//! `posix-shm`.

use anyhow::Context as _;

use super::sys::posix::{RawMap, RawSlots};
use crate::common::path_arg;
use crate::common::slots::slot_len;
use crate::scenario::{Case, Endpoint, Scenario, Setup};

/// The raw twin of [`crate::mech::mmap_file::Ipckit`].
pub struct Raw;

impl Scenario for Raw {
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        let path = case.path("mmap");
        let len = 2 * slot_len(case.size);
        let map =
            RawMap::file(&path, len, true).with_context(|| format!("open {}", path.display()))?;
        let slots = RawSlots::new(map, case.size, true, true).context("sem_init")?;
        Ok(Setup::new(vec![path.display().to_string()], move || {
            Ok(Box::new(slots) as _)
        }))
    }

    fn peer(&self, case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let path = path_arg(args, 0, "mapped file")?;
        let len = 2 * slot_len(case.size);
        let map =
            RawMap::file(&path, len, false).with_context(|| format!("open {}", path.display()))?;
        Ok(Box::new(RawSlots::new(map, case.size, false, false)?))
    }
}
