//! Raw setup calls: `pipe2`, `mkfifo`, `open`, `socket`, `bind`, `listen`, `accept`,
//! `connect`, `setsockopt`, and taking an inherited fd. Every fd is created `O_CLOEXEC`.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// `-1` from a libc call becomes the thread's `errno` as an `io::Error`.
pub(crate) fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// Like [`cvt`] for calls returning `ssize_t`.
pub(crate) fn cvt_size(r: libc::ssize_t) -> io::Result<usize> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r as usize)
    }
}

/// Calls `f` again while it fails with `EINTR`.
pub(crate) fn retry<T>(mut f: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match f() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Wraps a fresh fd returned by a successful libc call.
fn own(fd: libc::c_int) -> OwnedFd {
    // SAFETY: `fd` was just returned by a successful libc call that created it, so it is an
    // open descriptor that nothing else owns.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

fn cpath(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
}

/// `pipe2(O_CLOEXEC)`: the (read end, write end).
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [-1 as libc::c_int; 2];
    // SAFETY: `fds` is a valid array of two ints for the kernel to fill.
    cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    Ok((own(fds[0]), own(fds[1])))
}

/// `mkfifo(path, mode)`.
pub fn mkfifo(path: &Path, mode: libc::mode_t) -> io::Result<()> {
    let c = cpath(path)?;
    // SAFETY: `c` is a NUL-terminated string that lives across the call.
    cvt(unsafe { libc::mkfifo(c.as_ptr(), mode) })?;
    Ok(())
}

/// `open(path, flags | O_CLOEXEC)`, retried on `EINTR` (a FIFO open blocks until the other
/// end is opened).
pub fn open(path: &Path, flags: libc::c_int) -> io::Result<OwnedFd> {
    let c = cpath(path)?;
    retry(|| {
        // SAFETY: `c` is a NUL-terminated string that lives across the call.
        cvt(unsafe { libc::open(c.as_ptr(), flags | libc::O_CLOEXEC) })
    })
    .map(own)
}

/// `unlink(path)`.
pub fn unlink(path: &Path) -> io::Result<()> {
    let c = cpath(path)?;
    // SAFETY: `c` is a NUL-terminated string that lives across the call.
    cvt(unsafe { libc::unlink(c.as_ptr()) })?;
    Ok(())
}

/// `socket(domain, ty | SOCK_CLOEXEC, 0)`.
pub fn socket(domain: libc::c_int, ty: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: plain syscall with integer arguments.
    cvt(unsafe { libc::socket(domain, ty | libc::SOCK_CLOEXEC, 0) }).map(own)
}

fn sockaddr_un(path: &Path) -> io::Result<(libc::sockaddr_un, libc::socklen_t)> {
    // SAFETY: `sockaddr_un` is plain old data; all-zero bytes are a valid value.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let bytes = path.as_os_str().as_bytes();
    if bytes.len() >= addr.sun_path.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "socket path too long for sun_path",
        ));
    }
    for (d, s) in addr.sun_path.iter_mut().zip(bytes) {
        *d = *s as libc::c_char;
    }
    let len = std::mem::size_of::<libc::sa_family_t>() + bytes.len() + 1;
    Ok((addr, len as libc::socklen_t))
}

/// `bind` a Unix socket to a filesystem path.
pub fn bind_unix(fd: &OwnedFd, path: &Path) -> io::Result<()> {
    let (addr, len) = sockaddr_un(path)?;
    // SAFETY: `addr` is a valid sockaddr_un of `len` meaningful bytes living across the call.
    cvt(unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&addr as *const libc::sockaddr_un).cast(),
            len,
        )
    })?;
    Ok(())
}

/// `connect` a Unix socket to a filesystem path.
pub fn connect_unix(fd: &OwnedFd, path: &Path) -> io::Result<()> {
    let (addr, len) = sockaddr_un(path)?;
    retry(|| {
        // SAFETY: `addr` is a valid sockaddr_un of `len` meaningful bytes living across the
        // call.
        cvt(unsafe {
            libc::connect(
                fd.as_raw_fd(),
                (&addr as *const libc::sockaddr_un).cast(),
                len,
            )
        })
    })?;
    Ok(())
}

fn sockaddr_loopback(port: u16) -> libc::sockaddr_in {
    // SAFETY: `sockaddr_in` is plain old data; all-zero bytes are a valid value.
    let mut addr: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    addr.sin_family = libc::AF_INET as libc::sa_family_t;
    addr.sin_port = port.to_be();
    addr.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
    addr
}

/// `bind` a TCP socket to 127.0.0.1 on an ephemeral port; returns the port.
pub fn bind_tcp_loopback(fd: &OwnedFd) -> io::Result<u16> {
    let addr = sockaddr_loopback(0);
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: `addr` is a valid sockaddr_in living across the call.
    cvt(unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&addr as *const libc::sockaddr_in).cast(),
            len,
        )
    })?;
    // SAFETY: `sockaddr_in` is plain old data; all-zero bytes are a valid value.
    let mut got: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    let mut got_len = len;
    // SAFETY: `got` has room for `got_len` bytes; the kernel writes at most that much.
    cvt(unsafe {
        libc::getsockname(
            fd.as_raw_fd(),
            (&mut got as *mut libc::sockaddr_in).cast(),
            &mut got_len,
        )
    })?;
    Ok(u16::from_be(got.sin_port))
}

/// `connect` a TCP socket to 127.0.0.1:`port`.
pub fn connect_tcp_loopback(fd: &OwnedFd, port: u16) -> io::Result<()> {
    let addr = sockaddr_loopback(port);
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    retry(|| {
        // SAFETY: `addr` is a valid sockaddr_in living across the call.
        cvt(unsafe {
            libc::connect(
                fd.as_raw_fd(),
                (&addr as *const libc::sockaddr_in).cast(),
                len,
            )
        })
    })?;
    Ok(())
}

/// `listen(fd, backlog)`.
pub fn listen(fd: &OwnedFd, backlog: libc::c_int) -> io::Result<()> {
    // SAFETY: plain syscall with integer arguments.
    cvt(unsafe { libc::listen(fd.as_raw_fd(), backlog) })?;
    Ok(())
}

/// `accept4(fd, NULL, NULL, SOCK_CLOEXEC)`.
pub fn accept(fd: &OwnedFd) -> io::Result<OwnedFd> {
    retry(|| {
        // SAFETY: null address pointers are allowed when the peer address is not wanted.
        cvt(unsafe {
            libc::accept4(
                fd.as_raw_fd(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                libc::SOCK_CLOEXEC,
            )
        })
    })
    .map(own)
}

/// `setsockopt(fd, level, name, &value, sizeof(int))`.
pub fn setsockopt_int(
    fd: &OwnedFd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: `value` is an int living across the call and its size is passed.
    cvt(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    })?;
    Ok(())
}

/// `getsockopt(fd, level, name)` for an int option.
pub fn getsockopt_int(fd: &OwnedFd, level: libc::c_int, name: libc::c_int) -> io::Result<i32> {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` has room for `len` bytes; the kernel writes at most that much.
    cvt(unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    })?;
    Ok(value)
}

/// Takes ownership of fd number `fd`, inherited across `exec` from the parent, after checking
/// with `fcntl(F_GETFD)` that it is open; marks it close-on-exec again.
///
/// # Errors
/// `EBADF` if no such fd is open in this process. The number must come from the parent's
/// hand-over (argv) and must not be owned by anything else in this process: the harness
/// calls this once per fd named on the peer's command line.
pub fn take_inherited(fd: RawFd) -> io::Result<OwnedFd> {
    if fd <= 2 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("fd {fd} is a standard stream, not an inherited IPC object"),
        ));
    }
    // SAFETY: F_GETFD only reads the descriptor flags; an unknown fd gives EBADF.
    cvt(unsafe { libc::fcntl(fd, libc::F_GETFD) })?;
    // SAFETY: F_SETFD only sets the descriptor flags of the (open, checked above) fd.
    cvt(unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) })?;
    Ok(own(fd))
}
