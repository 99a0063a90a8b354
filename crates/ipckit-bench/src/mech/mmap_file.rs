//! `mmap-file`: a regular file mapped `MAP_SHARED` by both processes, with the same slot
//! protocol as `posix-shm` (process-shared semaphores inside the mapping). Raw twin:
//! [`crate::raw::mmap_file::Raw`].

use ipckit::mmap::MappedFile;

use super::posix_shm::IpckitSlots;
use crate::common::path_arg;
use crate::common::slots::slot_len;
use crate::scenario::{any_size, Case, Endpoint, Mechanism, Scenario, Setup};

/// The `mmap-file` row.
pub const MECHANISM: Mechanism = Mechanism {
    name: "mmap-file",
    about: "a file in the run directory mapped MAP_SHARED by both, slots handed over with pshared semaphores; ipckit::mmap vs raw",
    note: Some("file-backed (page cache, no msync per message); sem_wait/sem_post hand-off"),
    has_throughput: true,
    check: any_size,
    ipckit: &Ipckit,
    raw: &crate::raw::mmap_file::Raw,
};

/// A file-backed shared mapping through ipckit.
pub struct Ipckit;

impl Scenario for Ipckit {
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        let path = case.path("mmap");
        let len = 2 * slot_len(case.size);
        let map = MappedFile::builder(&path).len(len).create_new()?;
        let slots = IpckitSlots::new(map, case.size, true, true)?;
        Ok(Setup::new(vec![path.display().to_string()], move || {
            Ok(Box::new(slots) as _)
        }))
    }

    fn peer(&self, case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let path = path_arg(args, 0, "mapped file")?;
        let map = MappedFile::builder(&path).open()?;
        Ok(Box::new(IpckitSlots::new(map, case.size, false, false)?))
    }
}
