//! `ipckit`: create, inspect, use, remove and benchmark Unix IPC objects.
//!
//! The binary holds no IPC logic of its own: argument parsing (`cli`), presentation
//! (`command/`) and the wiring of the benchmark (`bench`, calling the `ipckit-bench` crate).
//! Rust's runtime starts with `SIGPIPE` ignored, so a closed stdout shows up as a `BrokenPipe`
//! write error, which commands treat as a normal end (see [`is_broken_pipe`]).

mod bench;
mod cli;
mod command;
mod parse;
mod present;
mod ready;
mod sysv_remove;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use crate::cli::{Cli, Command};
use crate::command::{
    bridge, completions, dump, ipcmk, ipcrm, ipcs, limits, ls, man, mk, recv, rm, send, signal,
};

fn main() -> ExitCode {
    let cli = Cli::from_arg_matches(&Cli::command().get_matches()).unwrap_or_else(|e| e.exit());
    match run(cli) {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ipckit: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the parsed command line; the exit code on success, an error to print otherwise.
fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Bench(args) => bench::run(args),
        Command::BenchPeer(args) => bench::run_peer(args),
        Command::Signal(args) => signal::run(args),
        Command::Ls(args) => ls::run(args),
        Command::Ipcs(args) => ipcs::run(args),
        Command::Ipcmk(args) => ipcmk::run(args),
        Command::Ipcrm(args) => ipcrm::run(args),
        Command::Limits(args) => limits::run(args),
        Command::Mk(args) => mk::run(args),
        Command::Rm(args) => rm::run(args),
        Command::Dump(args) => dump::run(args),
        Command::Send(args) => send::run(args),
        Command::Recv(args) => recv::run(args),
        Command::Bridge(args) => bridge::run(args),
        Command::Completions(args) => {
            completions::run(args, Cli::command()).map(|()| ExitCode::SUCCESS)
        }
        Command::Man(args) => man::run(args, Cli::command()).map(|()| ExitCode::SUCCESS),
    }
}

/// Whether `e` is a write to a closed stdout (`EPIPE`), which ends a command normally.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
