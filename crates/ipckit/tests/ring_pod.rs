//! Plain-old-data over the shared-memory ring across real processes: values sent with
//! `send_pod` arrive intact by copy and by reference, a record of the wrong size is
//! `InvalidData` naming the type and both sizes and the receiver goes on, and a peer killed
//! mid-stream is `PeerGone` after what it committed.
#![cfg(feature = "pod")]

mod common;

use common::{say, Live, Peer};
use ipckit::net::unix::SocketAddr;
use ipckit::ring;
use ipckit::ErrorKind;

/// A `#[repr(C)]` struct with no padding: 8 + 8 + 4 + 4 + 8 = 32 bytes.
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Zeroable, bytemuck::Pod)]
#[repr(C)]
struct Sample {
    seq: u64,
    value: f64,
    kind: u32,
    flags: u32,
    tag: [u8; 8],
}

/// The same layout promised by hand, without the derive macro.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
struct Pair {
    a: u64,
    b: u64,
}
#[allow(unsafe_code)]
// SAFETY: `#[repr(C)]`, two u64 fields, no padding, every bit pattern valid, Copy.
unsafe impl bytemuck::Zeroable for Pair {}
#[allow(unsafe_code)]
// SAFETY: as above.
unsafe impl bytemuck::Pod for Pair {}

fn sample(seq: u64) -> Sample {
    Sample {
        seq,
        value: seq as f64 * 0.5,
        kind: (seq % 7) as u32,
        flags: !(seq as u32),
        tag: seq.to_le_bytes(),
    }
}

const COUNT: u64 = 10_000;

#[test]
/// The peer-process entry point (see `common::run_peer`): run as a test, it checks that
/// this binary re-executed as a peer answers.
fn peer() {
    common::run_peer(|role, args| {
        let addr: SocketAddr = args[0].parse().expect("address");
        let mut c = ring::Connection::builder(&addr)
            .capacity(4096)
            .connect()
            .expect("connect");
        match role {
            "produce" => {
                for seq in 0..COUNT {
                    c.sender().send_pod(&sample(seq)).unwrap();
                    if seq == COUNT / 2 {
                        // A record of the wrong size in the middle of the stream.
                        c.sender().send(b"12345").unwrap();
                    }
                }
                c.sender().send_pod(&Pair { a: 7, b: 9 }).unwrap();
                // Wait for the test's verdict, then go.
                let done: u64 = c.receiver().recv_pod().unwrap();
                assert_eq!(done, COUNT);
            }
            "consume" => {
                let mut got = 0u64;
                let mut bad = 0;
                loop {
                    match c.receiver().recv_pod::<Sample>() {
                        Ok(s) => {
                            assert_eq!(s, sample(got));
                            got += 1;
                        }
                        Err(e) if e.kind() == ErrorKind::InvalidData => bad += 1,
                        Err(e) if e.kind() == ErrorKind::PeerGone => break,
                        Err(e) => panic!("consume: {e}"),
                    }
                }
                say(format!("got {got} bad {bad}"));
            }
            "produce-then-die" => {
                for seq in 0..100 {
                    c.sender().send_pod(&sample(seq)).unwrap();
                }
                say("sent");
                std::thread::sleep(std::time::Duration::from_secs(60));
            }
            other => panic!("unknown peer role {other}"),
        }
    });
}

fn addr(tag: &str) -> SocketAddr {
    format!("@{}", common::unique_name(tag)).parse().unwrap()
}

/// Asserts that `e`, met before message `seq`, is the one record of the wrong size the
/// producer sends after message `COUNT / 2`: `InvalidData` naming the type and both sizes.
fn the_wrong_size_record(seq: u64, e: &ipckit::Error) {
    assert_eq!(
        seq,
        COUNT / 2 + 1,
        "only the record after {} is bad",
        COUNT / 2
    );
    assert_eq!(e.kind(), ErrorKind::InvalidData);
    let text = e.to_string();
    assert!(
        text.contains("Sample") && text.contains("5 bytes") && text.contains("32 bytes"),
        "the error names the type and both sizes: {text}"
    );
}

#[test]
fn pod_from_another_process_by_copy_and_by_reference_with_a_wrong_size_record() {
    let addr = addr("ring-pod");
    let listener = ring::listen(&addr).unwrap();
    let peer = Peer::spawn("produce", &[&addr.to_string()]);
    let mut c = listener.accept().unwrap();
    let mut seq = 0;
    while seq < COUNT {
        if seq % 2 == 0 {
            match c.receiver().recv_pod::<Sample>() {
                Ok(s) => assert_eq!(s, sample(seq)),
                Err(e) => {
                    the_wrong_size_record(seq, &e);
                    continue;
                }
            }
        } else {
            let r = c.receiver().recv_pod_ref::<Sample>();
            match r {
                Ok(s) => assert_eq!(*s, sample(seq)),
                Err(e) => {
                    the_wrong_size_record(seq, &e);
                    continue;
                }
            }
        }
        seq += 1;
    }
    // The hand-made Pod: a 16-byte record, refused as a Sample, so read it as a Pair.
    let p: Pair = c.receiver().recv_pod().unwrap();
    assert_eq!(p, Pair { a: 7, b: 9 });
    c.sender().send_pod(&COUNT).unwrap();
    assert!(peer.wait().success());
    assert_eq!(
        c.receiver().recv_pod::<Sample>().unwrap_err().kind(),
        ErrorKind::PeerGone
    );
}

#[test]
fn pod_to_another_process_with_wrong_sizes_interleaved() {
    let addr = addr("ring-pod-rev");
    let listener = ring::listen(&addr).unwrap();
    let peer = Peer::spawn("consume", &[&addr.to_string()]);
    let mut c = listener.accept().unwrap();
    for seq in 0..COUNT {
        c.sender().send_pod(&sample(seq)).unwrap();
        if seq % 1000 == 0 {
            c.sender().send_pod(&Pair { a: seq, b: 0 }).unwrap();
            c.sender().send(&[]).unwrap();
        }
    }
    drop(c);
    let lines = peer.wait_lines();
    assert_eq!(lines, vec![format!("got {COUNT} bad 20")]);
}

#[test]
fn pod_from_a_killed_peer_is_delivered_then_peer_gone() {
    let addr = addr("ring-pod-kill");
    let listener = ring::listen(&addr).unwrap();
    let mut peer = Live::spawn("produce-then-die", &[&addr.to_string()]);
    let mut c = listener.accept().unwrap();
    assert_eq!(peer.line(), "sent");
    peer.kill();
    for seq in 0..100 {
        assert_eq!(c.receiver().recv_pod::<Sample>().unwrap(), sample(seq));
    }
    assert_eq!(
        c.receiver().recv_pod::<Sample>().unwrap_err().kind(),
        ErrorKind::PeerGone
    );
}
