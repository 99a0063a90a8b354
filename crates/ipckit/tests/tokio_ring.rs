//! The async ring ends (`ipckit::tokio::ring`) across real processes: round trips, 10^5
//! messages in order with a checksum, sync producer -> async consumer and async producer ->
//! sync consumer (the doorbell mixed with the futex), a peer killed with `kill -9` while we
//! are parked (PeerGone, not a hang), `tokio::select!` racing a timer against `recv`
//! without losing a message, a hostile peer that makes its socket blocking and never reads
//! (our doorbell sends never block), and a flood of doorbell bytes (no spin).
#![cfg(feature = "tokio")]

mod common;
#[path = "common/hostile.rs"]
mod hostile;

use std::time::Duration;

use common::{say, Live, Peer};
use hostile::{flood, send_byte, sockets_of};
use ipckit::net::unix::SocketAddr;
use ipckit::ring;
use ipckit::tokio::ring as aring;
use ipckit::ErrorKind;

const COUNT: u64 = 100_000;
/// A small ring, so that producers wait for space and consumers for data, often.
const CAPACITY: usize = 4096;
/// Long enough for a slow CI machine, short enough that a hang fails the test.
const LIMIT: Duration = Duration::from_secs(60);

/// The periodic re-check of every waiting end: 10 s, so that a lost doorbell or futex
/// wake-up is not rescued within the tests' time but fails them; a dead peer is noticed
/// through the socket's hang-up.
const CHECK: Duration = Duration::from_secs(10);

/// An async listener whose connections re-check only every [`CHECK`].
fn listener(addr: &SocketAddr) -> aring::RingListener {
    aring::RingListener::from_sync(
        ring::Listener::builder(addr)
            .check_interval(CHECK)
            .create_new()
            .unwrap(),
    )
    .unwrap()
}

use common::rt;

/// Message `seq`: its number then 0..40 bytes derived from it.
fn message(seq: u64) -> Vec<u8> {
    let mut m = seq.to_le_bytes().to_vec();
    m.extend((0..seq % 41).map(|i| (seq.wrapping_mul(31) ^ i) as u8));
    m
}

/// An order-sensitive checksum of a stream of messages.
fn fold(sum: u64, msg: &[u8]) -> u64 {
    msg.iter()
        .fold(sum.rotate_left(5) ^ msg.len() as u64, |s, &b| {
            s.wrapping_mul(0x100_0000_01b3) ^ b as u64
        })
}

fn checksum(count: u64) -> u64 {
    (0..count).fold(0, |s, seq| fold(s, &message(seq)))
}

/// A pause now and then, so that the other side parks (async) or sleeps (sync).
fn pause(seq: u64) {
    if seq % 5000 == 0 {
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
/// The peer-process entry point (see `common::run_peer`): run as a test, it checks that
/// this binary re-executed as a peer answers.
fn peer() {
    common::run_peer(|role, args| {
        let addr: SocketAddr = args[0].parse().expect("address");
        let builder = || {
            ring::Connection::builder(&addr)
                .capacity(CAPACITY)
                .spin(Duration::from_micros(5))
                .check_interval(CHECK)
        };
        match role {
            "sync-echo" => {
                let mut c = builder().connect().expect("connect");
                let mut buf = Vec::new();
                loop {
                    match c.receiver().recv(&mut buf) {
                        Ok(_) => c.sender().send(&buf).unwrap(),
                        Err(e) if e.kind() == ErrorKind::PeerGone => break,
                        Err(e) => panic!("echo: {e}"),
                    }
                }
            }
            "sync-produce" => {
                let mut c = builder().connect().expect("connect");
                for seq in 0..COUNT {
                    c.sender().send(&message(seq)).unwrap();
                    pause(seq);
                }
                let mut buf = Vec::new();
                c.receiver().recv(&mut buf).unwrap();
            }
            "async-produce" => rt().block_on(async {
                let mut c = aring::connect_with(builder()).await.expect("connect");
                for seq in 0..COUNT {
                    c.sender().send(&message(seq)).await.unwrap();
                }
                let mut buf = Vec::new();
                c.receiver().recv(&mut buf).await.unwrap();
            }),
            "async-consume" => rt().block_on(async {
                let mut c = aring::connect_with(builder()).await.expect("connect");
                let (mut sum, mut buf) = (0, Vec::new());
                for seq in 0..COUNT {
                    c.receiver().recv(&mut buf).await.unwrap();
                    sum = fold(sum, &buf);
                    pause(seq);
                }
                say(format!("checksum {sum:x}"));
                c.sender().send(b"done").await.unwrap();
            }),
            #[cfg(feature = "pod")]
            "async-pod" => rt().block_on(async {
                let mut c = aring::connect_with(builder()).await.expect("connect");
                for seq in 0..1000u64 {
                    c.sender().send_pod(&[seq, !seq]).await.unwrap();
                }
                c.sender().send(b"odd").await.unwrap();
                c.sender().send_pod(&[7u64, 7]).await.unwrap();
                let v: u64 = c.receiver().recv_pod().await.unwrap();
                assert_eq!(v, 1000);
            }),
            "trickle" => {
                let mut c = builder().connect().expect("connect");
                for seq in 0..2000u64 {
                    c.sender().send(&message(seq)).unwrap();
                    if seq % 7 == 0 {
                        std::thread::sleep(Duration::from_micros(300));
                    }
                }
                let mut buf = Vec::new();
                c.receiver().recv(&mut buf).unwrap();
            }
            "send-then-hang" => {
                let mut c = builder().connect().expect("connect");
                for seq in 0..100 {
                    c.sender().send(&message(seq)).unwrap();
                }
                say("sent");
                std::thread::sleep(Duration::from_secs(60));
            }
            // Echoes with its halves in two tasks of a multi-thread runtime, both parked on
            // the one socket at once (the drain of one may take the other's doorbell byte).
            "async-echo-split" => {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    let c = aring::connect_with(builder()).await.expect("connect");
                    let (mut tx, mut rx) = c.split();
                    let (fwd, mut back) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
                    let echo = tokio::spawn(async move {
                        while let Some(m) = back.recv().await {
                            tx.send(&m).await.unwrap();
                        }
                    });
                    let mut buf = Vec::new();
                    for _ in 0..SPLIT_COUNT {
                        rx.recv(&mut buf).await.unwrap();
                        fwd.send(buf.clone()).await.unwrap();
                    }
                    drop(fwd);
                    echo.await.unwrap();
                    rx.recv(&mut buf).await.unwrap();
                });
            }
            "bell-producer" => {
                let mut c = builder().capacity(1 << 20).connect().expect("connect");
                let mut buf = Vec::new();
                c.receiver().recv(&mut buf).unwrap();
                assert_eq!(buf, b"go");
                for seq in 0..BELLS {
                    c.sender().send(&(seq as u32).to_le_bytes()).unwrap();
                }
                say("sent");
                c.receiver().recv(&mut buf).unwrap();
                assert_eq!(buf, b"bye");
            }
            "bell-flood" => {
                let mut c = builder().connect().expect("connect");
                let sent = flood(Duration::from_millis(1500));
                say(format!("flooded {sent}"));
                c.sender().send(b"real").unwrap();
                std::thread::sleep(Duration::from_millis(200));
            }
            "hang" => {
                let _c = builder().connect().expect("connect");
                say("ready");
                std::thread::sleep(Duration::from_secs(60));
            }
            other => panic!("unknown peer role {other}"),
        }
    });
}

fn addr(tag: &str) -> SocketAddr {
    format!("@{}", common::unique_name(tag)).parse().unwrap()
}

/// A sync ring listener on `addr` with the tests' short check interval.
fn sync_listener(addr: &SocketAddr) -> ring::Listener {
    ring::Listener::builder(addr)
        .check_interval(CHECK)
        .create_new()
        .unwrap()
}

/// Runs `f` on a fresh runtime, failing the test instead of hanging past [`LIMIT`].
fn run<F: std::future::Future<Output = ()>>(f: F) {
    rt().block_on(async {
        tokio::time::timeout(LIMIT, f).await.expect("the test hung");
    });
}

#[test]
fn async_round_trip_with_a_sync_echo_peer() {
    let addr = addr("tring-rt");
    run(async {
        let l = listener(&addr);
        let peer = Peer::spawn("sync-echo", &[&addr.to_string()]);
        let mut c = l.accept().await.unwrap();
        assert_eq!(c.sender().peer_cred().pid, peer.pid());
        let mut buf = Vec::new();
        for (n, len) in [0usize, 1, 8, 100, 2047, 2048, 5, 0]
            .into_iter()
            .enumerate()
        {
            let msg: Vec<u8> = (0..len).map(|i| (i * 7 + n) as u8).collect();
            c.sender().send(&msg).await.unwrap();
            assert_eq!(c.receiver().recv(&mut buf).await.unwrap(), len);
            assert_eq!(buf, msg);
        }
        drop(c);
        assert!(peer.wait().success());
    });
}

#[test]
fn sync_producer_to_async_consumer_100k_in_order() {
    let addr = addr("tring-s2a");
    run(async {
        let l = listener(&addr);
        let peer = Peer::spawn("sync-produce", &[&addr.to_string()]);
        let mut c = l.accept().await.unwrap();
        let (mut sum, mut buf) = (0, Vec::new());
        for seq in 0..COUNT {
            c.receiver().recv(&mut buf).await.unwrap();
            assert_eq!(buf[..8], seq.to_le_bytes(), "message {seq} out of order");
            sum = fold(sum, &buf);
        }
        assert_eq!(sum, checksum(COUNT));
        c.sender().send(b"done").await.unwrap();
        assert!(peer.wait().success());
    });
}

#[test]
fn async_producer_to_sync_consumer_100k_in_order() {
    let addr = addr("tring-a2s");
    let l = sync_listener(&addr);
    let peer = Peer::spawn("async-produce", &[&addr.to_string()]);
    let mut c = l.accept().unwrap();
    let (mut sum, mut buf) = (0, Vec::new());
    for seq in 0..COUNT {
        c.receiver().recv_timeout(&mut buf, LIMIT).unwrap();
        assert_eq!(buf[..8], seq.to_le_bytes(), "message {seq} out of order");
        sum = fold(sum, &buf);
        pause(seq);
    }
    assert_eq!(sum, checksum(COUNT));
    c.sender().send(b"done").unwrap();
    assert!(peer.wait().success());
}

#[test]
fn async_to_async_100k_with_checksum() {
    let addr = addr("tring-a2a");
    run(async {
        let l = listener(&addr);
        let peer = Peer::spawn("async-consume", &[&addr.to_string()]);
        let (mut tx, mut rx) = l.accept().await.unwrap().split();
        for seq in 0..COUNT {
            tx.send(&message(seq)).await.unwrap();
        }
        let mut buf = Vec::new();
        rx.recv(&mut buf).await.unwrap();
        assert_eq!(buf, b"done");
        let lines = peer.wait_lines();
        assert_eq!(lines, vec![format!("checksum {:x}", checksum(COUNT))]);
    });
}

/// Messages each way in [`both_halves_parked_on_one_socket_lose_no_wake_up`].
const SPLIT_COUNT: u64 = 30_000;

#[test]
fn both_halves_parked_on_one_socket_lose_no_wake_up() {
    // Both sides stream both ways at once, each half in its own task of a multi-thread
    // runtime and a small ring, so that the sender (waiting for space) and the receiver
    // (waiting for data) of one side are parked on the same socket together: a drain by
    // one takes bytes meant for the other, which only the kick rescues before the check
    // interval (10 s here: a lost wake-up shows as a stall past the limit).
    let addr = addr("tring-split");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(40), async {
            let l = listener(&addr);
            let peer = Peer::spawn("async-echo-split", &[&addr.to_string()]);
            let (mut tx, mut rx) = l.accept().await.unwrap().split();
            let sending = tokio::spawn(async move {
                for seq in 0..SPLIT_COUNT {
                    tx.send(&message(seq)).await.unwrap();
                }
                tx
            });
            let (mut sum, mut buf) = (0, Vec::new());
            for _ in 0..SPLIT_COUNT {
                rx.recv(&mut buf).await.unwrap();
                sum = fold(sum, &buf);
            }
            assert_eq!(sum, checksum(SPLIT_COUNT));
            let mut tx = sending.await.unwrap();
            tx.send(b"bye").await.unwrap();
            assert!(peer.wait().success());
        })
        .await
        .expect("stalled: a lost wake-up?");
    });
}

#[cfg(feature = "pod")]
#[test]
fn async_pod_with_a_wrong_size_record() {
    let addr = addr("tring-pod");
    run(async {
        let l = listener(&addr);
        let peer = Peer::spawn("async-pod", &[&addr.to_string()]);
        let mut c = l.accept().await.unwrap();
        for seq in 0..1000u64 {
            assert_eq!(
                c.receiver().recv_pod::<[u64; 2]>().await.unwrap(),
                [seq, !seq]
            );
        }
        let e = c.receiver().recv_pod::<[u64; 2]>().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidData);
        assert!(e.to_string().contains("3 bytes"), "{e}");
        assert_eq!(c.receiver().recv_pod::<[u64; 2]>().await.unwrap(), [7, 7]);
        c.sender().send_pod(&1000u64).await.unwrap();
        assert!(peer.wait().success());
    });
}

#[test]
fn select_with_a_timer_racing_recv_loses_nothing() {
    let addr = addr("tring-select");
    run(async {
        let l = listener(&addr);
        let peer = Peer::spawn("trickle", &[&addr.to_string()]);
        let mut c = l.accept().await.unwrap();
        let mut buf = Vec::new();
        let (mut seq, mut timeouts) = (0u64, 0u64);
        while seq < 2000 {
            tokio::select! {
                r = c.receiver().recv(&mut buf) => {
                    r.unwrap();
                    assert_eq!(buf, message(seq), "message {seq} lost or out of order");
                    seq += 1;
                }
                _ = tokio::time::sleep(Duration::from_micros(100)) => timeouts += 1,
            }
        }
        assert!(
            timeouts > 0,
            "the timer never won: the race was not exercised"
        );
        c.sender().send(b"done").await.unwrap();
        assert!(peer.wait().success());
    });
}

#[test]
fn kill_9_while_parked_delivers_what_was_sent_then_peer_gone() {
    let addr = addr("tring-kill");
    run(async {
        let l = listener(&addr);
        let mut peer = Live::spawn("send-then-hang", &[&addr.to_string()]);
        let mut c = l.accept().await.unwrap();
        assert_eq!(peer.line(), "sent");
        let mut buf = Vec::new();
        for seq in 0..100 {
            c.receiver().recv(&mut buf).await.unwrap();
            assert_eq!(buf, message(seq));
        }
        // Parked on the doorbell now; the kill must wake it through the socket.
        let killer = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            peer.kill();
        });
        let e = c.receiver().recv(&mut buf).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PeerGone, "{e}");
        killer.await.unwrap();
    });
}

#[test]
fn kill_9_while_parked_for_space_gives_peer_gone() {
    let addr = addr("tring-kill-space");
    run(async {
        let l = listener(&addr);
        let mut peer = Live::spawn("hang", &[&addr.to_string()]);
        let mut c = l.accept().await.unwrap();
        assert_eq!(peer.line(), "ready");
        // Fill the peer's ring (it never reads), then park for space.
        while c.sender().get_mut().try_send(&[1; 100]).is_ok() {}
        let killer = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            peer.kill();
        });
        let e = c.sender().send(&[2; 100]).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PeerGone, "{e}");
        killer.await.unwrap();
    });
}

#[test]
fn a_sync_connector_reaches_an_async_listener_and_back() {
    let addr = addr("tring-mixed");
    run(async {
        let l = listener(&addr);
        let a = addr.clone();
        // A synchronous client in a thread of this process: mixed within one connection.
        let t = std::thread::spawn(move || {
            let mut c = ring::Connection::builder(&a)
                .capacity(CAPACITY)
                .check_interval(CHECK)
                .connect()
                .unwrap();
            let mut buf = Vec::new();
            for seq in 0..10_000u64 {
                c.sender().send(&message(seq)).unwrap();
                c.receiver().recv(&mut buf).unwrap();
                assert_eq!(buf, message(seq));
            }
        });
        let mut c = l.accept().await.unwrap();
        let mut buf = Vec::new();
        for _ in 0..10_000u64 {
            c.receiver().recv(&mut buf).await.unwrap();
            c.sender().send(&buf).await.unwrap();
        }
        t.join().unwrap();
        assert_eq!(
            c.receiver().recv(&mut buf).await.unwrap_err().kind(),
            ErrorKind::PeerGone
        );
    });
}

/// A `Context` whose waker does nothing, to poll a future by hand.
fn noop_cx() -> std::task::Context<'static> {
    std::task::Context::from_waker(std::task::Waker::noop())
}

/// How many doorbell records the hostile peer's sends stand for (one per publish while we
/// look parked): far more than the socket queues (about 280).
const BELLS: u64 = 5000;

#[test]
fn a_hostile_peer_that_makes_its_socket_blocking_and_never_reads_never_blocks_our_sends() {
    // We are the hostile side: our receiver stays parked (every publish of the producer
    // rings), nobody here ever reads the socket, and the producer's own socket description
    // is made blocking (O_NONBLOCK cleared through a pidfd_getfd duplicate: the same file
    // description). The producer must still finish every send: each ring is a
    // send(MSG_DONTWAIT), which EAGAIN ends once our queue is full.
    let addr = addr("tring-hostile");
    let l = sync_listener(&addr);
    let mut peer = Peer::spawn("bell-producer", &[&addr.to_string()]);
    let (mut tx, rx) = l.accept().unwrap().split();
    let rt = rt();
    let _enter = rt.enter();
    let mut rx = aring::RingReceiver::from_sync(rx).unwrap();
    let mut buf = Vec::new();
    assert!(
        rx.poll_recv(&mut noop_cx(), &mut buf).is_pending(),
        "parked"
    );
    let theirs = sockets_of(peer.pid());
    assert!(!theirs.is_empty());
    for s in &theirs {
        use rustix::fs::{fcntl_getfl, fcntl_setfl, OFlags};
        let fl = fcntl_getfl(s).unwrap();
        fcntl_setfl(s, fl - OFlags::NONBLOCK).unwrap();
        assert!(!fcntl_getfl(s).unwrap().contains(OFlags::NONBLOCK));
    }
    tx.send(b"go").unwrap();
    let mut out = std::io::BufReader::new(peer.child_mut().stdout.take().unwrap());
    let (said, got) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        while std::io::BufRead::read_line(&mut out, &mut line).unwrap_or(0) > 0 {
            if line.contains("@@peer sent") {
                let _ = said.send(());
            }
            line.clear();
        }
    });
    // Generous: the sends take milliseconds; a blocked one never returns.
    if got.recv_timeout(LIMIT).is_err() {
        let _ = peer.child_mut().kill();
        panic!("the producer did not finish {BELLS} sends: a doorbell blocked it");
    }
    // Our queue is full: one more byte from their end does not fit (the rings it made were
    // dropped by EAGAIN, never waited for).
    assert!(
        theirs.iter().all(|s| !send_byte(s)),
        "the socket was not full"
    );
    drop(theirs);
    // Every record arrived; the parked receiver wakes and drains as it goes.
    rt.block_on(async {
        tokio::time::timeout(LIMIT, async {
            for seq in 0..BELLS {
                rx.recv(&mut buf).await.unwrap();
                assert_eq!(buf, (seq as u32).to_le_bytes());
            }
        })
        .await
        .expect("records lost");
    });
    tx.send(b"bye").unwrap();
    assert!(peer.wait().success());
}

#[test]
fn a_parked_receiver_flooded_with_doorbell_bytes_does_not_spin() {
    let addr = addr("tring-flood");
    let l = sync_listener(&addr);
    let peer = Peer::spawn("bell-flood", &[&addr.to_string()]);
    let (_tx, rx) = l.accept().unwrap().split();
    let rt = rt();
    let _enter = rt.enter();
    let mut rx = aring::RingReceiver::from_sync(rx).unwrap();
    let mut buf = Vec::new();
    let (cpu, t0) = (hostile::thread_cpu(), std::time::Instant::now());
    rt.block_on(async {
        let r = tokio::time::timeout(Duration::from_secs(1), rx.recv(&mut buf)).await;
        assert!(r.is_err(), "only doorbell bytes came: {r:?}");
    });
    let (wall, used) = (t0.elapsed(), hostile::thread_cpu() - cpu);
    eprintln!("flooded wait: {used:?} of CPU in {wall:?}");
    // Not a speed assertion: a waiter that does not drain would poll all the time.
    assert!(
        used < Duration::from_millis(250),
        "{used:?} of CPU in {wall:?}"
    );
    // Still woken by a real record.
    rt.block_on(async {
        let n = tokio::time::timeout(LIMIT, rx.recv(&mut buf))
            .await
            .unwrap();
        assert_eq!(n.unwrap(), 4);
    });
    assert_eq!(buf, b"real");
    let lines = peer.wait_lines();
    assert!(lines.iter().any(|l| l.starts_with("flooded ")), "{lines:?}");
}
