//! The two ends of bench/zenoh/run.sh: ping-pong and a pipelined stream over any two ipckit
//! addresses (the script puts either direct `tcp:` or a pair of `ipckit bridge`s over zenoh
//! between them). Only plain ipckit transports here; zenoh is in the bridges.
//!
//! ```text
//! zenoh_pingpong echo IN OUT              listen IN, connect OUT, send back every message
//! zenoh_pingpong client OUT IN ROUNDS SIZE STREAM
//!     connect OUT, listen IN: ROUNDS round trips of SIZE bytes (latency), then STREAM
//!     messages sent while their echoes come back (throughput); prints one JSON line
//! ```
//! Every echoed message is checked (its sequence number and bytes): a lost or changed one
//! fails the run rather than giving a number.

use std::time::{Duration, Instant};

use ipckit::channel::{self, Address};

fn addr(s: &str) -> Address {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// Connects to `a`, retrying for up to 30 s (the listener may not be up yet).
fn connect(a: &Address) -> channel::Sender {
    ipckit_interop::connect_within(a, Duration::from_secs(30))
}

fn message(seq: u64, size: usize) -> Vec<u8> {
    let mut m = vec![(seq % 251) as u8; size.max(8)];
    m[..8].copy_from_slice(&seq.to_le_bytes());
    m
}

fn echo(input: &str, output: &str) {
    let mut listener = channel::listen(&addr(input)).expect("listen");
    eprintln!("echo: listening on {input}");
    let mut tx = None;
    let mut buf = Vec::new();
    loop {
        let mut rx = listener.accept().expect("accept");
        while rx.recv(&mut buf).is_ok() {
            tx.get_or_insert_with(|| connect(&addr(output)))
                .send(&buf)
                .expect("send");
        }
    }
}

fn client(output: &str, input: &str, rounds: u64, size: usize, stream: u64) {
    let mut listener = channel::listen(&addr(input)).expect("listen");
    let mut tx = connect(&addr(output));
    let mut buf = Vec::new();
    // The first message opens the path (connections, zenoh matching); not timed.
    tx.send(&message(u64::MAX, size)).expect("send");
    let mut rx = listener.accept().expect("accept");
    rx.recv(&mut buf).expect("first echo");
    let mut rtt = Vec::with_capacity(rounds as usize);
    for seq in 0..rounds {
        let m = message(seq, size);
        let t = Instant::now();
        tx.send(&m).expect("send");
        rx.recv(&mut buf).expect("recv");
        rtt.push(t.elapsed());
        assert_eq!(buf, m, "echo {seq}");
    }
    rtt.sort();
    let pct = |p: f64| rtt[((rtt.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1e6;
    // Throughput: a sending thread, the echoes received here.
    let t = Instant::now();
    let sender = std::thread::spawn(move || {
        for seq in 0..stream {
            tx.send(&message(seq, size)).expect("send");
        }
    });
    for seq in 0..stream {
        rx.recv(&mut buf).expect("recv");
        assert_eq!(buf, message(seq, size), "stream {seq}");
    }
    let secs = t.elapsed().as_secs_f64();
    sender.join().expect("sender");
    println!(
        "{{\"rounds\":{rounds},\"size\":{size},\"p50_us\":{:.1},\"p99_us\":{:.1},\"stream\":{stream},\"msgs_per_s\":{:.0},\"mb_per_s\":{:.2}}}",
        pct(0.5),
        pct(0.99),
        stream as f64 / secs,
        stream as f64 * size as f64 / secs / 1e6
    );
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    match a.get(1).map(String::as_str) {
        Some("echo") => echo(&a[2], &a[3]),
        Some("client") => client(
            &a[2],
            &a[3],
            a[4].parse().expect("ROUNDS"),
            a[5].parse().expect("SIZE"),
            a[6].parse().expect("STREAM"),
        ),
        _ => {
            eprintln!("usage: zenoh_pingpong echo IN OUT | client OUT IN ROUNDS SIZE STREAM");
            std::process::exit(2);
        }
    }
}
