//! One module per verb (`ipckit ls` is `ls.rs`, ...) and the dispatch to them. What several
//! verbs share lives outside this directory: `crate::present` (tables, times, owners) and
//! `crate::parse` (argument values), neither of which imports a verb.

use std::process::ExitCode;

use crate::cli::{Cli, Command};

pub mod dump;
pub mod limits;
pub mod ls;
pub mod mk;
pub mod recv;
pub mod rm;
pub mod send;
pub mod signal;

/// Runs the parsed command line; the exit code on success, an error to print otherwise.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Bench(args) => crate::bench::run(args),
        Command::BenchPeer(args) => crate::bench::run_peer(args),
        Command::Signal(args) => signal::run(args),
        Command::Ls(args) => ls::run(args),
        Command::Limits(args) => limits::run(args),
        Command::Mk(args) => mk::run(args),
        Command::Rm(args) => rm::run(args),
        Command::Dump(args) => dump::run(args),
        Command::Send(args) => send::run(args),
        Command::Recv(args) => recv::run(args),
    }
}

/// Whether `e` is a write to a closed stdout (`EPIPE`), which ends a command normally.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
