//! POSIX IPC: message queues (`mq_open(3)` and friends, `mq_notify` with `SIGEV_THREAD`),
//! shared-memory objects (`shm_open(3)`), the `sem_*` family (also on a `sem_t` inside a
//! shared [`Region`]) and the `sysconf(3)` limits they have.
//!
//! Message-queue descriptors are plain file descriptors on Linux, so the public layer keeps
//! them in an [`OwnedFd`].

use std::ffi::CStr;
use std::marker::PhantomData;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::Errno;

use super::region::Region;

/// `-1` is `errno`, anything else success.
fn check(r: libc::c_int) -> Result<libc::c_int, Errno> {
    if r == -1 {
        Err(Errno::last())
    } else {
        Ok(r)
    }
}

/// Takes ownership of a descriptor a call just returned (`-1` is `errno`).
fn owned(fd: libc::c_int) -> Result<OwnedFd, Errno> {
    let fd = check(fd)?;
    // SAFETY: `fd` was just returned by a successful call and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

// ---------------------------------------------------------------------------------------------
// Time

/// An absolute `CLOCK_REALTIME` instant, the `abs_timeout` that `mq_timedsend`,
/// `mq_timedreceive` and `sem_timedwait` take.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RealTime(libc::timespec);

impl RealTime {
    /// The epoch: a deadline already passed (a timed call then only tries).
    pub(crate) const PASSED: RealTime = RealTime(libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    });
}

/// The absolute `CLOCK_REALTIME` instant `d` from now. Any `d` is valid: one too long for a
/// `time_t` (up to [`Duration::MAX`]) saturates to the far future, never overflows.
pub(crate) fn realtime_after(d: Duration) -> RealTime {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a writable timespec; CLOCK_REALTIME always exists (on failure `now`
    // stays at the epoch, which only makes the deadline earlier).
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut now) };
    RealTime(add_saturating(now, d))
}

/// `now + d`, saturating at the largest `time_t` (kept a little below it so that the
/// kernel's own arithmetic on it cannot overflow either).
fn add_saturating(now: libc::timespec, d: Duration) -> libc::timespec {
    const FAR: libc::time_t = libc::time_t::MAX / 2;
    let secs = libc::time_t::try_from(d.as_secs()).unwrap_or(FAR);
    let mut sec = now.tv_sec.saturating_add(secs).min(FAR);
    let mut nsec = now.tv_nsec + d.subsec_nanos() as libc::c_long;
    if nsec >= 1_000_000_000 {
        nsec -= 1_000_000_000;
        sec = sec.saturating_add(1).min(FAR);
    }
    libc::timespec {
        tv_sec: sec,
        tv_nsec: nsec,
    }
}

// ---------------------------------------------------------------------------------------------
// Limits

/// `sysconf(3)` of `name`, `None` if indeterminate or failed.
fn sysconf(name: libc::c_int) -> Option<i64> {
    // SAFETY: sysconf only reads its integer argument.
    let v = unsafe { libc::sysconf(name) };
    #[allow(clippy::useless_conversion, reason = "c_long is i32 on 32-bit targets")]
    (v >= 0).then(|| i64::from(v))
}

/// `sysconf(_SC_MQ_PRIO_MAX)`.
pub(crate) fn mq_prio_max() -> Option<i64> {
    sysconf(libc::_SC_MQ_PRIO_MAX)
}

/// `sysconf(_SC_SEM_VALUE_MAX)`.
pub(crate) fn sem_value_max() -> Option<i64> {
    sysconf(libc::_SC_SEM_VALUE_MAX)
}

/// Whether `signo` is a signal a process may be sent: a standard one (1..=31) or a real-time
/// one the C library leaves to applications (`SIGRTMIN()..=SIGRTMAX()`).
pub(crate) fn is_signal(signo: i32) -> bool {
    (1..=31).contains(&signo) || (libc::SIGRTMIN()..=libc::SIGRTMAX()).contains(&signo)
}

// ---------------------------------------------------------------------------------------------
// Message queues

/// How to open a message queue.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MqOpen {
    /// May receive.
    pub(crate) read: bool,
    /// May send.
    pub(crate) write: bool,
    /// `O_NONBLOCK`.
    pub(crate) nonblocking: bool,
    /// `O_CREAT | O_EXCL` with these permission bits, `maxmsg` and `msgsize`.
    pub(crate) create: Option<(u32, usize, usize)>,
}

/// `mq_attr` from `mq_getattr`, as plain values.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MqAttr {
    pub(crate) nonblocking: bool,
    pub(crate) maxmsg: usize,
    pub(crate) msgsize: usize,
    pub(crate) curmsgs: usize,
}

/// Whether `n` fits an `mq_attr` field (`long`).
pub(crate) fn mq_attr_fits(n: usize) -> bool {
    libc::c_long::try_from(n).is_ok()
}

/// `mq_open(3)` with `O_CLOEXEC`; the descriptor is closed on drop (on Linux an mqd_t is a
/// file descriptor and `close` is `mq_close`).
pub(crate) fn mq_open(name: &CStr, how: MqOpen) -> Result<OwnedFd, Errno> {
    let mut flags = match (how.read, how.write) {
        (true, true) => libc::O_RDWR,
        (false, true) => libc::O_WRONLY,
        _ => libc::O_RDONLY,
    } | libc::O_CLOEXEC;
    if how.nonblocking {
        flags |= libc::O_NONBLOCK;
    }
    let fd = match how.create {
        None => {
            // SAFETY: `name` is NUL-terminated; without O_CREAT no variadic argument is read.
            unsafe { libc::mq_open(name.as_ptr(), flags) }
        }
        Some((mode, maxmsg, msgsize)) => {
            // SAFETY: an all-zero mq_attr is a valid value of this plain C struct.
            let mut attr: libc::mq_attr = unsafe { std::mem::zeroed() };
            attr.mq_maxmsg = libc::c_long::try_from(maxmsg).map_err(|_| Errno::EINVAL)?;
            attr.mq_msgsize = libc::c_long::try_from(msgsize).map_err(|_| Errno::EINVAL)?;
            // SAFETY: `name` is NUL-terminated; with O_CREAT, mq_open reads a mode_t (promoted
            // to unsigned int) and a pointer to an mq_attr that lives across the call.
            unsafe {
                libc::mq_open(
                    name.as_ptr(),
                    flags | libc::O_CREAT | libc::O_EXCL,
                    (mode & 0o7777) as libc::c_uint,
                    &mut attr as *mut libc::mq_attr,
                )
            }
        }
    };
    owned(fd)
}

/// `mq_unlink(3)`.
pub(crate) fn mq_unlink(name: &CStr) -> Result<(), Errno> {
    // SAFETY: `name` is NUL-terminated.
    check(unsafe { libc::mq_unlink(name.as_ptr()) }).map(drop)
}

/// `mq_send(3)`: sends `msg` with `prio`, blocking while the queue is full.
pub(crate) fn mq_send(fd: BorrowedFd<'_>, msg: &[u8], prio: u32) -> Result<(), Errno> {
    // SAFETY: `fd` is an open mq descriptor; `msg` is valid for `msg.len()` bytes.
    check(unsafe { libc::mq_send(fd.as_raw_fd(), msg.as_ptr().cast(), msg.len(), prio) }).map(drop)
}

/// `mq_timedsend(3)`: sends `msg` with `prio`, waiting until `abs` (`CLOCK_REALTIME`) at most.
pub(crate) fn mq_timedsend(
    fd: BorrowedFd<'_>,
    msg: &[u8],
    prio: u32,
    abs: &RealTime,
) -> Result<(), Errno> {
    // SAFETY: `fd` is an open mq descriptor; `msg` is valid for `msg.len()` bytes; `abs` points
    // to a valid timespec for the duration of the call.
    let r =
        unsafe { libc::mq_timedsend(fd.as_raw_fd(), msg.as_ptr().cast(), msg.len(), prio, &abs.0) };
    check(r).map(drop)
}

/// `mq_receive(3)` (or `mq_timedreceive(3)` until `abs`) into `buf`, which must be at least
/// the queue's `msgsize` long; returns the length and the priority.
pub(crate) fn mq_receive(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    abs: Option<&RealTime>,
) -> Result<(usize, u32), Errno> {
    let mut prio: libc::c_uint = 0;
    let p = buf.as_mut_ptr().cast::<libc::c_char>();
    // SAFETY: `fd` is an open mq descriptor; `buf` is writable for `buf.len()` bytes; `prio`
    // and `abs` are valid for the call.
    let n = unsafe {
        match abs {
            None => libc::mq_receive(fd.as_raw_fd(), p, buf.len(), &mut prio),
            Some(t) => libc::mq_timedreceive(fd.as_raw_fd(), p, buf.len(), &mut prio, &t.0),
        }
    };
    if n < 0 {
        return Err(Errno::last());
    }
    Ok((n as usize, prio))
}

fn mq_getattr_raw(fd: BorrowedFd<'_>) -> Result<libc::mq_attr, Errno> {
    // SAFETY: an all-zero mq_attr is a valid value of this plain C struct.
    let mut a: libc::mq_attr = unsafe { std::mem::zeroed() };
    // SAFETY: `fd` is an open mq descriptor; `a` is writable.
    check(unsafe { libc::mq_getattr(fd.as_raw_fd(), &mut a) })?;
    Ok(a)
}

/// `mq_getattr(3)`.
pub(crate) fn mq_getattr(fd: BorrowedFd<'_>) -> Result<MqAttr, Errno> {
    let a = mq_getattr_raw(fd)?;
    let n = |v: libc::c_long| usize::try_from(v).unwrap_or(0);
    Ok(MqAttr {
        nonblocking: a.mq_flags & libc::c_long::from(libc::O_NONBLOCK) != 0,
        maxmsg: n(a.mq_maxmsg),
        msgsize: n(a.mq_msgsize),
        curmsgs: n(a.mq_curmsgs),
    })
}

/// `mq_setattr(3)` of `O_NONBLOCK` (the only flag it changes).
pub(crate) fn mq_set_nonblocking(fd: BorrowedFd<'_>, nonblocking: bool) -> Result<(), Errno> {
    let mut a = mq_getattr_raw(fd)?;
    a.mq_flags = if nonblocking {
        libc::c_long::from(libc::O_NONBLOCK)
    } else {
        0
    };
    // SAFETY: `fd` is an open mq descriptor; `a` is a valid mq_attr; the old attributes are
    // not asked for (null).
    check(unsafe { libc::mq_setattr(fd.as_raw_fd(), &a, std::ptr::null_mut()) }).map(drop)
}

// ---------------------------------------------------------------------------------------------
// Shared-memory objects

/// `shm_open(3)` with `O_CLOEXEC`, read-write if `writable` (else read-only), creating
/// exclusively (`O_CREAT | O_EXCL`, permission bits `mode`) if `create`.
pub(crate) fn shm_open(
    name: &CStr,
    writable: bool,
    create: bool,
    mode: u32,
) -> Result<OwnedFd, Errno> {
    let mut flags = if writable {
        libc::O_RDWR
    } else {
        libc::O_RDONLY
    } | libc::O_CLOEXEC;
    if create {
        flags |= libc::O_CREAT | libc::O_EXCL;
    }
    // SAFETY: `name` is NUL-terminated; `mode` is a plain integer.
    owned(unsafe { libc::shm_open(name.as_ptr(), flags, (mode & 0o7777) as libc::mode_t) })
}

/// `shm_unlink(3)`.
pub(crate) fn shm_unlink(name: &CStr) -> Result<(), Errno> {
    // SAFETY: `name` is NUL-terminated.
    check(unsafe { libc::shm_unlink(name.as_ptr()) }).map(drop)
}

/// `ftruncate(2)` to `len` bytes; `EFBIG` if `len` does not fit an `off_t`.
pub(crate) fn ftruncate(fd: BorrowedFd<'_>, len: usize) -> Result<(), Errno> {
    let len = libc::off_t::try_from(len).map_err(|_| Errno::EFBIG)?;
    // SAFETY: `fd` is an open descriptor; plain integer arguments.
    check(unsafe { libc::ftruncate(fd.as_raw_fd(), len) }).map(drop)
}

/// The size in bytes `fstat(2)` reports.
pub(crate) fn fstat_size(fd: BorrowedFd<'_>) -> Result<u64, Errno> {
    // SAFETY: an all-zero stat is a valid value of this plain C struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `fd` is an open descriptor; `st` is writable.
    check(unsafe { libc::fstat(fd.as_raw_fd(), &mut st) })?;
    u64::try_from(st.st_size).map_err(|_| Errno::EOVERFLOW)
}

/// The sigevent layout glibc and musl use on Linux for `SIGEV_THREAD`: `libc::sigevent`
/// hides the union member holding the function and the thread attributes.
#[repr(C)]
struct SigeventThread {
    sigev_value: libc::sigval,
    sigev_signo: libc::c_int,
    sigev_notify: libc::c_int,
    sigev_notify_function: Option<extern "C" fn(libc::sigval)>,
    sigev_notify_attributes: *mut libc::pthread_attr_t,
    _pad: [u8; SIGEV_PAD],
}

const SIGEV_PAD: usize = std::mem::size_of::<libc::sigevent>()
    - std::mem::size_of::<libc::sigval>()
    - 2 * std::mem::size_of::<libc::c_int>()
    - 2 * std::mem::size_of::<usize>();

// The struct must be exactly as large as the C one, so the kernel-facing copy reads nothing
// beyond it.
const _: () =
    assert!(std::mem::size_of::<SigeventThread>() == std::mem::size_of::<libc::sigevent>());

/// The callback slot a `SIGEV_THREAD` registration points at: the closure runs at most once.
pub(crate) type NotifySlot = Mutex<Option<Box<dyn FnOnce() + Send + 'static>>>;

extern "C" fn notify_trampoline(value: libc::sigval) {
    // SAFETY: `sival_ptr` is the pointer `Arc::into_raw` produced in `mq_notify_thread`; the
    // registration is one-shot, so this function runs at most once per such pointer and takes
    // back exactly the reference count that was given away.
    let slot: Arc<NotifySlot> = unsafe { Arc::from_raw(value.sival_ptr as *const NotifySlot) };
    let f = slot.lock().ok().and_then(|mut g| g.take());
    if let Some(f) = f {
        // A panic must not unwind into the C library's notification thread.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    }
}

/// `mq_notify(3)` with `SIGEV_THREAD`: when a message arrives on the empty queue, the C library
/// runs the closure in `slot` on a new thread. One reference to `slot` is handed to the
/// registration; it is released when the notification fires (a registration that never fires
/// keeps the small, emptied slot alive).
pub(crate) fn mq_notify_thread(fd: BorrowedFd<'_>, slot: Arc<NotifySlot>) -> Result<(), Errno> {
    let ptr = Arc::into_raw(slot);
    let sev = SigeventThread {
        sigev_value: libc::sigval {
            sival_ptr: ptr as *mut libc::c_void,
        },
        sigev_signo: 0,
        sigev_notify: libc::SIGEV_THREAD,
        sigev_notify_function: Some(notify_trampoline),
        sigev_notify_attributes: std::ptr::null_mut(),
        _pad: [0; SIGEV_PAD],
    };
    // SAFETY: `sev` has the C library's `struct sigevent` layout for SIGEV_THREAD (size checked
    // above) and lives across the call, which copies it; `fd` is an open mq descriptor.
    let r = unsafe { libc::mq_notify(fd.as_raw_fd(), (&raw const sev).cast::<libc::sigevent>()) };
    if r == -1 {
        let e = Errno::last();
        // SAFETY: the registration failed, so nothing else holds the reference `into_raw` gave
        // away; take it back so it is freed.
        drop(unsafe { Arc::from_raw(ptr) });
        return Err(e);
    }
    Ok(())
}

/// `mq_notify(3)` with `SIGEV_SIGNAL`: `signo` is sent to this process (with `value` in
/// `si_value`) when a message arrives on the empty queue.
pub(crate) fn mq_notify_signal(fd: BorrowedFd<'_>, signo: i32, value: usize) -> Result<(), Errno> {
    // SAFETY: an all-zero sigevent is a valid value of this plain C struct.
    let mut sev: libc::sigevent = unsafe { std::mem::zeroed() };
    sev.sigev_notify = libc::SIGEV_SIGNAL;
    sev.sigev_signo = signo;
    sev.sigev_value = libc::sigval {
        sival_ptr: value as *mut libc::c_void,
    };
    // SAFETY: `sev` is a valid sigevent for the duration of the call; `fd` is an open mq
    // descriptor.
    check(unsafe { libc::mq_notify(fd.as_raw_fd(), &sev) }).map(drop)
}

/// `mq_notify(3)` with a null `sevp`: removes this process's registration.
pub(crate) fn mq_notify_cancel(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    // SAFETY: a null `sevp` is the documented way to unregister; `fd` is an open descriptor.
    check(unsafe { libc::mq_notify(fd.as_raw_fd(), std::ptr::null()) }).map(drop)
}

// ---------------------------------------------------------------------------------------------
// Semaphores

/// `sem_wait(3)` and friends on a `sem_t` the caller guarantees is valid.
///
/// # Safety
/// `p` must point to an initialised `sem_t` that stays mapped and writable for the call.
unsafe fn sem_op(p: NonNull<libc::sem_t>, op: SemOp<'_>) -> Result<i32, Errno> {
    let p = p.as_ptr();
    // SAFETY: the caller guarantees `p` is a valid, writable, initialised sem_t.
    let r = unsafe {
        match op {
            SemOp::Wait => libc::sem_wait(p),
            SemOp::TryWait => libc::sem_trywait(p),
            SemOp::TimedWait(abs) => libc::sem_timedwait(p, &abs.0),
            SemOp::Post => libc::sem_post(p),
            SemOp::GetValue => {
                let mut v: libc::c_int = 0;
                let r = libc::sem_getvalue(p, &mut v);
                return check(r).map(|_| v);
            }
        }
    };
    check(r).map(|_| 0)
}

enum SemOp<'a> {
    Wait,
    TryWait,
    TimedWait(&'a RealTime),
    Post,
    GetValue,
}

/// The operations shared by named and in-memory semaphores (pointer valid by construction).
pub(crate) trait SemOps {
    /// The `sem_t`, valid and writable while `self` lives.
    fn sem_ptr(&self) -> NonNull<libc::sem_t>;

    /// `sem_wait(3)`: decrements, blocking while the value is 0.
    fn wait(&self) -> Result<(), Errno> {
        // SAFETY: `sem_ptr` is valid while `self` lives (trait contract, upheld by the two
        // implementors below, whose constructors are the only way to obtain them).
        unsafe { sem_op(self.sem_ptr(), SemOp::Wait) }.map(drop)
    }
    /// `sem_trywait(3)`: decrements or fails with `EAGAIN`.
    fn try_wait(&self) -> Result<(), Errno> {
        // SAFETY: as in `wait`.
        unsafe { sem_op(self.sem_ptr(), SemOp::TryWait) }.map(drop)
    }
    /// `sem_timedwait(3)` until `abs` (`CLOCK_REALTIME`).
    fn timed_wait(&self, abs: &RealTime) -> Result<(), Errno> {
        // SAFETY: as in `wait`.
        unsafe { sem_op(self.sem_ptr(), SemOp::TimedWait(abs)) }.map(drop)
    }
    /// `sem_post(3)`: increments, waking one waiter.
    fn post(&self) -> Result<(), Errno> {
        // SAFETY: as in `wait`.
        unsafe { sem_op(self.sem_ptr(), SemOp::Post) }.map(drop)
    }
    /// `sem_getvalue(3)`.
    fn value(&self) -> Result<i32, Errno> {
        // SAFETY: as in `wait`.
        unsafe { sem_op(self.sem_ptr(), SemOp::GetValue) }
    }
}

/// A named semaphore opened with `sem_open(3)`; `sem_close` on drop.
#[derive(Debug)]
pub(crate) struct NamedSem(NonNull<libc::sem_t>);

// SAFETY: the sem_* functions are thread-safe; the handle is a pointer into a mapping the C
// library keeps until `sem_close`, which only `Drop` calls.
unsafe impl Send for NamedSem {}
// SAFETY: as above: every operation through `&NamedSem` is an atomic sem_* call.
unsafe impl Sync for NamedSem {}

impl NamedSem {
    /// `sem_open(3)` with `oflag` (0 or [`SEM_CREATE`]), `mode` and initial `value` (the
    /// last two are only read when creating).
    pub(crate) fn open(name: &CStr, oflag: i32, mode: u32, value: u32) -> Result<NamedSem, Errno> {
        // SAFETY: `name` is NUL-terminated; the variadic mode and value have the types
        // `sem_open` reads (mode_t promoted to unsigned int, unsigned int).
        let p = unsafe {
            libc::sem_open(
                name.as_ptr(),
                oflag,
                mode & 0o7777,
                libc::c_uint::from(value),
            )
        };
        if p == libc::SEM_FAILED {
            return Err(Errno::last());
        }
        NonNull::new(p).map(NamedSem).ok_or(Errno::EINVAL)
    }
}

impl SemOps for NamedSem {
    fn sem_ptr(&self) -> NonNull<libc::sem_t> {
        self.0
    }
}

impl Drop for NamedSem {
    fn drop(&mut self) {
        // SAFETY: the pointer came from `sem_open` and is closed exactly once, here.
        unsafe { libc::sem_close(self.0.as_ptr()) };
    }
}

/// `O_CREAT | O_EXCL` for [`NamedSem::open`]: create, failing if it exists.
pub(crate) const SEM_CREATE: i32 = libc::O_CREAT | libc::O_EXCL;

/// `sem_unlink(3)`.
pub(crate) fn sem_unlink(name: &CStr) -> Result<(), Errno> {
    // SAFETY: `name` is NUL-terminated.
    check(unsafe { libc::sem_unlink(name.as_ptr()) }).map(drop)
}

/// Bytes one `sem_t` takes, and the alignment it needs.
pub(crate) const SEM_SIZE: usize = std::mem::size_of::<libc::sem_t>();
/// Alignment of a `sem_t`.
pub(crate) const SEM_ALIGN: usize = std::mem::align_of::<libc::sem_t>();

/// A `sem_t` inside a writable shared [`Region`], borrowed from it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RegionSem<'a> {
    p: NonNull<libc::sem_t>,
    _region: PhantomData<&'a Region>,
}

// SAFETY: the sem_* functions are thread-safe and the region outlives the borrow.
unsafe impl Send for RegionSem<'_> {}
// SAFETY: as above.
unsafe impl Sync for RegionSem<'_> {}

impl<'a> RegionSem<'a> {
    /// The `sem_t` at `offset` in `region`; `EINVAL` unless it lies inside, aligned, and the
    /// region is writable.
    pub(crate) fn at(region: &'a Region, offset: usize) -> Result<RegionSem<'a>, Errno> {
        if !region.writable() {
            return Err(Errno::EINVAL);
        }
        let p = region
            .ptr(offset, SEM_SIZE, SEM_ALIGN, true)?
            .cast::<libc::sem_t>();
        Ok(RegionSem {
            p: NonNull::new(p).ok_or(Errno::EINVAL)?,
            _region: PhantomData,
        })
    }

    /// `sem_init(3)` with `pshared = 1` and `value` at `offset` in `region`.
    pub(crate) fn init(
        region: &'a Region,
        offset: usize,
        value: u32,
    ) -> Result<RegionSem<'a>, Errno> {
        let s = RegionSem::at(region, offset)?;
        // SAFETY: `s.p` is an aligned, in-bounds, writable pointer into a shared mapping.
        let r = unsafe { libc::sem_init(s.p.as_ptr(), 1, value) };
        check(r).map(|_| s)
    }
}

impl SemOps for RegionSem<'_> {
    fn sem_ptr(&self) -> NonNull<libc::sem_t> {
        self.p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realtime_after_saturates_instead_of_overflowing() {
        let now = libc::timespec {
            tv_sec: 1_700_000_000,
            tv_nsec: 999_999_999,
        };
        let far = add_saturating(now, Duration::MAX);
        assert_eq!(far.tv_sec, libc::time_t::MAX / 2);
        assert!((0..1_000_000_000).contains(&far.tv_nsec));
        let t = add_saturating(now, Duration::new(1, 1));
        assert_eq!((t.tv_sec, t.tv_nsec), (1_700_000_002, 0));
        let end = libc::timespec {
            tv_sec: libc::time_t::MAX,
            tv_nsec: 0,
        };
        assert_eq!(
            add_saturating(end, Duration::from_secs(5)).tv_sec,
            libc::time_t::MAX / 2
        );
    }
}
