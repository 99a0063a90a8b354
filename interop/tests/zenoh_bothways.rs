//! `ipckit bridge FROM TO --both-ways`: a request/reply path through two bridges over one
//! zenoh key, every piece a separate process (zenoh peers found by scouting on loopback):
//!
//! ```text
//! P (this test) ──unix:@p-out──▶ bridge A ──zenoh:K──▶ bridge B ──unix:@q-in──▶ Q (echo)
//! P ◀──unix:@p-in── bridge A ◀──zenoh:K── bridge B ◀──unix:@q-out── Q
//! ```
//!
//! Every request comes back once, as Q's reply, in order; none comes back as the bridge's
//! own echo (its subscriber takes only other sessions' samples), and none is lost to the
//! bridge's own subscriber matching its publisher (P sends before bridge B exists: A holds
//! them until B's subscriber is there). Also: one direction stalled does not stop the
//! other, SIGTERM ends a stalled bridge (the message in hand counted as dropped), and the
//! refusals of `--both-ways`/`--back`. All sockets are abstract: nothing to leak.
//!
//! Needs the `ipckit` binary built with the feature (`cargo build -p ipckit-cli --features
//! zenoh`).
#![cfg(feature = "zenoh")]

use std::process::Command;
use std::time::{Duration, Instant};

use ipckit::channel::{self, Address, Listener, Receiver, Sender};
use ipckit::signal::Signal;
use ipckit::ErrorKind;
use ipckit_testkit::{command, ipckit, stderr, unique, Running};

/// The environment variable that makes this test binary the echo peer Q.
const ROLE: &str = "IPCKIT_ZENOH_BOTHWAYS_ECHO";
const READY: &str = "ipckit bridge: ";

fn addr(s: &str) -> Address {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn key(tag: &str) -> String {
    format!("ipckit/bothways{}/{tag}", std::process::id())
}

/// Connects to `a`, retrying for up to 20 s (the listener may not be up yet).
fn connect(a: &Address) -> Sender {
    ipckit_interop::connect_within(a, Duration::from_secs(20))
}

fn accept(listener: &mut Listener) -> Receiver {
    listener
        .accept_timeout(Duration::from_secs(30))
        .expect("the bridge connects back")
}

/// Q, when this binary is re-executed with [`ROLE`] = "IN OUT": listens on IN, replies
/// `re:` + each message to OUT, until killed.
#[test]
fn peer() {
    let Ok(args) = std::env::var(ROLE) else {
        return;
    };
    let (input, output) = args.split_once(' ').expect("IN OUT");
    let mut listener = channel::listen(&addr(input)).expect("listen");
    eprintln!("echo: listening on {input}");
    let mut tx: Option<Sender> = None;
    let mut buf = Vec::new();
    loop {
        let mut rx = listener.accept().expect("accept");
        while rx.recv(&mut buf).is_ok() {
            let mut reply = b"re:".to_vec();
            reply.extend_from_slice(&buf);
            tx.get_or_insert_with(|| connect(&addr(output)))
                .send(&reply)
                .expect("send the reply");
        }
    }
}

fn echo(input: &str, output: &str) -> Running {
    let exe = std::env::current_exe().expect("current_exe");
    let mut cmd = Command::new(exe);
    cmd.args(["--exact", "peer", "--nocapture", "--test-threads=1"])
        .env(ROLE, format!("{input} {output}"));
    Running::start(cmd, "echo: listening on ")
}

fn bridge(args: &[&str]) -> Running {
    let mut cmd = command();
    cmd.arg("bridge").args(args);
    Running::start(cmd, READY)
}

/// Ends a bridge with SIGTERM: its exit status and stderr (the counters among it).
fn stop(b: Running) -> (std::process::ExitStatus, String) {
    ipckit::signal::kill(b.pid(), Signal::TERM).expect("SIGTERM");
    let (status, _, err) = b.finish();
    (status, err)
}

#[test]
fn request_reply_round_trip_through_two_bridges() {
    const N: usize = 500;
    let tag = unique("bw");
    let [p_in, p_out, q_in, q_out] =
        ["p-in", "p-out", "q-in", "q-out"].map(|s| format!("unix:@{tag}-{s}"));
    let k = format!("zenoh:{}", key("rpc"));
    let kr = format!("{k}?locality=remote");

    let mut replies = channel::listen(&addr(&p_in)).expect("P listens for the replies");
    let a = bridge(&[&p_out, &k, "--both-ways", "--back", &p_in]);
    assert_eq!(a.ready(), format!("{READY}{p_out} -> {kr}, {kr} -> {p_in}"));

    // The requests start before bridge B (the only other zenoh session on K) exists:
    // bridge A must hold them, not count its own subscriber on K as a match. From a thread:
    // the Unix socket's buffer holds only some hundreds of small messages.
    let mut tx = connect(&addr(&p_out));
    let sender = std::thread::spawn(move || {
        for i in 0..N {
            tx.send(format!("req-{i}").as_bytes())
                .expect("send a request");
        }
        tx
    });
    std::thread::sleep(Duration::from_millis(500));
    let q = echo(&q_in, &q_out);
    let b = bridge(&[&k, &q_in, "--both-ways", "--back", &q_out]);
    assert_eq!(b.ready(), format!("{READY}{kr} -> {q_in}, {q_out} -> {kr}"));

    let mut rx = accept(&mut replies);
    let mut buf = Vec::new();
    for i in 0..N {
        rx.recv_timeout(&mut buf, Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("reply {i} of {N}: {e}"));
        assert_eq!(
            String::from_utf8_lossy(&buf),
            format!("re:req-{i}"),
            "reply {i}, in order, each once, never a request echoed back"
        );
    }
    // Exactly N: nothing more comes (no request echoed back by the bridges).
    let e = rx
        .recv_timeout(&mut buf, Duration::from_secs(1))
        .map(|_| String::from_utf8_lossy(&buf).into_owned())
        .expect_err("one more message than the requests");
    assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
    assert!(
        replies.accept_timeout(Duration::ZERO).is_err(),
        "one connection back only"
    );

    drop(sender.join().expect("the sender thread"));
    drop(q);
    let (status, err_a) = stop(a);
    assert!(status.success(), "bridge A: {status:?}\n{err_a}");
    let (status, err_b) = stop(b);
    assert!(status.success(), "bridge B: {status:?}\n{err_b}");
    let all = format!("received={N} forwarded={N} dropped=0");
    for (err, dirs) in [
        (&err_a, [(&p_out, &kr), (&kr, &p_in)]),
        (&err_b, [(&kr, &q_in), (&q_out, &kr)]),
    ] {
        for (from, to) in dirs {
            let line = format!("{READY}{from} -> {to}: {all}");
            assert!(err.lines().any(|l| l == line), "{line:?} in\n{err}");
        }
    }
}

#[test]
fn a_stalled_direction_does_not_stop_the_other() {
    let tag = unique("stall");
    let (out, nobody) = (format!("unix:@{tag}-out"), format!("unix:@{tag}-nobody"));
    let k = format!("zenoh:{}", key("stall"));
    let kr = format!("{k}?locality=remote");
    let a = bridge(&[&out, &k, "--both-ways", "--back", &nobody]);
    // The way back: a sample on K reaches bridge A (the only subscriber on K so far), whose
    // --back has no listener: that direction holds it, retrying.
    let o = ipckit(&["send", &k, "reply"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The way there goes on meanwhile.
    let rx = Running::recv(&[&k, "--count", "3"]);
    let mut tx = connect(&addr(&out));
    for m in ["one", "two", "three"] {
        tx.send(m.as_bytes()).expect("send");
    }
    assert_eq!(rx.output(), b"one\ntwo\nthree\n");
    drop(tx);
    let t = Instant::now();
    let (status, err) = stop(a);
    assert!(status.success(), "{status:?}\n{err}");
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "SIGTERM ends it: {err}"
    );
    assert!(err.contains(&format!("{nobody} unreachable")), "{err}");
    for line in [
        format!("{READY}{out} -> {kr}: received=3 forwarded=3 dropped=0"),
        format!("{READY}{kr} -> {nobody}: received=1 forwarded=0 dropped=1"),
    ] {
        assert!(err.lines().any(|l| l == line), "{line:?} in\n{err}");
    }
}

#[test]
fn refusals_name_the_flag_and_both_addresses() {
    let k = format!("zenoh:{}", key("refuse"));
    let (u, v) = ("unix:@ipckit-bw-u", "unix:@ipckit-bw-v");
    let k2 = format!("{k}2");
    let wild = format!("zenoh:{}", key("*"));
    for (args, says) in [
        (vec![u, &k, "--both-ways"], "--back"),
        (vec![&k, u, "--both-ways"], "--back"),
        (vec![u, &k, "--back", v], "--both-ways"),
        (vec![u, v, "--both-ways"], "--both-ways"),
        (
            vec![u, v, "--both-ways", "--back", "unix:@w"],
            "both sides are local",
        ),
        (vec![&k, &k2, "--both-ways", "--back", v], "--back"),
        (vec![&k, &k, "--both-ways"], "one key on both sides"),
        (vec![u, &wild, "--both-ways", "--back", v], "wildcard"),
        (vec![u, &k, "--both-ways", "--back", &k2], "--back"),
        (vec![u, &k, "--both-ways", "--back", u], "--back"),
    ] {
        let mut all = vec!["bridge"];
        all.extend(&args);
        let o = ipckit(&all);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(
            err.contains(args[0]) && err.contains(args[1]),
            "{args:?} names both: {err}"
        );
    }
}
