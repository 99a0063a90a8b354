//! The shared-memory ring across real processes: round trips, 10^6 messages across the
//! spin/sleep boundary, kill -9 of the peer, a hostile scribbler, another uid, `TooLarge`,
//! idle CPU and fd leaks.

mod common;

use std::io::{BufRead, BufReader};
use std::process::ChildStdout;
use std::time::{Duration, Instant};

use common::{say, Peer};
use ipckit::net::unix::SocketAddr;
use ipckit::ring::{self, Connection};
use ipckit::ErrorKind;

const PEER_SAY: &str = "@@peer ";

/// The peer-process entry point (see `common::run_peer`).
#[test]
fn peer() {
    common::run_peer(|role, args| {
        let addr: SocketAddr = args[0].parse().expect("address");
        match role {
            "echo" => peer_echo(&addr),
            "stream" => peer_stream(&addr, args[1].parse().unwrap(), args[2] == "fences"),
            "commit-then-hang" => {
                let mut c = ring::connect(&addr).expect("connect");
                for i in 0..100u32 {
                    c.sender().send(&i.to_le_bytes()).unwrap();
                }
                say("sent");
                std::thread::sleep(Duration::from_secs(60));
            }
            "hang" => {
                let _c = ring::connect(&addr).expect("connect");
                say("ready");
                std::thread::sleep(Duration::from_secs(60));
            }
            "scribble" => peer_scribble(&addr, args[1].parse().unwrap()),
            "expect-refused" => {
                let e = ring::connect(&addr).unwrap_err();
                say(format!("refused {:?}", e.kind()));
            }
            "expect-accepted" => {
                let mut c = ring::connect(&addr).expect("connect as another uid");
                c.sender().send(b"hello from nobody").unwrap();
                let mut buf = Vec::new();
                c.receiver().recv(&mut buf).unwrap();
                say(format!("got {}", String::from_utf8_lossy(&buf)));
            }
            "fd-leak" => peer_fd_leak(&addr),
            other => panic!("unknown peer role {other}"),
        }
    });
}

/// A listening address in the abstract namespace, unique to this test.
fn abstract_addr(tag: &str) -> SocketAddr {
    format!("@{}", common::unique_name(tag)).parse().unwrap()
}

/// Reads the peer's stdout until it says `line`.
fn await_say(out: &mut BufReader<ChildStdout>, line: &str) {
    let mut s = String::new();
    loop {
        s.clear();
        assert!(
            out.read_line(&mut s).unwrap() > 0,
            "peer ended before saying {line}"
        );
        if let Some(i) = s.find(PEER_SAY) {
            if s[i + PEER_SAY.len()..].trim_end() == line {
                return;
            }
        }
    }
}

fn stdout_of(peer: &mut Peer) -> BufReader<ChildStdout> {
    BufReader::new(peer.child_mut().stdout.take().unwrap())
}

/// The payload byte `i` of message `seq`.
fn byte(seq: u64, i: usize) -> u8 {
    (seq.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as u8 ^ (i as u8).wrapping_mul(31)
}

fn peer_echo(addr: &SocketAddr) {
    let mut c = ring::connect(addr).expect("connect");
    loop {
        // Zero copy both ways: borrow the request in place, answer in place.
        let req = match c.receiver().recv_ref() {
            Ok(r) => r.to_vec(),
            Err(e) if e.kind() == ErrorKind::PeerGone => break,
            Err(e) => panic!("echo recv: {e}"),
        };
        if req == b"quit" {
            break;
        }
        let mut g = c.sender().reserve(req.len()).unwrap();
        g.copy_from_slice(&req);
        g.commit();
    }
}

fn round_trip_at(addr: SocketAddr) {
    let listener = ring::Listener::builder(&addr).create_new().expect("listen");
    let peer = Peer::spawn("echo", &[&addr.to_string()]);
    let mut c = listener.accept().expect("accept");
    assert_eq!(c.peer_cred().pid, peer.pid());
    let max = c.sender().max_message();
    assert_eq!(max, ring::DEFAULT_CAPACITY / 2);
    let mut buf = Vec::new();
    for (n, len) in [0, 1, 7, 8, 9, 63, 64, 65, 4096, 100_000, max - 1, max, 3, 0]
        .into_iter()
        .enumerate()
    {
        let msg: Vec<u8> = (0..len).map(|i| byte(n as u64, i)).collect();
        c.sender().send(&msg).unwrap();
        assert_eq!(c.receiver().recv(&mut buf).unwrap(), len);
        assert!(buf == msg, "message {n} of {len} bytes came back different");
    }
    // Many in flight at once, across several wraps of the ring.
    for round in 0..20u64 {
        for k in 0..50u64 {
            let msg: Vec<u8> = (0..(k as usize * 997) % 20_000)
                .map(|i| byte(round * 50 + k, i))
                .collect();
            c.sender().send(&msg).unwrap();
        }
        for k in 0..50u64 {
            let rec = c.receiver().recv_ref().unwrap();
            assert_eq!(rec.len(), (k as usize * 997) % 20_000);
            assert!(rec
                .iter()
                .enumerate()
                .all(|(i, &b)| b == byte(round * 50 + k, i)));
        }
    }
    c.sender().send(b"quit").unwrap();
    // The echo peer exits: everything was delivered, then the end is PeerGone.
    assert_eq!(
        c.receiver().recv(&mut buf).unwrap_err().kind(),
        ErrorKind::PeerGone
    );
    assert!(peer.wait().success());
}

#[test]
fn round_trip_abstract() {
    round_trip_at(abstract_addr("ring-rt"));
}

#[test]
fn round_trip_path_and_socket_removed() {
    let path = common::unique_path("ring-rt.sock");
    round_trip_at(SocketAddr::path(&path));
    assert!(
        !path.exists(),
        "the listener's socket path is removed on drop"
    );
}

/// A xorshift generator: deterministic pauses and scribbles.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A random pause: mostly none, sometimes a busy wait around the spin window, rarely a
    /// sleep well past it.
    fn pause(&mut self) {
        let r = self.next();
        if r % 1024 == 0 {
            std::thread::sleep(Duration::from_micros(r >> 54));
        } else if r % 64 == 1 {
            let until = Instant::now() + Duration::from_micros((r >> 32) % 40);
            while Instant::now() < until {
                std::hint::spin_loop();
            }
        }
    }
}

/// Spin window of the lost-wake-up test: pauses of 0..40 µs cross it both ways.
const LWU_SPIN: Duration = Duration::from_micros(10);

fn peer_stream(addr: &SocketAddr, count: u64, fences: bool) {
    // A 10 s liveness interval: a lost wake-up would not be rescued by the periodic check
    // within the 5 s timeouts below, so it fails the test instead of slowing it.
    let mut b = Connection::builder(addr)
        .capacity(4096)
        .spin(LWU_SPIN)
        .check_interval(Duration::from_secs(10));
    if fences {
        b = b.symmetric_fences();
    }
    let mut c = b.connect().expect("connect");
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let tx = c.sender();
    for seq in 0..count {
        let len = 8 + (seq % 57) as usize;
        let mut g = tx
            .reserve_timeout(len, Duration::from_secs(5))
            .expect("reserve (lost wake-up?)");
        g[..8].copy_from_slice(&seq.to_le_bytes());
        g[8..].copy_from_slice(stream_payload(seq, len - 8));
        g.commit();
        rng.pause();
    }
}

/// The payload of message `seq` in the streaming tests: a window into a fixed pattern that
/// starts elsewhere for each message (a slice compare, cheap in a debug build).
fn stream_payload(seq: u64, len: usize) -> &'static [u8] {
    static PATTERN: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let p = PATTERN.get_or_init(|| (0..512).map(|i| byte(i, i as usize)).collect());
    let start = (seq.wrapping_mul(0x9e37_79b9) % 251) as usize;
    &p[start..start + len]
}

/// Both processes fence with `membarrier` before sleeping (the default where the kernel
/// has it).
#[test]
fn million_messages_in_order_across_the_spin_sleep_boundary() {
    stream_with_pauses(1_000_000, "membarrier");
}

/// Every publish fences (where `membarrier` is missing).
#[test]
fn messages_in_order_across_the_spin_sleep_boundary_with_symmetric_fences() {
    stream_with_pauses(300_000, "fences");
}

fn stream_with_pauses(count: u64, mode: &str) {
    let addr = abstract_addr("ring-lwu");
    let listener = ring::Listener::builder(&addr)
        .spin(LWU_SPIN)
        .check_interval(Duration::from_secs(10))
        .create_new()
        .unwrap();
    let peer = Peer::spawn("stream", &[&addr.to_string(), &count.to_string(), mode]);
    let mut c = listener.accept().unwrap();
    let start = Instant::now();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut sum = 0u64;
    for seq in 0..count {
        let rec = c
            .receiver()
            .recv_ref_timeout(Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("message {seq}: {e} (lost wake-up?)"));
        assert_eq!(
            rec.len(),
            8 + (seq % 57) as usize,
            "length of message {seq}"
        );
        assert_eq!(
            u64::from_le_bytes(rec[..8].try_into().unwrap()),
            seq,
            "order"
        );
        assert!(
            rec[8..] == *stream_payload(seq, rec.len() - 8),
            "payload of message {seq}"
        );
        sum = sum.wrapping_add(rec.len() as u64);
        drop(rec);
        rng.pause();
    }
    let e = c
        .receiver()
        .recv_timeout(&mut Vec::new(), Duration::from_secs(5));
    assert_eq!(e.unwrap_err().kind(), ErrorKind::PeerGone);
    println!(
        "{count} messages ({sum} bytes, {mode}) in {:?}",
        start.elapsed()
    );
    assert!(peer.wait().success());
}

#[test]
fn kill_9_while_blocked_on_recv_gives_peer_gone_within_100ms() {
    let addr = abstract_addr("ring-kill-recv");
    let listener = ring::listen(&addr).unwrap();
    let mut peer = Peer::spawn("commit-then-hang", &[&addr.to_string()]);
    let mut out = stdout_of(&mut peer);
    let mut c = listener.accept().unwrap();
    await_say(&mut out, "sent");
    let mut buf = Vec::new();
    for i in 0..100u32 {
        c.receiver().recv(&mut buf).unwrap();
        assert_eq!(buf, i.to_le_bytes());
    }
    let pid = peer.pid();
    let killer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        let at = Instant::now();
        peer.child_mut().kill().unwrap();
        let _ = peer.wait();
        (at, pid)
    });
    let e = c.receiver().recv(&mut buf).unwrap_err();
    let done = Instant::now();
    let (killed_at, _) = killer.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::PeerGone, "{e}");
    let late = done.saturating_duration_since(killed_at);
    println!("PeerGone {late:?} after kill -9 (blocked recv)");
    assert!(late < Duration::from_millis(100), "noticed after {late:?}");
}

#[test]
fn kill_9_delivers_every_committed_record_first() {
    let addr = abstract_addr("ring-kill-drain");
    let listener = ring::listen(&addr).unwrap();
    let mut peer = Peer::spawn("commit-then-hang", &[&addr.to_string()]);
    let mut out = stdout_of(&mut peer);
    let mut c = listener.accept().unwrap();
    await_say(&mut out, "sent");
    peer.child_mut().kill().unwrap();
    let _ = peer.wait();
    let mut buf = Vec::new();
    for i in 0..100u32 {
        c.receiver()
            .recv(&mut buf)
            .expect("a committed record after the peer died");
        assert_eq!(buf, i.to_le_bytes());
    }
    let t = Instant::now();
    assert_eq!(
        c.receiver().recv(&mut buf).unwrap_err().kind(),
        ErrorKind::PeerGone
    );
    assert_eq!(
        c.receiver().try_recv(&mut buf).unwrap_err().kind(),
        ErrorKind::PeerGone
    );
    assert!(t.elapsed() < Duration::from_millis(100));
}

#[test]
fn kill_9_while_blocked_on_send_to_a_full_ring_gives_peer_gone_within_100ms() {
    let addr = abstract_addr("ring-kill-send");
    let listener = ring::listen(&addr).unwrap();
    let mut peer = Peer::spawn("hang", &[&addr.to_string()]);
    let mut out = stdout_of(&mut peer);
    let mut c = listener.accept().unwrap();
    await_say(&mut out, "ready");
    let msg = [7u8; 1000];
    let mut sent = 0;
    loop {
        match c.sender().try_send(&msg) {
            Ok(()) => sent += 1,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) => panic!("try_send: {e}"),
        }
    }
    assert!(
        sent > 500,
        "a 1 MiB ring holds {sent} records of 1000 bytes"
    );
    let e = c
        .sender()
        .send_timeout(&msg, Duration::from_millis(50))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    let killer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        let at = Instant::now();
        peer.child_mut().kill().unwrap();
        let _ = peer.wait();
        at
    });
    let e = c.sender().send(&msg).unwrap_err();
    let done = Instant::now();
    let killed_at = killer.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::PeerGone, "{e}");
    let late = done.saturating_duration_since(killed_at);
    println!("PeerGone {late:?} after kill -9 (blocked send)");
    assert!(late < Duration::from_millis(100), "noticed after {late:?}");
}

/// The address ranges of this process's ring mappings (`/proc/self/maps`).
fn ring_mappings() -> Vec<(u64, u64)> {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .filter(|l| l.contains("memfd:ipckit-ring"))
        .map(|l| {
            let range = l.split_whitespace().next().unwrap();
            let (a, b) = range.split_once('-').unwrap();
            (
                u64::from_str_radix(a, 16).unwrap(),
                u64::from_str_radix(b, 16).unwrap(),
            )
        })
        .collect()
}

const SCRIBBLE_ROUNDS: u64 = 20;
const SCRIBBLES_PER_ROUND: u64 = 5_000;

/// A hostile peer: connects, then writes random bytes over both rings' header, indices,
/// flags and records (through `/proc/self/mem`, so no unsafe code), 5000 writes a round,
/// interleaved with sends and receives of its own.
fn peer_scribble(addr: &SocketAddr, seed: u64) {
    use std::os::unix::fs::FileExt;
    let mem = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/proc/self/mem")
        .unwrap();
    let mut rng = Rng(seed | 1);
    for round in 0..SCRIBBLE_ROUNDS {
        let mut c = Connection::builder(addr)
            .capacity(4096)
            .connect()
            .expect("connect");
        let maps = ring_mappings();
        assert_eq!(maps.len(), 2, "two ring mappings: {maps:x?}");
        let mut buf = Vec::new();
        for k in 0..SCRIBBLES_PER_ROUND {
            let (lo, hi) = maps[(rng.next() % 2) as usize];
            let size = hi - lo;
            // Half the writes hit the 512 control bytes, half land anywhere.
            let off = if rng.next() % 2 == 0 {
                rng.next() % 512
            } else {
                rng.next() % size
            };
            let len = (1 + rng.next() % 16).min(size - off);
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            mem.write_at(&bytes, lo + off).unwrap();
            if k % 8 == 0 {
                let _ = c.sender().try_send(&round.to_le_bytes());
                let _ = c.receiver().try_recv(&mut buf);
            }
        }
    }
}

#[test]
fn hostile_scribbler_gets_invalid_data_or_peer_gone_never_a_panic_or_hang() {
    let addr = abstract_addr("ring-hostile");
    let listener = ring::listen(&addr).unwrap();
    // A fixed seed, so that a failure is reproducible; IPCKIT_RING_SCRIBBLE_SEED tries others.
    let seed = std::env::var("IPCKIT_RING_SCRIBBLE_SEED").unwrap_or_else(|_| "12345".into());
    println!("scribbler seed {seed}");
    let peer = Peer::spawn("scribble", &[&addr.to_string(), &seed]);
    let mut kinds = std::collections::BTreeMap::<String, u64>::new();
    let timeout = Duration::from_millis(20);
    // Generous for a debug build on a loaded machine, but finite: a hang fails.
    let slack = Duration::from_millis(500);
    for _ in 0..SCRIBBLE_ROUNDS {
        let mut c = listener.accept().expect("accept the scribbler");
        let max = c.receiver().max_message();
        let mut buf = Vec::new();
        let round_start = Instant::now();
        let (mut rx_done, mut tx_done) = (false, false);
        while !(rx_done && tx_done) {
            assert!(
                round_start.elapsed() < Duration::from_secs(60),
                "round never ended"
            );
            let t = Instant::now();
            match c.receiver().recv_timeout(&mut buf, timeout) {
                Ok(n) => {
                    assert!(
                        n <= max && buf.capacity() <= max,
                        "allocation above the maximum"
                    );
                    *kinds.entry("rx ok".into()).or_default() += 1;
                }
                Err(e) => {
                    let k = e.kind();
                    assert!(
                        matches!(
                            k,
                            ErrorKind::InvalidData | ErrorKind::PeerGone | ErrorKind::TimedOut
                        ),
                        "recv: {e}"
                    );
                    rx_done |= k != ErrorKind::TimedOut;
                    *kinds.entry(format!("rx {k:?}")).or_default() += 1;
                }
            }
            assert!(t.elapsed() < timeout + slack, "recv took {:?}", t.elapsed());
            let t = Instant::now();
            match c.sender().send_timeout(b"0123456789abcdef", timeout) {
                Ok(()) => *kinds.entry("tx ok".into()).or_default() += 1,
                Err(e) => {
                    let k = e.kind();
                    assert!(
                        matches!(
                            k,
                            ErrorKind::InvalidData | ErrorKind::PeerGone | ErrorKind::TimedOut
                        ),
                        "send: {e}"
                    );
                    tx_done |= k != ErrorKind::TimedOut;
                    *kinds.entry(format!("tx {k:?}")).or_default() += 1;
                }
            }
            assert!(t.elapsed() < timeout + slack, "send took {:?}", t.elapsed());
        }
    }
    println!("outcomes over {SCRIBBLE_ROUNDS} rounds: {kinds:?}");
    assert!(
        peer.wait().success(),
        "the scribbler itself must not crash either"
    );
}

#[test]
fn another_uid_is_refused_unless_allowed() {
    use std::os::unix::process::CommandExt;
    if !nix::unistd::geteuid().is_root() {
        println!("skipped: needs root to run a peer as nobody");
        return;
    }
    const NOBODY: u32 = 65534;
    let addr = abstract_addr("ring-uid");
    let listener = ring::listen(&addr).unwrap();
    let mut cmd = Peer::command("expect-refused", &[&addr.to_string()]);
    cmd.uid(NOBODY).gid(NOBODY);
    let peer = Peer::from_command(cmd);
    let e = listener.accept().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    assert_eq!(peer.wait_lines(), ["refused PermissionDenied"]);

    let addr = abstract_addr("ring-uid-ok");
    let listener = ring::Listener::builder(&addr)
        .allow_uid(NOBODY)
        .create_new()
        .unwrap();
    let mut cmd = Peer::command("expect-accepted", &[&addr.to_string()]);
    cmd.uid(NOBODY).gid(NOBODY);
    let peer = Peer::from_command(cmd);
    let mut c = listener.accept().unwrap();
    assert_eq!(c.peer_cred().uid, NOBODY);
    let mut buf = Vec::new();
    c.receiver().recv(&mut buf).unwrap();
    c.sender().send(&buf).unwrap();
    assert_eq!(peer.wait_lines(), ["got hello from nobody"]);
}

#[test]
fn too_large_is_refused_before_anything_is_written() {
    let addr = abstract_addr("ring-big");
    let listener = ring::listen(&addr).unwrap();
    let a = addr.clone();
    let t = std::thread::spawn(move || Connection::builder(&a).capacity(4096).connect().unwrap());
    let mut server = listener.accept().unwrap();
    let mut client = t.join().unwrap();
    let tx = client.sender();
    assert_eq!((tx.capacity(), tx.max_message()), (4096, 2048));
    let e = tx.send(&[1u8; 2049]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooLarge, "{e}");
    assert_eq!(
        tx.try_reserve(2049).unwrap_err().kind(),
        ErrorKind::TooLarge
    );
    assert_eq!(
        tx.reserve_timeout(1 << 20, Duration::ZERO)
            .unwrap_err()
            .kind(),
        ErrorKind::TooLarge
    );
    // An uncommitted grant publishes nothing.
    let mut g = tx.reserve(100).unwrap();
    g.fill(9);
    drop(g);
    tx.send(&[2u8; 2048]).unwrap();
    let mut buf = Vec::new();
    assert_eq!(server.receiver().recv(&mut buf).unwrap(), 2048);
    assert!(buf.iter().all(|&b| b == 2));
    assert_eq!(
        server.receiver().try_recv(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    // commit_len publishes a prefix.
    let mut g = tx.reserve(64).unwrap();
    g[..3].copy_from_slice(b"abc");
    g.commit_len(3);
    assert_eq!(server.receiver().recv(&mut buf).unwrap(), 3);
    assert_eq!(buf, b"abc");
    // Bad capacities.
    for cap in [0, 1000, 2048, 1 << 31] {
        let e = Connection::builder(&addr)
            .capacity(cap)
            .connect()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "capacity {cap}: {e}");
    }
    // A listener with a smaller maximum refuses larger rings.
    let addr2 = abstract_addr("ring-maxcap");
    let small = ring::Listener::builder(&addr2)
        .max_capacity(8192)
        .create_new()
        .unwrap();
    let a = addr2.clone();
    let t = std::thread::spawn(move || Connection::builder(&a).capacity(16384).connect());
    assert_eq!(small.accept().unwrap_err().kind(), ErrorKind::InvalidData);
    assert_eq!(
        t.join().unwrap().unwrap_err().kind(),
        ErrorKind::InvalidData
    );
    // Dropping one half is seen by the peer's other half.
    drop(client);
    assert_eq!(
        server.receiver().recv(&mut buf).unwrap_err().kind(),
        ErrorKind::PeerGone
    );
    assert_eq!(
        server.sender().send(b"x").unwrap_err().kind(),
        ErrorKind::PeerGone
    );
}

/// CPU time of the calling thread in nanoseconds (`/proc/thread-self/schedstat`).
fn thread_cpu_ns() -> u64 {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    s.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn idle_receiver_sleeps() {
    let addr = abstract_addr("ring-idle");
    let listener = ring::listen(&addr).unwrap();
    let mut peer = Peer::spawn("hang", &[&addr.to_string()]);
    let mut out = stdout_of(&mut peer);
    let mut c = listener.accept().unwrap();
    await_say(&mut out, "ready");
    let (cpu0, t0) = (thread_cpu_ns(), Instant::now());
    let e = c
        .receiver()
        .recv_timeout(&mut Vec::new(), Duration::from_secs(1))
        .unwrap_err();
    let (cpu, wall) = (thread_cpu_ns() - cpu0, t0.elapsed());
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    let pct = cpu as f64 * 100.0 / wall.as_nanos() as f64;
    println!(
        "idle receiver: {:.3} ms of CPU over {wall:?} ({pct:.3}%)",
        cpu as f64 / 1e6
    );
    assert!(pct < 5.0, "idle receiver used {pct:.2}% of a CPU");
    peer.child_mut().kill().unwrap();
    let _ = peer.wait();
}

fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn peer_fd_leak(addr: &SocketAddr) {
    let before = fd_count();
    for _ in 0..3 {
        let listener = ring::listen(addr).unwrap();
        let a = addr.clone();
        let t = std::thread::spawn(move || {
            let mut c = ring::connect(&a).unwrap();
            c.sender().send(b"x").unwrap();
            let mut buf = Vec::new();
            c.receiver().recv(&mut buf).unwrap();
        });
        let mut c = listener.accept().unwrap();
        let mut buf = Vec::new();
        c.receiver().recv(&mut buf).unwrap();
        c.sender().send(&buf).unwrap();
        t.join().unwrap();
        // Refused connections leave nothing either.
        let a = addr.clone();
        let t = std::thread::spawn(move || Connection::builder(&a).capacity(1 << 21).connect());
        drop(listener);
        let _ = t.join().unwrap();
        let _ = c;
    }
    let after = fd_count();
    say(format!("fds {before} {after}"));
}

#[test]
fn no_fd_leak() {
    // In a process of its own: the other tests of this binary open fds concurrently.
    let addr = abstract_addr("ring-fds");
    let lines = Peer::spawn("fd-leak", &[&addr.to_string()]).wait_lines();
    assert_eq!(lines.len(), 1);
    let v: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(v[1], v[2], "fd count before/after: {lines:?}");
}
