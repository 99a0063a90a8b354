//! Measures the shared-memory ring between two pinned processes: the p50 round trip of a
//! 64-byte message, and one-way throughput of 64-byte messages (copy and zero-copy mode).
//!
//! ```text
//! cargo run --release -p ipckit --example ring_pingpong -- [round-trips] [messages] [size] [spin-µs]
//! ```
//! Defaults: 200000 round trips, 20000000 one-way messages, 64 bytes, a 50 µs spin window
//! (0 makes every wait sleep on the futex: compare with `pp futex lat 64 100000`). The parent runs on
//! CPU 0, the peer (this program re-executed) on CPU 1. Compare with the C floor in
//! `../shared/anchors` (`pp spin lat 64 200000`, `pp spin tput 64 20000000`) in the same
//! minute.

use std::time::{Duration, Instant};

use ipckit::net::unix::SocketAddr;
use ipckit::ring::{self, Connection};

const PEER_ENV: &str = "IPCKIT_RING_PINGPONG_PEER";

fn pin(cpu: usize) {
    use nix::sched::{sched_setaffinity, CpuSet};
    let mut set = CpuSet::new();
    if set.set(cpu).is_ok() {
        let _ = sched_setaffinity(nix::unistd::Pid::from_raw(0), &set);
    }
}

fn args() -> (u64, u64, usize) {
    let n = |i: usize, d: u64| arg(i).unwrap_or(d);
    (n(0, 200_000), n(1, 20_000_000), n(2, 64) as usize)
}

fn arg(i: usize) -> Option<u64> {
    std::env::args().nth(i + 1).and_then(|s| s.parse().ok())
}

/// The spin window from the fourth argument (µs), default 50.
fn spin() -> Duration {
    Duration::from_micros(arg(3).unwrap_or(50))
}

/// The peer: echoes `rtts` messages, then receives `msgs` one-way in copy mode and `msgs` in
/// zero-copy mode, checking sequence numbers; prints its figures.
fn peer(addr: &SocketAddr) -> ipckit::Result<()> {
    pin(1);
    let (rtts, msgs, size) = args();
    let mut c = Connection::builder(addr)
        .capacity(1 << 20)
        .spin(spin())
        .connect()?;
    let mut buf = Vec::with_capacity(size);
    for _ in 0..rtts {
        c.receiver().recv(&mut buf)?;
        c.sender().send(&buf)?;
    }
    // Copy mode.
    let mut local = vec![0u8; size];
    for seq in 0..msgs {
        let n = c.receiver().recv(&mut buf)?;
        assert!(
            n == size && buf[..8] == seq.to_le_bytes(),
            "lost or reordered"
        );
    }
    if msgs == 0 {
        return Ok(());
    }
    c.sender().send(b"done")?;
    // Zero-copy mode: the record is read in place (copied out to a local buffer, as the C
    // ring does).
    for seq in 0..msgs {
        let rec = c.receiver().recv_ref()?;
        local.copy_from_slice(&rec);
        assert!(local[..8] == seq.to_le_bytes(), "lost or reordered");
    }
    c.sender().send(b"done")?;
    Ok(())
}

fn main() -> ipckit::Result<()> {
    if let Ok(addr) = std::env::var(PEER_ENV) {
        return peer(&addr.parse()?);
    }
    let (rtts, msgs, size) = args();
    assert!(size >= 8, "size must be at least 8 (a sequence number)");
    pin(0);
    let addr: SocketAddr = format!("@ipckit-ring-pingpong-{}", std::process::id()).parse()?;
    let listener = ring::Listener::builder(&addr).spin(spin()).create_new()?;
    let mut child = std::process::Command::new(std::env::current_exe().expect("current_exe"))
        .args(std::env::args().skip(1))
        .env(PEER_ENV, addr.to_string())
        .spawn()
        .expect("spawn peer");
    let result = listener
        .accept()
        .and_then(|c| measure(c, rtts, msgs, size))
        .and_then(|()| code_path(size));
    let st = child.wait().expect("wait for peer");
    result?;
    assert!(st.success(), "peer failed: {st:?}");
    Ok(())
}

/// CPU time of this thread in ns (`/proc/thread-self/schedstat`), 0 if unreadable.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// The cost of the code path alone: one thread sends batches of 1000 records and receives
/// them back, so that no cache line moves between cores.
fn code_path(size: usize) -> ipckit::Result<()> {
    let addr: SocketAddr = format!("@ipckit-ring-local-{}", std::process::id()).parse()?;
    let listener = ring::listen(&addr)?;
    let client = std::thread::spawn(move || ring::connect(&addr));
    let mut server = listener.accept()?;
    let mut client = client.join().expect("connect thread")?;
    let (tx, rx) = (client.sender(), server.receiver());
    let msg = vec![0x5au8; size];
    let mut sum = 0u64;
    let rounds = 10_000u64;
    let (t, cpu0) = (Instant::now(), thread_cpu_ns());
    for _ in 0..rounds {
        for _ in 0..1000 {
            let mut g = tx.reserve(size)?;
            g.copy_from_slice(&msg);
            g.commit();
        }
        for _ in 0..1000 {
            let r = rx.recv_ref()?;
            sum = sum.wrapping_add(u64::from(r[0]));
        }
    }
    let (d, cpu) = (t.elapsed(), thread_cpu_ns() - cpu0);
    assert_eq!(sum, rounds * 1000 * 0x5a);
    println!(
        "shm-ring code path {size} B (one thread, reserve+commit+recv_ref+release): \
         {:.1} ns/msg wall, {:.1} ns/msg on CPU",
        d.as_nanos() as f64 / (rounds * 1000) as f64,
        cpu as f64 / (rounds * 1000) as f64
    );
    Ok(())
}

/// The parent's side: round trips, then both throughput runs.
fn measure(mut c: Connection, rtts: u64, msgs: u64, size: usize) -> ipckit::Result<()> {
    let msg = vec![0x5au8; size];
    let mut buf = Vec::with_capacity(size);

    // Round trips: warm up, then time each (the first half), then time batches of 100 (the
    // second half: no clock read inside a round trip, so its ~25 ns x 2 are not counted).
    let warm = rtts / 10;
    let half = rtts / 2;
    let mut lat = Vec::with_capacity(half as usize);
    for i in 0..half {
        let t = Instant::now();
        c.sender().send(&msg)?;
        c.receiver().recv(&mut buf)?;
        if i >= warm {
            lat.push(t.elapsed());
        }
    }
    let mut batches = Vec::new();
    for _ in 0..(rtts - half) / 100 {
        let t = Instant::now();
        for _ in 0..100 {
            c.sender().send(&msg)?;
            c.receiver().recv(&mut buf)?;
        }
        batches.push(t.elapsed() / 100);
    }
    for _ in 0..(rtts - half) % 100 {
        c.sender().send(&msg)?;
        c.receiver().recv(&mut buf)?;
    }
    lat.sort();
    batches.sort();
    let q = |v: &[Duration], p: f64| v[((v.len() as f64 * p) as usize).min(v.len() - 1)];
    println!(
        "shm-ring lat {size} B (spin {:?}): p50 {} ns, p99 {} ns, p99.9 {} ns ({} round trips); \
         p50 of 100-round-trip means {} ns",
        spin(),
        q(&lat, 0.5).as_nanos(),
        q(&lat, 0.99).as_nanos(),
        q(&lat, 0.999).as_nanos(),
        lat.len(),
        batches.get(batches.len() / 2).map_or(0, |d| d.as_nanos()),
    );

    let mut out = msg.clone();
    let mut run = |zero_copy: bool| -> ipckit::Result<Duration> {
        let t = Instant::now();
        let tx = c.sender();
        for seq in 0..msgs {
            if zero_copy {
                let mut g = tx.reserve(size)?;
                g[..8].copy_from_slice(&seq.to_le_bytes());
                g[8..].copy_from_slice(&msg[8..]);
                g.commit();
            } else {
                out[..8].copy_from_slice(&seq.to_le_bytes());
                tx.send(&out)?;
            }
        }
        c.receiver().recv(&mut buf)?;
        Ok(t.elapsed())
    };
    if msgs == 0 {
        return Ok(());
    }
    for (mode, zero_copy) in [("copy", false), ("zero-copy", true)] {
        let d = run(zero_copy)?;
        println!(
            "shm-ring tput {size} B {mode}: {:.2} M msg/s, {:.0} MB/s ({msgs} messages in {d:?})",
            msgs as f64 / d.as_secs_f64() / 1e6,
            (msgs * size as u64) as f64 / d.as_secs_f64() / 1e6,
        );
    }
    Ok(())
}
