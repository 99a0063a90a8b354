//! `posix-shm`: one POSIX shared-memory object (`shm_open` + `ftruncate` + `mmap`) holding a
//! slot per direction; each slot has two process-shared semaphores (`sem_init` pshared:
//! `full`, `empty`), a length word and the data ([`crate::common::slots`]). A message is one
//! `sem_wait`, one copy in, one `sem_post` on the sender and the same on the receiver. Raw
//! twin: [`crate::raw::posix_shm::Raw`].

use ipckit::mmap::MappedBytes;
use ipckit::posix::sem::UnnamedSemaphore;
use ipckit::posix::shm::SharedMemory;

use crate::common::arg;
use crate::common::slots::{slot_len, SLOT_DATA, SLOT_EMPTY, SLOT_FULL, SLOT_LEN};
use crate::scenario::{any_size, Case, Endpoint, Mechanism, Scenario, Setup};

/// The `posix-shm` row.
pub const MECHANISM: Mechanism = Mechanism {
    name: "posix-shm",
    about: "one shm_open segment, a slot per direction handed over with sem_init(pshared) semaphores; ipckit::posix::{shm,sem} vs raw",
    note: Some("one copy in and one copy out per message; sem_wait/sem_post hand-off"),
    has_throughput: true,
    check: any_size,
    ipckit: &Ipckit,
    raw: &crate::raw::posix_shm::Raw,
};

/// POSIX shared memory with a process-shared semaphore hand-off, through ipckit.
pub struct Ipckit;

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
    ///
    /// # Errors
    /// `sem_init` failed.
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

impl Scenario for Ipckit {
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        let name = format!("/{}", case.unique("shm"));
        let len = 2 * slot_len(case.size);
        // The owner unlinks the object when the scenario ends.
        let shm = SharedMemory::builder(&name).size(len).create_new()?;
        let slots = IpckitSlots::new(shm, case.size, true, true)?;
        Ok(Setup::new(vec![name], move || Ok(Box::new(slots) as _)))
    }

    fn peer(&self, case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let name = arg(args, 0, "shared-memory name")?;
        let shm = SharedMemory::builder(name).open()?;
        Ok(Box::new(IpckitSlots::new(shm, case.size, false, false)?))
    }
}
