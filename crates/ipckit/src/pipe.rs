//! Anonymous pipes (`pipe2`): a one-way byte stream between related processes.
//!
//! [`pipe()`] returns a [`PipeReader`] and a [`PipeWriter`], both close-on-exec. A process
//! hands one end to a child it starts through a [`Spawner`] ([`PipeReader::inherit_as`], or
//! [`Stdio::from`](std::process::Stdio) for the child's stdin/stdout) and keeps the other;
//! [`Spawner::spawn`] closes the parent's copy of every end it handed over once the child
//! has started, so the parent never holds a copy that keeps the pipe open (the classic
//! hang: a parent that reads to end of file while a forgotten copy of the write end stays
//! open in its own `Command`). [`popen`] runs a shell command with a pipe to its stdin or
//! from its stdout, as `popen(3)`.
//! Bytes arrive in order; writes of at most `PIPE_BUF` (4096) bytes are atomic. The reader
//! sees end of file (`read` returns 0) once every copy of the write end is closed.
//!
//! # Writing to a pipe whose reader is gone
//! The kernel answers such a write with `EPIPE` *and* raises `SIGPIPE`, whose default action
//! kills the process. Pipes have no `MSG_NOSIGNAL`, so ipckit cannot suppress the signal:
//! Rust executables ignore `SIGPIPE` from startup (so the write returns `EPIPE`, reported as
//! [`std::io::ErrorKind::BrokenPipe`], i.e. [`ErrorKind::PeerGone`](crate::ErrorKind) once
//! wrapped), but **a C host that loads ipckit must ignore `SIGPIPE` itself**
//! (`signal(SIGPIPE, SIG_IGN)`) or it dies on that write.
//!
//! # Examples
//! ```
//! use std::io::{Read, Write};
//!
//! let (mut reader, mut writer) = ipckit::pipe::pipe()?;
//! writer.write_all(b"hello")?;
//! drop(writer); // the reader now sees end of file after the data
//! let mut got = String::new();
//! reader.read_to_string(&mut got)?;
//! assert_eq!(got, "hello");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # References
//! - <https://man7.org/linux/man-pages/man2/pipe.2.html>
//! - <https://man7.org/linux/man-pages/man7/pipe.7.html>

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::process::Stdio;

mod popen;
mod spawn;

pub use popen::{popen, Mode, Popen};
pub use spawn::Spawner;

use crate::error::Context;
use crate::fd::{EndName, StreamEnd};
use crate::sys::fd::{self as sysfd, Access, Exit};
use crate::{Error, ErrorKind, Result};

/// Creates an anonymous pipe with `pipe2(O_CLOEXEC)`: `(read end, write end)`.
///
/// Its capacity starts at the kernel default (64 KiB on Linux); see
/// [`PipeWriter::set_capacity`].
///
/// # Errors
/// [`ErrorKind::LimitReached`] if the process or system is out of fds (`EMFILE`,
/// `ENFILE`).
///
/// # Examples
/// ```
/// let (reader, writer) = ipckit::pipe::pipe()?;
/// assert!(writer.capacity()? >= 4096);
/// # drop(reader);
/// # Ok::<(), ipckit::Error>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/pipe2.2.html>
#[doc(alias = "pipe2")]
pub fn pipe() -> Result<(PipeReader, PipeWriter)> {
    let (r, w) = sysfd::pipe_cloexec().ctx("pipe2", "O_CLOEXEC")?;
    Ok((PipeReader::from(r), PipeWriter::from(w)))
}

/// The read end of an anonymous pipe. Owns its fd (closed on drop).
///
/// Reads through [`Read`](std::io::Read) (also on `&PipeReader`): `read` returns 0 at end
/// of file (every write end closed); `EINTR` is retried. A failed read is an
/// [`std::io::Error`] with the [`Error`] inside that names the operation and the end
/// (`read pipe read end (fd 5): EAGAIN: ...`; `WouldBlock` in non-blocking mode with
/// nothing to read).
#[derive(Debug)]
pub struct PipeReader(StreamEnd);

/// The write end of an anonymous pipe. Owns its fd (closed on drop).
///
/// Writes through [`Write`](std::io::Write) (also on `&PipeWriter`). A write whose reader
/// is gone fails with `EPIPE` ([`std::io::ErrorKind::BrokenPipe`], with an [`Error`] of
/// kind [`ErrorKind::PeerGone`] inside; see the [module docs](self) about `SIGPIPE`).
/// `EINTR` is retried.
#[derive(Debug)]
pub struct PipeWriter(StreamEnd);

stream_end_traits!(PipeReader, read);
stream_end_traits!(PipeWriter, write);
stream_end_methods!(PipeReader, "ipckit::pipe::pipe()?");
stream_end_methods!(PipeWriter, "ipckit::pipe::pipe()?");

fn claim(fd: RawFd, access: Access) -> Result<OwnedFd> {
    use crate::sys::pipe::ClaimRefused;
    let op = "from_inherited";
    let obj = EndName::new("pipe", access, fd);
    let dir = match access {
        Access::Read => "read",
        Access::Write => "write",
    };
    crate::sys::pipe::claim_inherited(fd, access).map_err(|why| match why {
        ClaimRefused::Errno(e) => Error::from_errno(e, op, obj)
            .with_detail("not an open fd: did the parent hand it over with inherit_as?"),
        ClaimRefused::CloseOnExec => Error::new(ErrorKind::InvalidInput, op, obj).with_detail(
            "FD_CLOEXEC is set: the fd was opened in this process, or claimed already, \
             not inherited",
        ),
        ClaimRefused::NotPipe => {
            Error::new(ErrorKind::InvalidInput, op, obj).with_detail("not a pipe or FIFO")
        }
        ClaimRefused::WrongMode => Error::new(ErrorKind::InvalidInput, op, obj)
            .with_detail(format!("the fd is not open for the {dir} end's direction")),
    })
}

/// The hand-over methods of both pipe ends (`from_inherited`, `inherit_as`, `inherit`) and
/// their conversions from an `OwnedFd` and into a `Stdio`.
macro_rules! pipe_end_methods {
    ($ty:ident, $end:literal, $access:expr) => {
        impl $ty {
            /// Takes the pipe end this process inherited as fd `fd` from a parent that used
            /// [`inherit_as`](Self::inherit_as) or [`inherit`](Self::inherit) (the child
            /// side of the hand-over).
            ///
            /// Owning an fd by number is only sound if nothing else in the process owns it.
            /// ipckit relies on the close-on-exec flag for that: Rust's std, nix and ipckit
            /// open every fd with `FD_CLOEXEC`, so a pipe fd *without* it was inherited
            /// across `exec`. The fd must be open, a pipe or FIFO open for this end's
            /// direction, and without `FD_CLOEXEC`; claiming it sets `FD_CLOEXEC`, so it is
            /// claimed at most once and is not passed on to this process's own children.
            ///
            /// # Errors
            /// [`ErrorKind::InvalidInput`] if `fd` is not open (`EBADF`), has `FD_CLOEXEC`
            /// set (opened here, or claimed already), is not a pipe, or is open for the
            /// other direction.
            ///
            /// # Examples
            /// ```
            /// let (read, write) = ipckit::pipe::pipe()?;
            /// // Opened here, close-on-exec: not an inherited fd, so it is refused.
            #[doc = concat!("let fd = std::os::fd::AsRawFd::as_raw_fd(&", $end, ");")]
            #[doc = concat!("let err = ipckit::pipe::", stringify!($ty), "::from_inherited(fd).unwrap_err();")]
            /// assert_eq!(err.kind(), ipckit::ErrorKind::InvalidInput);
            /// # drop((read, write));
            /// # Ok::<(), ipckit::Error>(())
            /// ```
            ///
            /// # References
            /// <https://man7.org/linux/man-pages/man2/fcntl.2.html> (`FD_CLOEXEC`)
            pub fn from_inherited(fd: RawFd) -> Result<$ty> {
                Ok($ty::from(claim(fd, $access)?))
            }

            /// Hands this end to the child process `spawner` will start, as fd `target`
            /// there, without close-on-exec so it survives `exec`. Every other fd keeps
            /// `FD_CLOEXEC`; only this one is duplicated (`dup2`) in the child, between
            /// `fork` and `exec`.
            ///
            /// `spawner` owns this end from now on, and [`Spawner::spawn`] closes the
            /// parent's copy as soon as the child has started: the parent keeps no copy,
            /// so e.g. the other end sees end of file once the child closes (or exits)
            /// without the parent dropping anything by hand. Tell the child its fd number
            /// (an argument or environment variable). For the child's stdin or stdout,
            /// `spawner.command_mut().stdin(Stdio::from(end))` closes the parent's copy
            /// the same way.
            ///
            /// Several ends can go to one child, each with its own `target` (below 256).
            /// Whatever fd numbers the ends have in the parent, no `dup2` replaces another
            /// end: an end that changes number is first moved to fd 256 or above
            /// (`F_DUPFD_CLOEXEC`). Two ends with the same target, or a target equal to the
            /// number of an end handed over with [`inherit`](Self::inherit), leave the
            /// child only the last one.
            ///
            /// # Errors
            /// [`ErrorKind::InvalidInput`] if `target` is negative or 256 or above;
            /// [`ErrorKind::LimitReached`] if no fd number of 256 or above is free
            /// (`RLIMIT_NOFILE`). A failing `dup2` in the child makes
            /// [`Spawner::spawn`] fail.
            ///
            /// # Examples
            /// ```
            /// use std::io::Read;
            /// use std::process::Command;
            ///
            /// let (mut reader, writer) = ipckit::pipe::pipe()?;
            /// let mut cmd = Command::new("sh");
            /// cmd.args(["-c", "echo hi >&5"]);
            /// let mut spawner = ipckit::pipe::Spawner::new(cmd);
            /// writer.inherit_as(&mut spawner, 5)?;
            /// let mut child = spawner.spawn()?; // closes the parent's copy of the write end
            /// let mut got = String::new();
            /// reader.read_to_string(&mut got)?; // end of file when `sh` exits
            /// assert_eq!(got, "hi\n");
            /// child.wait()?;
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            ///
            /// # References
            /// <https://man7.org/linux/man-pages/man2/dup2.2.html>,
            /// <https://man7.org/linux/man-pages/man2/execve.2.html> (file descriptors
            /// across exec)
            #[doc(alias = "dup2")]
            pub fn inherit_as(self, spawner: &mut Spawner, target: RawFd) -> Result<()> {
                let object = self.0.name();
                let floor = crate::sys::pipe::INHERIT_FLOOR;
                if !(0..floor).contains(&target) {
                    return Err(Error::new(ErrorKind::InvalidInput, "inherit_as", object)
                        .with_detail(format!("target fd {target} is not in 0..{floor}")));
                }
                spawner.hand_over(self.0.into_fd(), target).map_err(|e| {
                    let e = Error::from_errno(e, "fcntl(F_DUPFD_CLOEXEC)", object);
                    if e.kind() == ErrorKind::InvalidInput {
                        e.with_kind(ErrorKind::LimitReached)
                    } else {
                        e
                    }
                })
            }

            /// Hands this end to the child process `spawner` will start under its current
            /// fd number, which it returns: only in the child is `FD_CLOEXEC` cleared (by
            /// `fcntl(F_SETFD)` between `fork` and `exec`). As with
            /// [`inherit_as`](Self::inherit_as), [`Spawner::spawn`] closes the parent's
            /// copy once the child has started.
            ///
            /// # Examples
            /// ```
            /// use std::process::Command;
            ///
            /// let (reader, mut writer) = ipckit::pipe::pipe()?;
            /// let mut spawner = ipckit::pipe::Spawner::new(Command::new("sh"));
            /// let fd = reader.inherit(&mut spawner);
            /// spawner
            ///     .command_mut()
            ///     .args(["-c", &format!("read line <&{fd}; test \"$line\" = ping")]);
            /// let mut child = spawner.spawn()?;
            /// std::io::Write::write_all(&mut writer, b"ping\n")?;
            /// assert!(child.wait()?.success());
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            ///
            /// # References
            /// <https://man7.org/linux/man-pages/man2/fcntl.2.html> (`FD_CLOEXEC`)
            #[doc(alias = "FD_CLOEXEC")]
            pub fn inherit(self, spawner: &mut Spawner) -> RawFd {
                let fd = self.as_raw_fd();
                // Same number: no F_DUPFD, so this cannot fail.
                let _ = spawner.hand_over(self.0.into_fd(), fd);
                fd
            }

            /// The owned fd, giving up the pipe type.
            pub fn into_inner(self) -> OwnedFd {
                self.0.into_fd()
            }
        }

        /// Wraps an fd that must be the matching end of a pipe (not checked; a wrong fd
        /// makes the calls fail with the kernel's error).
        impl From<OwnedFd> for $ty {
            fn from(fd: OwnedFd) -> $ty {
                $ty(StreamEnd::new(fd, "pipe", $access))
            }
        }

        /// For `Command::stdin`/`stdout`/`stderr`: the child gets this end as that stdio fd.
        impl From<$ty> for Stdio {
            fn from(end: $ty) -> Stdio {
                Stdio::from(end.0.into_fd())
            }
        }
    };
}

pipe_end_methods!(PipeReader, "read", Access::Read);
pipe_end_methods!(PipeWriter, "write", Access::Write);

impl PipeReader {
    /// Forks a child process (`fork`) that writes `prefix` to its stdout, then copies
    /// everything it reads from this pipe to its stdout until end of file, and exits with
    /// status 0 (1 on a read or write error).
    ///
    /// The child does nothing but async-signal-safe syscalls (`dup2`, `close_range`,
    /// `read`, `write`, `_exit`): that is what makes `fork` sound in a program that may have
    /// other threads. It closes every fd except stdin/stdout/stderr and this read end, so
    /// it sees end of file once the parent drops its [`PipeWriter`]. The parent's copy of
    /// this end is closed when this call returns.
    ///
    /// # Errors
    /// [`ErrorKind::LimitReached`] if `fork` fails for lack of memory or processes
    /// (`EAGAIN` is reported as [`ErrorKind::WouldBlock`]).
    ///
    /// # Examples
    /// ```
    /// use std::io::Write;
    ///
    /// let (reader, mut writer) = ipckit::pipe::pipe()?;
    /// let child = reader.fork_copy_to_stdout(b"child got: ")?;
    /// writer.write_all(b"hello\n")?;
    /// drop(writer);
    /// assert_eq!(child.wait()?, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/fork.2.html>,
    /// <https://man7.org/linux/man-pages/man7/signal-safety.7.html>
    #[doc(alias = "fork")]
    pub fn fork_copy_to_stdout(self, prefix: &[u8]) -> Result<ForkedChild> {
        let pid = crate::sys::pipe::fork_copy_to_stdout(self.as_raw_fd(), prefix)
            .ctx("fork", self.0.name())?;
        Ok(ForkedChild { pid })
    }
}

/// A child process made by [`PipeReader::fork_copy_to_stdout`]; reap it with
/// [`ForkedChild::wait`] (dropping it without waiting leaves a zombie until this process
/// exits).
#[derive(Debug)]
#[must_use = "wait() for the child, or it stays a zombie"]
pub struct ForkedChild {
    pid: i32,
}

impl ForkedChild {
    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.pid as u32
    }

    /// Waits for the child to end (`waitpid`) and returns its exit status (0 to 255).
    ///
    /// # Errors
    /// [`ErrorKind::Other`] with the signal's name if a signal killed the child; other
    /// kinds from `waitpid`.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/waitpid.2.html>
    #[doc(alias = "waitpid")]
    pub fn wait(self) -> Result<i32> {
        match sysfd::wait_child(self.pid).ctx("waitpid", self.pid)? {
            Exit::Code(code) => Ok(code),
            Exit::Signal(sig) => Err(Error::new(ErrorKind::Other, "waitpid", self.pid)
                .with_detail(format!("child killed by {sig}"))),
        }
    }
}
