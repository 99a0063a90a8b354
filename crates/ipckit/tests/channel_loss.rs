//! No silent loss (issue 10): a byte stream that ends inside a message is
//! `UnexpectedEof`, not a clean end; one bad frame or datagram spoils only its own
//! connection (or only itself). The writers are real processes that die mid-message.

mod common;

use std::io::Write;
use std::time::Duration;

use common::{run_peer, say, unique_name, unique_path, Peer};
use ipckit::channel::{self, Address, ChannelOptions};
use ipckit::ErrorKind;

#[test]
#[ignore = "peer-process entry point: the tests start it with IPCKIT_PEER set"]
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

#[allow(dead_code)]
fn opts(max: usize) -> ChannelOptions {
    ChannelOptions::new().with_max_message(max)
}
