//! `Stream` and `Sink` of the async ends, with a peer process on the other side.
#![cfg(feature = "tokio")]

mod common;

use common::{run_peer, say, unique_name, Peer};
use futures_util::{SinkExt, StreamExt};
use ipckit::channel::{self, Address};

use common::rt;

#[test]
/// The peer-process entry point (see `common::run_peer`): run as a test, it checks that
/// this binary re-executed as a peer answers.
fn peer() {
    run_peer(|role, args| {
        let addr: Address = args[0].parse().unwrap();
        match role {
            "send_five" => {
                let mut tx = channel::connect(&addr).unwrap();
                for i in 0..5 {
                    tx.send(format!("item {i}").as_bytes()).unwrap();
                }
            }
            "recv_all" => {
                let mut l = channel::listen(&addr).unwrap();
                say("ready");
                let mut rx = l.accept().unwrap();
                let mut buf = Vec::new();
                let mut n = 0;
                while rx.recv(&mut buf).is_ok() {
                    assert_eq!(buf.len(), 100_000 + n, "whole and in order");
                    n += 1;
                }
                say(format!("got {n}"));
            }
            other => panic!("unknown role {other}"),
        }
    });
}

#[test]
fn receiver_is_a_stream_that_ends_when_the_sender_leaves() {
    let addr: Address = format!("unix:@{}", unique_name("stream")).parse().unwrap();
    rt().block_on(async {
        let mut listener = ipckit::tokio::listen(&addr).unwrap();
        let peer = Peer::spawn("send_five", &[&addr.to_string()]);
        let rx = listener.accept().await.unwrap();
        let items: Vec<Vec<u8>> = rx.map(|r| r.unwrap()).collect().await;
        let want: Vec<Vec<u8>> = (0..5).map(|i| format!("item {i}").into_bytes()).collect();
        assert_eq!(items, want);
        assert!(peer.wait().success());
    });
}

#[test]
fn sender_is_a_sink_whose_flush_waits_for_the_kernel() {
    let addr: Address = format!("unix:@{}", unique_name("sink")).parse().unwrap();
    let mut peer = Peer::spawn("recv_all", &[&addr.to_string()]);
    let mut out = std::io::BufReader::new(peer.child_mut().stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("@@peer ready") {
        line.clear();
        assert!(std::io::BufRead::read_line(&mut out, &mut line).unwrap() > 0);
    }
    rt().block_on(async {
        let mut tx = ipckit::tokio::connect(&addr).await.unwrap();
        // Large messages: the kernel takes each in several writes.
        for n in 0..10 {
            SinkExt::send(&mut tx, vec![n as u8; 100_000 + n])
                .await
                .unwrap(); // feed + flush
        }
        let msgs: Vec<Vec<u8>> = (10..20).map(|n| vec![n as u8; 100_000 + n]).collect();
        let mut items = futures_util::stream::iter(msgs.into_iter().map(Ok));
        tx.send_all(&mut items).await.unwrap();
        SinkExt::<Vec<u8>>::close(&mut tx).await.unwrap();
        assert!(!tx.is_pending());
    });
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(peer.wait().success());
    assert!(rest.contains("@@peer got 20"), "{rest}");
}
