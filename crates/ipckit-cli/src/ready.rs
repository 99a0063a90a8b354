//! `--ready-fd N`: tell a script that a waiting command is ready (bound, listening, its
//! signal mask set) by writing one line to an inherited file descriptor, then closing it.
//!
//! A script gives the command a pipe as fd N (`3>&1 | read -r line`, or a FIFO) and reads one
//! line: once it arrives, what the script does next cannot race the command.

use std::io::Write;
use std::os::fd::RawFd;

use anyhow::Context as _;

/// Parses `--ready-fd`: a descriptor number above 2 (0, 1 and 2 are stdin, stdout, stderr).
pub fn parse_fd(s: &str) -> Result<RawFd, String> {
    match s.parse::<RawFd>() {
        Ok(fd) if fd > 2 => Ok(fd),
        Ok(fd) => Err(format!(
            "{fd} is stdin, stdout or stderr: give another descriptor (3 or above), e.g. --ready-fd 3 3>&1"
        )),
        Err(_) => Err(format!("{s:?} is not a file descriptor number")),
    }
}

/// Writes `line` and a newline to the inherited descriptor `fd` and closes it.
///
/// A pipe or FIFO is taken over (and closed, so a reader also sees its end); any other file
/// (a regular file) is written through `/proc/self/fd/N`.
///
/// # Errors
/// If `fd` is not open for writing, naming it.
pub fn notify(fd: Option<RawFd>, line: &str) -> anyhow::Result<()> {
    let Some(fd) = fd else { return Ok(()) };
    let text = format!("{line}\n");
    match ipckit::pipe::PipeWriter::from_inherited(fd) {
        Ok(mut w) => w.write_all(text.as_bytes()),
        Err(_) => std::fs::OpenOptions::new()
            .append(true)
            .open(format!("/proc/self/fd/{fd}"))
            .and_then(|mut f| f.write_all(text.as_bytes())),
    }
    .with_context(|| format!("--ready-fd {fd}: write the readiness line"))
}
