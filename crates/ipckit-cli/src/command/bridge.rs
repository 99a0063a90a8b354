//! `ipckit bridge FROM TO`: forward every message received at FROM (listened on) to TO
//! (connected to), in order, one message for one message; reconnecting when either side
//! goes away and comes back. Also `ZenohArgs`, the `--zenoh-connect/--zenoh-listen/
//! --zenoh-config` flags that `send`, `recv` and `bridge` share.
//!
//! Counters (received, forwarded, dropped) go to stderr on SIGUSR1 and at exit, as one line
//! `ipckit bridge: received=R forwarded=F dropped=D`. SIGTERM, SIGINT or SIGHUP: the message
//! in hand is finished (forwarded, or given up after --give-up), the counters printed, exit 0.
//!
//! What is dropped, and counted: a message TO refuses for good (larger than TO carries, or
//! invalid for it), each with a warning. A message is otherwise held, never dropped, while TO
//! is reconnected (with backoff, 20 ms doubling to 2 s; one log line per outage). What the
//! bridge cannot see: what zenoh itself drops with `?congestion=drop`, and what was in
//! flight inside a peer process that was killed.

use std::process::ExitCode;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use ipckit::channel::{self, Address, ChannelOptions, Sender, DEFAULT_MAX_MESSAGE};
use ipckit::signal::{Signal, SignalSet};
use ipckit::ErrorKind;

use crate::parse::{parse_address, parse_secs};
use crate::present::address_help;

/// The zenoh endpoint flags of `send`, `recv` and `bridge` (for `zenoh:` addresses).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ZenohArgs {
    /// zenoh: endpoints to connect to, e.g. tcp/10.0.0.1:7447 (repeat or comma-separate);
    /// default: $IPCKIT_ZENOH_CONNECT, else zenoh's scouting of the local network.
    #[arg(long, value_name = "ENDPOINT", value_delimiter = ',')]
    pub zenoh_connect: Vec<String>,
    /// zenoh: endpoints to listen on, e.g. tcp/0.0.0.0:7447; default: $IPCKIT_ZENOH_LISTEN,
    /// else an ephemeral port on every interface.
    #[arg(long, value_name = "ENDPOINT", value_delimiter = ',')]
    pub zenoh_listen: Vec<String>,
    /// zenoh: a zenoh configuration file (JSON5); default: $IPCKIT_ZENOH_CONFIG.
    #[arg(long, value_name = "FILE")]
    pub zenoh_config: Option<std::path::PathBuf>,
}

impl ZenohArgs {
    /// `opts` with these endpoints.
    pub fn apply(&self, mut opts: ChannelOptions) -> ChannelOptions {
        if !self.zenoh_connect.is_empty() {
            opts = opts.with_zenoh_connect(self.zenoh_connect.iter().cloned());
        }
        if !self.zenoh_listen.is_empty() {
            opts = opts.with_zenoh_listen(self.zenoh_listen.iter().cloned());
        }
        if let Some(path) = &self.zenoh_config {
            opts = opts.with_zenoh_config(path);
        }
        opts
    }
}

/// Flags of `ipckit bridge`.
#[derive(Debug, clap::Args)]
#[command(after_help = address_help())]
pub struct BridgeArgs {
    /// Where messages come from: listened on (senders connect here; a zenoh: key is
    /// subscribed to, wildcards allowed).
    #[arg(value_name = "FROM", value_parser = parse_address)]
    pub from: Address,
    /// Where they go: connected to (a receiver listens there; a zenoh: key is published on).
    #[arg(value_name = "TO", value_parser = parse_address)]
    pub to: Address,
    /// The largest message, in bytes, received and sent.
    #[arg(long, value_name = "BYTES", value_parser = crate::parse::parse_size, default_value_t = DEFAULT_MAX_MESSAGE)]
    pub max_message: usize,
    /// Stop retrying one message after SECS seconds of TO being unreachable, count it as
    /// dropped and go on (default: hold it until TO is back).
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub give_up: Option<Duration>,
    /// The zenoh endpoints.
    #[command(flatten)]
    pub zenoh: ZenohArgs,
}

/// How long a wait lasts before the bridge looks at its signals again.
const SLICE: Duration = Duration::from_millis(100);
/// The first and the longest pause between two attempts to reach TO.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(20), Duration::from_secs(2));

/// The ending signal taken (0: none).
static ENDING: AtomicI32 = AtomicI32::new(0);
static RECEIVED: AtomicU64 = AtomicU64::new(0);
static FORWARDED: AtomicU64 = AtomicU64::new(0);
static DROPPED: AtomicU64 = AtomicU64::new(0);

fn counters() -> String {
    format!(
        "ipckit bridge: received={} forwarded={} dropped={}",
        RECEIVED.load(Ordering::SeqCst),
        FORWARDED.load(Ordering::SeqCst),
        DROPPED.load(Ordering::SeqCst)
    )
}

/// Blocks the bridge's signals and starts the thread that takes them: SIGUSR1 prints the
/// counters; the first ending signal is recorded, a second one ends the process at once.
fn watch_signals() -> anyhow::Result<()> {
    let set: SignalSet = [Signal::INT, Signal::TERM, Signal::HUP, Signal::USR1]
        .into_iter()
        .collect();
    std::mem::forget(ipckit::signal::block(&set)?);
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || loop {
            if let Ok(info) = ipckit::signal::wait(&set, None) {
                let n = info.signal().as_raw();
                if info.signal() == Signal::USR1 {
                    eprintln!("{}", counters());
                } else if ENDING.swap(n, Ordering::SeqCst) != 0 {
                    eprintln!("{}", counters());
                    std::process::exit(128 + n);
                }
            }
        })
        .context("spawn the signal thread")?;
    Ok(())
}

fn ending() -> bool {
    ENDING.load(Ordering::SeqCst) != 0
}

/// The connection to TO, made (again) when needed.
struct Out<'a> {
    to: &'a Address,
    opts: &'a ChannelOptions,
    tx: Option<Sender>,
    give_up: Option<Duration>,
}

impl Out<'_> {
    /// Forwards `msg`, reconnecting as needed. `Ok(true)`: forwarded; `Ok(false)`: dropped
    /// (refused by TO for good, or --give-up passed), with a warning.
    fn forward(&mut self, msg: &[u8]) -> anyhow::Result<bool> {
        let started = Instant::now();
        let mut pause = BACKOFF.0;
        let mut logged = false;
        loop {
            if self.tx.is_none() {
                match channel::connect_with(self.to, self.opts) {
                    Ok(tx) => {
                        if logged {
                            eprintln!("ipckit bridge: {} reached again", self.to);
                        }
                        self.tx = Some(tx);
                    }
                    Err(e) => {
                        if !logged {
                            eprintln!("ipckit bridge: {} unreachable, retrying: {e}", self.to);
                            logged = true;
                        }
                    }
                }
            }
            if let Some(tx) = &mut self.tx {
                match tx.send(msg) {
                    Ok(()) => return Ok(true),
                    Err(e) if matches!(e.kind(), ErrorKind::TooLarge | ErrorKind::InvalidInput) => {
                        eprintln!(
                            "ipckit bridge: dropped a message of {} bytes: {e}",
                            msg.len()
                        );
                        return Ok(false);
                    }
                    // zenoh: no subscriber yet; the publisher stays, the message waits.
                    Err(e) if e.kind() == ErrorKind::TimedOut => {
                        if !logged {
                            eprintln!("ipckit bridge: waiting for {}: {e}", self.to);
                            logged = true;
                        }
                        pause = BACKOFF.0;
                    }
                    Err(e) => {
                        eprintln!("ipckit bridge: {} lost, reconnecting: {e}", self.to);
                        logged = true;
                        self.tx = None;
                    }
                }
            }
            if self.give_up.is_some_and(|g| started.elapsed() >= g) {
                eprintln!(
                    "ipckit bridge: dropped a message of {} bytes: {} unreachable for {:?}",
                    msg.len(),
                    self.to,
                    self.give_up.unwrap_or_default()
                );
                return Ok(false);
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(BACKOFF.1);
        }
    }
}

/// Runs `ipckit bridge`.
pub fn run(args: BridgeArgs) -> anyhow::Result<ExitCode> {
    watch_signals()?;
    let opts = args
        .zenoh
        .apply(ChannelOptions::new().with_max_message(args.max_message));
    let mut listener = channel::listen_with(&args.from, &opts)
        .with_context(|| format!("bridge: listen on {}", args.from))?;
    eprintln!("ipckit bridge: {} -> {}", listener.address(), args.to);
    let mut out = Out {
        to: &args.to,
        opts: &opts,
        tx: None,
        give_up: args.give_up,
    };
    let mut buf = Vec::new();
    'accept: while !ending() {
        let mut rx = match listener.accept_timeout(SLICE) {
            Ok(rx) => rx,
            Err(e) if e.kind() == ErrorKind::TimedOut => continue,
            Err(e) => return Err(e).context("bridge: accept"),
        };
        while !ending() {
            match rx.recv_timeout(&mut buf, SLICE) {
                Ok(_) => {
                    RECEIVED.fetch_add(1, Ordering::SeqCst);
                    if out.forward(&buf)? {
                        FORWARDED.fetch_add(1, Ordering::SeqCst);
                    } else {
                        DROPPED.fetch_add(1, Ordering::SeqCst);
                    }
                }
                Err(e) if e.kind() == ErrorKind::TimedOut => {}
                Err(e) if e.kind() == ErrorKind::PeerGone => continue 'accept,
                Err(e) if e.kind() == ErrorKind::TooLarge && !args.from.is_byte_stream() => {
                    RECEIVED.fetch_add(1, Ordering::SeqCst);
                    DROPPED.fetch_add(1, Ordering::SeqCst);
                    eprintln!("ipckit bridge: dropped: {e}");
                }
                Err(e) => {
                    // A stream ending inside a message (the sender died writing it: that
                    // message never arrived whole), or a protocol error: this connection is
                    // done, the next one is accepted.
                    eprintln!("ipckit bridge: {} connection ended: {e}", args.from);
                    continue 'accept;
                }
            }
        }
    }
    eprintln!("{}", counters());
    Ok(ExitCode::SUCCESS)
}
