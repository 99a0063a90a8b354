//! `mmap-file`: a regular file mapped `MAP_SHARED` by both processes, with the same slot
//! protocol as `posix-shm` (process-shared semaphores inside the mapping).

use anyhow::Context as _;
use ipckit::mmap::MappedFile;

use super::posix_shm::IpckitSlots;
use super::{path_arg, Endpoint, Impl, Mechanism, Scenario, Setup};
use crate::bench::raw::posix::{slot_len, RawMap, RawSlots};

/// A file-backed shared mapping.
pub struct MmapFile;

impl Mechanism for MmapFile {
    fn name(&self) -> &'static str {
        "mmap-file"
    }

    fn about(&self) -> &'static str {
        "a file in the run directory mapped MAP_SHARED by both, slots handed over with pshared semaphores; ipckit::mmap vs raw"
    }

    fn note(&self) -> Option<&'static str> {
        Some("file-backed (page cache, no msync per message); sem_wait/sem_post hand-off")
    }

    fn setup(&self, sc: &Scenario) -> anyhow::Result<Setup> {
        let path = sc.path("mmap");
        let len = 2 * slot_len(sc.size);
        let size = sc.size;
        let connect: Box<dyn FnOnce() -> anyhow::Result<Box<dyn Endpoint>>> = match sc.imp {
            Impl::Raw => {
                let map = RawMap::file(&path, len, true)
                    .with_context(|| format!("open {}", path.display()))?;
                let slots = RawSlots::new(map, size, true, true).context("sem_init")?;
                Box::new(move || Ok(Box::new(slots) as _))
            }
            Impl::Ipckit => {
                let map = MappedFile::builder(&path).len(len).create_new()?;
                let slots = IpckitSlots::new(map, size, true, true)?;
                Box::new(move || Ok(Box::new(slots) as _))
            }
        };
        Ok(Setup::new(vec![path.display().to_string()], connect))
    }

    fn peer(&self, sc: &Scenario, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let path = path_arg(args, 0, "mapped file")?;
        let len = 2 * slot_len(sc.size);
        match sc.imp {
            Impl::Raw => {
                let map = RawMap::file(&path, len, false)
                    .with_context(|| format!("open {}", path.display()))?;
                Ok(Box::new(RawSlots::new(map, sc.size, false, false)?))
            }
            Impl::Ipckit => {
                let map = MappedFile::builder(&path).open()?;
                Ok(Box::new(IpckitSlots::new(map, sc.size, false, false)?))
            }
        }
    }
}
