//! [`Spawner`]: a [`Command`] plus the pipe ends handed to the child it starts, whose
//! parent copies close as soon as the child is running.

use std::os::fd::{OwnedFd, RawFd};
use std::process::{Child, Command};

use crate::{Errno, Error, Result};

/// A [`Command`] that pipe ends are handed to ([`PipeReader::inherit_as`],
/// [`PipeWriter::inherit`], …) and that closes the parent's copies of them once the child
/// has started.
///
/// A `pre_exec` hook that hands an fd to a child needs that fd open in the parent at the
/// moment of `fork`; std's `Command` keeps whatever its hooks and `Stdio`s hold until the
/// `Command` is dropped, so a parent that spawns and then reads the other end of the pipe to
/// end of file waits forever unless it remembers to drop the `Command` first. `Spawner`
/// removes that trap: [`spawn`](Spawner::spawn) consumes it, starts the child, then closes
/// every end it held (and drops the `Command` with its `Stdio`s), so the parent keeps no copy
/// whatever it forgets. Because it is consumed, a `Spawner` starts at most one child: the
/// hooks know the ends only by number and must never run again once those are closed.
///
/// [`PipeReader::inherit_as`]: super::PipeReader::inherit_as
/// [`PipeWriter::inherit`]: super::PipeWriter::inherit
///
/// # Examples
/// ```
/// use std::io::Read;
/// use std::process::{Command, Stdio};
///
/// let (mut reader, writer) = ipckit::pipe::pipe()?;
/// let mut spawner = ipckit::pipe::Spawner::new(Command::new("echo"));
/// spawner.command_mut().arg("hello").stdout(Stdio::from(writer));
/// let mut child = spawner.spawn()?;
/// let mut got = String::new();
/// reader.read_to_string(&mut got)?; // no copy of the write end is left here: EOF comes
/// assert_eq!(got, "hello\n");
/// assert!(child.wait()?.success());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
/// <https://man7.org/linux/man-pages/man2/fork.2.html>,
/// <https://man7.org/linux/man-pages/man2/execve.2.html> (file descriptors across exec)
#[derive(Debug)]
pub struct Spawner {
    cmd: Command,
    ends: Vec<OwnedFd>,
}

impl Spawner {
    /// Wraps `cmd`; hand ends over with the ends' `inherit_as`/`inherit`, adjust the command
    /// with [`command_mut`](Spawner::command_mut), then [`spawn`](Spawner::spawn).
    ///
    /// # Examples
    /// See [`Spawner`].
    pub fn new(cmd: Command) -> Spawner {
        Spawner {
            cmd,
            ends: Vec::new(),
        }
    }

    /// The command, to add arguments, environment, a working directory or stdio. A
    /// `Stdio` set here is closed in the parent by [`spawn`](Spawner::spawn), like the
    /// ends handed over.
    pub fn command_mut(&mut self) -> &mut Command {
        &mut self.cmd
    }

    /// Starts the child ([`Command::spawn`]), then closes the parent's copy of every end
    /// handed over and drops the `Command` (and its `Stdio`s). On failure the ends are
    /// closed too.
    ///
    /// # Errors
    /// From `fork`/`exec` (e.g. [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for
    /// a program that does not exist), or from a hook's `dup2` in the child.
    ///
    /// # Examples
    /// See [`Spawner`].
    ///
    /// # References
    /// <https://man7.org/linux/man-pages/man2/execve.2.html>
    pub fn spawn(self) -> Result<Child> {
        let Spawner { mut cmd, ends } = self;
        let program = cmd.get_program().to_string_lossy().into_owned();
        let child = cmd.spawn();
        drop(ends);
        drop(cmd);
        child.map_err(|e| match Errno::from_io_error(&e) {
            Some(errno) => Error::from_errno(errno, "spawn", program),
            None => Error::new(crate::ErrorKind::Other, "spawn", program).with_detail(e),
        })
    }

    /// Registers the hook that makes `fd` the child's fd `target`, keeping `fd` until the
    /// spawn.
    pub(super) fn hand_over(
        &mut self,
        fd: OwnedFd,
        target: RawFd,
    ) -> std::result::Result<(), Errno> {
        let kept = crate::sys::pipe::inherit_fd(&mut self.cmd, fd, target)?;
        self.ends.push(kept);
        Ok(())
    }
}

impl From<Command> for Spawner {
    fn from(cmd: Command) -> Spawner {
        Spawner::new(cmd)
    }
}
