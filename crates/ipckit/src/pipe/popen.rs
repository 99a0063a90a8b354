//! [`popen`]: a shell command with a pipe to its stdin or from its stdout, as `popen(3)`.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::process::{Child, Command, ExitStatus, Stdio};

use super::{pipe, PipeReader, PipeWriter, Spawner};
use crate::{Errno, Error, ErrorKind, Result};

/// Which way the pipe of a [`popen`] goes, as `popen(3)`'s `type` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `"r"`: this process reads the command's stdout.
    Read,
    /// `"w"`: this process writes the command's stdin.
    Write,
}

/// Runs `/bin/sh -c command` with a pipe from its stdout ([`Mode::Read`]) or to its stdin
/// ([`Mode::Write`]), as `popen(3)`: the command's other stdio streams are this process's
/// own, and it keeps no fd of this process but those (every ipckit and std fd is
/// close-on-exec; the pipe's other end is closed here once the shell has started, through a
/// [`Spawner`]).
///
/// Read the output or write the input through the returned [`Popen`]
/// ([`Read`](io::Read) or [`Write`](io::Write)), then [`close`](Popen::close) it to wait for
/// the command's exit status, as `pclose(3)`. The command is a shell command line: quote
/// whatever you put into it that came from outside.
///
/// # Errors
/// [`ErrorKind::LimitReached`] if out of fds; [`ErrorKind::NotFound`] if `/bin/sh` does not
/// exist; other kinds from `pipe2`/`fork`/`exec`. A command the shell cannot find is not an
/// error here: the shell exits with status 127, which [`Popen::close`] returns.
///
/// # Examples
/// ```
/// use std::io::Read;
/// use ipckit::pipe::{popen, Mode};
///
/// let mut p = popen("echo hello; echo world", Mode::Read)?;
/// let mut out = String::new();
/// p.read_to_string(&mut out)?;
/// assert_eq!(out, "hello\nworld\n");
/// assert!(p.close()?.success());
///
/// let p = popen("exit 3", Mode::Write)?;
/// assert_eq!(p.close()?.code(), Some(3));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man3/popen.3.html>
#[doc(alias = "pclose")]
pub fn popen(command: &str, mode: Mode) -> Result<Popen> {
    let (reader, writer) = pipe()?;
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c").arg(command);
    let end = match mode {
        Mode::Read => {
            cmd.stdout(Stdio::from(writer));
            End::Read(reader)
        }
        Mode::Write => {
            cmd.stdin(Stdio::from(reader));
            End::Write(writer)
        }
    };
    // The spawner drops `cmd` (and the child's end inside its Stdio) once the child runs.
    let child = Spawner::new(cmd).spawn().map_err(|e| {
        Error::new(e.kind(), "popen", command).with_detail(format!("starting /bin/sh: {e}"))
    })?;
    Ok(Popen {
        child: Some(child),
        end,
        mode,
        command: command.to_string(),
    })
}

/// This process's end of the pipe.
#[derive(Debug)]
enum End {
    Read(PipeReader),
    Write(PipeWriter),
    Closed,
}

/// A command started by [`popen`]: this process's end of the pipe to it, and the child
/// process to wait for.
///
/// Implements [`Read`](io::Read) (for [`Mode::Read`]) and [`Write`](io::Write) (for
/// [`Mode::Write`]); the other direction fails with [`io::ErrorKind::InvalidInput`], as
/// reading a `FILE*` opened with `"w"` does. A write after the command exited (or closed its
/// stdin) fails with `BrokenPipe` ([`ErrorKind::PeerGone`]). [`AsFd`] gives the pipe end,
/// for `poll`.
///
/// # Waiting
/// [`close`](Popen::close) closes the pipe end, then waits for the command and returns its
/// status, as `pclose(3)`. **Dropping a `Popen` does the same and waits too** (ignoring the
/// status): a `popen` child is never left a zombie. Like `pclose`, that wait lasts as long
/// as the command runs: in [`Mode::Read`] a command that never ends (`yes`) is ended by
/// `SIGPIPE` once it writes to the closed pipe, but one that neither writes nor ends keeps
/// `close` (and `drop`) waiting; use [`try_wait`](Popen::try_wait) and
/// [`kill`](Popen::kill) to bound the wait.
///
/// # Examples
/// ```
/// use std::io::Write;
/// use ipckit::pipe::{popen, Mode};
///
/// let path = std::env::temp_dir().join(format!("ipckit-doc-popen-{}", std::process::id()));
/// let mut p = popen(&format!("cat > '{}'", path.display()), Mode::Write)?;
/// p.write_all(b"written through cat\n")?;
/// assert!(p.close()?.success()); // cat saw end of file, wrote the file, exited 0
/// assert_eq!(std::fs::read_to_string(&path)?, "written through cat\n");
/// std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man3/popen.3.html>
#[derive(Debug)]
pub struct Popen {
    child: Option<Child>,
    end: End,
    mode: Mode,
    command: String,
}

impl Popen {
    /// The shell's process id (the command's, if the shell `exec`s it, as `sh -c` does for
    /// a single simple command).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// The direction this was opened with.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Closes the pipe end and waits for the command (`waitpid`), returning its exit status
    /// (`pclose(3)`): [`ExitStatus::code`] for an exit, and
    /// [`ExitStatusExt::signal`](std::os::unix::process::ExitStatusExt::signal) for a
    /// command killed by a signal. The shell exits with 127 for a command not found and
    /// 126 for one that cannot be executed.
    ///
    /// # Errors
    /// From `waitpid` (not expected: the child is ours and not yet reaped).
    ///
    /// # Examples
    /// See [`popen`] and [`Popen`].
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man3/pclose.3.html>,
    /// <https://man7.org/linux/man-pages/man2/waitpid.2.html>
    #[doc(alias = "pclose")]
    pub fn close(mut self) -> Result<ExitStatus> {
        self.end = End::Closed;
        self.reap()
    }

    /// The command's exit status if it has ended (`waitpid(WNOHANG)`), `None` if it is still
    /// running. The pipe end stays open. Once it returned a status, [`close`](Popen::close)
    /// returns that status again.
    ///
    /// # Errors
    /// From `waitpid`.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/waitpid.2.html>
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        let pid = self.pid();
        match self.child.as_mut() {
            Some(c) => c.try_wait().map_err(|e| wait_err(&e, pid)),
            None => Ok(None),
        }
    }

    /// Sends `SIGKILL` to the shell (`kill(2)`); [`close`](Popen::close) then returns a
    /// status whose signal is 9. Killing a command that already ended is not an error.
    ///
    /// # Errors
    /// From `kill(2)`.
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/kill.2.html>
    pub fn kill(&mut self) -> Result<()> {
        let pid = self.pid();
        match self.child.as_mut() {
            Some(c) => c.kill().map_err(|e| wait_err(&e, pid).with_detail("kill")),
            None => Ok(()),
        }
    }

    /// Closes the end, then waits for the child (once).
    fn reap(&mut self) -> Result<ExitStatus> {
        self.end = End::Closed;
        let pid = self.pid();
        match self.child.take() {
            Some(mut c) => c.wait().map_err(|e| wait_err(&e, pid)),
            None => Err(Error::new(ErrorKind::InvalidInput, "pclose", pid)
                .with_detail("already waited for")),
        }
    }

    fn wrong_way(&self, op: &'static str) -> io::Error {
        let opened = match self.mode {
            Mode::Read => "Mode::Read",
            Mode::Write => "Mode::Write",
        };
        Error::new(ErrorKind::InvalidInput, op, &self.command)
            .with_detail(format!("popen stream opened with {opened}"))
            .into()
    }
}

fn wait_err(e: &io::Error, pid: u32) -> Error {
    match Errno::from_io_error(e) {
        Some(errno) => Error::from_errno(errno, "waitpid", pid),
        None => Error::new(ErrorKind::Other, "waitpid", pid).with_detail(e),
    }
}

/// Closes the pipe end and waits for the command (see [`Popen`], "Waiting").
impl Drop for Popen {
    fn drop(&mut self) {
        if self.child.is_some() {
            let _ = self.reap();
        }
    }
}

impl io::Read for Popen {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.end {
            End::Read(r) => io::Read::read(r, buf),
            _ => Err(self.wrong_way("read")),
        }
    }
}

impl io::Write for Popen {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.end {
            End::Write(w) => io::Write::write(w, buf),
            _ => Err(self.wrong_way("write")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsFd for Popen {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match &self.end {
            End::Read(r) => r.as_fd(),
            End::Write(w) => w.as_fd(),
            // Only `close`/`drop` close the end, and both consume or end the value.
            End::Closed => unreachable!("a Popen's pipe end is open while it is reachable"),
        }
    }
}

impl AsRawFd for Popen {
    fn as_raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }
}
