//! Dispatch of subcommands and helpers shared by them.

use std::process::ExitCode;

use crate::cli::{Cli, Command};

pub mod signal;

/// Runs the parsed command line; the exit code on success, an error to print otherwise.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Bench(args) => crate::bench::run(args),
        Command::BenchPeer(args) => crate::bench::run_peer(args),
        Command::Signal(args) => signal::run(args),
    }
}

/// Whether `e` is a write to a closed stdout (`EPIPE`), which ends a command normally.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
