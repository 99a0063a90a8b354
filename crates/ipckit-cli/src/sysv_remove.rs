//! What `ipckit rm` and `ipckit ipcrm` share: removing a System V object by id or by key,
//! and the objects of a kind that `--all` / `-a` removes. Each verb keeps its own messages
//! (`rm`'s lsipc-like lines, `ipcrm`'s util-linux ones); this module prints nothing.

use ipckit::inspect::sysv as inspect;
use ipckit::sysv::key::Key;
use ipckit::sysv::msg::MessageQueue;
use ipckit::sysv::sem::SemaphoreSet;
use ipckit::sysv::shm::SharedMemory;
use ipckit::Named;

/// A kind of System V object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SysvKind {
    /// A message queue (`msgctl`).
    Msg,
    /// A shared-memory segment (`shmctl`; removal marks it, it goes at the last detach).
    Shm,
    /// A semaphore set (`semctl`).
    Sem,
}

/// One existing object of a kind, as `--all` finds it.
#[derive(Debug, Clone, Copy)]
pub struct Found {
    pub id: i32,
    pub key: Key,
    /// The messages a queue holds (`None` for segments and sets).
    pub messages: Option<u64>,
}

impl SysvKind {
    /// `IPC_RMID` on the object with `id`.
    pub fn remove_id(self, id: i32) -> ipckit::Result<()> {
        match self {
            SysvKind::Msg => MessageQueue::remove_id(id),
            SysvKind::Shm => SharedMemory::remove_id(id),
            SysvKind::Sem => SemaphoreSet::remove_id(id),
        }
    }

    /// `msgget(key, 0)` (`shmget(key, 0, 0)`, `semget(key, 0, 0)`): the id of the object
    /// with `key`.
    pub fn id_of(self, key: Key) -> ipckit::Result<i32> {
        match self {
            SysvKind::Msg => MessageQueue::builder(key).open().map(|q| q.id()),
            SysvKind::Shm => SharedMemory::builder(key, 0).open().map(|s| s.id()),
            SysvKind::Sem => SemaphoreSet::builder(key, 0)
                .no_init_wait()
                .open()
                .map(|s| s.id()),
        }
    }

    /// Opens the object with `key` and removes it (an error names the key).
    pub fn remove_key(self, key: Key) -> ipckit::Result<()> {
        match self {
            SysvKind::Msg => MessageQueue::builder(key)
                .open()
                .and_then(MessageQueue::remove),
            SysvKind::Shm => SharedMemory::builder(key, 0)
                .open()
                .and_then(SharedMemory::remove),
            SysvKind::Sem => SemaphoreSet::builder(key, 0)
                .no_init_wait()
                .open()
                .and_then(SemaphoreSet::remove),
        }
    }

    /// Every object of this kind that `/proc/sysvipc` lists, in its order.
    pub fn all(self) -> ipckit::Result<Vec<Found>> {
        let found = |id, key, messages| Found { id, key, messages };
        Ok(match self {
            SysvKind::Msg => inspect::queues()?
                .iter()
                .map(|q| found(q.id, q.perm.key, Some(q.qnum)))
                .collect(),
            SysvKind::Shm => inspect::segments()?
                .iter()
                .map(|s| found(s.id, s.perm.key, None))
                .collect(),
            SysvKind::Sem => inspect::sets()?
                .iter()
                .map(|s| found(s.id, s.perm.key, None))
                .collect(),
        })
    }
}
