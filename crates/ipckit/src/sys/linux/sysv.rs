//! System V IPC (`msgget(2)`, `semget(2)`, `shmget(2)` and friends): no maintained crate
//! wraps them, so these are thin `libc` calls returning `Result<_, Errno>`.
//!
//! The safe types live in [`crate::sysv`]; nothing here retries `EINTR` or interprets an
//! errno, except where noted.

use std::cell::RefCell;
use std::ffi::CStr;
use std::mem::{size_of, MaybeUninit};
use std::time::Duration;

use libc::{c_int, c_long, c_short, c_ushort, c_void};
use nix::errno::Errno;

pub(crate) use libc::{msqid_ds, semid_ds, shmid_ds};

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

/// `ftok(3)`.
pub(crate) fn ftok(path: &CStr, proj_id: c_int) -> Result<libc::key_t, Errno> {
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

/// `msgget(2)`.
pub(crate) fn msgget(key: libc::key_t, flags: c_int) -> Result<c_int, Errno> {
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

/// `msgsnd(2)` of `text` with type `mtype`.
pub(crate) fn msgsnd(id: c_int, mtype: c_long, text: &[u8], flags: c_int) -> Result<(), Errno> {
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
pub(crate) fn msgrcv(
    id: c_int,
    out: &mut [u8],
    msgtyp: c_long,
    flags: c_int,
) -> Result<(c_long, usize), Errno> {
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
        Ok((buf[0], n))
    })
}

/// `msgctl(IPC_STAT)`.
pub(crate) fn msgctl_stat(id: c_int) -> Result<msqid_ds, Errno> {
    let mut ds = MaybeUninit::<msqid_ds>::zeroed();
    // SAFETY: `ds` is a writable `msqid_ds`.
    check(unsafe { libc::msgctl(id, libc::IPC_STAT, ds.as_mut_ptr()) })?;
    // SAFETY: zeroed then filled by the kernel; every field is an integer.
    Ok(unsafe { ds.assume_init() })
}

/// `msgctl(IPC_SET)` with `ds` (uid, gid, mode, qbytes are taken).
pub(crate) fn msgctl_set(id: c_int, ds: &mut msqid_ds) -> Result<(), Errno> {
    // SAFETY: `ds` is a valid `msqid_ds`.
    check(unsafe { libc::msgctl(id, libc::IPC_SET, ds) }).map(drop)
}

/// `msgctl(IPC_RMID)`.
pub(crate) fn msgctl_rmid(id: c_int) -> Result<(), Errno> {
    // SAFETY: IPC_RMID ignores the buffer.
    check(unsafe { libc::msgctl(id, libc::IPC_RMID, std::ptr::null_mut()) }).map(drop)
}

// ---------------------------------------------------------------------------------------
// Semaphore sets

extern "C" {
    // glibc and musl export it; the `libc` crate does not declare it for every target.
    fn semtimedop(
        semid: c_int,
        sops: *mut libc::sembuf,
        nsops: libc::size_t,
        timeout: *const libc::timespec,
    ) -> c_int;
}

/// One `struct sembuf`.
pub(crate) fn sembuf(num: u16, op: i16, flags: c_int) -> libc::sembuf {
    libc::sembuf {
        sem_num: num as c_ushort,
        sem_op: op as c_short,
        sem_flg: flags as c_short,
    }
}

/// `semget(2)`.
pub(crate) fn semget(key: libc::key_t, nsems: c_int, flags: c_int) -> Result<c_int, Errno> {
    // SAFETY: plain integer arguments.
    check(unsafe { libc::semget(key, nsems, flags) })
}

/// `semop(2)` (or `semtimedop(2)` when `timeout` is given).
pub(crate) fn semop(
    id: c_int,
    ops: &mut [libc::sembuf],
    timeout: Option<Duration>,
) -> Result<(), Errno> {
    let r = match timeout {
        None => {
            // SAFETY: `ops` is a valid array of `ops.len()` sembufs.
            unsafe { libc::semop(id, ops.as_mut_ptr(), ops.len()) }
        }
        Some(t) => {
            let ts = libc::timespec {
                tv_sec: t.as_secs().min(libc::time_t::MAX as u64) as libc::time_t,
                tv_nsec: t.subsec_nanos() as _,
            };
            // SAFETY: `ops` is a valid array, `ts` a valid timespec for the call.
            unsafe { semtimedop(id, ops.as_mut_ptr(), ops.len(), &ts) }
        }
    };
    check(r).map(drop)
}

/// `semctl(2)` with an integer or no argument (GETVAL, SETVAL, GETPID, GETNCNT, GETZCNT,
/// IPC_RMID).
pub(crate) fn semctl_int(id: c_int, num: c_int, cmd: c_int, arg: c_int) -> Result<c_int, Errno> {
    // SAFETY: for these commands the kernel reads `union semun` as the int `val` (or not at
    // all); an int is passed in the same register as the union.
    check(unsafe { libc::semctl(id, num, cmd, arg) })
}

/// `semctl(GETALL)` into `vals` (which must have `nsems` entries).
pub(crate) fn semctl_getall(id: c_int, vals: &mut [c_ushort]) -> Result<(), Errno> {
    // SAFETY: `vals` is a writable array; the caller sized it to the set's `sem_nsems`.
    check(unsafe { libc::semctl(id, 0, libc::GETALL, vals.as_mut_ptr()) }).map(drop)
}

/// `semctl(SETALL)` from `vals` (which must have `nsems` entries).
pub(crate) fn semctl_setall(id: c_int, vals: &[c_ushort]) -> Result<(), Errno> {
    // SAFETY: `vals` is a readable array; the caller sized it to the set's `sem_nsems`.
    check(unsafe { libc::semctl(id, 0, libc::SETALL, vals.as_ptr()) }).map(drop)
}

/// `semctl(IPC_STAT)`.
pub(crate) fn semctl_stat(id: c_int) -> Result<semid_ds, Errno> {
    let mut ds = MaybeUninit::<semid_ds>::zeroed();
    // SAFETY: `ds` is a writable `semid_ds`, passed as the `buf` member of `union semun`.
    check(unsafe { libc::semctl(id, 0, libc::IPC_STAT, ds.as_mut_ptr()) })?;
    // SAFETY: zeroed then filled by the kernel; every field is an integer.
    Ok(unsafe { ds.assume_init() })
}

/// `semctl(IPC_SET)` with `ds` (uid, gid, mode are taken).
pub(crate) fn semctl_set(id: c_int, ds: &mut semid_ds) -> Result<(), Errno> {
    // SAFETY: `ds` is a valid `semid_ds`, passed as the `buf` member of `union semun`.
    check(unsafe { libc::semctl(id, 0, libc::IPC_SET, ds as *mut semid_ds) }).map(drop)
}

// ---------------------------------------------------------------------------------------
// Shared memory

/// `shmget(2)`.
pub(crate) fn shmget(key: libc::key_t, size: usize, flags: c_int) -> Result<c_int, Errno> {
    // SAFETY: plain integer arguments.
    check(unsafe { libc::shmget(key, size, flags) })
}

/// `shmctl(IPC_STAT)`.
pub(crate) fn shmctl_stat(id: c_int) -> Result<shmid_ds, Errno> {
    let mut ds = MaybeUninit::<shmid_ds>::zeroed();
    // SAFETY: `ds` is a writable `shmid_ds`.
    check(unsafe { libc::shmctl(id, libc::IPC_STAT, ds.as_mut_ptr()) })?;
    // SAFETY: zeroed then filled by the kernel; every field is an integer.
    Ok(unsafe { ds.assume_init() })
}

/// `shmctl(IPC_SET)` with `ds` (uid, gid, mode are taken).
pub(crate) fn shmctl_set(id: c_int, ds: &mut shmid_ds) -> Result<(), Errno> {
    // SAFETY: `ds` is a valid `shmid_ds`.
    check(unsafe { libc::shmctl(id, libc::IPC_SET, ds) }).map(drop)
}

/// `shmctl(IPC_RMID)`.
pub(crate) fn shmctl_rmid(id: c_int) -> Result<(), Errno> {
    // SAFETY: IPC_RMID ignores the buffer.
    check(unsafe { libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()) }).map(drop)
}
