//! The ring's version-3 handshake against hostile or outdated connectors in another process:
//! a version-1 hello (two memfds, no doorbells), a version-2 hello (two memfds and four
//! eventfd doorbells) and a doorbell byte rung before the hello are refused with
//! `InvalidData` naming the problem, the connector is told, and the listener goes on to
//! accept a good connector.

mod common;

use std::os::fd::AsFd;

use common::{say, Peer};
use ipckit::net::unix::{SocketAddr, UnixSeqpacket};
use ipckit::ring;
use ipckit::ErrorKind;

#[test]
/// The peer-process entry point (see `common::run_peer`): run as a test, it checks that
/// this binary re-executed as a peer answers.
fn peer() {
    common::run_peer(|role, args| {
        let addr: SocketAddr = args[0].parse().expect("address");
        let (r, w) = ipckit::pipe::pipe().unwrap();
        let (r, w) = (r.into_inner(), w.into_inner());
        let mut hello = [0u8; 16];
        hello[..8].copy_from_slice(b"IPCKRING");
        let sock = UnixSeqpacket::connect(&addr).unwrap();
        match role {
            "v1" => {
                hello[8] = 1;
                sock.send_fds(&hello, &[r.as_fd(), w.as_fd()]).unwrap();
            }
            "v2" => {
                hello[8] = 2;
                let fds = [
                    r.as_fd(),
                    w.as_fd(),
                    r.as_fd(),
                    w.as_fd(),
                    r.as_fd(),
                    w.as_fd(),
                ];
                sock.send_fds(&hello, &fds).unwrap();
            }
            "early-bell" => {
                // A doorbell record (one byte) before the hello: taken as the hello, and
                // refused; the hello after it is never read.
                sock.send(b"!").unwrap();
                hello[8] = 3;
                let _ = sock.send_fds(&hello, &[r.as_fd(), w.as_fd()]);
            }
            other => panic!("unknown peer role {other}"),
        }
        let mut reply = [0u8; 8];
        // A listener that closed with our hello unread leaves ECONNRESET ahead of its
        // answer (as `ring::connect` knows): read on.
        let n = sock
            .recv(&mut reply)
            .or_else(|_| sock.recv(&mut reply))
            .unwrap();
        say(format!("reply {:?}", &reply[..n]));
        // Then a good connection, to show the listener still serves.
        let mut c = ring::connect(&addr).unwrap();
        c.sender().send(b"still here").unwrap();
    });
}

fn refused_then_serves(role: &str, wanted: &str) {
    let addr: SocketAddr = format!("@{}", common::unique_name("ring-hs"))
        .parse()
        .unwrap();
    let l = ring::listen(&addr).unwrap();
    let peer = Peer::spawn(role, &[&addr.to_string()]);
    let e = l.accept().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData, "{e}");
    assert!(e.to_string().contains(wanted), "{e}");
    let mut c = l.accept().unwrap();
    let mut buf = Vec::new();
    c.receiver().recv(&mut buf).unwrap();
    assert_eq!(buf, b"still here");
    // REFUSED_RING is 2.
    assert_eq!(peer.wait_lines(), vec!["reply [2]".to_string()]);
}

#[test]
fn a_version_1_hello_is_refused_naming_the_version() {
    refused_then_serves("v1", "ring version 1 with 2 fds, need version 3 with 2");
}

#[test]
fn a_version_2_hello_is_refused_naming_both_versions() {
    refused_then_serves(
        "v2",
        "ring version 2 with 6 fds, need version 3 with 2 (version 2 passed eventfd doorbells",
    );
}

#[test]
fn a_doorbell_rung_before_the_hello_is_a_bad_hello() {
    refused_then_serves("early-bell", "bad hello: 1 bytes, 0 fds");
}
