//! What a mechanism is to the harness: a [`Mechanism`] (name, description, size check) with
//! two implementations of one trait, [`Scenario`]: the ipckit one in `mech/<name>.rs` and its
//! raw libc twin in `raw/<name>.rs`. Both give the harness an [`Endpoint`] per side.
//!
//! # Adding a mechanism
//!
//! Write `mech/<name>.rs` with `pub struct Ipckit;` implementing [`Scenario`] with ipckit's
//! public types only, and a `pub const MECHANISM: Mechanism` describing the row;
//! `raw/<name>.rs` with `pub struct Raw;` implementing [`Scenario`] straight against libc
//! (its `unsafe` stays under `raw/`); then add one line to the registry
//! (`crate::registry`) and the two `mod` lines. Anything both twins share (a layout, a
//! size check, a wire encoding) goes into `crate::common`, which imports neither side. The
//! harness does everything else: it spawns the peer, pins both processes, drives the latency
//! and throughput loops, stamps and verifies every message (`crate::verify`), times,
//! tabulates and writes JSON/CSV.
//!
//! ```text
//! // mech/sysv_mq.rs
//! pub const MECHANISM: Mechanism = Mechanism {
//!     name: "sysv-mq",
//!     about: "two System V message queues ...",
//!     note: None,
//!     has_throughput: true,
//!     check: check_size,            // e.g. Err(format!("above msgmax ({max} bytes)"))
//!     ipckit: &Ipckit,
//!     raw: &crate::raw::sysv_mq::Raw,
//! };
//! pub struct Ipckit;
//! impl Scenario for Ipckit {
//!     fn setup(&self, case: &Case) -> anyhow::Result<Setup> {
//!         // create both queues, owned by the parent
//!         let args = vec![id_a.to_string(), id_b.to_string()];
//!         Ok(Setup::new(args, move || Ok(Box::new(MqEndpoint { .. }) as _)))
//!     }
//!     fn peer(&self, case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>> {
//!         // open the same queues by id from args, the other way round
//!     }
//! }
//! ```
//!
//! # What one scenario does
//!
//! A scenario is one (mechanism, [`Impl`], message size): a [`Case`]. For each:
//!
//! 1. Parent: [`Scenario::setup`] creates the kernel objects (pipes, a listening socket, a
//!    FIFO path, a queue, a segment...) and returns a [`Setup`]: the strings the peer gets
//!    back as `args`, the fds the peer inherits (their numbers go in those strings, see
//!    [`fd_arg`](crate::common::fd_arg)) or a hook that hands objects over through the
//!    peer's `Command`, and a `connect` closure.
//! 2. The harness starts the peer (this program re-executed as `__bench-peer`), pinned to
//!    its own CPU, sends it the plan ([`crate::protocol::PeerPlan`]: mechanism,
//!    implementation, size, `args`...) over the control pipe, then calls `connect` in the
//!    parent, which finishes the parent's side (e.g. `accept`, or opening a FIFO, which waits
//!    for the peer's open) and returns the parent's [`Endpoint`].
//! 3. Peer: [`Scenario::peer`] opens the peer's side from `args` and returns its
//!    [`Endpoint`]. `setup` and `peer` must agree on the order of blocking opens.
//! 4. Latency: the parent sends a message and waits for the peer's echo, many times; the peer
//!    echoes every message until the end marker ([`crate::common::end_marker`]). Throughput:
//!    the parent sends messages back to back, then the end marker; the peer receives and
//!    verifies them all and reports the count and the time over the control pipe (not the
//!    mechanism). Both phases always happen in that order on the same endpoints; a phase the
//!    parent skips is just an end marker.
//!
//! So an [`Endpoint`] must move whole messages both ways (parent to peer and peer to parent),
//! deliver exactly the bytes sent, in order, and carry messages of any length from 1 byte up
//! to the size of the scenario (the end marker is shorter than the data). A one-way mechanism
//! (a pipe) uses two objects, one per direction. Shared memory keeps a length word in its
//! slot and its own wake-up (futex, semaphore) to do so. A mechanism that cannot carry bytes
//! (signals) sets [`Mechanism::has_throughput`] to false and may rebuild a message from what
//! it carries (e.g. the sequence number in a `sigqueue` value): say so in
//! [`Mechanism::note`].
//!
//! A shared-memory mechanism that can lend its memory (the `shm-ring-zc` row) also
//! implements [`ZeroCopy`] and returns it from [`Endpoint::zero_copy`]: the harness then
//! writes each message in place ([`ZeroCopy::send_in_place`] with
//! [`Pattern::fill`](crate::verify::Pattern::fill)), verifies each in place
//! ([`ZeroCopy::recv_in_place`]), and the peer echoes with [`ZeroCopy::echo_in_place`]; the
//! writing and verifying then fall inside the timed round trip, as they do for a zero-copy
//! application. The end markers still go through [`Endpoint::send`].
//!
//! # Ownership and cleanup
//!
//! Every fd is close-on-exec except the ones handed over in [`Setup::inherit`] (the harness
//! clears the flag just before spawning and closes the parent's copies just after). Paths
//! (FIFOs, socket files) go under the scenario's private directory [`Case::dir`], which the
//! harness removes at the end, also when a scenario fails or hangs. Named kernel objects
//! (System V keys, POSIX names) are removed by their owner's `Drop`: keep the owner inside the
//! parent's [`Endpoint`] (or the `connect` closure) so it lives exactly as long as the
//! scenario, and name them uniquely with [`Case::unique`].
//!
//! # ipckit and raw
//!
//! The ipckit [`Scenario`] must use only ipckit's public types for everything measured; the
//! raw one must use no ipckit type at all, only `crate::raw` (thin libc calls), and the same
//! bytes on the wire as the ipckit side (for byte streams the 4-byte little-endian length
//! then the payload). Both sides get the same socket options and buffer sizes, so the ratio
//! measures ipckit's overhead and nothing else.

use std::os::fd::OwnedFd;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Which implementation a row measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Impl {
    /// ipckit's own types.
    Ipckit,
    /// The raw libc twin (`crate::raw`), no ipckit type.
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
    ///
    /// # Errors
    /// The mechanism's error (the peer is gone, a syscall failed).
    fn send(&mut self, msg: &[u8]) -> anyhow::Result<()>;

    /// Blocks until one whole message arrives and leaves exactly its bytes in `buf`
    /// (`buf.len()` becomes the message length). `buf` is reused across calls: keep its
    /// capacity, don't shrink it.
    ///
    /// # Errors
    /// The mechanism's error (the peer is gone, a syscall failed, a malformed message).
    fn recv(&mut self, buf: &mut Vec<u8>) -> anyhow::Result<()>;

    /// The zero-copy interface of this endpoint, if it has one: then the harness writes
    /// every message in place and verifies every message in place through it (the `-zc`
    /// rows), and never calls [`Endpoint::send`] / [`Endpoint::recv`] for data.
    fn zero_copy(&mut self) -> Option<&mut dyn ZeroCopy> {
        None
    }
}

/// Messages written and read where they lie in shared memory (see [`Endpoint::zero_copy`]).
pub trait ZeroCopy {
    /// Reserves `len` bytes in place, lets `fill` write all of them, and publishes them as
    /// one message.
    ///
    /// # Errors
    /// The mechanism's error.
    fn send_in_place(&mut self, len: usize, fill: &mut dyn FnMut(&mut [u8])) -> anyhow::Result<()>;

    /// Waits for one message, lends its bytes in place to `read`, then releases them.
    ///
    /// # Errors
    /// The mechanism's error.
    fn recv_in_place(&mut self, read: &mut dyn FnMut(&[u8])) -> anyhow::Result<()>;

    /// Peer's echo: waits for one message; if it is the end marker of `size`-byte data,
    /// releases it and returns `false`; else copies it straight into an outgoing message,
    /// lets `tamper` change that (a `--fault`), publishes it and returns `true`.
    ///
    /// # Errors
    /// The mechanism's error.
    fn echo_in_place(
        &mut self,
        size: usize,
        tamper: &mut dyn FnMut(&mut [u8]),
    ) -> anyhow::Result<bool>;
}

/// What a scenario is about, given to both [`Scenario::setup`] and [`Scenario::peer`].
#[derive(Debug, Clone)]
pub struct Case {
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

impl Case {
    /// A name unique to this run and scenario, e.g. `ipckit-bench-4711-3-fifo`: use it for
    /// POSIX names (with a leading `/`), file names under [`Case::dir`], etc.
    pub fn unique(&self, tag: &str) -> String {
        format!("ipckit-bench-{}-{}-{}", self.parent, self.id, tag)
    }

    /// A path under [`Case::dir`] unique to this scenario.
    pub fn path(&self, tag: &str) -> PathBuf {
        self.dir.join(format!("{}-{}", self.id, tag))
    }
}

/// The parent's side of a scenario before the peer runs; see the module docs.
pub struct Setup {
    /// Extra arguments for the peer, given back to [`Scenario::peer`] as `args`.
    pub args: Vec<String>,
    /// Fds the peer inherits under the same numbers (name them in `args` with
    /// [`fd_arg`](crate::common::fd_arg)).
    pub inherit: Vec<OwnedFd>,
    /// Optional: adjusts the peer's [`Command`](std::process::Command) before it spawns,
    /// for hand-over APIs that work on a `Command` (e.g. ipckit's
    /// `PipeReader::inherit(&mut cmd)`); returns more arguments, appended after `args`.
    pub command: Option<CommandHook>,
    /// Runs in the parent once the peer has started; returns the parent's endpoint.
    pub connect: Connect,
}

/// See [`Setup::command`].
pub type CommandHook = Box<dyn FnOnce(&mut std::process::Command) -> anyhow::Result<Vec<String>>>;

/// See [`Setup::connect`].
pub type Connect = Box<dyn FnOnce() -> anyhow::Result<Box<dyn Endpoint>>>;

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

/// One implementation of a mechanism: the ipckit one (`mech::<name>::Ipckit`) or its raw
/// twin (`raw::<name>::Raw`).
pub trait Scenario: Sync {
    /// Parent, before the peer starts: create the objects; see the module docs.
    ///
    /// # Errors
    /// Creating an object failed.
    fn setup(&self, case: &Case) -> anyhow::Result<Setup>;

    /// Peer: open the peer's side from `args` (what [`Setup::args`] held).
    ///
    /// # Errors
    /// Opening an object failed, or `args` are not what `setup` gave.
    fn peer(&self, case: &Case, args: &[String]) -> anyhow::Result<Box<dyn Endpoint>>;
}

/// One mechanism of the benchmark: what the report says of it and its two implementations.
/// Each is a `pub const MECHANISM` in `mech/<name>.rs`, listed in `crate::registry`.
pub struct Mechanism {
    /// The name on the command line and in the report: lowercase, dashes (`"unix-dgram"`).
    pub name: &'static str,
    /// A few words for `--list`: the objects and calls used.
    pub about: &'static str,
    /// A note shown with every row of this mechanism (e.g. how a message is carried), if any.
    pub note: Option<&'static str>,
    /// Whether the throughput phase means anything (false for signals: latency only).
    pub has_throughput: bool,
    /// `Ok(())` if `size`-byte messages can run on this machine, else the note for the table
    /// (e.g. `"above unix-dgram limit (212960 bytes)"`): the scenario is skipped, not failed.
    /// Called in the parent before each scenario; may probe the kernel (and must clean up
    /// what it probes with).
    pub check: fn(usize) -> Result<(), String>,
    /// The implementation with ipckit's types.
    pub ipckit: &'static dyn Scenario,
    /// The raw libc twin.
    pub raw: &'static dyn Scenario,
}

impl Mechanism {
    /// The implementation `imp`.
    pub fn scenario(&self, imp: Impl) -> &'static dyn Scenario {
        match imp {
            Impl::Ipckit => self.ipckit,
            Impl::Raw => self.raw,
        }
    }
}

/// A size check that accepts every size (for [`Mechanism::check`]).
pub fn any_size(_size: usize) -> Result<(), String> {
    Ok(())
}
