//! Calls on plain fds and paths for the byte-stream ends (pipes, FIFOs): `pipe2`, `read`,
//! `write`, `writev`, `fcntl` (`O_NONBLOCK`, `F_GETPIPE_SZ`/`F_SETPIPE_SZ`), `mkfifo`,
//! `open`, `stat`/`fstat`, `unlink`, `waitpid`. Every function retries `EINTR` where the call
//! can be interrupted and returns ipckit's [`Errno`]. No `unsafe` here: nix wraps these.

use std::io::IoSlice;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::sys::stat::Mode;

use crate::sys::{errno, retry_eintr};
use crate::Errno;

/// Which way an fd is open (its `O_ACCMODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// `O_RDONLY`.
    Read,
    /// `O_WRONLY`.
    Write,
}

impl Access {
    pub(crate) fn accmode(self) -> libc::c_int {
        match self {
            Access::Read => libc::O_RDONLY,
            Access::Write => libc::O_WRONLY,
        }
    }
}

/// What a path or fd is (`st_mode & S_IFMT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileType {
    Fifo,
    Regular,
    Directory,
    Socket,
    CharDevice,
    BlockDevice,
    Symlink,
    Other,
}

impl FileType {
    fn from_mode(mode: libc::mode_t) -> FileType {
        match mode & libc::S_IFMT {
            libc::S_IFIFO => FileType::Fifo,
            libc::S_IFREG => FileType::Regular,
            libc::S_IFDIR => FileType::Directory,
            libc::S_IFSOCK => FileType::Socket,
            libc::S_IFCHR => FileType::CharDevice,
            libc::S_IFBLK => FileType::BlockDevice,
            libc::S_IFLNK => FileType::Symlink,
            _ => FileType::Other,
        }
    }
}

/// `pipe2(O_CLOEXEC)`: `(read end, write end)`.
pub(crate) fn pipe_cloexec() -> Result<(OwnedFd, OwnedFd), Errno> {
    nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(errno)
}

/// `read`, retrying `EINTR`.
pub(crate) fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    retry_eintr(|| nix::unistd::read(fd, buf)).map_err(errno)
}

/// `write`, retrying `EINTR`.
pub(crate) fn write(fd: BorrowedFd<'_>, buf: &[u8]) -> Result<usize, Errno> {
    retry_eintr(|| nix::unistd::write(fd, buf)).map_err(errno)
}

/// `writev`, retrying `EINTR`.
pub(crate) fn writev(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> Result<usize, Errno> {
    retry_eintr(|| nix::sys::uio::writev(fd, bufs)).map_err(errno)
}

/// Sets or clears `O_NONBLOCK` on `fd` (`fcntl(F_GETFL/F_SETFL)`).
pub(crate) fn set_nonblocking(fd: BorrowedFd<'_>, on: bool) -> Result<(), Errno> {
    let flags = OFlag::from_bits_retain(fcntl(fd, FcntlArg::F_GETFL).map_err(errno)?);
    let new = if on {
        flags | OFlag::O_NONBLOCK
    } else {
        flags & !OFlag::O_NONBLOCK
    };
    if new != flags {
        fcntl(fd, FcntlArg::F_SETFL(new)).map_err(errno)?;
    }
    Ok(())
}

/// `fcntl(F_GETPIPE_SZ)`: the pipe's capacity in bytes.
pub(crate) fn pipe_size(fd: BorrowedFd<'_>) -> Result<usize, Errno> {
    Ok(fcntl(fd, FcntlArg::F_GETPIPE_SZ).map_err(errno)? as usize)
}

/// `fcntl(F_SETPIPE_SZ)`: asks for at least `bytes` (`EINVAL` above `i32::MAX` without a
/// syscall); returns the capacity the kernel chose.
pub(crate) fn set_pipe_size(fd: BorrowedFd<'_>, bytes: usize) -> Result<usize, Errno> {
    let arg = libc::c_int::try_from(bytes).map_err(|_| Errno::EINVAL)?;
    Ok(fcntl(fd, FcntlArg::F_SETPIPE_SZ(arg)).map_err(errno)? as usize)
}

/// `mkfifo(path, mode)`; `mode` must be permission bits only (the caller checks).
pub(crate) fn mkfifo(path: &Path, mode: u32) -> Result<(), Errno> {
    let mode = Mode::from_bits_truncate(mode as libc::mode_t);
    retry_eintr(|| nix::unistd::mkfifo(path, mode)).map_err(errno)
}

/// `open(path, O_RDONLY|O_WRONLY [| O_NONBLOCK] | O_CLOEXEC | O_NOCTTY)`, retrying `EINTR`.
pub(crate) fn open(path: &Path, access: Access, nonblocking: bool) -> Result<OwnedFd, Errno> {
    let mut flags = match access {
        Access::Read => OFlag::O_RDONLY,
        Access::Write => OFlag::O_WRONLY,
    } | OFlag::O_CLOEXEC
        | OFlag::O_NOCTTY;
    if nonblocking {
        flags |= OFlag::O_NONBLOCK;
    }
    retry_eintr(|| nix::fcntl::open(path, flags, Mode::empty())).map_err(errno)
}

/// What `path` is (`stat`, following symlinks).
pub(crate) fn path_type(path: &Path) -> Result<FileType, Errno> {
    let st = nix::sys::stat::stat(path).map_err(errno)?;
    Ok(FileType::from_mode(st.st_mode))
}

/// What `fd` is (`fstat`).
pub(crate) fn fd_type(fd: impl AsFd) -> Result<FileType, Errno> {
    let st = nix::sys::stat::fstat(fd).map_err(errno)?;
    Ok(FileType::from_mode(st.st_mode))
}

/// `unlink(path)`.
pub(crate) fn unlink(path: &Path) -> Result<(), Errno> {
    nix::unistd::unlink(path).map_err(errno)
}

/// How a child ended, from [`wait_child`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Exit {
    /// `exit(code)`.
    Code(i32),
    /// Killed by the signal of this name (`SIGKILL`).
    Signal(&'static str),
}

/// `waitpid(pid, 0)` until the child has exited or was killed, retrying `EINTR`.
pub(crate) fn wait_child(pid: i32) -> Result<Exit, Errno> {
    use nix::sys::wait::{waitpid, WaitStatus};
    let pid = nix::unistd::Pid::from_raw(pid);
    loop {
        match retry_eintr(|| waitpid(pid, None)).map_err(errno)? {
            WaitStatus::Exited(_, code) => return Ok(Exit::Code(code)),
            WaitStatus::Signaled(_, sig, _) => return Ok(Exit::Signal(sig.as_str())),
            _ => continue,
        }
    }
}
