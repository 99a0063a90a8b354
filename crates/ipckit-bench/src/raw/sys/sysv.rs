//! Raw twins of the `sysv-mq` and `sysv-shm` rows: `msgget`/`msgsnd`/`msgrcv`, and
//! `shmget`/`shmat` with a `semget` set for the hand-off, straight against libc.

use std::io;

use libc::{c_int, c_long, c_void};

use super::fd::{cvt, retry};
use crate::common::slots::{shm_slot_len, SEM_VALUES, SHM_DATA, SHM_LEN};
use crate::scenario::Endpoint;

/// A message queue id; removed on drop if this side created it.
#[derive(Debug)]
pub struct RawMsq {
    /// The queue's id.
    pub id: c_int,
    owner: bool,
}

impl RawMsq {
    /// `msgget(IPC_PRIVATE, IPC_CREAT | 0600)`.
    pub fn create() -> io::Result<RawMsq> {
        // SAFETY: plain integer arguments.
        let id = cvt(unsafe { libc::msgget(libc::IPC_PRIVATE, libc::IPC_CREAT | 0o600) })?;
        Ok(RawMsq { id, owner: true })
    }

    /// The queue with this id (not removed on drop).
    pub fn open(id: c_int) -> RawMsq {
        RawMsq { id, owner: false }
    }
}

impl Drop for RawMsq {
    fn drop(&mut self) {
        if self.owner {
            // SAFETY: IPC_RMID ignores the buffer.
            unsafe { libc::msgctl(self.id, libc::IPC_RMID, std::ptr::null_mut()) };
        }
    }
}

/// Two queues, one per direction, with preallocated `struct msgbuf`s (`long mtype` + text).
#[derive(Debug)]
pub struct RawMsqPair {
    /// Where this side sends.
    pub tx: RawMsq,
    /// Where this side receives.
    pub rx: RawMsq,
    buf: Vec<c_long>,
    size: usize,
}

impl RawMsqPair {
    /// A pair for messages up to `size` bytes.
    pub fn new(tx: RawMsq, rx: RawMsq, size: usize) -> RawMsqPair {
        let words = 1 + size.div_ceil(std::mem::size_of::<c_long>());
        RawMsqPair {
            tx,
            rx,
            buf: vec![0; words],
            size,
        }
    }
}

impl Endpoint for RawMsqPair {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        anyhow::ensure!(msg.len() <= self.size, "message above the scenario size");
        self.buf[0] = 1;
        // SAFETY: `buf` has room for a long then `size >= msg.len()` bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(
                msg.as_ptr(),
                self.buf.as_mut_ptr().add(1).cast::<u8>(),
                msg.len(),
            );
        }
        let (id, p) = (self.tx.id, self.buf.as_ptr().cast::<c_void>());
        // SAFETY: `p` is a valid msgbuf with `msg.len()` bytes of text.
        retry(|| cvt(unsafe { libc::msgsnd(id, p, msg.len(), 0) }).map(drop))?;
        Ok(())
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        let (id, p, size) = (
            self.rx.id,
            self.buf.as_mut_ptr().cast::<c_void>(),
            self.size,
        );
        let n = retry(|| {
            // SAFETY: `p` has room for a long and `size` bytes of text.
            let n = unsafe { libc::msgrcv(id, p, size, 0, 0) };
            if n < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(n as usize)
            }
        })?;
        buf.resize(n, 0);
        // SAFETY: the kernel wrote `n` bytes after the first long.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.buf.as_ptr().add(1).cast::<u8>(),
                buf.as_mut_ptr(),
                n,
            );
        }
        Ok(())
    }
}

/// The raw `sysv-shm` endpoint: a segment of two slots attached with `shmat`, and a
/// semaphore set of four (`full`/`empty` per slot) operated with `semop`.
#[derive(Debug)]
pub struct RawShmSlots {
    /// The segment's id.
    pub shm_id: c_int,
    /// The semaphore set's id.
    pub sem_id: c_int,
    addr: *mut u8,
    slot: usize,
    parent: bool,
    owner: bool,
}

impl RawShmSlots {
    /// Parent: creates a private segment of two slots and the set (`SETALL` to
    /// [`SEM_VALUES`]), attaches, sends in slot 0. Both are removed on drop.
    pub fn create(size: usize) -> io::Result<RawShmSlots> {
        let slot = shm_slot_len(size);
        // SAFETY: plain integer arguments.
        let shm_id =
            cvt(unsafe { libc::shmget(libc::IPC_PRIVATE, 2 * slot, libc::IPC_CREAT | 0o600) })?;
        // SAFETY: plain integer arguments.
        let sem_id =
            match cvt(unsafe { libc::semget(libc::IPC_PRIVATE, 4, libc::IPC_CREAT | 0o600) }) {
                Ok(id) => id,
                Err(e) => {
                    // SAFETY: IPC_RMID ignores the buffer.
                    unsafe { libc::shmctl(shm_id, libc::IPC_RMID, std::ptr::null_mut()) };
                    return Err(e);
                }
            };
        let mut me = RawShmSlots {
            shm_id,
            sem_id,
            addr: std::ptr::null_mut(),
            slot,
            parent: true,
            owner: true,
        };
        // SAFETY: SETALL reads 4 unsigned shorts from the array (the set has 4).
        cvt(unsafe { libc::semctl(sem_id, 0, libc::SETALL, SEM_VALUES.as_ptr()) })?;
        me.attach()?;
        Ok(me)
    }

    /// Peer: attaches the parent's segment and set by id, sends in slot 1.
    pub fn open(shm_id: c_int, sem_id: c_int, size: usize) -> io::Result<RawShmSlots> {
        let mut me = RawShmSlots {
            shm_id,
            sem_id,
            addr: std::ptr::null_mut(),
            slot: shm_slot_len(size),
            parent: false,
            owner: false,
        };
        me.attach()?;
        Ok(me)
    }

    fn attach(&mut self) -> io::Result<()> {
        // SAFETY: a NULL address lets the kernel choose; nothing is overwritten.
        let p = unsafe { libc::shmat(self.shm_id, std::ptr::null(), 0) };
        if p as isize == -1 {
            return Err(io::Error::last_os_error());
        }
        self.addr = p.cast();
        Ok(())
    }

    fn semop(&self, num: u16, op: i16) -> io::Result<()> {
        let mut b = libc::sembuf {
            sem_num: num,
            sem_op: op,
            sem_flg: 0,
        };
        // SAFETY: one valid sembuf.
        retry(|| cvt(unsafe { libc::semop(self.sem_id, &mut b, 1) }).map(drop))
    }

    fn slots(&self) -> (u16, u16) {
        if self.parent {
            (0, 1)
        } else {
            (1, 0)
        }
    }
}

impl Drop for RawShmSlots {
    fn drop(&mut self) {
        if !self.addr.is_null() {
            // SAFETY: `addr` came from shmat and no reference into it outlives `self`.
            unsafe { libc::shmdt(self.addr.cast()) };
        }
        if self.owner {
            // SAFETY: IPC_RMID ignores the buffer / extra argument.
            unsafe {
                libc::shmctl(self.shm_id, libc::IPC_RMID, std::ptr::null_mut());
                libc::semctl(self.sem_id, 0, libc::IPC_RMID);
            }
        }
    }
}

impl Endpoint for RawShmSlots {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        anyhow::ensure!(SHM_DATA + msg.len() <= self.slot, "message above slot size");
        let (tx, _) = self.slots();
        self.semop(2 * tx + 1, -1)?; // P(empty)
                                     // SAFETY: slot `tx` lies inside the 2-slot segment; `msg` fits its data area
                                     // (checked); `empty` was taken, so the receiver is not reading it.
        unsafe {
            let base = self.addr.add(usize::from(tx) * self.slot);
            std::ptr::copy_nonoverlapping(msg.as_ptr(), base.add(SHM_DATA), msg.len());
            base.add(SHM_LEN)
                .cast::<u64>()
                .write_volatile(msg.len() as u64);
        }
        self.semop(2 * tx, 1)?; // V(full)
        Ok(())
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        let (_, rx) = self.slots();
        self.semop(2 * rx, -1)?; // P(full)
                                 // SAFETY: slot `rx` lies inside the segment; the length word is 8-aligned.
        let base = unsafe { self.addr.add(usize::from(rx) * self.slot) };
        // SAFETY: as above; `full` was taken, so the sender finished writing.
        let n = unsafe { base.add(SHM_LEN).cast::<u64>().read_volatile() } as usize;
        anyhow::ensure!(SHM_DATA + n <= self.slot, "length word {n} above slot size");
        buf.resize(n, 0);
        // SAFETY: `n` bytes lie inside the slot (checked); `buf` holds `n` bytes.
        unsafe { std::ptr::copy_nonoverlapping(base.add(SHM_DATA), buf.as_mut_ptr(), n) };
        self.semop(2 * rx + 1, 1)?; // V(empty)
        Ok(())
    }
}
