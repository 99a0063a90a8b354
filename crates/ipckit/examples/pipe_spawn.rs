//! A pipe to a spawned child: the parent writes "Hello Child Process!" and the child, a new
//! process running this same program, reads it from the fd it inherited.
//!
//! The parent hands the read end over with [`PipeReader::inherit`] (only that fd survives
//! `exec`; every other stays close-on-exec) and tells the child its number on the command
//! line; the child takes it with [`PipeReader::from_inherited`].
//!
//! Run: `cargo run -p ipckit --example pipe_spawn`

use std::io::{Read, Write};
use std::process::Command;

use ipckit::pipe::{pipe, PipeReader, Spawner};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, fd] = args.as_slice() {
        if flag == "--child" {
            return child(fd.parse()?);
        }
    }

    let (reader, mut writer) = pipe()?;
    let mut spawner = Spawner::new(Command::new(std::env::current_exe()?));
    let fd = reader.inherit(&mut spawner);
    spawner.command_mut().args(["--child", &fd.to_string()]);
    // Starts the child, then closes the parent's copy of the read end.
    let mut child = spawner.spawn()?;

    writer.write_all(b"Hello Child Process!")?;
    drop(writer); // end of file for the child

    let status = child.wait()?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "Parent: child {} exited with {status}", child.id())?;
    Ok(())
}

fn child(fd: i32) -> Result<(), Box<dyn std::error::Error>> {
    let mut reader = PipeReader::from_inherited(fd)?;
    let mut msg = String::new();
    reader.read_to_string(&mut msg)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "Child {} received: {msg}", std::process::id())?;
    Ok(())
}
