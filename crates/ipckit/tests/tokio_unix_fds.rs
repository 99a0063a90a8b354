//! Async `SCM_RIGHTS` across processes: the test's async socket passes a pipe's write end
//! to a peer process (this binary re-executed), which writes through it; the peer passes
//! one back the other way. Stream and seqpacket connections, and datagrams.
#![cfg(feature = "tokio")]

mod common;

use std::io::{Read, Write};
use std::os::fd::AsFd;

use common::{run_peer, say, unique_name, Peer};
use ipckit::net::unix::{self, SocketAddr, UnixListener, UnixSeqpacketListener};

use common::rt;

#[test]
/// The peer-process entry point (see `common::run_peer`): run as a test, it checks that
/// this binary re-executed as a peer answers.
fn peer() {
    run_peer(|role, args| {
        let addr = SocketAddr::abstract_name(&args[0]);
        let mut buf = [0u8; 16];
        // Receives a write end, writes through it, then passes a write end of its own.
        let (n, fds) = match role {
            "stream" => {
                let s = unix::UnixStream::connect(&addr).unwrap();
                let r = s.recv_fds(&mut buf, 4).unwrap();
                let (reader, writer) = ipckit::pipe::pipe().unwrap();
                s.send_fds(b"b", &[writer.as_fd()]).unwrap();
                drop(writer);
                let mut got = String::new();
                std::fs::File::from(std::os::fd::OwnedFd::from(reader))
                    .read_to_string(&mut got)
                    .unwrap();
                say(format!("read {got}"));
                r
            }
            "seqpacket" => {
                let s = unix::UnixSeqpacket::connect(&addr).unwrap();
                s.recv_fds(&mut buf, 4).unwrap()
            }
            "dgram" => {
                let s = unix::UnixDatagram::bind(&SocketAddr::abstract_name(&args[1])).unwrap();
                s.recv_fds(&mut buf, 4).unwrap()
            }
            other => panic!("unknown role {other}"),
        };
        assert_eq!(fds.len(), 1, "{role}: {n} bytes");
        let mut f = std::fs::File::from(fds.into_iter().next().unwrap());
        f.write_all(format!("hello from {role} peer").as_bytes())
            .unwrap();
    });
}

/// Reads what arrives through `reader` until every writer closed.
fn read_all(reader: ipckit::pipe::PipeReader) -> String {
    let mut got = String::new();
    std::fs::File::from(std::os::fd::OwnedFd::from(reader))
        .read_to_string(&mut got)
        .unwrap();
    got
}

#[test]
fn stream_passes_fds_both_ways_across_processes() {
    let name = unique_name("afd-stream");
    let listener = UnixListener::bind(&SocketAddr::abstract_name(&name)).unwrap();
    let peer = Peer::spawn("stream", &[&name]);
    rt().block_on(async {
        let sock = ipckit::tokio::UnixStream::new(listener.accept().unwrap()).unwrap();
        let (reader, writer) = ipckit::pipe::pipe().unwrap();
        sock.send_fds(b"a", &[writer.as_fd()]).await.unwrap();
        drop(writer);
        let mut buf = [0u8; 1];
        let (n, fds) = sock.recv_fds(&mut buf, 4).await.unwrap();
        assert_eq!((n, fds.len()), (1, 1));
        std::fs::File::from(fds.into_iter().next().unwrap())
            .write_all(b"back")
            .unwrap();
        assert_eq!(read_all(reader), "hello from stream peer");
    });
    assert_eq!(peer.wait_lines(), ["read back"]);
}

#[test]
fn seqpacket_passes_an_fd_across_processes() {
    let name = unique_name("afd-seq");
    let listener = UnixSeqpacketListener::bind(&SocketAddr::abstract_name(&name)).unwrap();
    let peer = Peer::spawn("seqpacket", &[&name]);
    rt().block_on(async {
        let sock = ipckit::tokio::UnixSeqpacket::new(listener.accept().unwrap()).unwrap();
        let (reader, writer) = ipckit::pipe::pipe().unwrap();
        sock.send_fds(b"fd", &[writer.as_fd()]).await.unwrap();
        drop(writer);
        assert_eq!(read_all(reader), "hello from seqpacket peer");
    });
    peer.wait_lines();
}

#[test]
fn datagram_passes_an_fd_across_processes() {
    let (a, b) = (unique_name("afd-dg-a"), unique_name("afd-dg-b"));
    let peer = Peer::spawn("dgram", &[&a, &b]);
    rt().block_on(async {
        let sock = unix::UnixDatagram::unbound().unwrap();
        // The peer binds; retry the connect until it has.
        let to = SocketAddr::abstract_name(&b);
        let mut tries = 0;
        while let Err(e) = sock.connect(&to) {
            tries += 1;
            assert!(tries < 500, "peer never bound: {e}");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let sock = ipckit::tokio::UnixDatagram::new(sock).unwrap();
        let (reader, writer) = ipckit::pipe::pipe().unwrap();
        sock.send_fds(b"d", &[writer.as_fd()]).await.unwrap();
        drop(writer);
        assert_eq!(read_all(reader), "hello from dgram peer");
    });
    peer.wait_lines();
}

#[test]
fn recv_fds_waits_without_blocking_the_runtime() {
    rt().block_on(async {
        let (a, b) = ipckit::tokio::UnixSeqpacket::pair().unwrap();
        let mut buf = [0u8; 4];
        // Nothing sent: cancelled by the timeout, nothing lost.
        let r = tokio::time::timeout(
            std::time::Duration::from_millis(20),
            b.recv_fds(&mut buf, 1),
        )
        .await;
        assert!(r.is_err());
        a.send_fds(b"late", &[]).await.unwrap();
        let (n, fds) = b.recv_fds(&mut buf, 1).await.unwrap();
        assert_eq!((n, fds.len(), &buf), (4, 0, b"late"));
    });
}
