//! The classic pipe between a parent and a forked child: the parent writes
//! "Hello Child Process!", the child reads it and prints it.
//!
//! `fork` is only sound if the child sticks to async-signal-safe calls until it execs or
//! exits, so the child here is ipckit's [`PipeReader::fork_copy_to_stdout`]: it does nothing
//! but `read`, `write` and `_exit`.
//!
//! Run: `cargo run -p ipckit --example pipe_fork`

use std::io::Write;

use ipckit::pipe::{pipe, PipeReader};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (reader, mut writer): (PipeReader, _) = pipe()?;
    let child = reader.fork_copy_to_stdout(b"Child received: ")?;
    let pid = child.pid();

    writer.write_all(b"Hello Child Process!\n")?;
    // Closing the write end is what lets the child see end of file and exit.
    drop(writer);

    let status = child.wait()?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "Parent: child {pid} exited with status {status}")?;
    Ok(())
}
