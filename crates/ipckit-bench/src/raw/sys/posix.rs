//! Raw twins of the POSIX rows: message queues (`mq_open`/`mq_send`/`mq_receive`) and a
//! shared mapping (`shm_open` or `open`, `ftruncate`, `mmap`) carrying one slot per direction
//! with two process-shared semaphores (`sem_init(pshared=1)`, `sem_wait`, `sem_post`).

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;

use super::fd::{cvt, cvt_size, retry};
use crate::common::slots::{slot_len, SLOT_DATA, SLOT_EMPTY, SLOT_FULL, SLOT_LEN};
use crate::scenario::Endpoint;

fn cname(name: &str) -> io::Result<CString> {
    CString::new(name).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in name"))
}

/// A message-queue descriptor; closes on drop and unlinks the name if it created it.
#[derive(Debug)]
pub struct RawMq {
    mqd: libc::mqd_t,
    name: CString,
    owner: bool,
}

impl RawMq {
    /// `mq_open(name, O_CREAT|O_EXCL|O_RDWR|O_CLOEXEC, 0600, {maxmsg, msgsize})`.
    pub fn create(name: &str, maxmsg: usize, msgsize: usize) -> io::Result<RawMq> {
        let c = cname(name)?;
        // SAFETY: an all-zero mq_attr is a valid value of this plain C struct.
        let mut attr: libc::mq_attr = unsafe { std::mem::zeroed() };
        attr.mq_maxmsg = maxmsg as libc::c_long;
        attr.mq_msgsize = msgsize as libc::c_long;
        // SAFETY: `c` is NUL-terminated; the variadic mode and attribute pointer are what
        // mq_open reads with O_CREAT; `attr` lives across the call.
        let mqd = unsafe {
            libc::mq_open(
                c.as_ptr(),
                libc::O_CREAT | libc::O_EXCL | libc::O_RDWR | libc::O_CLOEXEC,
                0o600 as libc::mode_t,
                &attr as *const libc::mq_attr,
            )
        };
        cvt(mqd)?;
        Ok(RawMq {
            mqd,
            name: c,
            owner: true,
        })
    }

    /// `mq_open(name, O_RDWR|O_CLOEXEC)` of an existing queue.
    pub fn open(name: &str) -> io::Result<RawMq> {
        let c = cname(name)?;
        // SAFETY: `c` is NUL-terminated; without O_CREAT no variadic argument is read.
        let mqd = unsafe { libc::mq_open(c.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
        cvt(mqd)?;
        Ok(RawMq {
            mqd,
            name: c,
            owner: false,
        })
    }
}

impl Drop for RawMq {
    fn drop(&mut self) {
        // SAFETY: `mqd` came from a successful mq_open and is closed exactly once, here;
        // `name` is NUL-terminated.
        unsafe {
            libc::mq_close(self.mqd);
            if self.owner {
                libc::mq_unlink(self.name.as_ptr());
            }
        }
    }
}

/// The raw twin of the `posix-mq` row: one queue per direction, priority 0.
#[derive(Debug)]
pub struct RawMqPair {
    /// Messages go out here.
    pub tx: RawMq,
    /// Messages come in here.
    pub rx: RawMq,
    /// The queues' `msgsize`.
    pub msgsize: usize,
}

impl Endpoint for RawMqPair {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        let q = self.tx.mqd;
        retry(|| {
            // SAFETY: `msg` is a live slice of `msg.len()` bytes the kernel only reads.
            cvt(unsafe { libc::mq_send(q, msg.as_ptr().cast(), msg.len(), 0) })
        })?;
        Ok(())
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        let q = self.rx.mqd;
        buf.resize(self.msgsize, 0);
        let n = retry(|| {
            // SAFETY: `buf` is a live writable slice of `buf.len()` (= msgsize) bytes.
            cvt_size(unsafe {
                libc::mq_receive(q, buf.as_mut_ptr().cast(), buf.len(), std::ptr::null_mut())
            })
        })?;
        buf.truncate(n);
        Ok(())
    }
}

/// A `MAP_SHARED` mapping of a whole file or shared-memory object; unmapped on drop.
#[derive(Debug)]
pub struct RawMap {
    ptr: *mut u8,
    len: usize,
    _fd: OwnedFd,
    shm_name: Option<CString>,
}

fn own(fd: libc::c_int) -> OwnedFd {
    use std::os::fd::FromRawFd;
    // SAFETY: `fd` was just returned by a successful open/shm_open, so nothing else owns it.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

impl RawMap {
    /// `shm_open(name, O_CREAT|O_EXCL|O_RDWR|O_CLOEXEC, 0600)`, `ftruncate(len)`, `mmap`;
    /// the object is unlinked on drop.
    pub fn create_shm(name: &str, len: usize) -> io::Result<RawMap> {
        let c = cname(name)?;
        // SAFETY: `c` is NUL-terminated.
        let fd = unsafe {
            libc::shm_open(
                c.as_ptr(),
                libc::O_CREAT | libc::O_EXCL | libc::O_RDWR | libc::O_CLOEXEC,
                0o600,
            )
        };
        let fd = own(cvt(fd)?);
        let mut m = RawMap::map(fd, len, true)?;
        m.shm_name = Some(c);
        Ok(m)
    }

    /// `shm_open(name, O_RDWR|O_CLOEXEC)` and `mmap` of `len` bytes.
    pub fn open_shm(name: &str, len: usize) -> io::Result<RawMap> {
        let c = cname(name)?;
        // SAFETY: `c` is NUL-terminated.
        let fd = own(cvt(unsafe {
            libc::shm_open(c.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC, 0)
        })?);
        RawMap::map(fd, len, false)
    }

    /// `open(path, O_CREAT|O_RDWR|O_CLOEXEC)` (+ `ftruncate(len)` if `create`) and `mmap`.
    pub fn file(path: &Path, len: usize, create: bool) -> io::Result<RawMap> {
        use std::os::unix::ffi::OsStrExt;
        let c = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in path"))?;
        let flags = libc::O_RDWR
            | libc::O_CLOEXEC
            | if create {
                libc::O_CREAT | libc::O_EXCL
            } else {
                0
            };
        // SAFETY: `c` is NUL-terminated; the mode argument is read only with O_CREAT.
        let fd = own(cvt(unsafe {
            libc::open(c.as_ptr(), flags, 0o600 as libc::c_uint)
        })?);
        RawMap::map(fd, len, create)
    }

    fn map(fd: OwnedFd, len: usize, truncate: bool) -> io::Result<RawMap> {
        if truncate {
            // SAFETY: `fd` is an open, writable descriptor.
            cvt(unsafe { libc::ftruncate(fd.as_raw_fd(), len as libc::off_t) })?;
        }
        // SAFETY: a fresh shared mapping of `len` bytes of `fd` at an address the kernel picks.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(RawMap {
            ptr: p.cast(),
            len,
            _fd: fd,
            shm_name: None,
        })
    }
}

impl Drop for RawMap {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` is the mapping made in `map`, unmapped exactly once, here;
        // the name is NUL-terminated.
        unsafe {
            libc::munmap(self.ptr.cast(), self.len);
            if let Some(n) = &self.shm_name {
                libc::shm_unlink(n.as_ptr());
            }
        }
    }
}

/// The raw twin of the `posix-shm` and `mmap-file` rows: two slots in one mapping, one per
/// direction; a sender waits `empty`, copies, posts `full`; a receiver waits `full`, copies,
/// posts `empty`.
#[derive(Debug)]
pub struct RawSlots {
    map: RawMap,
    tx: usize,
    rx: usize,
}

impl RawSlots {
    /// Wraps `map` (two slots of `slot_len(size)` bytes); the parent (`parent == true`) sends
    /// in slot 0 and receives in slot 1, the peer the other way. With `init`, `sem_init`s the
    /// four semaphores (`full` 0, `empty` 1) first.
    pub fn new(map: RawMap, size: usize, parent: bool, init: bool) -> io::Result<RawSlots> {
        let s = slot_len(size);
        if map.len < 2 * s {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "mapping too small",
            ));
        }
        let (tx, rx) = if parent { (0, s) } else { (s, 0) };
        let slots = RawSlots { map, tx, rx };
        if init {
            for slot in [0, s] {
                // SAFETY: both offsets are inside the mapping (checked above) and 32-aligned
                // in a page-aligned mapping; nothing uses the semaphores yet.
                unsafe {
                    cvt(libc::sem_init(slots.sem(slot + SLOT_FULL), 1, 0))?;
                    cvt(libc::sem_init(slots.sem(slot + SLOT_EMPTY), 1, 1))?;
                }
            }
        }
        Ok(slots)
    }

    fn sem(&self, off: usize) -> *mut libc::sem_t {
        // SAFETY: callers pass semaphore offsets inside the mapping (see `new`).
        unsafe { self.map.ptr.add(off) }.cast()
    }

    fn wait(&self, off: usize) -> io::Result<()> {
        let s = self.sem(off);
        // SAFETY: `s` points to a sem_t initialised by the parent, inside the live mapping.
        retry(|| cvt(unsafe { libc::sem_wait(s) }).map(drop))
    }

    fn post(&self, off: usize) -> io::Result<()> {
        // SAFETY: as in `wait`.
        cvt(unsafe { libc::sem_post(self.sem(off)) }).map(drop)
    }
}

impl Endpoint for RawSlots {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        anyhow::ensure!(
            SLOT_DATA + msg.len() <= (self.map.len / 2),
            "message above slot size"
        );
        self.wait(self.tx + SLOT_EMPTY)?;
        // SAFETY: the slot's data area holds `msg.len()` bytes (checked above); `empty` was
        // taken, so the receiver is not reading it; the length word is 8-aligned.
        unsafe {
            let base = self.map.ptr.add(self.tx);
            std::ptr::copy_nonoverlapping(msg.as_ptr(), base.add(SLOT_DATA), msg.len());
            base.add(SLOT_LEN)
                .cast::<u64>()
                .write_volatile(msg.len() as u64);
        }
        self.post(self.tx + SLOT_FULL)?;
        Ok(())
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        self.wait(self.rx + SLOT_FULL)?;
        // SAFETY: `full` was taken, so the sender finished writing the slot; the length
        // word is 8-aligned inside the mapping.
        let n = unsafe {
            self.map
                .ptr
                .add(self.rx + SLOT_LEN)
                .cast::<u64>()
                .read_volatile()
        } as usize;
        anyhow::ensure!(
            SLOT_DATA + n <= self.map.len / 2,
            "length word {n} above slot size"
        );
        buf.resize(n, 0);
        // SAFETY: `n` bytes of data lie inside the slot (checked); `buf` holds `n` bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.map.ptr.add(self.rx + SLOT_DATA),
                buf.as_mut_ptr(),
                n,
            );
        }
        self.post(self.rx + SLOT_EMPTY)?;
        Ok(())
    }
}
