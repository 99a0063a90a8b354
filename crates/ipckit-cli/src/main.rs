//! `ipckit`: create, inspect, use, remove and benchmark Unix IPC objects.
//!
//! The binary holds no IPC logic of its own: argument parsing (`cli`), presentation
//! (`command/`) and the wiring of the benchmark (`bench`, calling the `ipckit-bench` crate).
//! Rust's runtime starts with `SIGPIPE` ignored, so a closed stdout shows up as a `BrokenPipe`
//! write error, which commands treat as a normal end (see [`command::is_broken_pipe`]).

mod bench;
mod cli;
mod command;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match command::run(cli) {
        Ok(code) => code,
        Err(e) if command::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ipckit: {e:#}");
            ExitCode::FAILURE
        }
    }
}
