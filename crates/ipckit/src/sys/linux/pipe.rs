//! Handing a pipe end to a child process (`pre_exec` + `dup2`), and a forked child that only
//! copies a pipe to its stdout (`fork` + async-signal-safe calls + `_exit`).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::sys::errno;
use crate::sys::fd::Access;
use crate::Errno;

/// Targets of [`inherit_fd`] stay below this fd number; the parent's copies of ends handed
/// over under a new number are moved to this number or above, so no hook's `dup2` onto a
/// target can replace an end that a later hook still has to hand over.
pub(crate) const INHERIT_FLOOR: RawFd = 256;

/// Makes `fd` appear in the child that `cmd` spawns as fd `target` without `FD_CLOEXEC`, so
/// it survives `exec`. Returns the fd the hook hands over (`fd` itself, or its copy at
/// [`INHERIT_FLOOR`] or above): the caller keeps it open until the spawn and closes it
/// right after, so the parent keeps no copy; the hook only knows its number, so the caller
/// must make sure `cmd` is never spawned again after closing it (`pipe::Spawner` consumes
/// the `Command`). No other fd changes its close-on-exec flag. `target` must be below
/// [`INHERIT_FLOOR`] unless it is `fd`'s own number; `fd` is first moved to
/// [`INHERIT_FLOOR`] or above (`F_DUPFD_CLOEXEC`) when it is to change number.
pub(crate) fn inherit_fd(cmd: &mut Command, fd: OwnedFd, target: RawFd) -> Result<OwnedFd, Errno> {
    let fd = if fd.as_raw_fd() == target {
        fd
    } else {
        let raw = nix::fcntl::fcntl(&fd, nix::fcntl::FcntlArg::F_DUPFD_CLOEXEC(INHERIT_FLOOR))
            .map_err(errno)?;
        // SAFETY: F_DUPFD_CLOEXEC returned a new open fd that nothing else owns; the old
        // one is closed when `fd` is dropped here.
        unsafe { OwnedFd::from_raw_fd(raw) }
    };
    let src = fd.as_raw_fd();
    let hook = move || -> std::io::Result<()> {
        loop {
            // SAFETY: dup2 and fcntl are async-signal-safe; nothing here allocates or takes
            // a lock, so they are sound between fork and exec in a multi-threaded parent.
            // Both only act on fd numbers (`src` is open: the caller keeps it until spawned).
            let r = unsafe {
                if src == target {
                    // dup2 to itself would keep FD_CLOEXEC: clear the flag instead.
                    libc::fcntl(src, libc::F_SETFD, 0)
                } else {
                    // The new fd never has FD_CLOEXEC.
                    libc::dup2(src, target)
                }
            };
            if r >= 0 {
                return Ok(());
            }
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::EINTR) {
                return Err(err);
            }
        }
    };
    // SAFETY: the hook runs in the child after fork and before exec; it only calls the
    // async-signal-safe dup2/fcntl (see above), touches no locks and allocates nothing
    // (io::Error::last_os_error does not allocate).
    unsafe {
        cmd.pre_exec(hook);
    }
    Ok(fd)
}

/// Forks a child that writes `prefix`, then copies everything it reads from `reader` to its
/// stdout (fd 1) until end of file, then `_exit(0)` (`_exit(1)` on a read or write error).
///
/// In the child, `reader` is first moved to fd 3 and every fd above 3 is closed, so the
/// child holds no copy of the pipe's write end and sees end of file when the parent closes
/// its own.
/// Returns the child's process id.
pub(crate) fn fork_copy_to_stdout(reader: RawFd, prefix: &[u8]) -> Result<i32, Errno> {
    // Computed before fork: sysconf is not async-signal-safe.
    // SAFETY: sysconf has no preconditions.
    let open_max = match unsafe { libc::sysconf(libc::_SC_OPEN_MAX) } {
        n if n > 0 => n.min(1 << 20) as libc::c_int,
        _ => 1024,
    };
    // SAFETY: the child runs only async-signal-safe syscalls (dup2, close_range/close, read,
    // write, _exit) on stack data and memory it inherited read-only (`prefix`), takes no
    // lock, allocates nothing, and never returns into Rust code of the parent.
    match unsafe { nix::unistd::fork() }.map_err(errno)? {
        nix::unistd::ForkResult::Parent { child } => Ok(child.as_raw()),
        nix::unistd::ForkResult::Child => {
            // SAFETY: see the fork above; every call below is async-signal-safe.
            unsafe { child_copy(reader, prefix, open_max) }
        }
    }
}

/// The child of [`fork_copy_to_stdout`]. Never returns.
///
/// # Safety
/// Only to be called in a freshly forked child.
unsafe fn child_copy(reader: RawFd, prefix: &[u8], open_max: libc::c_int) -> ! {
    const IN: RawFd = 3;
    // SAFETY: raw syscalls on fd numbers and on stack/inherited buffers whose pointers and
    // lengths are valid; all async-signal-safe, as the caller (a forked child) requires.
    unsafe {
        if reader != IN && libc::dup2(reader, IN) < 0 {
            libc::_exit(1);
        }
        if libc::syscall(libc::SYS_close_range, IN + 1, libc::c_uint::MAX, 0) != 0 {
            for fd in IN + 1..open_max {
                libc::close(fd);
            }
        }
        if !write_all(1, prefix) {
            libc::_exit(1);
        }
        let mut buf = [0u8; 4096];
        loop {
            let n = libc::read(IN, buf.as_mut_ptr().cast(), buf.len());
            if n == 0 {
                libc::_exit(0);
            }
            if n < 0 {
                if *libc::__errno_location() == libc::EINTR {
                    continue;
                }
                libc::_exit(1);
            }
            if !write_all(1, &buf[..n as usize]) {
                libc::_exit(1);
            }
        }
    }
}

/// `write` until all of `buf` is written; async-signal-safe.
///
/// # Safety
/// Only async-signal-safe calls; sound after fork.
unsafe fn write_all(fd: RawFd, mut buf: &[u8]) -> bool {
    while !buf.is_empty() {
        // SAFETY: buf is valid for reads of buf.len() bytes.
        let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        if n < 0 {
            // SAFETY: __errno_location returns this thread's errno slot.
            if unsafe { *libc::__errno_location() } == libc::EINTR {
                continue;
            }
            return false;
        }
        buf = &buf[n as usize..];
    }
    true
}

/// Why [`claim_inherited`] refused an fd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClaimRefused {
    /// `fcntl`/`fstat` failed (`EBADF`: the fd is not open).
    Errno(Errno),
    /// `FD_CLOEXEC` is set: the fd was opened by this process (or claimed already), so
    /// something else owns it.
    CloseOnExec,
    /// Not a pipe or FIFO.
    NotPipe,
    /// Open for the other direction.
    WrongMode,
}

static CLAIM_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Takes ownership of `fd`, a pipe end this process inherited across `exec`: it must be open,
/// a pipe or FIFO opened for `access` (`O_RDONLY`/`O_WRONLY`), and *without*
/// `FD_CLOEXEC`. The claim sets `FD_CLOEXEC` (so a second claim of the same fd fails and
/// later children do not inherit it).
pub(crate) fn claim_inherited(fd: RawFd, access: Access) -> Result<OwnedFd, ClaimRefused> {
    let accmode = access.accmode();
    let _lock = CLAIM_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let err = || ClaimRefused::Errno(errno(nix::errno::Errno::last()));
    // SAFETY: fcntl(F_GETFD) only reads the flags of an fd number; an fd that is not open
    // gives EBADF.
    let fdflags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    if fdflags < 0 {
        return Err(err());
    }
    if fdflags & libc::FD_CLOEXEC != 0 {
        return Err(ClaimRefused::CloseOnExec);
    }
    // SAFETY: all-zero is a valid `stat`; fstat writes it for an open fd.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: st is a valid, writable stat buffer.
    if unsafe { libc::fstat(fd, &mut st) } < 0 {
        return Err(err());
    }
    if st.st_mode & libc::S_IFMT != libc::S_IFIFO {
        return Err(ClaimRefused::NotPipe);
    }
    // SAFETY: reads the status flags of an open fd.
    let flflags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flflags < 0 {
        return Err(err());
    }
    if flflags & libc::O_ACCMODE != accmode {
        return Err(ClaimRefused::WrongMode);
    }
    // SAFETY: sets FD_CLOEXEC on an open fd; changes nothing else.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, fdflags | libc::FD_CLOEXEC) } < 0 {
        return Err(err());
    }
    // SAFETY: ownership convention: Rust's std, nix and ipckit open every fd with
    // FD_CLOEXEC, so an open pipe fd without it was inherited across exec and is owned by no
    // object in this process. The claim sets FD_CLOEXEC under CLAIM_LOCK, so each inherited
    // fd is claimed at most once and becomes owned by exactly this OwnedFd.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}
