//! `ipckit bench`: latency and throughput of every mechanism between two real processes.
//!
//! For each mechanism ([`mech::all`]), message size and implementation (ipckit, then its raw
//! libc twin in [`raw`]) the harness:
//!
//! - starts the peer by re-executing this binary (`ipckit __bench-peer ...`), parent pinned
//!   to one CPU and peer to another when the machine has two;
//! - latency: after a warm-up, sends a message and waits for the peer's echo, over and over
//!   for a time budget (capped in count), recording each round trip in an HDR histogram;
//!   every echo is checked against what was sent;
//! - throughput: streams messages one way for a time budget; the peer checks the sequence
//!   number and checksum of each ([`verify`]) and reports count and time;
//! - tabulates p50/p99/p99.9/max round trip, MB/s (10^6 bytes/s) and msg/s, and the ratio
//!   ipckit/raw; writes JSON and CSV on request.
//!
//! A lost, reordered or corrupted message makes the row FAILED and the exit status non-zero.
//! The wire protocol between parent and peer is described in [`mech`].

pub mod mech;
pub mod raw;
mod report;
pub mod verify;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use hdrhistogram::Histogram;

use mech::{Endpoint, Impl, Mechanism, Scenario};
use verify::Pattern;

/// Flags of `ipckit bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Only these mechanisms (comma-separated names; `--list` shows them).
    #[arg(long, value_name = "MECH,...", value_delimiter = ',')]
    pub only: Vec<String>,

    /// Message sizes in bytes, comma-separated; K and M suffixes are KiB and MiB.
    #[arg(
        long,
        value_name = "SIZE,...",
        value_delimiter = ',',
        value_parser = parse_size,
        default_value = "64,4K,64K,1M"
    )]
    pub sizes: Vec<usize>,

    /// Tiny budgets (a few hundred messages per scenario): checks that everything runs and
    /// verifies, for tests; the numbers mean little.
    #[arg(long)]
    pub quick: bool,

    /// Time budget of each phase (latency, throughput) of each scenario, in milliseconds,
    /// shared by its rounds [default: 120 latency + 150 throughput; 15 with --quick].
    #[arg(long, value_name = "MS")]
    pub duration: Option<u64>,

    /// Cap on round trips (latency) and messages (throughput) per scenario, shared by its
    /// rounds [default: 200000 and 2000000; 300 with --quick].
    #[arg(long, value_name = "N")]
    pub iterations: Option<u64>,

    /// Rounds per scenario, each with a fresh peer, ipckit and raw alternating (ABBA...) so
    /// that a burst of load elsewhere hits both alike; latency histograms are merged,
    /// throughput is the best round [default: 3; 1 with --quick].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub rounds: Option<u32>,

    /// Write the rows as a JSON array to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Write the rows as CSV to FILE.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,

    /// List the mechanisms and exit.
    #[arg(long)]
    pub list: bool,
}

/// Flags of the hidden `ipckit __bench-peer`: the peer side of one scenario.
#[derive(Debug, clap::Args)]
pub struct PeerArgs {
    /// Mechanism name.
    #[arg(long)]
    pub mech: String,
    /// Implementation.
    #[arg(long = "impl", value_enum)]
    pub imp: Impl,
    /// Message size in bytes.
    #[arg(long)]
    pub size: usize,
    /// The run's private directory.
    #[arg(long)]
    pub dir: PathBuf,
    /// Scenario number.
    #[arg(long)]
    pub id: u32,
    /// The parent's pid.
    #[arg(long)]
    pub parent: u32,
    /// CPU to pin to.
    #[arg(long)]
    pub cpu: Option<usize>,
    /// The mechanism's own arguments (see `Setup::args`).
    #[arg(last = true)]
    pub args: Vec<String>,
}

/// Parses `64`, `4K`, `64k`, `1M`, `4KiB`: bytes, K = 1024, M = 1024².
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let lower = lower
        .strip_suffix("ib")
        .or_else(|| lower.strip_suffix('b'))
        .unwrap_or(&lower);
    let (num, mult) = if let Some(n) = lower.strip_suffix('k') {
        (n, 1usize << 10)
    } else if let Some(n) = lower.strip_suffix('m') {
        (n, 1usize << 20)
    } else {
        (lower, 1)
    };
    let n: usize = num
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a size (e.g. 64, 4K, 1M)"))?;
    let bytes = n
        .checked_mul(mult)
        .ok_or_else(|| format!("{s:?} is too large"))?;
    if bytes == 0 {
        return Err("a message size must be at least 1 byte".into());
    }
    if bytes > raw::stream::MAX_FRAME {
        return Err(format!(
            "{s:?} is above the benchmark's maximum message of {} bytes",
            raw::stream::MAX_FRAME
        ));
    }
    Ok(bytes)
}

/// How long and how many per phase.
#[derive(Debug, Clone, Copy)]
struct Budget {
    rounds: u32,
    warmup: Duration,
    warmup_max: u64,
    latency: Duration,
    latency_max: u64,
    throughput: Duration,
    throughput_max: u64,
}

impl Budget {
    fn from_args(a: &BenchArgs) -> Budget {
        let mut b = if a.quick {
            Budget {
                rounds: 1,
                warmup: Duration::from_millis(2),
                warmup_max: 20,
                latency: Duration::from_millis(15),
                latency_max: 300,
                throughput: Duration::from_millis(15),
                throughput_max: 300,
            }
        } else {
            Budget {
                rounds: 3,
                warmup: Duration::from_millis(10),
                warmup_max: 1_000,
                latency: Duration::from_millis(120),
                latency_max: 200_000,
                throughput: Duration::from_millis(150),
                throughput_max: 2_000_000,
            }
        };
        if let Some(ms) = a.duration {
            b.latency = Duration::from_millis(ms);
            b.throughput = Duration::from_millis(ms);
        }
        if let Some(n) = a.iterations {
            b.latency_max = n.max(1);
            b.throughput_max = n.max(2);
        }
        if let Some(r) = a.rounds {
            b.rounds = r;
        }
        b
    }

    /// The budget of one round: the time and caps divided among the rounds (the warm-up is
    /// per round).
    fn per_round(&self) -> Budget {
        let r = self.rounds.max(1);
        Budget {
            rounds: 1,
            warmup: self.warmup,
            warmup_max: self.warmup_max,
            latency: self.latency / r,
            latency_max: (self.latency_max / u64::from(r)).max(1),
            throughput: self.throughput / r,
            throughput_max: (self.throughput_max / u64::from(r)).max(2),
        }
    }

    /// How long a scenario may take before the watchdog declares it hung.
    fn hang_limit(&self) -> Duration {
        Duration::from_secs(20) + 4 * (self.warmup + self.latency + self.throughput)
    }
}

/// The end-of-phase marker: a message shorter than the data (longer for 1-byte data).
pub fn end_marker(size: usize) -> &'static [u8] {
    if size == 1 {
        &[0xEE, 0xEE]
    } else {
        &[0xEE]
    }
}

fn is_end(msg: &[u8], size: usize) -> bool {
    msg.len() != size && msg == end_marker(size)
}

/// Round-trip latency of one scenario, in nanoseconds.
#[derive(Debug, Clone)]
pub struct Latency {
    /// Every measured round trip.
    pub hist: Histogram<u64>,
    /// Median round trip.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Slowest round trip.
    pub max: u64,
    /// Fastest round trip.
    pub min: u64,
    /// Round trips measured (after the warm-up).
    pub iterations: u64,
    /// CPU time of both processes over the whole phase (warm-up included), nanoseconds.
    pub cpu_ns: u64,
    /// Round trips over the whole phase (warm-up included).
    pub round_trips: u64,
}

impl Latency {
    fn from_hist(hist: Histogram<u64>) -> Latency {
        Latency {
            cpu_ns: 0,
            round_trips: 0,
            p50: hist.value_at_quantile(0.50),
            p99: hist.value_at_quantile(0.99),
            p999: hist.value_at_quantile(0.999),
            max: hist.max(),
            min: hist.min(),
            iterations: hist.len(),
            hist,
        }
    }

    fn merge(mut self, other: &Latency) -> Latency {
        // Both histograms have the same bounds, so adding cannot fail.
        let _ = self.hist.add(&other.hist);
        Latency {
            cpu_ns: self.cpu_ns + other.cpu_ns,
            round_trips: self.round_trips + other.round_trips,
            ..Latency::from_hist(self.hist)
        }
    }

    /// CPU time of both processes per round trip, nanoseconds.
    pub fn cpu_per_round_trip(&self) -> Option<f64> {
        (self.round_trips > 0).then(|| self.cpu_ns as f64 / self.round_trips as f64)
    }
}

/// One-way throughput of one scenario.
#[derive(Debug, Clone)]
pub struct Throughput {
    /// Megabytes (10^6 bytes) of message payload per second.
    pub mb_per_s: f64,
    /// Messages per second.
    pub msgs_per_s: f64,
    /// Messages received and verified.
    pub messages: u64,
    /// CPU time of the sender and the receiver over their loops, nanoseconds (summed over
    /// rounds, like `cpu_messages`).
    pub cpu_ns: u64,
    /// Messages the CPU time was spent on.
    pub cpu_messages: u64,
}

impl Throughput {
    /// CPU time of sender plus receiver per message, nanoseconds.
    pub fn cpu_per_msg(&self) -> Option<f64> {
        (self.cpu_messages > 0).then(|| self.cpu_ns as f64 / self.cpu_messages as f64)
    }
}

/// CPU time this thread has used (`CLOCK_THREAD_CPUTIME_ID`), nanoseconds; 0 if unknown.
fn thread_cpu_ns() -> u64 {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID).map_or(0, |t| {
        (t.tv_sec() as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(t.tv_nsec() as u64)
    })
}

/// The outcome of one (mechanism, size, implementation).
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Mechanism name.
    pub mechanism: &'static str,
    /// ipckit or raw.
    pub imp: Impl,
    /// Message size in bytes.
    pub size: usize,
    /// Latency figures, if measured.
    pub latency: Option<Latency>,
    /// Throughput figures, if measured.
    pub throughput: Option<Throughput>,
    /// Every message arrived, in order, intact.
    pub verified: bool,
    /// Skipped (not run) with this reason: not a failure.
    pub skipped: Option<String>,
    /// What went wrong (a verification mismatch or an error).
    pub error: Option<String>,
    /// A note for the table.
    pub note: Option<String>,
}

/// Runs the benchmark.
pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    if args.list {
        let mut out = std::io::stdout().lock();
        for m in mech::all() {
            writeln!(out, "{:<16} {}", m.name(), m.about())?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mechs = select(&args.only)?;
    let budget = Budget::from_args(&args);
    let machine = report::Machine::detect();
    let cpus = pick_cpus();
    if let Some((parent_cpu, _)) = cpus {
        pin(parent_cpu).context("sched_setaffinity (pinning the benchmark to one CPU)")?;
    }
    let dir = RunDir::create()?;
    // Before any thread or peer starts, so that all of them inherit the mask.
    mech::signal::block_for_run()?;
    let watchdog = Watchdog::start(dir.path.clone());
    let rounds = budget.rounds.max(1);
    let round_budget = budget.per_round();
    let mut progress = report::Progress::new(mechs.len() * args.sizes.len() * 2 * rounds as usize);

    let mut outcomes = Vec::new();
    let mut id = 0u32;
    for m in &mechs {
        for &size in &args.sizes {
            // [ipckit, raw], merged over the rounds.
            let mut acc: [Option<Outcome>; 2] = [None, None];
            for round in 0..rounds {
                let order = if round % 2 == 0 {
                    [Impl::Ipckit, Impl::Raw]
                } else {
                    [Impl::Raw, Impl::Ipckit]
                };
                for imp in order {
                    let slot = &mut acc[usize::from(imp == Impl::Raw)];
                    progress.step(m.name(), size, imp);
                    if slot.as_ref().is_some_and(|o| o.skipped.is_some()) {
                        continue;
                    }
                    id += 1;
                    let sc = Scenario {
                        imp,
                        size,
                        dir: dir.path.clone(),
                        id,
                        parent: std::process::id(),
                    };
                    let o = match m.check(imp, size) {
                        Err(why) => Outcome::skipped(*m, imp, size, why),
                        Ok(()) => {
                            run_scenario(*m, &sc, &round_budget, cpus.map(|c| c.1), &watchdog)
                        }
                    };
                    *slot = Some(match slot.take() {
                        None => o,
                        Some(prev) => prev.merge(o),
                    });
                }
            }
            for o in acc.into_iter().flatten() {
                let mut o = o;
                if o.note.is_none() {
                    o.note = m.note().map(String::from);
                }
                outcomes.push(o);
            }
        }
    }
    progress.done();
    drop(watchdog);
    drop(dir);

    let rows = report::rows(&outcomes);
    let mut out = std::io::stdout().lock();
    report::table(&mut out, &machine, cpus, &budget_text(&budget), &rows)?;
    out.flush()?;
    if let Some(path) = &args.json {
        report::write_json(path, &rows)?;
    }
    if let Some(path) = &args.csv {
        report::write_csv(path, &rows)?;
    }
    let failed = outcomes
        .iter()
        .filter(|o| o.skipped.is_none() && !o.verified)
        .count();
    if failed > 0 {
        eprintln!("ipckit: bench: {failed} scenario(s) FAILED (see the table)");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn budget_text(b: &Budget) -> String {
    let r = b.per_round();
    format!(
        "method: {} round(s) per scenario, each with a fresh peer, ipckit and raw alternating; latency merged over the rounds, throughput the best round\n\
         each round: latency warm-up {} ms, then up to {} ms or {} round trips; throughput up to {} ms or {} messages",
        b.rounds,
        r.warmup.as_millis(),
        r.latency.as_millis(),
        r.latency_max,
        r.throughput.as_millis(),
        r.throughput_max
    )
}

/// The mechanisms named by `--only` (all when empty).
fn select(only: &[String]) -> anyhow::Result<Vec<&'static dyn Mechanism>> {
    if only.is_empty() {
        return Ok(mech::all().to_vec());
    }
    let mut out: Vec<&'static dyn Mechanism> = Vec::new();
    for name in only {
        let name = name.trim();
        match mech::by_name(name) {
            Some(m) => {
                if !out.iter().any(|o| o.name() == m.name()) {
                    out.push(m)
                }
            }
            None => {
                let known: Vec<&str> = mech::all().iter().map(|m| m.name()).collect();
                bail!(
                    "bench --only {name}: unknown mechanism; known: {}",
                    known.join(", ")
                );
            }
        }
    }
    Ok(out)
}

impl Outcome {
    fn new(m: &dyn Mechanism, imp: Impl, size: usize) -> Outcome {
        Outcome {
            mechanism: m.name(),
            imp,
            size,
            latency: None,
            throughput: None,
            verified: false,
            skipped: None,
            error: None,
            note: None,
        }
    }

    /// This outcome and a later round's of the same scenario as one: a failure in either
    /// fails both; latency histograms add up; throughput is the better round's.
    fn merge(self, next: Outcome) -> Outcome {
        if !self.verified {
            return self;
        }
        if !next.verified {
            return next;
        }
        let latency = match (self.latency, &next.latency) {
            (Some(a), Some(b)) => Some(a.merge(b)),
            (a, b) => a.or_else(|| b.clone()),
        };
        let throughput = match (self.throughput, next.throughput) {
            (Some(a), Some(b)) => Some(Throughput {
                messages: a.messages + b.messages,
                cpu_ns: a.cpu_ns + b.cpu_ns,
                cpu_messages: a.cpu_messages + b.cpu_messages,
                ..if b.msgs_per_s > a.msgs_per_s { b } else { a }
            }),
            (a, b) => a.or(b),
        };
        Outcome {
            latency,
            throughput,
            ..self
        }
    }

    fn skipped(m: &dyn Mechanism, imp: Impl, size: usize, why: String) -> Outcome {
        let mut o = Outcome::new(m, imp, size);
        o.skipped = Some(why);
        o
    }
}

/// The first two CPUs this process may run on: (parent, peer); `None` with fewer than two.
fn pick_cpus() -> Option<(usize, usize)> {
    let set = nix::sched::sched_getaffinity(nix::unistd::Pid::from_raw(0)).ok()?;
    let mut it = (0..nix::sched::CpuSet::count()).filter(|&i| set.is_set(i).unwrap_or(false));
    Some((it.next()?, it.next()?))
}

fn pin(cpu: usize) -> nix::Result<()> {
    let mut set = nix::sched::CpuSet::new();
    set.set(cpu)?;
    nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(0), &set)
}

/// The run's private directory for paths (FIFOs, socket files), removed on drop.
struct RunDir {
    path: PathBuf,
}

impl RunDir {
    fn create() -> anyhow::Result<RunDir> {
        use std::os::unix::fs::DirBuilderExt;
        let path = std::env::temp_dir().join(format!("ipckit-bench-{}", std::process::id()));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .with_context(|| format!("mkdir {}", path.display()))?;
        Ok(RunDir { path })
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// What the watchdog watches: the peer of the running scenario.
struct Armed {
    pid: i32,
    what: String,
    deadline: Instant,
    stderr: PathBuf,
    exited_at: Option<Instant>,
}

/// Kills a scenario that hangs (its peer died while the parent waits in `accept`, or a
/// mechanism deadlocks) and ends the run with an error instead of hanging forever.
struct Watchdog {
    armed: Arc<Mutex<Option<Armed>>>,
}

impl Watchdog {
    fn start(dir: PathBuf) -> Watchdog {
        let armed: Arc<Mutex<Option<Armed>>> = Arc::new(Mutex::new(None));
        let a = Arc::clone(&armed);
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_millis(100));
            let mut g = match a.lock() {
                Ok(g) => g,
                Err(_) => return,
            };
            let Some(w) = g.as_mut() else { continue };
            let now = Instant::now();
            if w.exited_at.is_none() && peer_exited(w.pid) {
                w.exited_at = Some(now);
            }
            let hung_after_exit = w
                .exited_at
                .is_some_and(|t| now.duration_since(t) > Duration::from_secs(3));
            if now > w.deadline || hung_after_exit {
                let why = if hung_after_exit {
                    "its peer exited and the parent is still waiting"
                } else {
                    "it did not finish in time"
                };
                let peer_err = std::fs::read_to_string(&w.stderr).unwrap_or_default();
                eprintln!(
                    "\nipckit: bench {}: stopped because {why}; peer said: {}",
                    w.what,
                    peer_err.trim()
                );
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(w.pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
                let _ = std::fs::remove_dir_all(&dir);
                std::process::exit(2);
            }
        });
        Watchdog { armed }
    }

    fn arm(&self, pid: u32, what: String, limit: Duration, stderr: PathBuf) {
        if let Ok(mut g) = self.armed.lock() {
            *g = Some(Armed {
                pid: pid as i32,
                what,
                deadline: Instant::now() + limit,
                stderr,
                exited_at: None,
            });
        }
    }

    fn disarm(&self) {
        if let Ok(mut g) = self.armed.lock() {
            *g = None;
        }
    }
}

/// Whether `pid` (our child, not yet reaped) has exited: a zombie in `/proc/PID/stat`.
fn peer_exited(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => s
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
        Err(_) => true,
    }
}

/// The peer process of one scenario.
struct PeerProc {
    child: Child,
    out: BufReader<ChildStdout>,
    stderr: PathBuf,
}

impl PeerProc {
    fn line(&mut self) -> anyhow::Result<String> {
        let mut l = String::new();
        self.out
            .read_line(&mut l)
            .context("reading the peer's report")?;
        if l.is_empty() {
            bail!("the peer ended early: {}", self.stderr_text());
        }
        Ok(l.trim_end().to_string())
    }

    fn stderr_text(&self) -> String {
        let s = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        let s = s.trim();
        if s.is_empty() {
            "(nothing on stderr)".into()
        } else {
            s.to_string()
        }
    }

    /// Waits for the peer; an error if it failed.
    fn finish(mut self) -> anyhow::Result<()> {
        let st = self.child.wait().context("waitpid (bench peer)")?;
        let _ = std::fs::remove_file(&self.stderr);
        if !st.success() {
            bail!("the peer failed ({st})");
        }
        Ok(())
    }

    fn kill(mut self) -> String {
        let text = self.stderr_text();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.stderr);
        text
    }
}

fn spawn_peer(
    m: &dyn Mechanism,
    sc: &Scenario,
    cpu: Option<usize>,
    setup_args: &[String],
    inherit: &[std::os::fd::OwnedFd],
    hook: Option<mech::CommandHook>,
) -> anyhow::Result<PeerProc> {
    use nix::fcntl::{fcntl, FcntlArg, FdFlag};
    for fd in inherit {
        fcntl(fd, FcntlArg::F_SETFD(FdFlag::empty())).context("fcntl F_SETFD (hand-over fd)")?;
    }
    let exe = std::env::current_exe().context("current_exe (to start the bench peer)")?;
    let stderr_path = sc.path("peer-stderr");
    let stderr = std::fs::File::create(&stderr_path)
        .with_context(|| format!("create {}", stderr_path.display()))?;
    let mut cmd = Command::new(exe);
    cmd.arg("__bench-peer")
        .args(["--mech", m.name()])
        .args(["--impl", sc.imp.as_str()])
        .args(["--size", &sc.size.to_string()])
        .arg("--dir")
        .arg(&sc.dir)
        .args(["--id", &sc.id.to_string()])
        .args(["--parent", &sc.parent.to_string()]);
    if let Some(c) = cpu {
        cmd.args(["--cpu", &c.to_string()]);
    }
    cmd.arg("--").args(setup_args);
    if let Some(hook) = hook {
        let more = hook(&mut cmd).context("handing objects to the peer")?;
        cmd.args(more);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr);
    let child = cmd.spawn().context("spawn the bench peer")?;
    let mut child = child;
    let out = BufReader::new(child.stdout.take().context("peer stdout")?);
    Ok(PeerProc {
        child,
        out,
        stderr: stderr_path,
    })
}

fn run_scenario(
    m: &dyn Mechanism,
    sc: &Scenario,
    budget: &Budget,
    peer_cpu: Option<usize>,
    watchdog: &Watchdog,
) -> Outcome {
    let mut o = Outcome::new(m, sc.imp, sc.size);
    let setup = match m.setup(sc) {
        Ok(s) => s,
        Err(e) => {
            o.error = Some(format!("setup: {e:#}"));
            return o;
        }
    };
    let peer = spawn_peer(m, sc, peer_cpu, &setup.args, &setup.inherit, setup.command);
    drop(setup.inherit);
    let mut peer = match peer {
        Ok(p) => p,
        Err(e) => {
            o.error = Some(format!("{e:#}"));
            return o;
        }
    };
    watchdog.arm(
        peer.child.id(),
        format!("{} {} {} B", m.name(), sc.imp.as_str(), sc.size),
        budget.hang_limit(),
        peer.stderr.clone(),
    );
    let result = (|| -> anyhow::Result<()> {
        let mut ep = (setup.connect)().context("connect")?;
        let ready = peer.line()?;
        if ready != "ready" {
            bail!("the peer said {ready:?} instead of ready");
        }
        let pattern = Pattern::new(sc.size);
        let cpu0 = thread_cpu_ns();
        match latency(&mut *ep, &pattern, budget) {
            Ok(mut l) => {
                let mine = thread_cpu_ns().saturating_sub(cpu0);
                let line = peer.line()?;
                match line.split(' ').collect::<Vec<_>>().as_slice() {
                    ["lat", n, cpu] => {
                        l.round_trips = n.parse()?;
                        l.cpu_ns = mine + cpu.parse::<u64>()?;
                    }
                    _ => bail!("the peer's report {line:?} is not `lat COUNT CPU_NS`"),
                }
                o.latency = Some(l);
            }
            Err(Failure::Mismatch(why)) => {
                o.error = Some(format!("latency: {why}"));
                return Ok(());
            }
            Err(Failure::Error(e)) => return Err(e.context("latency")),
        }
        if m.has_throughput() {
            o.throughput = Some(throughput(&mut *ep, &mut peer, &pattern, budget, &mut o)?);
        } else {
            ep.send(end_marker(sc.size)).context("send end marker")?;
        }
        drop(ep);
        Ok(())
    })();
    match result {
        Ok(()) if o.error.is_none() => match peer.finish() {
            Ok(()) => o.verified = true,
            Err(e) => o.error = Some(format!("{e:#}")),
        },
        Ok(()) => {
            peer.kill();
        }
        Err(e) => {
            let said = peer.kill();
            o.error = Some(format!("{e:#}; peer said: {said}"));
        }
    }
    watchdog.disarm();
    if !o.verified {
        o.latency = None;
        o.throughput = None;
    }
    o
}

enum Failure {
    /// The data was wrong: lost, reordered or corrupted.
    Mismatch(String),
    /// The mechanism failed.
    Error(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Error(e)
    }
}

/// Parent side of the latency phase: ping-pong, then the end marker.
fn latency(ep: &mut dyn Endpoint, p: &Pattern, b: &Budget) -> Result<Latency, Failure> {
    // 1 ns to 100 s at 3 significant digits; anything slower is clamped to 100 s.
    let mut hist = Histogram::<u64>::new_with_bounds(1, 100_000_000_000, 3)
        .map_err(|e| anyhow::anyhow!("histogram: {e}"))?;
    let mut msg = p.buffer();
    let mut echo = Vec::with_capacity(p.size());
    let mut seq = 0u64;
    let start = Instant::now();
    let mut measuring_since = None;
    loop {
        let now = Instant::now();
        let measured = match measuring_since {
            None if seq >= b.warmup_max || now.duration_since(start) >= b.warmup => {
                measuring_since = Some(now);
                true
            }
            None => false,
            Some(since) => {
                if hist.len() >= b.latency_max
                    || (!hist.is_empty() && now.duration_since(since) >= b.latency)
                {
                    break;
                }
                true
            }
        };
        p.stamp(seq, &mut msg);
        let t0 = Instant::now();
        ep.send(&msg)?;
        ep.recv(&mut echo)?;
        let dt = t0.elapsed();
        if let Err(m) = p.check(seq, &echo) {
            return Err(Failure::Mismatch(format!("echo: {m}")));
        }
        if measured {
            hist.saturating_record(dt.as_nanos().clamp(1, u64::MAX as u128) as u64);
        }
        seq += 1;
    }
    ep.send(end_marker(p.size()))?;
    Ok(Latency::from_hist(hist))
}

/// Parent side of the throughput phase: stream, end marker, then the peer's report
/// `tp COUNT NANOS CPU_NS ok` or `tp COUNT NANOS CPU_NS fail REASON`.
fn throughput(
    ep: &mut dyn Endpoint,
    peer: &mut PeerProc,
    p: &Pattern,
    b: &Budget,
    o: &mut Outcome,
) -> anyhow::Result<Throughput> {
    let mut msg = p.buffer();
    let cpu0 = thread_cpu_ns();
    let start = Instant::now();
    let mut seq = 0u64;
    while seq < b.throughput_max && (seq < 2 || start.elapsed() < b.throughput) {
        p.stamp(seq, &mut msg);
        ep.send(&msg).context("send")?;
        seq += 1;
    }
    ep.send(end_marker(p.size())).context("send end marker")?;
    let mine = thread_cpu_ns().saturating_sub(cpu0);
    let line = peer.line()?;
    let parts: Vec<&str> = line.splitn(6, ' ').collect();
    let (count, nanos, cpu) = match parts.as_slice() {
        ["tp", c, n, cpu, ..] => (c.parse::<u64>()?, n.parse::<u64>()?, cpu.parse::<u64>()?),
        _ => bail!("the peer's report {line:?} is not `tp COUNT NANOS CPU_NS ...`"),
    };
    match parts.get(4) {
        Some(&"ok") => {}
        Some(&"fail") => {
            o.error = Some(format!(
                "throughput: {}",
                parts.get(5).copied().unwrap_or("verification failed")
            ));
        }
        _ => bail!("the peer's report {line:?} has no ok/fail"),
    }
    if o.error.is_none() && count != seq {
        o.error = Some(format!(
            "throughput: sent {seq} messages, the peer verified {count}"
        ));
    }
    // Intervals between the first and the last arrival: count - 1 messages in `nanos`.
    let secs = (nanos.max(1) as f64) / 1e9;
    let per_s = (count.saturating_sub(1)) as f64 / secs;
    Ok(Throughput {
        mb_per_s: per_s * p.size() as f64 / 1e6,
        msgs_per_s: per_s,
        messages: count,
        cpu_ns: mine + cpu,
        cpu_messages: count,
    })
}

/// Environment variable that makes the peer misbehave on purpose (`corrupt-echo`,
/// `corrupt-stream`, `drop-stream`, `exit` before setup), for tests that the checks can fail
/// and that a dead peer never hangs the run.
pub const FAULT_ENV: &str = "IPCKIT_BENCH_FAULT";

/// Runs the hidden `ipckit __bench-peer`: the peer side of one scenario.
pub fn run_peer(a: PeerArgs) -> anyhow::Result<ExitCode> {
    // Die with the parent, whatever happens to it.
    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
        .context("prctl PR_SET_PDEATHSIG")?;
    if let Some(cpu) = a.cpu {
        pin(cpu).context("sched_setaffinity (pinning the bench peer)")?;
    }
    let m = mech::by_name(&a.mech).with_context(|| format!("unknown mechanism {}", a.mech))?;
    let sc = Scenario {
        imp: a.imp,
        size: a.size,
        dir: a.dir,
        id: a.id,
        parent: a.parent,
    };
    if std::env::var(FAULT_ENV).is_ok_and(|f| f == "exit") {
        bail!("exiting before setup ({FAULT_ENV}=exit)");
    }
    let mut ep = m.peer(&sc, &a.args).context("peer setup")?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")?;
    out.flush()?;
    let size = sc.size;
    // Fault injection for the tests that prove a bad transfer fails the row: the peer
    // corrupts its 3rd echo, or corrupts / drops its 3rd streamed message.
    let fault = std::env::var(FAULT_ENV).unwrap_or_default();
    // Latency: echo until the end marker.
    let mut buf = Vec::with_capacity(size);
    let mut echoed = 0u64;
    let cpu0 = thread_cpu_ns();
    loop {
        ep.recv(&mut buf).context("latency recv")?;
        if is_end(&buf, size) {
            break;
        }
        echoed += 1;
        if fault == "corrupt-echo" && echoed == 3 {
            let at = buf.len() / 2;
            buf[at] ^= 0x01;
        }
        ep.send(&buf).context("latency echo")?;
    }
    writeln!(out, "lat {echoed} {}", thread_cpu_ns().saturating_sub(cpu0))?;
    out.flush()?;
    // Throughput: receive and verify until the end marker.
    let p = Pattern::new(size);
    let mut count = 0u64;
    let mut first = None;
    let mut last = Instant::now();
    let mut failure: Option<String> = None;
    let cpu0 = thread_cpu_ns();
    loop {
        ep.recv(&mut buf).context("throughput recv")?;
        let now = Instant::now();
        if is_end(&buf, size) {
            break;
        }
        first.get_or_insert(now);
        last = now;
        if fault == "drop-stream" && count == 2 {
            // Pretend this message never arrived: the next one is out of sequence.
            continue;
        }
        if fault == "corrupt-stream" && count == 2 {
            let at = buf.len() - 1;
            buf[at] ^= 0x80;
        }
        if failure.is_none() {
            if let Err(e) = p.check(count, &buf) {
                failure = Some(e.0);
            }
        }
        count += 1;
    }
    let cpu = thread_cpu_ns().saturating_sub(cpu0);
    let nanos = first.map_or(0, |f| last.duration_since(f).as_nanos() as u64);
    match failure {
        None => writeln!(out, "tp {count} {nanos} {cpu} ok")?,
        Some(why) => writeln!(
            out,
            "tp {count} {nanos} {cpu} fail {}",
            why.replace('\n', " ")
        )?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_suffixes() {
        assert_eq!(parse_size("64"), Ok(64));
        assert_eq!(parse_size("4K"), Ok(4096));
        assert_eq!(parse_size("64k"), Ok(65536));
        assert_eq!(parse_size("1M"), Ok(1 << 20));
        assert_eq!(parse_size("4KiB"), Ok(4096));
        assert!(parse_size("0").is_err());
        assert!(parse_size("x").is_err());
        assert!(parse_size("1G").is_err());
        assert!(parse_size("17M").is_err());
    }

    #[test]
    fn end_marker_is_never_a_data_message() {
        for size in [1, 2, 64] {
            assert!(is_end(end_marker(size), size));
            assert_ne!(end_marker(size).len(), size);
        }
    }
}
