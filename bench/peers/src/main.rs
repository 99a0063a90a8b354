//! ipckit's shm-ring against other Rust IPC crates, by one method for all.
//!
//! ```text
//! peers bench PEER [ROUND]   # one peer, every size, a fresh child per size; CSV lines on stdout
//! peers table FILE           # the markdown table from those lines, ratios to ipckit-shm-ring
//! peers list                 # the peers
//! ```
//! The method, the same for every peer: the parent (pinned to CPU 0) re-executes itself as the
//! child (pinned to CPU 1); every message is `size` bytes written in full by the sender
//! (sequence number, then a byte pattern derived from it) and checksummed in full by the
//! receiver. Ping-pong: a warm-up, then each round trip timed into an hdrhistogram until the
//! latency budget is spent. One-way: the parent sends until the throughput budget is spent,
//! then an end marker the child answers; messages over the time to that answer. Budgets:
//! `PEERS_BUDGET_MS` (default 200 per phase and size), `PEERS_WARMUP_MS` (default 50);
//! sizes: `PEERS_SIZES` (default 64,4096,65536,1048576).

mod links;
mod table;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// The error type of this benchmark.
pub type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// The sequence number that ends a phase.
const END: u64 = u64::MAX;

/// Writes message `seq` into all of `buf`: the sequence number, then a byte derived from it.
pub fn fill(buf: &mut [u8], seq: u64) {
    buf.fill(pattern(seq));
    buf[..8].copy_from_slice(&seq.to_le_bytes());
}

/// The byte that fills message `seq` after its sequence number.
pub fn pattern(seq: u64) -> u8 {
    (seq as u8) ^ 0xa5
}

/// Checksums all of `buf` (a sum of its 64-bit words) against what [`fill`] writes; returns
/// the sequence number.
pub fn check(buf: &[u8]) -> Res<u64> {
    if buf.len() < 8 || !buf.len().is_multiple_of(8) {
        return Err(format!("message of {} bytes", buf.len()).into());
    }
    let mut sum = 0u64;
    for w in buf.chunks_exact(8) {
        sum = sum.wrapping_add(u64::from_le_bytes(w.try_into().expect("8 bytes")));
    }
    let seq = u64::from_le_bytes(buf[..8].try_into().expect("8 bytes"));
    let word = u64::from(pattern(seq)).wrapping_mul(0x0101_0101_0101_0101);
    let expect = seq.wrapping_add(word.wrapping_mul((buf.len() / 8 - 1) as u64));
    if sum != expect {
        return Err(format!("checksum mismatch in message {seq}").into());
    }
    Ok(seq)
}

/// Pins the calling thread to `cpu` (`sched_setaffinity`); a failure is reported, not fatal.
fn pin(cpu: usize) {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET and sched_setaffinity get a
    // pointer to it and its size.
    let rc = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if rc != 0 {
        eprintln!(
            "peers: cannot pin to CPU {cpu}: {}",
            std::io::Error::last_os_error()
        );
    }
}

fn env_ms(var: &str, default: u64) -> Duration {
    Duration::from_millis(
        std::env::var(var)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
    )
}

fn sizes() -> Vec<usize> {
    std::env::var("PEERS_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![64, 4096, 65536, 1 << 20])
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let r = match a(0) {
        "bench" => bench(a(1), a(2).parse().unwrap_or(1)),
        "child" => child(a(1), a(2).parse().unwrap_or(0), a(3)),
        "table" => table::print(a(1)),
        "list" => {
            println!("{}", links::PEERS.join("\n"));
            Ok(())
        }
        _ => Err("usage: peers bench PEER [ROUND] | peers table FILE | peers list".into()),
    };
    if let Err(e) = r {
        eprintln!("peers {}: {e}", args.join(" "));
        std::process::exit(1);
    }
}

/// The child: echoes round trips until the end marker, then receives the one-way stream,
/// checking order, and answers its end marker.
fn child(peer: &str, size: usize, name: &str) -> Res<()> {
    pin(1);
    let mut link = links::child(peer, size, name)?;
    let mut out = std::io::stdout();
    writeln!(out, "ready")?;
    out.flush()?;
    loop {
        let s = link.recv()?;
        link.send(s, size)?;
        if s == END {
            break;
        }
    }
    let mut next = 0u64;
    loop {
        let s = link.recv()?;
        if s == END {
            break;
        }
        if s != next {
            return Err(format!("one-way: got {s}, expected {next}").into());
        }
        next += 1;
    }
    link.send(END, size)?;
    // Let the parent receive the answer before this side's objects go away.
    let _ = std::io::stdin().read_line(&mut String::new());
    Ok(())
}

/// One peer, every size: one CSV line per size on stdout.
fn bench(peer: &str, round: u32) -> Res<()> {
    if !links::PEERS.contains(&peer) {
        return Err(format!("unknown peer {peer}; known: {}", links::PEERS.join(", ")).into());
    }
    pin(0);
    for size in sizes() {
        match measure(peer, size) {
            Ok(m) => println!(
                "{peer},{size},{round},{},{},{},{},{:.0},{:.1}",
                m.p50, m.p99, m.p999, m.rtts, m.msg_per_s, m.mb_per_s
            ),
            Err(e) => {
                eprintln!("peers: {peer} {size} B: {e}");
                println!(
                    "{peer},{size},{round},skip,{}",
                    e.to_string().replace(',', ";")
                );
            }
        }
    }
    Ok(())
}

struct Measured {
    p50: u64,
    p99: u64,
    p999: u64,
    rtts: u64,
    msg_per_s: f64,
    mb_per_s: f64,
}

fn measure(peer: &str, size: usize) -> Res<Measured> {
    let budget = env_ms("PEERS_BUDGET_MS", 200);
    let warmup = env_ms("PEERS_WARMUP_MS", 50);
    let name = format!("ipkpeers-{}-{size}", std::process::id());
    let exe = std::env::current_exe()?;
    let mut spawn = || -> Res<std::process::Child> {
        Ok(Command::new(&exe)
            .args(["child", peer, &size.to_string(), &name])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?)
    };
    let (mut link, mut ch) = links::parent(peer, size, &name, &mut spawn)?;
    let mut line = String::new();
    BufReader::new(ch.stdout.take().ok_or("child stdout")?).read_line(&mut line)?;
    if line.trim() != "ready" {
        let _ = ch.kill();
        let _ = ch.wait();
        return Err(format!("child did not start ({:?})", ch.wait()?).into());
    }
    let r = run(&mut *link, size, budget, warmup);
    drop(ch.stdin.take());
    let st = ch.wait()?;
    drop(link);
    let m = r?;
    if !st.success() {
        return Err(format!("child failed: {st}").into());
    }
    Ok(m)
}

fn run(
    link: &mut dyn links::Link,
    size: usize,
    budget: Duration,
    warmup: Duration,
) -> Res<Measured> {
    link.ready()?;
    let round_trip = |link: &mut dyn links::Link, seq: u64| -> Res<()> {
        link.send(seq, size)?;
        let r = link.recv()?;
        if r != seq {
            return Err(format!("round trip: sent {seq}, got {r}").into());
        }
        Ok(())
    };
    let mut seq = 0u64;
    let t = Instant::now();
    while t.elapsed() < warmup {
        round_trip(link, seq)?;
        seq += 1;
    }
    let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3)?;
    let t = Instant::now();
    while t.elapsed() < budget {
        let t0 = Instant::now();
        round_trip(link, seq)?;
        h.saturating_record(t0.elapsed().as_nanos() as u64);
        seq += 1;
    }
    round_trip(link, END)?;

    // One-way: the clock is read every message from 4 KiB on, every 64 below.
    let every = if size >= 4096 { 1 } else { 64 };
    let t = Instant::now();
    let mut n = 0u64;
    loop {
        link.send(n, size)?;
        n += 1;
        if n.is_multiple_of(every) && t.elapsed() >= budget {
            break;
        }
    }
    link.send(END, size)?;
    if link.recv()? != END {
        return Err("one-way: no end marker".into());
    }
    let secs = t.elapsed().as_secs_f64();
    Ok(Measured {
        p50: h.value_at_quantile(0.5),
        p99: h.value_at_quantile(0.99),
        p999: h.value_at_quantile(0.999),
        rtts: h.len(),
        msg_per_s: n as f64 / secs,
        mb_per_s: (n * size as u64) as f64 / secs / 1e6,
    })
}
