//! The mechanisms `ipckit bench` measures: one file per mechanism, listed in [`all`].
//!
//! # Adding a mechanism
//!
//! Write `mech/<name>.rs` with a unit struct implementing [`Mechanism`], add it to [`all`],
//! and put any raw libc calls its raw twin needs (and all their `unsafe`) in
//! `bench/raw/<facility>.rs`. The harness (`bench/mod.rs`) does everything else: it spawns the
//! peer, pins both processes, drives the latency and throughput loops, stamps and verifies
//! every message (`bench/verify.rs`), times, tabulates and writes JSON/CSV.
//!
//! A skeleton (see `pipe.rs` for fds handed over by inheritance, `fifo.rs` for objects
//! opened by path, `unix_dgram.rs` for a handshake inside `connect`):
//!
//! ```text
//! pub struct SysvMq;
//! impl Mechanism for SysvMq {
//!     fn name(&self) -> &'static str { "sysv-mq" }
//!     fn about(&self) -> &'static str { "System V message queue (msgsnd/msgrcv), one per direction" }
//!     fn check(&self, _imp: Impl, size: usize) -> Result<(), String> {
//!         // read /proc/sys/kernel/msgmax; Err(format!("above msgmax ({max} bytes)")) if larger
//!     }
//!     fn setup(&self, sc: &Scenario) -> anyhow::Result<Setup> {
//!         // create both queues (IPC_PRIVATE or a unique key), owned by the parent
//!         let args = vec![id_a.to_string(), id_b.to_string()];
//!         Ok(Setup::new(args, move || Ok(Box::new(MqEndpoint { .. }) as _)))
//!     }
//!     fn peer(&self, sc: &Scenario, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
//!         // open the same queues by id from args, the other way round
//!     }
//! }
//! ```
//!
//! # What one scenario does
//!
//! A scenario is one (mechanism, [`Impl`], message size). For each:
//!
//! 1. Parent: [`Mechanism::setup`] creates the kernel objects (pipes, a listening socket, a
//!    FIFO path, a queue, a segment...) and returns a [`Setup`]: the strings to put on the
//!    peer's command line, the fds the peer inherits (their numbers go in those strings, see
//!    [`fd_arg`] / [`inherited`]) or a hook that hands objects over through the peer's
//!    `Command`, and a `connect` closure.
//! 2. The harness starts `ipckit __bench-peer --mech NAME --impl raw|ipckit --size N --dir DIR
//!    -- ARGS...` (the CLI re-executing itself), pinned to its own CPU, then calls
//!    `connect` in the parent, which finishes the parent's side (e.g. `accept`, or opening a
//!    FIFO, which waits for the peer's open) and returns the parent's [`Endpoint`].
//! 3. Peer: [`Mechanism::peer`] opens the peer's side from ARGS and returns its
//!    [`Endpoint`]. `setup` and `peer` must agree on the order of blocking opens.
//! 4. Latency: the parent sends a message and waits for the peer's echo, many times; the peer
//!    echoes every message until the end marker (a 1-byte message `[0xEE]`, or 2 bytes
//!    `[0xEE, 0xEE]` when the size is 1). Throughput: the parent sends messages back to back,
//!    then the end marker; the peer receives and verifies them all and reports the count and
//!    the time on its stdout (a harness pipe, not the mechanism). Both phases always happen in
//!    that order on the same endpoints; a phase the parent skips is just an end marker.
//!
//! So an [`Endpoint`] must move whole messages both ways (parent to peer and peer to parent),
//! deliver exactly the bytes sent, in order, and carry messages of any length from 1 byte up
//! to the size of the scenario (the end marker is shorter than the data). A one-way mechanism
//! (a pipe) uses two objects, one per direction. Shared memory keeps a length word in its
//! slot and its own wake-up (futex, semaphore) to do so. A mechanism that cannot carry bytes
//! (signals) returns `false` from [`Mechanism::has_throughput`] and may rebuild a message
//! from what it carries (e.g. the sequence number in a `sigqueue` value): say so in
//! [`Mechanism::note`].
//!
//! # Ownership and cleanup
//!
//! Every fd is close-on-exec except the ones handed over in [`Setup::inherit`] (the harness
//! clears the flag just before spawning and closes the parent's copies just after). Paths
//! (FIFOs, socket files) go under the scenario's private directory [`Scenario::dir`], which
//! the harness removes at the end, also when a scenario fails or hangs. Named kernel objects
//! (System V keys, POSIX names) are removed by their owner's `Drop`: keep the owner inside the
//! parent's [`Endpoint`] (or the `connect` closure) so it lives exactly as long as the
//! scenario, and name them uniquely with [`Scenario::unique`].
//!
//! # ipckit and raw
//!
//! [`Impl::Ipckit`] must use only ipckit's public types for everything measured;
//! [`Impl::Raw`] must use no ipckit type at all, only `bench::raw` (thin libc calls), and the
//! same bytes on the wire as the ipckit side (for byte streams the 4-byte little-endian
//! length then the payload). Both sides get the same socket options and buffer sizes, so the
//! ratio measures ipckit's overhead and nothing else.

use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::path::PathBuf;

use anyhow::Context as _;

pub mod fifo;
pub mod mmap_file;
pub mod pipe;
pub mod posix_mq;
pub mod posix_shm;
pub mod signal;
pub mod sysv_mq;
pub mod sysv_shm;
pub mod tcp;
pub mod unix_dgram;
pub mod unix_seqpacket;
pub mod unix_stream;

/// Every mechanism the benchmark knows, in report order.
pub fn all() -> &'static [&'static dyn Mechanism] {
    &[
        &pipe::Pipe,
        &fifo::Fifo,
        &unix_stream::UnixStream,
        &unix_seqpacket::UnixSeqpacket,
        &unix_dgram::UnixDgram,
        &tcp::Tcp,
        &sysv_mq::SysvMq,
        &posix_mq::PosixMq,
        &sysv_shm::SysvShm,
        &posix_shm::PosixShm,
        &mmap_file::MmapFile,
        &signal::Sig,
    ]
}

/// The mechanism called `name` on the command line.
pub fn by_name(name: &str) -> Option<&'static dyn Mechanism> {
    all().iter().copied().find(|m| m.name() == name)
}

/// Which implementation a row measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Impl {
    /// ipckit's own types.
    Ipckit,
    /// The raw libc twin (`bench::raw`), no ipckit type.
    Raw,
}

impl Impl {
    /// `"ipckit"` or `"raw"`, as in the report.
    pub fn as_str(self) -> &'static str {
        match self {
            Impl::Ipckit => "ipckit",
            Impl::Raw => "raw",
        }
    }
}

/// One side's handle on the mechanism: whole messages in both directions.
pub trait Endpoint {
    /// Sends one whole message (1 byte up to the scenario size), blocking until the
    /// mechanism has taken it.
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()>;

    /// Blocks until one whole message arrives and leaves exactly its bytes in `buf`
    /// (`buf.len()` becomes the message length). `buf` is reused across calls: keep its
    /// capacity, don't shrink it.
    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()>;
}

/// What a scenario is about, given to both [`Mechanism::setup`] and [`Mechanism::peer`].
#[derive(Debug, Clone)]
pub struct Scenario {
    /// ipckit or raw.
    pub imp: Impl,
    /// Message size in bytes.
    pub size: usize,
    /// A private directory (mode 0700) for this run's paths; removed by the harness.
    pub dir: PathBuf,
    /// A number unique to this scenario within the run (same in parent and peer).
    pub id: u32,
    /// The pid of the benchmarking (parent) process (same in parent and peer).
    pub parent: u32,
}

impl Scenario {
    /// A name unique to this run and scenario, e.g. `ipckit-bench-4711-3-fifo`: use it for
    /// POSIX names (with a leading `/`), file names under [`Scenario::dir`], etc.
    pub fn unique(&self, tag: &str) -> String {
        format!("ipckit-bench-{}-{}-{}", self.parent, self.id, tag)
    }

    /// A path under [`Scenario::dir`] unique to this scenario.
    pub fn path(&self, tag: &str) -> PathBuf {
        self.dir.join(format!("{}-{}", self.id, tag))
    }
}

/// The parent's side of a scenario before the peer runs; see the module docs.
pub struct Setup {
    /// Extra arguments for the peer, given back to [`Mechanism::peer`] as `args`.
    pub args: Vec<String>,
    /// Fds the peer inherits under the same numbers (name them in `args` with [`fd_arg`]).
    pub inherit: Vec<OwnedFd>,
    /// Optional: adjusts the peer's [`Command`](std::process::Command) before it spawns,
    /// for hand-over APIs that work on a `Command` (e.g. ipckit's
    /// `PipeReader::inherit(&mut cmd)`); returns more arguments, appended after `args`.
    pub command: Option<CommandHook>,
    /// Runs in the parent once the peer has started; returns the parent's endpoint.
    pub connect: Box<dyn FnOnce() -> anyhow::Result<Box<dyn Endpoint>>>,
}

/// See [`Setup::command`].
pub type CommandHook = Box<dyn FnOnce(&mut std::process::Command) -> anyhow::Result<Vec<String>>>;

impl Setup {
    /// A setup with only `args` and `connect` (nothing inherited, no command hook).
    pub fn new(
        args: Vec<String>,
        connect: impl FnOnce() -> anyhow::Result<Box<dyn Endpoint>> + 'static,
    ) -> Setup {
        Setup {
            args,
            inherit: Vec::new(),
            command: None,
            connect: Box::new(connect),
        }
    }
}

/// One mechanism of the benchmark. Implement it on a unit struct in `mech/<name>.rs`.
pub trait Mechanism: Sync {
    /// The name on the command line and in the report: lowercase, dashes (`"unix-dgram"`).
    fn name(&self) -> &'static str;

    /// A few words for `--list`: the objects and calls used.
    fn about(&self) -> &'static str;

    /// `Ok(())` if `imp` can run `size`-byte messages on this machine, else the note for the
    /// table (e.g. `"above unix-dgram limit (212960 bytes)"`): the scenario is skipped, not
    /// failed. Called in the parent before the scenario; may probe the kernel (and must clean
    /// up what it probes with).
    fn check(&self, imp: Impl, size: usize) -> Result<(), String> {
        let _ = (imp, size);
        Ok(())
    }

    /// Whether the throughput phase means anything (false for signals: latency only).
    fn has_throughput(&self) -> bool {
        true
    }

    /// A note shown with every row of this mechanism (e.g. how a message is carried), if any.
    fn note(&self) -> Option<&'static str> {
        None
    }

    /// Parent, before the peer starts: create the objects; see the module docs.
    fn setup(&self, sc: &Scenario) -> anyhow::Result<Setup>;

    /// Peer: open the peer's side from `args` (what [`Setup::args`] held).
    fn peer(&self, sc: &Scenario, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>>;
}

/// The argument that hands `fd` to the peer: `fd:N`.
pub fn fd_arg(fd: &OwnedFd) -> String {
    format!("fd:{}", fd.as_raw_fd())
}

/// Peer: takes ownership of the fd named by an [`fd_arg`] argument (once per argument).
pub fn inherited(arg: &str) -> anyhow::Result<OwnedFd> {
    let n: RawFd = arg
        .strip_prefix("fd:")
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("peer argument {arg:?} is not fd:N"))?;
    crate::bench::raw::take_inherited(n).with_context(|| format!("inherited fd {n}"))
}

/// The argument at `i`, or an error naming what is missing.
pub fn arg<'a>(args: &'a [String], i: usize, what: &str) -> anyhow::Result<&'a str> {
    args.get(i)
        .map(String::as_str)
        .with_context(|| format!("peer argument {i} ({what}) missing"))
}

/// A path argument.
pub fn path_arg(args: &[String], i: usize, what: &str) -> anyhow::Result<PathBuf> {
    arg(args, i, what).map(PathBuf::from)
}

/// The ipckit side of a framed byte stream: ipckit's own
/// [`FramedSender`](ipckit::channel::FramedSender) and
/// [`FramedReceiver`](ipckit::channel::FramedReceiver), plus whatever must live as long
/// as the scenario (e.g. the [`ipckit::fifo::Fifo`] owners that unlink on drop).
pub struct IpckitFramed<R: AsFd, W: AsFd> {
    rx: ipckit::channel::FramedReceiver<R>,
    tx: ipckit::channel::FramedSender<W>,
    _keep: Box<dyn std::any::Any>,
}

impl<R: AsFd, W: AsFd> IpckitFramed<R, W> {
    /// Frames over `rx` (incoming) and `tx` (outgoing), keeping `keep` alive.
    pub fn new(rx: R, tx: W, keep: Box<dyn std::any::Any>) -> IpckitFramed<R, W> {
        IpckitFramed {
            rx: ipckit::channel::FramedReceiver::new(rx),
            tx: ipckit::channel::FramedSender::new(tx),
            _keep: keep,
        }
    }
}

impl<R: AsFd, W: AsFd> Endpoint for IpckitFramed<R, W> {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        Ok(self.tx.send(msg)?)
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        self.rx.recv(buf)?;
        Ok(())
    }
}

/// The ipckit side of a message-oriented Unix socket ([`ipckit::net::unix::UnixSeqpacket`]
/// or [`ipckit::net::unix::UnixDatagram`]): one `send` and one `recv` per message, `recv`
/// into a buffer of `max` bytes.
pub enum IpckitMsgSocket {
    /// A connected seqpacket socket.
    Seqpacket(ipckit::net::unix::UnixSeqpacket, usize),
    /// A connected datagram socket.
    Dgram(ipckit::net::unix::UnixDatagram, usize),
}

impl Endpoint for IpckitMsgSocket {
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()> {
        let n = match self {
            IpckitMsgSocket::Seqpacket(s, _) => s.send(msg)?,
            IpckitMsgSocket::Dgram(s, _) => s.send(msg)?,
        };
        anyhow::ensure!(n == msg.len(), "send: sent {n} of {} bytes", msg.len());
        Ok(())
    }

    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        let n = match self {
            IpckitMsgSocket::Seqpacket(s, max) => {
                // Grows once; afterwards `resize` only moves the length.
                buf.resize(*max, 0);
                s.recv(buf)?
            }
            IpckitMsgSocket::Dgram(s, max) => {
                buf.resize(*max, 0);
                s.recv(buf)?
            }
        };
        buf.truncate(n);
        Ok(())
    }
}

/// Sets `SO_SNDBUF` to [`crate::bench::raw::msg::msg_sndbuf`]`(size)` on an ipckit socket
/// (ipckit has no call for it: nix's safe `setsockopt` on its fd), the same value the raw
/// twin sets.
pub fn ipckit_sndbuf(fd: &impl AsFd, size: usize) -> anyhow::Result<()> {
    if let Some(v) = crate::bench::raw::msg::msg_sndbuf(size) {
        nix::sys::socket::setsockopt(fd, nix::sys::socket::sockopt::SndBuf, &(v as usize))
            .context("setsockopt SO_SNDBUF")?;
    }
    Ok(())
}
