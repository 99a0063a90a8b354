//! `sysv-shm`: one System V shared-memory segment (`shmget(IPC_PRIVATE)` + `shmat`) holding
//! a slot per direction (a length word and the data, [`crate::common::slots`]), handed over
//! with a System V semaphore set of four (`full`/`empty` per slot, plain `semop`, no
//! `SEM_UNDO`). A message is one `semop` (P empty), one copy in, one `semop` (V full) on the
//! sender and the mirror on the receiver. Raw twin: [`crate::raw::sysv_shm::Raw`].

use ipckit::mmap::MappedBytes;
use ipckit::sysv::key::Key;
use ipckit::sysv::sem::{SemOp, SemaphoreSet};
use ipckit::sysv::shm::{Attachment, SharedMemory};

use crate::common::id_arg;
use crate::common::slots::{shm_slot_len, SEM_VALUES, SHM_DATA, SHM_LEN};
use crate::scenario::{any_size, Case, Endpoint, Mechanism, Scenario, Setup};

/// The `sysv-shm` row.
pub const MECHANISM: Mechanism = Mechanism {
    name: "sysv-shm",
    about: "one System V segment (shmget/shmat), a slot per direction handed over with a semget set (semop); ipckit::sysv::{shm,sem} vs raw",
    note: Some("one copy in and one copy out per message; semop P/V hand-off"),
    has_throughput: true,
    check: any_size,
    ipckit: &Ipckit,
    raw: &crate::raw::sysv_shm::Raw,
};

/// System V shared memory with a System V semaphore hand-off, through ipckit.
pub struct Ipckit;

struct IpckitShm {
    // Field order: detach before the owner handles drop (they mark for removal).
    att: Attachment,
    set: SemaphoreSet,
    _seg: SharedMemory,
    slot: usize,
    tx: u16,
    rx: u16,
}

impl IpckitShm {
    fn new(
        seg: SharedMemory,
        set: SemaphoreSet,
        size: usize,
        parent: bool,
    ) -> anyhow::Result<Self> {
        let att = seg.attach()?;
        let (tx, rx) = if parent { (0, 1) } else { (1, 0) };
        Ok(IpckitShm {
            att,
            set,
            _seg: seg,
            slot: shm_slot_len(size),
            tx,
            rx,
        })
    }
}

impl Endpoint for IpckitShm {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        anyhow::ensure!(SHM_DATA + msg.len() <= self.slot, "message above slot size");
        let base = usize::from(self.tx) * self.slot;
        self.set.op(&[SemOp::wait(2 * self.tx + 1)])?; // P(empty)
        self.att.write(base + SHM_DATA, msg)?;
        self.att
            .write(base + SHM_LEN, &(msg.len() as u64).to_ne_bytes())?;
        self.set.op(&[SemOp::post(2 * self.tx)])?; // V(full)
        Ok(())
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        let base = usize::from(self.rx) * self.slot;
        self.set.op(&[SemOp::wait(2 * self.rx)])?; // P(full)
        let mut len = [0u8; 8];
        self.att.read(base + SHM_LEN, &mut len)?;
        let n = u64::from_ne_bytes(len) as usize;
        anyhow::ensure!(SHM_DATA + n <= self.slot, "length word {n} above slot size");
        buf.resize(n, 0);
        self.att.read(base + SHM_DATA, buf)?;
        self.set.op(&[SemOp::post(2 * self.rx + 1)])?; // V(empty)
        Ok(())
    }
}

impl Scenario for Ipckit {
    fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
        let size = case.size;
        // The owners remove the segment and the set when the scenario ends.
        let seg = SharedMemory::builder(Key::PRIVATE, 2 * shm_slot_len(size)).create_new()?;
        let set = SemaphoreSet::builder(Key::PRIVATE, 4)
            .values(&SEM_VALUES)
            .create_new()?;
        let args = vec![seg.id().to_string(), set.id().to_string()];
        let ep = IpckitShm::new(seg, set, size, true)?;
        Ok(Setup::new(args, move || Ok(Box::new(ep) as _)))
    }

    fn peer(&self, case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
        let shm_id = id_arg(args, 0, "segment id")?;
        let sem_id = id_arg(args, 1, "semaphore set id")?;
        Ok(Box::new(IpckitShm::new(
            SharedMemory::from_id(shm_id)?,
            SemaphoreSet::from_id(sem_id)?,
            case.size,
            false,
        )?))
    }
}
