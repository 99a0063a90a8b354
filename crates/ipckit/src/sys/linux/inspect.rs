//! What `crate::inspect` asks the kernel: the page size, where the mqueue filesystem is
//! mounted in the calling thread's mount namespace, and mounting it.
//!
//! The `/proc/sysvipc` tables and the POSIX object files are plain files that
//! `crate::inspect` reads itself; `/proc/sys` values go through `crate::limits`.

use std::path::{Path, PathBuf};

use nix::mount::{mount, MsFlags};
use nix::unistd::{sysconf, SysconfVar};

use crate::Errno;

/// `sysconf(_SC_PAGESIZE)`: the page size in bytes (4096 if the call fails).
///
/// # References
/// <https://man7.org/linux/man-pages/man3/sysconf.3.html>
pub(crate) fn page_size() -> u64 {
    sysconf(SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .map_or(4096, |p| p as u64)
}

/// Every directory where an `mqueue` filesystem is mounted, in the order the calling
/// thread's mount table lists them (`/proc/thread-self/mounts`: a thread may have its own
/// mount namespace after `unshare`), falling back to `/proc/self/mounts`.
///
/// # References
/// <https://man7.org/linux/man-pages/man5/proc_mounts.5.html>
pub(crate) fn mqueue_mounts() -> Vec<PathBuf> {
    let Ok(mounts) = std::fs::read_to_string("/proc/thread-self/mounts")
        .or_else(|_| std::fs::read_to_string("/proc/self/mounts"))
    else {
        return Vec::new();
    };
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_, dir, fstype) = (f.next()?, f.next()?, f.next()?);
            // Mount points with spaces are written with octal escapes (\040).
            (fstype == "mqueue").then(|| PathBuf::from(dir.replace("\\040", " ")))
        })
        .collect()
}

/// `mount("mqueue", dir, "mqueue", MS_NOSUID|MS_NODEV|MS_NOEXEC)`: mounts the mqueue
/// filesystem at an existing directory `dir`.
///
/// # References
/// <https://man7.org/linux/man-pages/man2/mount.2.html>
pub(crate) fn mount_mqueue(dir: &Path) -> Result<(), Errno> {
    mount(
        Some("mqueue"),
        dir,
        Some("mqueue"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        None::<&str>,
    )
    .map_err(crate::sys::errno)
}

/// Tries a non-blocking `connect(2)` of a new `AF_UNIX` stream socket to the socket file
/// `path`, then closes it: `Ok` if something accepted (or will: `EAGAIN`, a full backlog),
/// the errno otherwise. `ECONNREFUSED` means nobody listens on it (its owner is gone);
/// `EPROTOTYPE` that a socket of another type (datagram, seqpacket) is bound to it.
///
/// # References
/// <https://man7.org/linux/man-pages/man2/connect.2.html>,
/// <https://man7.org/linux/man-pages/man7/unix.7.html>
pub(crate) fn connect_unix(path: &Path) -> Result<(), Errno> {
    use nix::sys::socket::{connect, socket, AddressFamily, SockFlag, SockType, UnixAddr};
    use std::os::fd::AsRawFd;
    let addr = UnixAddr::new(path).map_err(crate::sys::errno)?;
    let fd = socket(
        AddressFamily::Unix,
        SockType::Stream,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    )
    .map_err(crate::sys::errno)?;
    match connect(fd.as_raw_fd(), &addr) {
        Ok(()) | Err(nix::errno::Errno::EAGAIN) | Err(nix::errno::Errno::EINPROGRESS) => Ok(()),
        Err(e) => Err(crate::sys::errno(e)),
    }
}

/// Whether process `pid` exists: `kill(pid, 0)` succeeds or fails with `EPERM` (it exists
/// but belongs to someone else); `ESRCH` means it does not. A pid of 0 or less (unknown, e.g.
/// a creator outside this pid namespace) counts as alive.
///
/// # References
/// <https://man7.org/linux/man-pages/man2/kill.2.html>
pub(crate) fn pid_alive(pid: i32) -> bool {
    if pid <= 0 {
        return true;
    }
    !matches!(
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None),
        Err(nix::errno::Errno::ESRCH)
    )
}

/// Runs `f` on a new thread that first leaves the caller's mount namespace
/// (`unshare(CLONE_NEWNS)`) and makes every mount in its copy private (`mount(NULL, "/",
/// NULL, MS_REC | MS_PRIVATE)`), so nothing it mounts or unmounts is seen by, or propagates
/// to, the rest of the system. The thread ends after `f`, and its namespace, with whatever
/// `f` mounted there, goes with it: the caller's mounts are never touched. Needs
/// `CAP_SYS_ADMIN` (`EPERM` otherwise).
///
/// # References
/// <https://man7.org/linux/man-pages/man2/unshare.2.html>,
/// <https://man7.org/linux/man-pages/man7/mount_namespaces.7.html>
pub(crate) fn in_private_mount_ns<T: Send>(f: impl FnOnce() -> T + Send) -> Result<T, Errno> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                // CLONE_NEWNS implies CLONE_FS: this thread alone gets the new namespace
                // (allowed in a multi-threaded process, unlike CLONE_NEWUSER).
                nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS)
                    .map_err(crate::sys::errno)?;
                mount(
                    None::<&str>,
                    "/",
                    None::<&str>,
                    MsFlags::MS_REC | MsFlags::MS_PRIVATE,
                    None::<&str>,
                )
                .map_err(crate::sys::errno)?;
                Ok(f())
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// `umount2(dir, MNT_DETACH)`.
///
/// # References
/// <https://man7.org/linux/man-pages/man2/umount.2.html>
pub(crate) fn unmount(dir: &Path) -> Result<(), Errno> {
    nix::mount::umount2(dir, nix::mount::MntFlags::MNT_DETACH).map_err(crate::sys::errno)
}
