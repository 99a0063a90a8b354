//! POSIX IPC calls that `nix` does not wrap: `mq_timedsend`, `mq_notify`, the `sem_*` family
//! (also on a `sem_t` inside a shared [`Region`]).
//!
//! Message-queue descriptors are plain file descriptors on Linux, so the public layer keeps
//! them in an [`OwnedFd`] and borrows them as a `nix` [`MqdT`] with [`with_mqd`] for the calls
//! `nix` does wrap.

use std::ffi::CStr;
use std::marker::PhantomData;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nix::errno::Errno;
use nix::mqueue::MqdT;
use nix::sys::time::TimeSpec;
use nix::time::{clock_gettime, ClockId};

use super::region::Region;

// ---------------------------------------------------------------------------------------------
// Time

/// The absolute `CLOCK_REALTIME` instant `d` from now, as the `abs_timeout` that
/// `mq_timedsend`, `mq_timedreceive` and `sem_timedwait` take.
pub(crate) fn realtime_after(d: Duration) -> TimeSpec {
    let now = clock_gettime(ClockId::CLOCK_REALTIME).unwrap_or(TimeSpec::new(0, 0));
    // A timeout so long it overflows saturates to the far future.
    let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2);
    let mut sec = now.tv_sec().saturating_add(secs);
    let mut nsec = now.tv_nsec() + i64::from(d.subsec_nanos());
    if nsec >= 1_000_000_000 {
        nsec -= 1_000_000_000;
        sec = sec.saturating_add(1);
    }
    TimeSpec::new(sec, nsec)
}

// ---------------------------------------------------------------------------------------------
// Message queues

/// Takes ownership of the descriptor `mq_open` returned (on Linux an ordinary fd, closed by
/// `close(2)` exactly like `mq_close`).
pub(crate) fn mqd_into_owned(mqd: MqdT) -> OwnedFd {
    let fd = mqd.into_raw_fd();
    // SAFETY: `fd` was just returned by a successful `mq_open` and ownership moved out of the
    // `MqdT` (which has no `Drop`); on Linux an mqd_t is a file descriptor, so `OwnedFd`
    // closing it is exactly `mq_close`.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// Runs `f` with `fd` seen as a `nix` [`MqdT`] for the `nix::mqueue` calls.
pub(crate) fn with_mqd<R>(fd: BorrowedFd<'_>, f: impl FnOnce(&MqdT) -> R) -> R {
    // SAFETY: `fd` is an open message-queue descriptor borrowed for the duration of this call;
    // `MqdT` has no `Drop`, and `f` only receives a shared reference, so it cannot close it
    // (`mq_close` takes the `MqdT` by value). The temporary is forgotten below.
    let mqd = unsafe { MqdT::from_raw_fd(fd.as_raw_fd()) };
    let r = f(&mqd);
    let _ = mqd.into_raw_fd();
    r
}

/// `mq_timedsend(3)`: sends `msg` with `prio`, waiting until `abs` (`CLOCK_REALTIME`) at most.
pub(crate) fn mq_timedsend(
    fd: BorrowedFd<'_>,
    msg: &[u8],
    prio: u32,
    abs: &TimeSpec,
) -> Result<(), Errno> {
    // SAFETY: `fd` is an open mq descriptor; `msg` is valid for `msg.len()` bytes; `abs` points
    // to a valid timespec for the duration of the call.
    let r = unsafe {
        libc::mq_timedsend(
            fd.as_raw_fd(),
            msg.as_ptr().cast(),
            msg.len(),
            prio,
            abs.as_ref(),
        )
    };
    Errno::result(r).map(drop)
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
    let r = unsafe { libc::mq_notify(fd.as_raw_fd(), &sev) };
    Errno::result(r).map(drop)
}

/// `mq_notify(3)` with a null `sevp`: removes this process's registration.
pub(crate) fn mq_notify_cancel(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    // SAFETY: a null `sevp` is the documented way to unregister; `fd` is an open descriptor.
    let r = unsafe { libc::mq_notify(fd.as_raw_fd(), std::ptr::null()) };
    Errno::result(r).map(drop)
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
            SemOp::TimedWait(abs) => libc::sem_timedwait(p, abs.as_ref()),
            SemOp::Post => libc::sem_post(p),
            SemOp::GetValue => {
                let mut v: libc::c_int = 0;
                let r = libc::sem_getvalue(p, &mut v);
                return Errno::result(r).map(|_| v);
            }
        }
    };
    Errno::result(r).map(|_| 0)
}

enum SemOp<'a> {
    Wait,
    TryWait,
    TimedWait(&'a TimeSpec),
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
    fn timed_wait(&self, abs: &TimeSpec) -> Result<(), Errno> {
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
    /// `sem_open(3)` with `oflag` (`O_CREAT`, `O_EXCL`), `mode` and initial `value` (the last
    /// two are only read when `O_CREAT` is given).
    pub(crate) fn open(
        name: &CStr,
        oflag: libc::c_int,
        mode: libc::mode_t,
        value: u32,
    ) -> Result<NamedSem, Errno> {
        // SAFETY: `name` is NUL-terminated; the variadic mode and value have the types
        // `sem_open` reads (mode_t promoted to unsigned int, unsigned int).
        let p = unsafe {
            libc::sem_open(
                name.as_ptr(),
                oflag,
                libc::c_uint::from(mode),
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

/// `sem_unlink(3)`.
pub(crate) fn sem_unlink(name: &CStr) -> Result<(), Errno> {
    // SAFETY: `name` is NUL-terminated.
    Errno::result(unsafe { libc::sem_unlink(name.as_ptr()) }).map(drop)
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
        Errno::result(r).map(|_| s)
    }
}

impl SemOps for RegionSem<'_> {
    fn sem_ptr(&self) -> NonNull<libc::sem_t> {
        self.p
    }
}
