//! `ipckit bridge FROM TO [--both-ways [--back ADDR]]`: forward every message received at
//! FROM (listened on) to TO (connected to), in order, one message for one message;
//! reconnecting when either side goes away and comes back. With `--both-ways` also the
//! other way, in the same process (one thread per direction, one zenoh session). Also
//! `ZenohArgs`, the `--zenoh-connect/--zenoh-listen/--zenoh-config` flags that `send`,
//! `recv` and `bridge` share.
//!
//! Both ways: a `zenoh:` key is symmetric (one session may publish and subscribe on it), a
//! local address is not (one side listens, the other connects; a channel is one-way). So
//! the way back over a zenoh side uses the same key with `?locality=remote` (the bridge's
//! subscriber takes only other sessions' samples, so it never hears its own publications;
//! its publisher serves, and waits for, only other sessions' subscribers, so its own
//! subscriber does not count as the match that makes a `send` honest); the way back over a
//! local side needs a second local address, `--back`: where what comes back is delivered
//! (connected to; the local application listens there) when FROM is local, or where what
//! goes back is taken (listened on) when TO is local. One direction stalling (its TO
//! unreachable) does not stop the other: each has its own thread and holds only its own
//! message. What a stalled zenoh->local direction does not take backs up: its subscriber
//! queue (1024 samples) fills, then zenoh stops reading the link that brings them, which
//! holds the far publishers (congestion control `Block`: nothing dropped); the other
//! direction only writes to that link and goes on.
//!
//! Counters (received, forwarded, dropped) go to stderr on SIGUSR1 and at exit, as one line
//! `ipckit bridge: received=R forwarded=F dropped=D`; both ways, one line per direction,
//! `ipckit bridge: FROM -> TO: received=R forwarded=F dropped=D`. SIGTERM, SIGINT or SIGHUP:
//! each direction finishes the message in hand (forwarded; or, its TO unreachable, dropped
//! with a warning and counted, rather than held), the counters are printed, exit 0; a
//! second signal ends the process at once (exit 128+N, counters printed).
//!
//! What is dropped, and counted: a message TO refuses for good (larger than TO carries, or
//! invalid for it), each with a warning; one held past --give-up; one held when the bridge
//! is told to end. A message is otherwise held, never dropped, while TO is reconnected (with
//! backoff, 20 ms doubling to 2 s; one log line per outage). What the bridge cannot see:
//! what zenoh itself drops with `?congestion=drop`, and what was in flight inside a peer
//! process that was killed.

use std::process::ExitCode;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use ipckit::channel::{
    self, Address, ChannelOptions, Listener, Sender, ZenohLocality, DEFAULT_MAX_MESSAGE,
};
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
#[command(after_help = bridge_help())]
pub struct BridgeArgs {
    /// Where messages come from: listened on (senders connect here; a zenoh: key is
    /// subscribed to, wildcards allowed one way).
    #[arg(value_name = "FROM", value_parser = parse_address)]
    pub from: Address,
    /// Where they go: connected to (a receiver listens there; a zenoh: key is published on).
    #[arg(value_name = "TO", value_parser = parse_address)]
    pub to: Address,
    /// Forward TO -> FROM as well, in this process. A zenoh: side carries both ways on its
    /// one key (with ?locality=remote: the bridge never hears itself); a local side needs
    /// --back for the way back. FROM and TO not both local.
    #[arg(long)]
    pub both_ways: bool,
    /// With --both-ways, the local address of the way back: when FROM is local, where what
    /// comes back from TO is delivered (connected to: the application listens there); when
    /// TO is local, where what goes back to FROM is taken (listened on).
    #[arg(long, value_name = "ADDR", value_parser = parse_address)]
    pub back: Option<Address>,
    /// The largest message, in bytes, received and sent.
    #[arg(long, value_name = "BYTES", value_parser = crate::parse::parse_size, default_value_t = DEFAULT_MAX_MESSAGE)]
    pub max_message: usize,
    /// Stop retrying one message after SECS seconds of TO being unreachable, count it as
    /// dropped and go on (default: hold it until TO is back). Per direction.
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub give_up: Option<Duration>,
    /// The zenoh endpoints.
    #[command(flatten)]
    pub zenoh: ZenohArgs,
}

fn bridge_help() -> String {
    format!(
        "Both ways (a request/reply path between two hosts):\n  \
         host A: ipckit bridge unix:@req zenoh:robot/rpc --both-ways --back unix:@rep\n  \
         host B: ipckit bridge zenoh:robot/rpc unix:@srv-in --both-ways --back unix:@srv-out\n\
         A's application sends to unix:@req and listens on unix:@rep; B's server listens on \
         unix:@srv-in and sends its replies to unix:@srv-out.\n\n{}",
        address_help()
    )
}

/// How long a wait lasts before the bridge looks at its signals again.
const SLICE: Duration = Duration::from_millis(100);
/// The first and the longest pause between two attempts to reach TO.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(20), Duration::from_secs(2));
/// How long one `send` to a zenoh: TO waits for a subscriber before the bridge looks at its
/// signals (and --give-up) again; the message is held and tried again, never lost.
const MATCH_SLICE: Duration = Duration::from_millis(500);

/// The ending signal taken (0: none).
static ENDING: AtomicI32 = AtomicI32::new(0);

/// One direction's counters.
#[derive(Debug, Default)]
struct Counters {
    received: AtomicU64,
    forwarded: AtomicU64,
    dropped: AtomicU64,
}

/// One direction: listened on `from`, connected to `to`.
#[derive(Debug)]
struct Direction {
    from: Address,
    to: Address,
    counters: Counters,
}

impl Direction {
    fn new(from: Address, to: Address) -> Direction {
        Direction {
            from,
            to,
            counters: Counters::default(),
        }
    }

    fn counted(&self) -> String {
        let c = &self.counters;
        format!(
            "received={} forwarded={} dropped={}",
            c.received.load(Ordering::SeqCst),
            c.forwarded.load(Ordering::SeqCst),
            c.dropped.load(Ordering::SeqCst)
        )
    }
}

/// The bridge's directions (one, or two with --both-ways), set once before any signal is
/// taken.
static DIRECTIONS: OnceLock<Vec<Direction>> = OnceLock::new();

fn counters() -> String {
    match DIRECTIONS.get().map(Vec::as_slice) {
        None | Some([]) => "ipckit bridge: received=0 forwarded=0 dropped=0".into(),
        Some([one]) => format!("ipckit bridge: {}", one.counted()),
        Some(all) => all
            .iter()
            .map(|d| format!("ipckit bridge: {} -> {}: {}", d.from, d.to, d.counted()))
            .collect::<Vec<_>>()
            .join("\n"),
    }
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

fn is_zenoh(a: &Address) -> bool {
    matches!(a, Address::Zenoh { .. })
}

/// `a` with `?locality=remote` if it is a zenoh: key.
fn remote(a: &Address) -> Address {
    let mut a = a.clone();
    if let Address::Zenoh { locality, .. } = &mut a {
        *locality = ZenohLocality::Remote;
    }
    a
}

/// The directions the flags ask for, as (listened on, connected to); or why they do not
/// make sense.
fn plan(
    from: &Address,
    to: &Address,
    both_ways: bool,
    back: Option<&Address>,
) -> anyhow::Result<Vec<(Address, Address)>> {
    if !both_ways {
        if let Some(back) = back {
            anyhow::bail!(
                "bridge: --back {back} is the way back of --both-ways, which is not given \
                 (bridge {from} -> {to} is one-way)"
            );
        }
        return Ok(vec![(from.clone(), to.clone())]);
    }
    for side in [from, to] {
        if let Address::Zenoh { key, .. } = side {
            if key.contains('*') {
                anyhow::bail!(
                    "bridge --both-ways {from} {to}: {side} has a wildcard, but the way \
                     back publishes there, on one key (wildcards only one way)"
                );
            }
        }
    }
    match (is_zenoh(from), is_zenoh(to), back) {
        (false, false, _) => anyhow::bail!(
            "bridge --both-ways {from} {to}: both sides are local, and a local address \
             carries one direction; the way back needs two more addresses: run a second \
             `ipckit bridge` for it (--both-ways needs a zenoh: side)"
        ),
        (true, true, Some(back)) => anyhow::bail!(
            "bridge --both-ways {from} {to}: --back {back} names the local side's way back, \
             but both sides are zenoh: keys, which carry both ways (leave --back out)"
        ),
        (true, true, None) => {
            let (f, t) = (remote(from), remote(to));
            if let (Address::Zenoh { key: a, .. }, Address::Zenoh { key: b, .. }) = (&f, &t) {
                if a == b {
                    anyhow::bail!(
                        "bridge --both-ways {from} {to}: one key on both sides: the bridge \
                         would forward every sample back where it came from"
                    );
                }
            }
            Ok(vec![(f.clone(), t.clone()), (t, f)])
        }
        (false, true, None) | (true, false, None) => {
            let (local, flag_for) = if is_zenoh(to) {
                (from, "FROM")
            } else {
                (to, "TO")
            };
            anyhow::bail!(
                "bridge --both-ways {from} {to}: {flag_for} {local} is local and carries one \
                 direction; give the way back its own local address with --back ADDR \
                 ({})",
                if is_zenoh(to) {
                    "where what comes back is delivered: the bridge connects there"
                } else {
                    "where what goes back is taken: the bridge listens there"
                }
            )
        }
        (_, _, Some(back)) if is_zenoh(back) => anyhow::bail!(
            "bridge --both-ways {from} {to}: --back {back} is a zenoh: key; --back names the \
             local side's way back (a local address); the zenoh: side carries both ways"
        ),
        (_, _, Some(back)) if back == from || back == to => anyhow::bail!(
            "bridge --both-ways {from} {to}: --back {back} is one of the two sides; the way \
             back needs an address of its own"
        ),
        // FROM local, TO zenoh: FROM -> TO, and TO -> BACK.
        (false, true, Some(back)) => {
            let t = remote(to);
            Ok(vec![(from.clone(), t.clone()), (t, back.clone())])
        }
        // FROM zenoh, TO local: FROM -> TO, and BACK -> FROM.
        (true, false, Some(back)) => {
            let f = remote(from);
            Ok(vec![(f.clone(), to.clone()), (back.clone(), f)])
        }
    }
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
    /// (refused by TO for good, --give-up passed, or the bridge told to end while TO is
    /// unreachable), with a warning.
    fn forward(&mut self, msg: &[u8]) -> bool {
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
                    Ok(()) => return true,
                    Err(e) if matches!(e.kind(), ErrorKind::TooLarge | ErrorKind::InvalidInput) => {
                        eprintln!(
                            "ipckit bridge: dropped a message of {} bytes: {e}",
                            msg.len()
                        );
                        return false;
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
            if ending() {
                eprintln!(
                    "ipckit bridge: dropped a message of {} bytes: ending while {} is \
                     unreachable",
                    msg.len(),
                    self.to
                );
                return false;
            }
            if self.give_up.is_some_and(|g| started.elapsed() >= g) {
                eprintln!(
                    "ipckit bridge: dropped a message of {} bytes: {} unreachable for {:?}",
                    msg.len(),
                    self.to,
                    self.give_up.unwrap_or_default()
                );
                return false;
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(BACKOFF.1);
        }
    }
}

/// Forwards one direction until the bridge is told to end.
fn pump(
    dir: &Direction,
    mut listener: Listener,
    opts: &ChannelOptions,
    give_up: Option<Duration>,
) -> anyhow::Result<()> {
    let c = &dir.counters;
    let mut out = Out {
        to: &dir.to,
        opts,
        tx: None,
        give_up,
    };
    let mut buf = Vec::new();
    'accept: while !ending() {
        let mut rx = match listener.accept_timeout(SLICE) {
            Ok(rx) => rx,
            Err(e) if e.kind() == ErrorKind::TimedOut => continue,
            Err(e) => return Err(e).with_context(|| format!("bridge: accept on {}", dir.from)),
        };
        while !ending() {
            match rx.recv_timeout(&mut buf, SLICE) {
                Ok(_) => {
                    c.received.fetch_add(1, Ordering::SeqCst);
                    if out.forward(&buf) {
                        c.forwarded.fetch_add(1, Ordering::SeqCst);
                    } else {
                        c.dropped.fetch_add(1, Ordering::SeqCst);
                    }
                }
                Err(e) if e.kind() == ErrorKind::TimedOut => {}
                Err(e) if e.kind() == ErrorKind::PeerGone => continue 'accept,
                Err(e) if e.kind() == ErrorKind::TooLarge && !dir.from.is_byte_stream() => {
                    c.received.fetch_add(1, Ordering::SeqCst);
                    c.dropped.fetch_add(1, Ordering::SeqCst);
                    eprintln!("ipckit bridge: dropped: {e}");
                }
                Err(e) => {
                    // A stream ending inside a message (the sender died writing it: that
                    // message never arrived whole), or a protocol error: this connection is
                    // done, the next one is accepted.
                    eprintln!("ipckit bridge: {} connection ended: {e}", dir.from);
                    continue 'accept;
                }
            }
        }
    }
    Ok(())
}

/// Runs `ipckit bridge`.
pub fn run(args: BridgeArgs) -> anyhow::Result<ExitCode> {
    let planned = plan(&args.from, &args.to, args.both_ways, args.back.as_ref())?;
    // First: the mask is inherited by every thread started later (zenoh's too).
    watch_signals()?;
    let opts = args.zenoh.apply(
        ChannelOptions::new()
            .with_max_message(args.max_message)
            .with_zenoh_match_timeout(MATCH_SLICE),
    );
    let mut listeners = Vec::new();
    let mut dirs = Vec::new();
    for (from, to) in planned {
        let listener = channel::listen_with(&from, &opts)
            .with_context(|| format!("bridge: listen on {from}"))?;
        // The address actually listened on (a TCP port 0 resolved).
        dirs.push(Direction::new(listener.address().clone(), to));
        listeners.push(listener);
    }
    let dirs = DIRECTIONS.get_or_init(|| dirs);
    eprintln!(
        "ipckit bridge: {}",
        dirs.iter()
            .map(|d| format!("{} -> {}", d.from, d.to))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let result = std::thread::scope(|scope| {
        let threads: Vec<_> = dirs
            .iter()
            .zip(listeners)
            .map(|(dir, listener)| {
                let opts = &opts;
                scope.spawn(move || {
                    let r = pump(dir, listener, opts, args.give_up);
                    if r.is_err() {
                        // One direction failed for good: the bridge ends, the other too.
                        ENDING
                            .compare_exchange(0, -1, Ordering::SeqCst, Ordering::SeqCst)
                            .ok();
                    }
                    r
                })
            })
            .collect();
        let mut first = Ok(());
        for t in threads {
            let r = t
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("bridge: a direction panicked")));
            if first.is_ok() {
                first = r;
            }
        }
        first
    });
    eprintln!("{}", counters());
    result.map(|()| ExitCode::SUCCESS)
}
