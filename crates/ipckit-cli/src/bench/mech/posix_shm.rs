//! `posix-shm`: one POSIX shared-memory object (`shm_open` + `ftruncate` + `mmap`) holding a
//! slot per direction; each slot has two process-shared semaphores (`sem_init` pshared:
//! `full`, `empty`), a length word and the data. A message is one `sem_wait`, one copy in,
//! one `sem_post` on the sender and the same on the receiver.

use anyhow::Context as _;
use ipckit::mmap::MappedBytes;
use ipckit::posix::sem::UnnamedSemaphore;
use ipckit::posix::shm::SharedMemory;

use super::{arg, Endpoint, Impl, Mechanism, Scenario, Setup};
use crate::bench::raw::posix::{
    slot_len, RawMap, RawSlots, SLOT_DATA, SLOT_EMPTY, SLOT_FULL, SLOT_LEN,
};

/// POSIX shared memory with a process-shared semaphore hand-off.
pub struct PosixShm;

/// The ipckit side of the slot protocol over any shared mapping ([`SharedMemory`] or
/// [`MappedFile`](ipckit::mmap::MappedFile)), with the same layout as the raw twin.
pub struct IpckitSlots<M: MappedBytes> {
    map: M,
    tx: usize,
    rx: usize,
    slot: usize,
}

impl<M: MappedBytes> IpckitSlots<M> {
    /// Wraps `map` holding two slots for `size`-byte messages; `init` initialises the
    /// semaphores (`full` 0, `empty` 1). The parent sends in slot 0.
    pub fn new(map: M, size: usize, parent: bool, init: bool) -> anyhow::Result<IpckitSlots<M>> {
        let s = slot_len(size);
        if init {
            for slot in [0, s] {
                UnnamedSemaphore::init(&map, slot + SLOT_FULL, 0)?;
                UnnamedSemaphore::init(&map, slot + SLOT_EMPTY, 1)?;
            }
        }
        let (tx, rx) = if parent { (0, s) } else { (s, 0) };
        Ok(IpckitSlots {
            map,
            tx,
            rx,
            slot: s,
        })
    }
}

impl<M: MappedBytes> Endpoint for IpckitSlots<M> {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        anyhow::ensure!(
            SLOT_DATA + msg.len() <= self.slot,
            "message above slot size"
        );
        UnnamedSemaphore::at(&self.map, self.tx + SLOT_EMPTY)?.wait()?;
        self.map.write(self.tx + SLOT_DATA, msg)?;
        self.map
            .write_volatile_u64(self.tx + SLOT_LEN, msg.len() as u64)?;
        UnnamedSemaphore::at(&self.map, self.tx + SLOT_FULL)?.post()?;
        Ok(())
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        UnnamedSemaphore::at(&self.map, self.rx + SLOT_FULL)?.wait()?;
        let n = self.map.read_volatile_u64(self.rx + SLOT_LEN)? as usize;
        anyhow::ensure!(
            SLOT_DATA + n <= self.slot,
            "length word {n} above slot size"
        );
        buf.resize(n, 0);
        self.map.read(self.rx + SLOT_DATA, buf)?;
        UnnamedSemaphore::at(&self.map, self.rx + SLOT_EMPTY)?.post()?;
        Ok(())
    }
}

impl Mechanism for PosixShm {
    fn name(&self) -> &'static str {
        "posix-shm"
    }

    fn about(&self) -> &'static str {
        "one shm_open segment, a slot per direction handed over with sem_init(pshared) semaphores; ipckit::posix::{shm,sem} vs raw"
    }

    fn note(&self) -> Option<&'static str> {
        Some("one copy in and one copy out per message; sem_wait/sem_post hand-off")
    }

    fn setup(&self, sc: &Scenario) -> anyhow::Result<Setup> {
        let name = format!("/{}", sc.unique("shm"));
        let len = 2 * slot_len(sc.size);
        let size = sc.size;
        let connect: Box<dyn FnOnce() -> anyhow::Result<Box<dyn Endpoint>>> = match sc.imp {
            Impl::Raw => {
                let map =
                    RawMap::create_shm(&name, len).with_context(|| format!("shm_open {name}"))?;
                let slots = RawSlots::new(map, size, true, true).context("sem_init")?;
                Box::new(move || Ok(Box::new(slots) as _))
            }
            Impl::Ipckit => {
                // The owner unlinks the object when the scenario ends.
                let shm = SharedMemory::builder(&name).size(len).create_new()?;
                let slots = IpckitSlots::new(shm, size, true, true)?;
                Box::new(move || Ok(Box::new(slots) as _))
            }
        };
        Ok(Setup::new(vec![name], connect))
    }

    fn peer(&self, sc: &Scenario, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let name = arg(args, 0, "shared-memory name")?;
        match sc.imp {
            Impl::Raw => {
                let map = RawMap::open_shm(name, 2 * slot_len(sc.size))
                    .with_context(|| format!("shm_open {name}"))?;
                Ok(Box::new(RawSlots::new(map, sc.size, false, false)?))
            }
            Impl::Ipckit => {
                let shm = SharedMemory::builder(name).open()?;
                Ok(Box::new(IpckitSlots::new(shm, sc.size, false, false)?))
            }
        }
    }
}
