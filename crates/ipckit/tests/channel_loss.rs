//! No silent loss (issue 10): a byte stream that ends inside a message is
//! `UnexpectedEof`, not a clean end; one bad frame or datagram spoils only its own
//! connection (or only itself). The writers are real processes that die mid-message.

mod common;

use std::io::Write;
use std::time::Duration;

use common::{run_peer, say, unique_name, unique_path, Peer};
use ipckit::channel::{self, Address, ChannelOptions, Closed};
use ipckit::named::Named;
use ipckit::ErrorKind;

/// The peer-process entry point (see `common::run_peer`).
#[test]
fn peer() {
    run_peer(|role, args| {
        let addr: Address = args[0].parse().expect("address");
        match role {
            // A header announcing 1000 bytes, 500 of them, then death by SIGKILL.
            "die_mid_message" => {
                let mut tx = channel::connect_raw(&addr).unwrap();
                let mut frame = 1000u32.to_le_bytes().to_vec();
                frame.extend_from_slice(&[0xab; 500]);
                tx.write_all(&frame).unwrap();
                nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL).unwrap();
                unreachable!("SIGKILL");
            }
            // Two bytes of a header, then death.
            "die_mid_header" => {
                let mut tx = channel::connect_raw(&addr).unwrap();
                tx.write_all(&[7, 0]).unwrap();
                nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL).unwrap();
                unreachable!("SIGKILL");
            }
            // A datagram too large for the receiver, then a valid one.
            "big_then_small" => {
                let mut tx = channel::connect(&addr).unwrap();
                tx.send(&[7u8; 2000]).unwrap();
                tx.send(b"valid").unwrap();
            }
            "send" => {
                let mut tx = channel::connect(&addr).unwrap();
                for m in &args[1..] {
                    tx.send(m.as_bytes()).unwrap();
                }
            }
            // One 200 kB message whose bytes say who wrote it.
            "fifo_big" => {
                let id: u8 = args[1].parse().unwrap();
                channel::connect(&addr).unwrap().send(&big(id)).unwrap();
            }
            // One whole message, then a clean exit.
            "one_then_exit" => {
                channel::connect(&addr).unwrap().send(b"whole").unwrap();
                say("sent");
            }
            other => panic!("unknown peer role {other}"),
        }
    });
}

fn stream_addresses() -> Vec<Address> {
    [
        format!("unix:{}", unique_path("loss").display()),
        format!("unix:@{}", unique_name("loss")),
        "tcp:127.0.0.1:0".to_string(),
        format!("fifo:{}", unique_path("loss").display()),
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect()
}

/// Runs `role` against a fresh listener on `addr`; returns what the receiver's first and
/// second `recv` gave.
fn receive_from(role: &str, addr: &Address) -> (ipckit::Result<Vec<u8>>, ipckit::Error) {
    let mut listener = channel::listen(addr).unwrap();
    let peer = Peer::spawn(role, &[&listener.address().to_string()]);
    let mut rx = listener.accept_timeout(Duration::from_secs(10)).unwrap();
    let mut buf = Vec::new();
    let first = rx
        .recv_timeout(&mut buf, Duration::from_secs(10))
        .map(|_| buf.clone());
    let second = rx
        .recv_timeout(&mut buf, Duration::from_secs(10))
        .unwrap_err();
    let mut peer = peer;
    let _ = peer.child_mut().wait();
    (first, second)
}

#[test]
fn stream_ending_inside_a_payload_is_unexpected_eof() {
    for addr in stream_addresses() {
        let (first, again) = receive_from("die_mid_message", &addr);
        let e = first.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnexpectedEof, "{addr}: {e}");
        assert_eq!(
            e.detail(),
            Some("stream ended inside a message (got 500 of 1000 bytes)"),
            "{addr}"
        );
        assert_eq!(again.kind(), ErrorKind::UnexpectedEof, "{addr}: sticky");
        let io: std::io::Error = e.into();
        assert_eq!(io.kind(), std::io::ErrorKind::UnexpectedEof);
    }
}

#[test]
fn stream_ending_inside_a_header_is_unexpected_eof() {
    for addr in stream_addresses() {
        let (first, _) = receive_from("die_mid_header", &addr);
        let e = first.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnexpectedEof, "{addr}: {e}");
        assert!(e.to_string().contains("got 2 of 4 bytes"), "{addr}: {e}");
    }
}

#[test]
fn clean_close_between_messages_is_still_peer_gone() {
    for addr in stream_addresses() {
        let (first, second) = receive_from("one_then_exit", &addr);
        assert_eq!(first.unwrap(), b"whole", "{addr}");
        assert_eq!(second.kind(), ErrorKind::PeerGone, "{addr}: {second}");
    }
}

fn opts(max: usize) -> ChannelOptions {
    ChannelOptions::new().with_max_message(max)
}

/// Defect 4: an oversized message on a message transport is consumed and reported as
/// `TooLarge` naming its size; the valid one behind it comes with the next `recv`.
#[test]
fn oversized_message_is_dropped_and_the_next_one_delivered() {
    let addrs: Vec<Address> = [
        format!("unix-dgram:{}", unique_path("big").display()),
        format!("unix-dgram:@{}", unique_name("big")),
        format!("unix-seqpacket:@{}", unique_name("big")),
        format!("posix-mq:/{}", unique_name("big")),
        format!("sysv-mq:{}", common::unique_key()),
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    for addr in addrs {
        let mut listener = channel::listen_with(&addr, &opts(1000)).unwrap();
        let peer = Peer::spawn("big_then_small", &[&addr.to_string()]);
        let mut rx = listener.accept_timeout(Duration::from_secs(10)).unwrap();
        let mut buf = Vec::new();
        let e = rx
            .recv_timeout(&mut buf, Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TooLarge, "{addr}: {e}");
        if !matches!(addr, Address::SysvMq { .. }) {
            assert!(e.to_string().contains("2000 bytes"), "{addr}: {e}");
        }
        rx.recv_timeout(&mut buf, Duration::from_secs(10)).unwrap();
        assert_eq!(buf, b"valid", "{addr}");
        peer.wait_lines();
        drop(rx);
        assert_eq!(listener.close().unwrap(), Closed::Done, "{addr}");
    }
}

/// Defect 4 on a byte stream: the oversized frame spoils its own connection only (it cannot
/// be resynchronised, every later call says TooLarge); another connection goes on.
#[test]
fn oversized_frame_spoils_only_its_connection() {
    for addr in [
        format!("unix:@{}", unique_name("bigf")),
        "tcp:127.0.0.1:0".to_string(),
    ] {
        let addr: Address = addr.parse().unwrap();
        let mut listener = channel::listen_with(&addr, &opts(1000)).unwrap();
        let bound = listener.address().clone();
        let mut bad = channel::connect(&bound).unwrap();
        bad.send(&[1u8; 2000]).unwrap();
        let mut rx_bad = listener.accept().unwrap();
        let mut good = channel::connect(&bound).unwrap();
        good.send(b"fine").unwrap();
        let mut rx_good = listener.accept().unwrap();
        let mut buf = Vec::new();
        let e = rx_bad.recv(&mut buf).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TooLarge, "{e}");
        assert!(e.to_string().contains("2000 bytes"), "{e}");
        assert_eq!(
            rx_bad.recv(&mut buf).unwrap_err().kind(),
            ErrorKind::TooLarge
        );
        rx_good.recv(&mut buf).unwrap();
        assert_eq!(buf, b"fine");
    }
}

fn queue_addresses() -> Vec<Address> {
    [
        format!("posix-mq:/{}", unique_name("kept")),
        format!("sysv-mq:{}", common::unique_key()),
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect()
}

/// Removes a queue `addr` names, by hand.
fn remove_queue(addr: &Address) {
    match addr {
        Address::PosixMq(name) => ipckit::posix::mq::MessageQueue::unlink(name).unwrap(),
        Address::SysvMq { key, .. } => {
            let q = ipckit::sysv::msg::MessageQueue::builder(key.resolve().unwrap())
                .open()
                .unwrap();
            q.remove().unwrap();
        }
        _ => unreachable!(),
    }
}

fn queue_exists(addr: &Address) -> bool {
    match addr {
        Address::PosixMq(name) => ipckit::posix::mq::MessageQueue::builder(name)
            .write_only()
            .open()
            .is_ok(),
        Address::SysvMq { key, .. } => {
            ipckit::sysv::msg::MessageQueue::builder(key.resolve().unwrap())
                .open()
                .is_ok()
        }
        _ => unreachable!(),
    }
}

/// Defect 2: a listener that created a queue removes it only when empty.
#[test]
fn a_queue_holding_messages_is_kept_and_counted() {
    for addr in queue_addresses() {
        let mut listener = channel::listen(&addr).unwrap();
        let mut rx = listener.accept().unwrap();
        Peer::spawn("send", &[&addr.to_string(), "m1", "m2", "m3"]).wait_lines();
        let mut buf = Vec::new();
        rx.recv(&mut buf).unwrap();
        assert_eq!(buf, b"m1");
        assert_eq!(listener.pending_messages().unwrap(), Some(2), "{addr}");
        assert_eq!(
            listener.close().unwrap(),
            Closed::InUse,
            "{addr}: rx holds it"
        );
        drop(rx);
        assert!(queue_exists(&addr), "{addr}: kept, 2 messages in it");
        // Listening again opens the kept queue (not created here): close leaves it.
        let again = channel::listen(&addr).unwrap();
        assert_eq!(again.pending_messages().unwrap(), Some(2));
        assert_eq!(again.close().unwrap(), Closed::Done);
        assert!(queue_exists(&addr));
        remove_queue(&addr);

        // Empty: removed.
        let listener = channel::listen(&addr).unwrap();
        assert_eq!(listener.pending_messages().unwrap(), Some(0));
        assert_eq!(listener.close().unwrap(), Closed::Done);
        assert!(!queue_exists(&addr), "{addr}: empty, removed");

        // Kept by close, with the count.
        let listener = channel::listen(&addr).unwrap();
        Peer::spawn("send", &[&addr.to_string(), "left"]).wait_lines();
        assert_eq!(listener.close().unwrap(), Closed::Kept { messages: 1 });
        assert!(queue_exists(&addr));
        remove_queue(&addr);
    }
}

/// Defect 7: a receiver blocked on a queue that is removed returns `NotFound` naming it
/// within 1 s (was: waited forever on `posix-mq:`).
#[test]
fn a_removed_queue_ends_a_waiting_receiver_within_a_second() {
    for addr in queue_addresses() {
        let mut listener = channel::listen(&addr).unwrap();
        let mut rx = listener.accept().unwrap();
        let a = addr.clone();
        let remover = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            remove_queue(&a);
            std::time::Instant::now()
        });
        let e = rx.recv(&mut Vec::new()).unwrap_err();
        let removed_at = remover.join().unwrap();
        assert!(removed_at.elapsed() < Duration::from_secs(1), "{addr}");
        assert_eq!(e.kind(), ErrorKind::NotFound, "{addr}: {e}");
        assert!(e.to_string().contains(&addr.to_string()), "{addr}: {e}");
        assert!(e.to_string().contains("was removed"), "{addr}: {e}");
        let e = rx
            .recv_timeout(&mut Vec::new(), Duration::from_secs(5))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{addr}: {e}");
        drop(rx);
        let _ = listener.close();
    }
}

const BIG: usize = 200_000;

/// Writer `id`'s message: its id, then a pattern only it writes.
fn big(id: u8) -> Vec<u8> {
    let mut m: Vec<u8> = (0..BIG)
        .map(|j| (j.wrapping_mul(13) ^ (id as usize * 7919)) as u8)
        .collect();
    m[0] = id;
    m
}

/// Defect 5: ten writer processes of 200 kB frames into one FIFO (above PIPE_BUF, so the
/// kernel alone would interleave them): ten whole, verified messages.
#[test]
fn concurrent_fifo_writers_never_interleave() {
    let path = unique_path("fifo10");
    let addr: Address = format!("fifo:{}", path.display()).parse().unwrap();
    let mut listener = channel::listen(&addr).unwrap();
    let writers: Vec<Peer> = (0..10u8)
        .map(|i| Peer::spawn("fifo_big", &[&addr.to_string(), &i.to_string()]))
        .collect();
    let mut seen = Vec::new();
    let mut buf = Vec::new();
    while seen.len() < 10 {
        let mut rx = listener.accept_timeout(Duration::from_secs(20)).unwrap();
        loop {
            match rx.recv_timeout(&mut buf, Duration::from_secs(20)) {
                Ok(n) => {
                    assert_eq!(n, BIG, "a whole message");
                    let id = buf[0];
                    assert!(
                        buf == big(id),
                        "message of writer {id} is not its own bytes"
                    );
                    seen.push(id);
                }
                Err(e) if e.kind() == ErrorKind::PeerGone => break,
                Err(e) => panic!("after {} messages: {e}", seen.len()),
            }
        }
    }
    for w in writers {
        w.wait_lines();
    }
    seen.sort();
    assert_eq!(seen, (0..10).collect::<Vec<u8>>());
}
