//! TCP helpers between real processes: `TCP_NODELAY` on both ends, data both ways, and a
//! write to a closed peer reported as `PeerGone` without `SIGPIPE`.

mod common;

use std::io::{Read, Write};

use common::{say, Peer};
use ipckit::net::tcp;
use ipckit::ErrorKind;

/// The peer-process entry point (see `common::run_peer`).
#[test]
fn peer() {
    common::run_peer(|role, args| match role {
        "client" => {
            let mut s = tcp::connect(args[0].as_str()).expect("connect");
            say(format!("nodelay {}", s.nodelay().unwrap()));
            s.write_all(b"ping").unwrap();
            let mut buf = [0u8; 4];
            s.read_exact(&mut buf).unwrap();
            say(String::from_utf8_lossy(&buf));
        }
        "write-to-gone" => {
            // Die on SIGPIPE as a C host would: only MSG_NOSIGNAL in std's send keeps us alive.
            let _dfl = ipckit::signal::set_default(ipckit::signal::Signal::PIPE).unwrap();
            let mut s = tcp::connect(args[0].as_str()).expect("connect");
            assert_eq!(s.read(&mut [0u8; 8]).unwrap(), 0, "end of stream");
            // The first write after the peer closed may still be accepted (the peer answers
            // it with a reset); a later one fails.
            let err = (0..1000)
                .find_map(|_| s.write_all(b"anyone?").err())
                .expect("a write to a closed peer fails");
            let err = ipckit::Error::from_errno(
                ipckit::Errno::from_raw(err.raw_os_error().expect("an OS error")),
                "write",
                "tcp",
            );
            say(format!("survived: {:?}", err.kind()));
        }
        other => panic!("unknown peer role {other}"),
    });
}

#[test]
fn connect_and_accept_set_nodelay_and_carry_data_between_processes() {
    let l = tcp::listen("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let peer = Peer::spawn("client", &[&addr]);
    let mut s = tcp::accept(&l).unwrap();
    assert!(s.nodelay().unwrap());
    let mut buf = [0u8; 4];
    s.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ping");
    s.write_all(b"pong").unwrap();
    assert_eq!(peer.wait_lines(), ["nodelay true", "pong"]);
}

#[test]
fn writing_to_a_closed_peer_is_peer_gone_without_sigpipe() {
    let l = tcp::listen("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let peer = Peer::spawn("write-to-gone", &[&addr]);
    drop(tcp::accept(&l).unwrap());
    assert_eq!(peer.wait_lines(), ["survived: PeerGone"]);
}

#[test]
fn connecting_where_nobody_listens_is_peer_gone_naming_the_address() {
    // A port that was free a moment ago: bind, read it, close. Another process on the
    // machine may take it in between (the connect then succeeds): try another, bounded.
    let (addr, err) = (0..20)
        .find_map(|_| {
            let port = tcp::listen("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let addr = format!("127.0.0.1:{port}");
            tcp::connect(addr.as_str()).err().map(|e| (addr, e))
        })
        .expect("20 freed ports in a row were taken by another process");
    assert_eq!(err.kind(), ErrorKind::PeerGone);
    assert!(
        err.to_string()
            .starts_with(&format!("connect tcp:{addr}: ECONNREFUSED")),
        "{err}"
    );
    let err = tcp::connect("not an address").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
}
