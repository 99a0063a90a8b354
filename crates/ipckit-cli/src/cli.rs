//! The command line: every subcommand and its flags (clap derive).

use clap::{Parser, Subcommand};

/// Create, inspect, use, remove and benchmark Unix IPC objects.
#[derive(Debug, Parser)]
#[command(name = "ipckit", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Benchmark every mechanism between two real processes, each beside its raw libc twin.
    Bench(crate::bench::BenchArgs),
    /// The peer side of one `ipckit bench` scenario (started by `ipckit bench` itself).
    #[command(name = "__bench-peer", hide = true)]
    BenchPeer(crate::bench::PeerArgs),
    /// Signals: list the table (`kill -l`), send one (with a value), wait for and print them.
    Signal(crate::command::signal::SignalArgs),
    /// List kernel IPC objects like `lsipc`/`ipcs`: System V and POSIX queues, shared memory, semaphores.
    #[command(visible_alias = "ipcs")]
    Ls(crate::command::ls::LsArgs),
    /// Show the kernel's IPC limits (`/proc/sys/kernel`) and current use.
    Limits(crate::command::limits::LimitsArgs),
    /// Make an IPC object that stays after ipckit exits, like `ipcmk`; prints its id.
    Mk(crate::command::mk::MkArgs),
    /// Remove IPC objects by id or key, like `ipcrm`.
    Rm(crate::command::rm::RmArgs),
    /// Show the bytes of a shared-memory segment (hexdump -C style, or raw).
    Dump(crate::command::dump::DumpArgs),
    /// Send messages to a FIFO, socket or queue: the arguments, or stdin one per line.
    Send(crate::command::send::SendArgs),
    /// Receive messages at a FIFO, socket or queue and print one per line.
    Recv(crate::command::recv::RecvArgs),
    /// Print the shell completion script for bash, zsh, fish, elvish or powershell.
    Completions(crate::command::completions::CompletionsArgs),
    /// Write roff man pages for ipckit and every subcommand into a directory.
    Man(crate::command::man::ManArgs),
}
