//! `ipckit bench`: latency and throughput of every mechanism between two real processes.

use std::process::ExitCode;

/// Flags of `ipckit bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {}

/// Runs the benchmark.
pub fn run(_args: BenchArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("ipckit bench: not built yet")
}
