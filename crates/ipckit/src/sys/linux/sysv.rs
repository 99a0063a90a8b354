//! System V IPC (`msgget(2)`, `semget(2)`, `shmget(2)` and friends): no maintained crate
//! wraps them, so these are thin `libc` calls returning `Result<_, Errno>`.
//!
//! The safe types live in [`crate::sysv`]; nothing here retries `EINTR` or interprets an
//! errno, except where noted. The kernel's structs (`msqid_ds`, `semid_ds`, `shmid_ds`,
//! `ipc_perm`) are returned as plain Rust structs of this module, so their Linux-only fields
//! (`__msg_cbytes`, `__key`) are read here and nowhere else.

use std::cell::RefCell;
use std::ffi::CStr;
use std::mem::{size_of, MaybeUninit};
use std::time::Duration;

use libc::{c_int, c_long, c_ushort, c_void};

use crate::Errno;

/// `IPC_PRIVATE`: the key every `*get` turns into a new object.
pub(crate) const IPC_PRIVATE: i32 = libc::IPC_PRIVATE;
/// `IPC_CREAT` for `*get`.
pub(crate) const IPC_CREAT: i32 = libc::IPC_CREAT;
/// `IPC_EXCL` for `*get`.
pub(crate) const IPC_EXCL: i32 = libc::IPC_EXCL;
/// `IPC_NOWAIT` for `msgsnd`, `msgrcv` and a `sembuf`'s flags.
pub(crate) const IPC_NOWAIT: i32 = libc::IPC_NOWAIT;
/// `MSG_NOERROR` for `msgrcv`: truncate a message longer than the buffer.
pub(crate) const MSG_NOERROR: i32 = libc::MSG_NOERROR;
/// `MSG_EXCEPT` for `msgrcv` (Linux): the first message of another type.
pub(crate) const MSG_EXCEPT: i32 = libc::MSG_EXCEPT;
/// `SEM_UNDO` in a `sembuf`'s flags.
pub(crate) const SEM_UNDO: i32 = libc::SEM_UNDO;

/// `SHM_DEST` in `shm_perm.mode`: the segment is marked for removal (`<linux/shm.h>`).
pub(crate) const SHM_DEST: u32 = 0o1000;
/// `SHM_LOCKED` in `shm_perm.mode`: the segment is locked in memory (`<linux/shm.h>`).
pub(crate) const SHM_LOCKED: u32 = 0o2000;

fn check(r: c_int) -> Result<c_int, Errno> {
    if r == -1 {
        Err(Errno::last())
    } else {
        Ok(r)
    }
}

/// `struct ipc_perm`, as plain values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IpcPerm {
    /// The key the object was created with (`__key` on Linux).
    pub(crate) key: i32,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) cuid: u32,
    pub(crate) cgid: u32,
    /// The whole `mode` (permission bits and, for segments, `SHM_DEST`/`SHM_LOCKED`).
    pub(crate) mode: u32,
}

impl IpcPerm {
    fn from_raw(p: &libc::ipc_perm) -> IpcPerm {
        IpcPerm {
            key: p.__key,
            uid: p.uid,
            gid: p.gid,
            cuid: p.cuid,
            cgid: p.cgid,
            mode: u32::from(p.mode),
        }
    }

    /// Writes what `IPC_SET` reads (uid, gid, the permission bits) into `p`.
    fn store(&self, p: &mut libc::ipc_perm) {
        p.uid = self.uid;
        p.gid = self.gid;
        p.mode = (self.mode & 0o777) as c_ushort;
    }
}

/// `ftok(3)`.
pub(crate) fn ftok(path: &CStr, proj_id: i32) -> Result<i32, Errno> {
    // SAFETY: `path` is a valid NUL-terminated string for the duration of the call.
    let k = unsafe { libc::ftok(path.as_ptr(), proj_id) };
    if k == -1 {
        Err(Errno::last())
    } else {
        Ok(k)
    }
}

// ---------------------------------------------------------------------------------------
// Message queues

/// `struct msqid_ds` from `msgctl(IPC_STAT)`, as plain values (times in seconds, 0 for
/// never).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MsqidDs {
    pub(crate) perm: IpcPerm,
    pub(crate) qnum: u64,
    /// Bytes of text in the queue (`__msg_cbytes` on Linux).
    pub(crate) cbytes: u64,
    pub(crate) qbytes: u64,
    pub(crate) lspid: i32,
    pub(crate) lrpid: i32,
    pub(crate) stime: i64,
    pub(crate) rtime: i64,
    pub(crate) ctime: i64,
}

/// `msgget(2)`.
pub(crate) fn msgget(key: i32, flags: i32) -> Result<i32, Errno> {
    // SAFETY: plain integer arguments.
    check(unsafe { libc::msgget(key, flags) })
}

thread_local! {
    /// Scratch `struct msgbuf` (a `long mtype` then the text) reused by this thread's
    /// `msgsnd`/`msgrcv`, so a message costs no allocation once the buffer has grown.
    static MSGBUF: RefCell<Vec<c_long>> = const { RefCell::new(Vec::new()) };
}

const LONG: usize = size_of::<c_long>();

/// Runs `f` on a `struct msgbuf` with room for `text_len` bytes of text: this thread's
/// scratch buffer up to 1 MiB, a temporary one above (so a single huge message does not stay
/// allocated). `ENOMEM` if it cannot be allocated.
fn with_msgbuf<T>(
    text_len: usize,
    f: impl FnOnce(&mut [c_long]) -> Result<T, Errno>,
) -> Result<T, Errno> {
    let words = 1 + text_len.div_ceil(LONG);
    let fresh = |f: &mut dyn FnMut(&mut [c_long]) -> Result<T, Errno>| {
        let mut v: Vec<c_long> = Vec::new();
        v.try_reserve_exact(words).map_err(|_| Errno::ENOMEM)?;
        v.resize(words, 0);
        f(&mut v)
    };
    let mut f = Some(f);
    let mut call = |b: &mut [c_long]| (f.take().expect("called once"))(b);
    if words * LONG > 1 << 20 {
        return fresh(&mut call);
    }
    MSGBUF.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            if buf.len() < words {
                buf.resize(words, 0);
            }
            call(&mut buf[..words])
        }
        // Re-entered (cannot happen today): use a fresh buffer.
        Err(_) => fresh(&mut call),
    })
}

/// Whether `mtype` fits the kernel's `long` (always on 64-bit targets).
pub(crate) fn mtype_fits(mtype: i64) -> bool {
    c_long::try_from(mtype).is_ok()
}

/// `msgsnd(2)` of `text` with type `mtype` (`EINVAL` if it does not fit a `long`).
pub(crate) fn msgsnd(id: i32, mtype: i64, text: &[u8], flags: i32) -> Result<(), Errno> {
    let mtype = c_long::try_from(mtype).map_err(|_| Errno::EINVAL)?;
    with_msgbuf(text.len(), |buf| {
        buf[0] = mtype;
        // SAFETY: `buf` holds 1 + ceil(len/LONG) longs, so `len` bytes fit after the first
        // long; source and destination do not overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(
                text.as_ptr(),
                buf.as_mut_ptr().add(1).cast::<u8>(),
                text.len(),
            );
        }
        // SAFETY: `buf` is a valid `struct msgbuf` with `text.len()` bytes of text.
        check(unsafe { libc::msgsnd(id, buf.as_ptr().cast::<c_void>(), text.len(), flags) })
            .map(drop)
    })
}

/// `msgrcv(2)` into `out` (at most `out.len()` bytes of text); returns `(mtype, length)`.
/// `msgtyp` that does not fit a `long` is `EINVAL`.
pub(crate) fn msgrcv(
    id: i32,
    out: &mut [u8],
    msgtyp: i64,
    flags: i32,
) -> Result<(i64, usize), Errno> {
    let msgtyp = c_long::try_from(msgtyp).map_err(|_| Errno::EINVAL)?;
    with_msgbuf(out.len(), |buf| {
        // SAFETY: `buf` has room for a long and `out.len()` bytes of text.
        let n = unsafe {
            libc::msgrcv(
                id,
                buf.as_mut_ptr().cast::<c_void>(),
                out.len(),
                msgtyp,
                flags,
            )
        };
        if n < 0 {
            return Err(Errno::last());
        }
        let n = n as usize;
        // SAFETY: the kernel wrote `n <= out.len()` bytes after the first long.
        unsafe {
            std::ptr::copy_nonoverlapping(buf.as_ptr().add(1).cast::<u8>(), out.as_mut_ptr(), n);
        }
        #[allow(clippy::useless_conversion, reason = "c_long is i32 on 32-bit targets")]
        Ok((i64::from(buf[0]), n))
    })
}

fn msgctl_stat_raw(id: i32) -> Result<libc::msqid_ds, Errno> {
    let mut ds = MaybeUninit::<libc::msqid_ds>::zeroed();
    // SAFETY: `ds` is a writable `msqid_ds`.
    check(unsafe { libc::msgctl(id, libc::IPC_STAT, ds.as_mut_ptr()) })?;
    // SAFETY: zeroed then filled by the kernel; every field is an integer.
    Ok(unsafe { ds.assume_init() })
}

/// `msgctl(IPC_STAT)`.
pub(crate) fn msgctl_stat(id: i32) -> Result<MsqidDs, Errno> {
    let ds = msgctl_stat_raw(id)?;
    #[allow(
        clippy::useless_conversion,
        reason = "the field types differ between targets"
    )]
    Ok(MsqidDs {
        perm: IpcPerm::from_raw(&ds.msg_perm),
        qnum: u64::from(ds.msg_qnum),
        cbytes: u64::from(ds.__msg_cbytes),
        qbytes: u64::from(ds.msg_qbytes),
        lspid: ds.msg_lspid,
        lrpid: ds.msg_lrpid,
        stime: i64::from(ds.msg_stime),
        rtime: i64::from(ds.msg_rtime),
        ctime: i64::from(ds.msg_ctime),
    })
}

/// `msgctl(IPC_SET)`: takes `ds`'s uid, gid, permission bits and qbytes.
pub(crate) fn msgctl_set(id: i32, ds: &MsqidDs) -> Result<(), Errno> {
    // IPC_SET reads only these fields of the struct.
    // SAFETY: an all-zero `msqid_ds` is a valid value of this plain C struct.
    let mut raw: libc::msqid_ds = unsafe { std::mem::zeroed() };
    ds.perm.store(&mut raw.msg_perm);
    raw.msg_qbytes = ds.qbytes as _;
    // SAFETY: `raw` is a valid `msqid_ds`.
    check(unsafe { libc::msgctl(id, libc::IPC_SET, &mut raw) }).map(drop)
}

/// `msgctl(IPC_RMID)`.
pub(crate) fn msgctl_rmid(id: i32) -> Result<(), Errno> {
    // SAFETY: IPC_RMID ignores the buffer.
    check(unsafe { libc::msgctl(id, libc::IPC_RMID, std::ptr::null_mut()) }).map(drop)
}

// ---------------------------------------------------------------------------------------
// Semaphore sets

/// `struct semid_ds` from `semctl(IPC_STAT)`, as plain values (times in seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SemidDs {
    pub(crate) perm: IpcPerm,
    pub(crate) nsems: u64,
    pub(crate) otime: i64,
    pub(crate) ctime: i64,
}

/// One `struct sembuf`: semaphore `num`, change `op`, flags (`IPC_NOWAIT`, `SEM_UNDO`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SemBuf {
    pub(crate) num: u16,
    pub(crate) op: i16,
    pub(crate) flags: i16,
}

// `SemBuf` is passed to the kernel as `struct sembuf`: same size, alignment and field order.
const _: () = {
    assert!(size_of::<SemBuf>() == size_of::<libc::sembuf>());
    assert!(std::mem::align_of::<SemBuf>() == std::mem::align_of::<libc::sembuf>());
    assert!(std::mem::offset_of!(SemBuf, num) == std::mem::offset_of!(libc::sembuf, sem_num));
    assert!(std::mem::offset_of!(SemBuf, op) == std::mem::offset_of!(libc::sembuf, sem_op));
    assert!(std::mem::offset_of!(SemBuf, flags) == std::mem::offset_of!(libc::sembuf, sem_flg));
};

extern "C" {
    // glibc and musl export it; the `libc` crate does not declare it for every target.
    fn semtimedop(
        semid: c_int,
        sops: *mut libc::sembuf,
        nsops: libc::size_t,
        timeout: *const libc::timespec,
    ) -> c_int;
}

/// A relative `timespec` for `d`, saturating at the largest `time_t` (any [`Duration`],
/// up to [`Duration::MAX`], is valid).
pub(crate) fn relative_timespec(d: Duration) -> libc::timespec {
    libc::timespec {
        tv_sec: libc::time_t::try_from(d.as_secs()).unwrap_or(libc::time_t::MAX),
        tv_nsec: d.subsec_nanos() as _,
    }
}

/// `semget(2)`.
pub(crate) fn semget(key: i32, nsems: i32, flags: i32) -> Result<i32, Errno> {
    // SAFETY: plain integer arguments.
    check(unsafe { libc::semget(key, nsems, flags) })
}

/// `semop(2)` (or `semtimedop(2)` when `timeout` is given; any `Duration` saturates).
pub(crate) fn semop(id: i32, ops: &mut [SemBuf], timeout: Option<Duration>) -> Result<(), Errno> {
    let p = ops.as_mut_ptr().cast::<libc::sembuf>();
    let r = match timeout {
        None => {
            // SAFETY: `ops` is a valid array of `ops.len()` sembufs (layout checked above).
            unsafe { libc::semop(id, p, ops.len()) }
        }
        Some(t) => {
            let ts = relative_timespec(t);
            // SAFETY: `ops` is a valid array (layout checked above), `ts` a valid timespec
            // for the call.
            unsafe { semtimedop(id, p, ops.len(), &ts) }
        }
    };
    check(r).map(drop)
}

/// `semctl(2)` with an integer or no argument.
fn semctl_int(id: i32, num: i32, cmd: c_int, arg: c_int) -> Result<c_int, Errno> {
    // SAFETY: for these commands the kernel reads `union semun` as the int `val` (or not at
    // all); an int is passed in the same register as the union.
    check(unsafe { libc::semctl(id, num, cmd, arg) })
}

/// `semctl(GETVAL)`.
pub(crate) fn semctl_getval(id: i32, num: u16) -> Result<i32, Errno> {
    semctl_int(id, c_int::from(num), libc::GETVAL, 0)
}

/// `semctl(SETVAL)`.
pub(crate) fn semctl_setval(id: i32, num: u16, value: u16) -> Result<(), Errno> {
    semctl_int(id, c_int::from(num), libc::SETVAL, c_int::from(value)).map(drop)
}

/// `semctl(GETPID)`.
pub(crate) fn semctl_getpid(id: i32, num: u16) -> Result<i32, Errno> {
    semctl_int(id, c_int::from(num), libc::GETPID, 0)
}

/// `semctl(GETNCNT)`.
pub(crate) fn semctl_getncnt(id: i32, num: u16) -> Result<i32, Errno> {
    semctl_int(id, c_int::from(num), libc::GETNCNT, 0)
}

/// `semctl(GETZCNT)`.
pub(crate) fn semctl_getzcnt(id: i32, num: u16) -> Result<i32, Errno> {
    semctl_int(id, c_int::from(num), libc::GETZCNT, 0)
}

/// `semctl(IPC_RMID)`.
pub(crate) fn semctl_rmid(id: i32) -> Result<(), Errno> {
    semctl_int(id, 0, libc::IPC_RMID, 0).map(drop)
}

/// `semctl(GETALL)` into `vals` (which must have `nsems` entries).
pub(crate) fn semctl_getall(id: i32, vals: &mut [u16]) -> Result<(), Errno> {
    // SAFETY: `vals` is a writable array; the caller sized it to the set's `sem_nsems`.
    check(unsafe { libc::semctl(id, 0, libc::GETALL, vals.as_mut_ptr()) }).map(drop)
}

/// `semctl(SETALL)` from `vals` (which must have `nsems` entries).
pub(crate) fn semctl_setall(id: i32, vals: &[u16]) -> Result<(), Errno> {
    // SAFETY: `vals` is a readable array; the caller sized it to the set's `sem_nsems`.
    check(unsafe { libc::semctl(id, 0, libc::SETALL, vals.as_ptr()) }).map(drop)
}

fn semctl_stat_raw(id: i32) -> Result<libc::semid_ds, Errno> {
    let mut ds = MaybeUninit::<libc::semid_ds>::zeroed();
    // SAFETY: `ds` is a writable `semid_ds`, passed as the `buf` member of `union semun`.
    check(unsafe { libc::semctl(id, 0, libc::IPC_STAT, ds.as_mut_ptr()) })?;
    // SAFETY: zeroed then filled by the kernel; every field is an integer.
    Ok(unsafe { ds.assume_init() })
}

/// `semctl(IPC_STAT)`.
pub(crate) fn semctl_stat(id: i32) -> Result<SemidDs, Errno> {
    let ds = semctl_stat_raw(id)?;
    #[allow(
        clippy::useless_conversion,
        reason = "the field types differ between targets"
    )]
    Ok(SemidDs {
        perm: IpcPerm::from_raw(&ds.sem_perm),
        nsems: u64::from(ds.sem_nsems),
        otime: i64::from(ds.sem_otime),
        ctime: i64::from(ds.sem_ctime),
    })
}

/// `semctl(IPC_SET)`: takes `perm`'s uid, gid and permission bits.
pub(crate) fn semctl_set(id: i32, perm: &IpcPerm) -> Result<(), Errno> {
    // IPC_SET reads only these fields of the struct.
    // SAFETY: an all-zero `semid_ds` is a valid value of this plain C struct.
    let mut raw: libc::semid_ds = unsafe { std::mem::zeroed() };
    perm.store(&mut raw.sem_perm);
    // SAFETY: `raw` is a valid `semid_ds`, passed as the `buf` member of `union semun`.
    check(unsafe { libc::semctl(id, 0, libc::IPC_SET, &mut raw as *mut libc::semid_ds) }).map(drop)
}

// ---------------------------------------------------------------------------------------
// Shared memory

/// `struct shmid_ds` from `shmctl(IPC_STAT)`, as plain values (times in seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ShmidDs {
    pub(crate) perm: IpcPerm,
    pub(crate) segsz: usize,
    pub(crate) nattch: u64,
    pub(crate) cpid: i32,
    pub(crate) lpid: i32,
    pub(crate) atime: i64,
    pub(crate) dtime: i64,
    pub(crate) ctime: i64,
}

/// `shmget(2)`.
pub(crate) fn shmget(key: i32, size: usize, flags: i32) -> Result<i32, Errno> {
    // SAFETY: plain integer arguments.
    check(unsafe { libc::shmget(key, size, flags) })
}

fn shmctl_stat_raw(id: i32) -> Result<libc::shmid_ds, Errno> {
    let mut ds = MaybeUninit::<libc::shmid_ds>::zeroed();
    // SAFETY: `ds` is a writable `shmid_ds`.
    check(unsafe { libc::shmctl(id, libc::IPC_STAT, ds.as_mut_ptr()) })?;
    // SAFETY: zeroed then filled by the kernel; every field is an integer.
    Ok(unsafe { ds.assume_init() })
}

/// `shmctl(IPC_STAT)`.
pub(crate) fn shmctl_stat(id: i32) -> Result<ShmidDs, Errno> {
    let ds = shmctl_stat_raw(id)?;
    #[allow(
        clippy::useless_conversion,
        reason = "the field types differ between targets"
    )]
    Ok(ShmidDs {
        perm: IpcPerm::from_raw(&ds.shm_perm),
        segsz: ds.shm_segsz,
        nattch: u64::from(ds.shm_nattch),
        cpid: ds.shm_cpid,
        lpid: ds.shm_lpid,
        atime: i64::from(ds.shm_atime),
        dtime: i64::from(ds.shm_dtime),
        ctime: i64::from(ds.shm_ctime),
    })
}

/// `shmctl(IPC_SET)`: takes `perm`'s uid, gid and permission bits.
pub(crate) fn shmctl_set(id: i32, perm: &IpcPerm) -> Result<(), Errno> {
    // IPC_SET reads only these fields of the struct.
    // SAFETY: an all-zero `shmid_ds` is a valid value of this plain C struct.
    let mut raw: libc::shmid_ds = unsafe { std::mem::zeroed() };
    perm.store(&mut raw.shm_perm);
    // SAFETY: `raw` is a valid `shmid_ds`.
    check(unsafe { libc::shmctl(id, libc::IPC_SET, &mut raw) }).map(drop)
}

/// `shmctl(IPC_RMID)`.
pub(crate) fn shmctl_rmid(id: i32) -> Result<(), Errno> {
    // SAFETY: IPC_RMID ignores the buffer.
    check(unsafe { libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()) }).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_timespec_saturates() {
        let ts = relative_timespec(Duration::MAX);
        assert_eq!(ts.tv_sec, libc::time_t::MAX);
        assert!(ts.tv_nsec < 1_000_000_000);
        let ts = relative_timespec(Duration::new(3, 7));
        assert_eq!((ts.tv_sec, ts.tv_nsec), (3, 7));
    }
}
