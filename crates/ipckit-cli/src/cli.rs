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
    /// List kernel IPC objects like `lsipc`: System V and POSIX queues, shared memory, semaphores.
    Ls(crate::command::ls::LsArgs),
    /// util-linux `ipcs`: the same flags and output (System V objects, -l limits, -u summary).
    Ipcs(crate::command::ipcs::IpcsArgs),
    /// util-linux `ipcmk`: make a System V queue, segment or semaphore set with a random key.
    Ipcmk(crate::command::ipcmk::IpcmkArgs),
    /// util-linux `ipcrm`: remove System V objects by id or key, or all (-a).
    Ipcrm(crate::command::ipcrm::IpcrmArgs),
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
    /// Forward every message from one address (listened on) to another (connected to);
    /// --both-ways also back.
    Bridge(crate::command::bridge::BridgeArgs),
    /// Print the shell completion script for bash, zsh, fish, elvish or powershell.
    Completions(crate::command::completions::CompletionsArgs),
    /// Write roff man pages for ipckit and every subcommand into a directory.
    Man(crate::command::man::ManArgs),
}
