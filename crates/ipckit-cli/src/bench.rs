//! `ipckit bench`: the clap wiring of the benchmark, which lives in the `ipckit-bench` crate.
//!
//! `ipckit bench` parses [`BenchArgs`] and calls [`ipckit_bench::run`]; the hidden
//! `ipckit __bench-peer` is this same binary re-executed by the benchmark as its peer
//! ([`ipckit_bench::PEER_SUBCOMMAND`]) and calls [`ipckit_bench::peer_main`].

use std::process::ExitCode;

pub use ipckit_bench::{Args as BenchArgs, PeerArgs};

/// Runs `ipckit bench`.
pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    ipckit_bench::run(args)
}

/// Runs the hidden `ipckit __bench-peer`: the peer side of one scenario.
pub fn run_peer(args: PeerArgs) -> anyhow::Result<ExitCode> {
    ipckit_bench::peer_main(args)
}
