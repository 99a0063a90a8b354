//! `ipckit bridge` over zenoh between two network namespaces joined by a veth pair, so the
//! far side is another host as far as the network stack goes (its own interfaces, routes,
//! loopback and abstract Unix sockets):
//!
//! ```text
//! ns A: ipckit send ──shm-ring:@in──▶ bridge A ──zenoh (tcp/10.x.y.1 → 10.x.y.2:7447)──▶
//! ns B: bridge B ──unix:@out──▶ ipckit recv (the test reads its stdout)
//! ```
//!
//! Run 1: 10^5 messages, every one arrives, in order, each with its checksum. Run 2: 10^5
//! more while bridge B is killed with SIGKILL and started again: the run goes on; what is
//! lost is one contiguous range of sequence numbers, no more than what bridge A had handed
//! to zenoh but the receiver did not have when B died (B's subscriber queue, zenoh's
//! buffers and the TCP socket buffers: in flight, in or towards the killed process), and it
//! is visible: the sequence numbers have a gap and A's counter says it forwarded them.
//!
//! Needs root and iproute2 (`ip netns`); the namespaces and the veth pair are removed at
//! the end, even when the test fails (a `Drop` guard). Needs the `ipckit` binary built with
//! the feature (`cargo build -p ipckit-cli --features zenoh`).
#![cfg(feature = "zenoh")]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ipckit_interop::have_tool;

const N: u64 = 100_000;

/// The two namespaces; removed on drop.
struct Netns {
    a: String,
    b: String,
    addr_b: String,
}

fn ip(args: &[&str]) {
    let o = Command::new("ip").args(args).output().expect("run ip");
    assert!(
        o.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

impl Netns {
    fn create() -> Netns {
        let pid = std::process::id();
        let (a, b) = (format!("ipckit-z{pid}-a"), format!("ipckit-z{pid}-b"));
        let net = format!("10.{}.{}", 16 + pid % 200, (pid / 200) % 250);
        let ns = Netns {
            a: a.clone(),
            b: b.clone(),
            addr_b: format!("{net}.2"),
        };
        ip(&["netns", "add", &a]);
        ip(&["netns", "add", &b]);
        let (va, vb) = (format!("ipkz{pid}a"), format!("ipkz{pid}b"));
        ip(&[
            "link", "add", &va, "netns", &a, "type", "veth", "peer", "name", &vb, "netns", &b,
        ]);
        for (n, v, host) in [(&a, &va, 1), (&b, &vb, 2)] {
            ip(&[
                "-n",
                n,
                "addr",
                "add",
                &format!("{net}.{host}/24"),
                "dev",
                v,
            ]);
            ip(&["-n", n, "link", "set", v, "up"]);
            ip(&["-n", n, "link", "set", "lo", "up"]);
        }
        ns
    }

    fn cmd(&self, ns: &str, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns])
            .arg(ipckit_testkit::bin())
            .args(args);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Deleting a namespace removes its end of the veth pair, and so the pair.
        for n in [&self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "del", n]).status();
        }
    }
}

/// A process whose stdout and stderr lines are collected as they come.
struct Proc {
    child: Child,
    out: Arc<Mutex<Vec<String>>>,
    err: Arc<Mutex<Vec<String>>>,
}

fn collect(r: impl std::io::Read + Send + 'static, into: Arc<Mutex<Vec<String>>>, echo: bool) {
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines().map_while(Result::ok) {
            if echo {
                eprintln!("  | {line}");
            }
            into.lock().unwrap().push(line);
        }
    });
}

impl Proc {
    /// Starts `cmd` and waits until a stderr line contains `ready`.
    fn start(mut cmd: Command, ready: &str) -> Proc {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let (out, err) = (Arc::default(), Arc::default());
        collect(child.stdout.take().unwrap(), Arc::clone(&out), false);
        collect(child.stderr.take().unwrap(), Arc::clone(&err), true);
        let p = Proc { child, out, err };
        p.wait_err(ready, Duration::from_secs(30));
        p
    }

    fn wait_err(&self, what: &str, limit: Duration) -> String {
        let until = Instant::now() + limit;
        loop {
            if let Some(l) = self
                .err
                .lock()
                .unwrap()
                .iter()
                .rev()
                .find(|l| l.contains(what))
            {
                return l.clone();
            }
            assert!(
                Instant::now() < until,
                "no {what:?} on stderr within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn lines(&self) -> usize {
        self.out.lock().unwrap().len()
    }

    fn signal(&self, sig: i32) {
        // kill(1), so the test needs no libc.
        let _ = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status();
    }

    /// The bridge's counters, asked with SIGUSR1: (received, forwarded, dropped).
    fn counters(&self) -> (u64, u64, u64) {
        let before = self.err.lock().unwrap().len();
        self.signal(10);
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            let line = self.err.lock().unwrap()[before..]
                .iter()
                .find(|l| l.contains("received="))
                .cloned();
            if let Some(l) = line {
                return parse_counters(&l);
            }
            assert!(Instant::now() < until, "no counters after SIGUSR1");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn parse_counters(line: &str) -> (u64, u64, u64) {
    let get = |k: &str| -> u64 {
        let rest = &line[line.find(k).expect(k) + k.len()..];
        rest.split_whitespace().next().unwrap().parse().unwrap()
    };
    (get("received="), get("forwarded="), get("dropped="))
}

/// A message's checksum (FNV-1a of its sequence number), so each line proves its content.
fn check(seq: u64) -> u64 {
    seq.to_le_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
        })
}

fn messages(from: u64, n: u64) -> Vec<u8> {
    let mut s = Vec::new();
    for seq in from..from + n {
        writeln!(s, "{seq:07} {:016x}", check(seq)).unwrap();
    }
    s
}

/// Every received line, parsed and checked: its sequence numbers.
fn sequences(lines: &[String]) -> Vec<u64> {
    lines
        .iter()
        .map(|l| {
            let (seq, sum) = l
                .split_once(' ')
                .unwrap_or_else(|| panic!("bad line {l:?}"));
            let seq: u64 = seq.parse().unwrap();
            assert_eq!(sum, format!("{:016x}", check(seq)), "checksum of {seq}");
            seq
        })
        .collect()
}

/// Feeds `n` messages from `from` into bridge A's ring, in the background.
fn sender(ns: &Netns, input: &str, from: u64, n: u64) -> Child {
    let mut c = ns.cmd(&ns.a, &["send", input, "--wait-for-peer", "30"]);
    let mut child = c.stdin(Stdio::piped()).spawn().expect("spawn sender");
    let mut stdin = child.stdin.take().unwrap();
    let data = messages(from, n);
    std::thread::spawn(move || stdin.write_all(&data));
    child
}

fn wait_lines(rx: &Proc, n: usize, limit: Duration) {
    let until = Instant::now() + limit;
    while rx.lines() < n {
        assert!(
            Instant::now() < until,
            "only {} of {n} lines within {limit:?}",
            rx.lines()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn bridges_across_namespaces_survive_a_killed_bridge() {
    if !have_tool("ip") {
        return;
    }
    if !nix_is_root() {
        assert!(
            std::env::var_os("CI").is_none(),
            "zenoh_netns needs root under CI"
        );
        eprintln!("skipped: network namespaces need root");
        return;
    }
    let ns = Netns::create();
    let pid = std::process::id();
    let input = format!("shm-ring:@ipckit-z{pid}-in");
    let output = format!("unix:@ipckit-z{pid}-out");
    let key = format!("zenoh:ipckit/test{pid}/data");
    let listen = format!("tcp/{}:7447", ns.addr_b);
    // --count far above what comes: recv goes on accepting when its one sender (bridge B)
    // is gone, until it is killed.
    let rx = Proc::start(
        ns.cmd(&ns.b, &["recv", &output, "--count", "1000000000"]),
        "listening on",
    );
    let start_b = || {
        Proc::start(
            ns.cmd(&ns.b, &["bridge", &key, &output, "--zenoh-listen", &listen]),
            "ipckit bridge: ",
        )
    };
    let mut bridge_b = start_b();
    let bridge_a = Proc::start(
        ns.cmd(&ns.a, &["bridge", &input, &key, "--zenoh-connect", &listen]),
        "ipckit bridge: ",
    );

    // Run 1: everything arrives, in order.
    let t = Instant::now();
    let status = sender(&ns, &input, 0, N).wait().expect("sender");
    assert!(status.success(), "sender: {status:?}");
    wait_lines(&rx, N as usize, Duration::from_secs(300));
    let secs = t.elapsed().as_secs_f64();
    let got = sequences(&rx.out.lock().unwrap());
    assert_eq!(got, (0..N).collect::<Vec<_>>(), "run 1: all, in order");
    assert_eq!(bridge_a.counters(), (N, N, 0));
    assert_eq!(bridge_b.counters(), (N, N, 0));
    eprintln!("run 1: {N} messages through two bridges in {secs:.1} s, all in order");

    // Run 2: bridge B killed with SIGKILL mid-stream, then started again.
    let mut send2 = sender(&ns, &input, N, N);
    wait_lines(&rx, (N + N / 3) as usize, Duration::from_secs(300));
    let delivered_before_kill = rx.lines() as u64 - N;
    bridge_b.signal(9);
    let _ = bridge_b.child.wait();
    // Bridge A learns that no subscriber matches and holds the next message: its count
    // of forwarded messages stops.
    let mut forwarded = bridge_a.counters().1;
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let now = bridge_a.counters().1;
        if now == forwarded {
            break;
        }
        forwarded = now;
    }
    let handed_before_restart = forwarded - N;
    bridge_b = start_b();
    let status = send2.wait().expect("sender 2");
    assert!(status.success(), "sender 2: {status:?}");
    let until = Instant::now() + Duration::from_secs(300);
    while bridge_a.counters().1 < 2 * N {
        assert!(
            Instant::now() < until,
            "bridge A did not forward everything"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Then the receiver's count settles.
    let mut last = rx.lines();
    loop {
        std::thread::sleep(Duration::from_secs(2));
        if rx.lines() == last {
            break;
        }
        last = rx.lines();
    }
    let got = sequences(&rx.out.lock().unwrap()[N as usize..]);
    assert!(got.windows(2).all(|w| w[0] < w[1]), "run 2: in order");
    let lost: Vec<u64> = {
        let have: std::collections::HashSet<u64> = got.iter().copied().collect();
        (N..2 * N).filter(|s| !have.contains(s)).collect()
    };
    let in_flight = handed_before_restart - delivered_before_kill;
    eprintln!(
        "run 2: bridge B killed after {delivered_before_kill} delivered; bridge A had handed \
         {handed_before_restart} to zenoh when it stopped (no subscriber); lost {} \
         (in flight at the kill: at most {in_flight}): {:?}",
        lost.len(),
        lost.first().zip(lost.last())
    );
    assert!(
        lost.len() as u64 <= in_flight,
        "lost more than was in flight"
    );
    if let (Some(first), Some(last)) = (lost.first(), lost.last()) {
        assert_eq!(
            (last - first + 1) as usize,
            lost.len(),
            "one contiguous gap"
        );
        assert!(
            *first >= N + delivered_before_kill,
            "lost only after the kill"
        );
    }
    assert_eq!(bridge_a.counters(), (2 * N, 2 * N, 0));
    let (r, f, d) = bridge_b.counters();
    assert_eq!((r, d), (f, 0), "the restarted bridge forwards all it gets");
    drop(bridge_a);
    drop(bridge_b);
    drop(rx);
}

fn nix_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}
