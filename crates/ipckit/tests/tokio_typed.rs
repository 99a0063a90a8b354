//! `ipckit::tokio::typed` across real processes: one row per async transport (both codecs
//! each way, garbage then a good message, the `Sink` into a blocking typed receiver, a
//! `tokio::select!` race with a timer that loses nothing), the `Stream` ending when the
//! sender leaves, and a receive cancelled while half a frame has arrived.
#![cfg(all(feature = "tokio", feature = "serde"))]

mod common;

use std::io::Write;
use std::time::Duration;

use common::reading::{encode, garbage, sample, Reading};
use common::typed_rows::*;
use common::{run_peer, say, Live};
use futures_util::{SinkExt, StreamExt};
use ipckit::channel::typed::{self as sync_typed};
use ipckit::channel::{self, Address};
use ipckit::tokio::typed::{self, Codec, MsgPack, Postcard};
use ipckit::ErrorKind;

const COUNT: u32 = 40;
/// Messages of the select race: each sent only after the test's timer branch has won once.
const RACE: u32 = 8;
const WAIT: Duration = Duration::from_secs(30);

use common::rt;

/// Waits for one "go" line on stdin.
fn wait_for_go() {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).expect("read stdin");
    assert_eq!(line.trim(), "go", "the test said {line:?}");
}

/// Peer: sends `n` readings with the async typed sender (`send(&T)` for the even ones,
/// `SinkExt::send(T)` for the odd ones).
fn send_async<C: Codec>(addr: &Address, n: u32) {
    rt().block_on(async {
        let mut tx: typed::Sender<Reading, C> = typed::connect(addr).await.unwrap();
        for i in 0..n {
            if i % 2 == 0 {
                tx.send(&sample(i)).await.unwrap();
            } else {
                SinkExt::send(&mut tx, sample(i)).await.unwrap();
            }
        }
    });
    say("sent");
    wait_for_stdin_eof();
}

/// Peer: a blocking typed receiver of `n` readings in order.
fn recv_blocking<C: Codec>(addr: &Address, n: u32) {
    let mut listener: sync_typed::Listener<Reading, C> = sync_typed::listen(addr).unwrap();
    say(format!("ready {}", listener.address()));
    let mut rx = listener.accept_timeout(WAIT).unwrap();
    for i in 0..n {
        assert_eq!(rx.recv_timeout(WAIT).unwrap(), sample(i));
    }
    say(format!("got {n}"));
    wait_for_stdin_eof();
}

#[test]
/// The peer-process entry point (see `common::run_peer`): run as a test, it checks that
/// this binary re-executed as a peer answers.
fn peer() {
    run_peer(|role, args| {
        let addr: Address = args[0].parse().expect("peer address");
        let codec = args.get(1).map(String::as_str).unwrap_or("msgpack");
        match (role, codec) {
            ("send_async", "msgpack") => send_async::<MsgPack>(&addr, COUNT),
            ("send_async", "postcard") => send_async::<Postcard>(&addr, COUNT),
            ("recv_blocking", "msgpack") => recv_blocking::<MsgPack>(&addr, COUNT),
            ("recv_blocking", "postcard") => recv_blocking::<Postcard>(&addr, COUNT),
            ("send_garbage", codec) => send_garbage(&addr, codec),
            ("send_on_go", _) => {
                let mut tx: sync_typed::Sender<Reading> = sync_typed::connect(&addr).unwrap();
                for i in 0..RACE {
                    // The first at once (a fifo: accept waits for the first bytes).
                    if i > 0 {
                        wait_for_go();
                    }
                    tx.send(&sample(i)).unwrap();
                }
                wait_for_stdin_eof();
            }
            ("send_half_frame", _) => {
                let mut tx = channel::connect_raw(&addr).unwrap();
                let msg = encode("msgpack", &sample(3));
                let mut frame = (msg.len() as u32).to_le_bytes().to_vec();
                frame.extend_from_slice(&msg);
                let half = frame.len() / 2;
                tx.write_all(&frame[..half]).unwrap();
                tx.flush().unwrap();
                say("half");
                wait_for_go();
                tx.write_all(&frame[half..]).unwrap();
                tx.flush().unwrap();
                wait_for_stdin_eof();
            }
            (role, codec) => panic!("unknown peer role {role} {codec}"),
        }
    });
}

/// An async typed receiver of `COUNT` readings from a peer's async typed sender: with
/// `recv().await` (MessagePack) or as a `Stream` (postcard).
fn roundtrip<C: Codec>(addr: &Address, codec: &str) {
    rt().block_on(async {
        let mut listener: typed::Listener<Reading, C> = typed::listen(addr).unwrap();
        let bound = listener.address().to_string();
        let peer = Live::spawn("send_async", &[&bound, codec]);
        let mut rx = listener.accept().await.unwrap();
        if codec == "msgpack" {
            for i in 0..COUNT {
                let got = tokio::time::timeout(WAIT, rx.recv())
                    .await
                    .expect("in time");
                assert_eq!(got.unwrap(), sample(i), "{addr} {codec}");
            }
        } else {
            let got: Vec<Reading> = (&mut rx)
                .take(COUNT as usize)
                .map(|r| r.unwrap())
                .collect()
                .await;
            assert_eq!(got, (0..COUNT).map(sample).collect::<Vec<_>>(), "{addr}");
        }
        peer.finish();
    });
}

/// A message that does not decode, one with a byte too many, then a good one: the first two
/// are `InvalidData` naming the type (and the first its offset), the third arrives.
fn garbage_then_good<C: Codec>(addr: &Address, codec: &str) {
    rt().block_on(async {
        let mut listener: typed::Listener<Reading, C> = typed::listen(addr).unwrap();
        let bound = listener.address().to_string();
        let peer = Live::spawn("send_garbage", &[&bound, codec]);
        let mut rx = listener.accept().await.unwrap();
        let (bad, at) = garbage(codec);
        let e = rx.recv().await.unwrap_err();
        eprintln!("{addr} {codec}: {e}");
        assert_eq!(e.kind(), ErrorKind::InvalidData, "{e}");
        assert_eq!(e.object(), std::any::type_name::<Reading>());
        let wanted = format!("at byte {at} of {}", bad.len());
        assert!(e.to_string().contains(&wanted), "{e}: wanted {wanted}");
        // The Stream yields the next bad one as an item and goes on.
        let e = rx.next().await.expect("an item").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidData, "{e}");
        assert!(e.to_string().contains("1 trailing bytes"), "{e}");
        assert_eq!(rx.recv().await.unwrap(), sample(7));
        peer.finish();
    });
}

/// The async typed sender as a `Sink` of `T` (`feed`, `send_all`, `close`), into a
/// blocking typed receiver in the peer.
fn sink_to_blocking<C: Codec>(addr: &Address, codec: &str) {
    let mut peer = Live::spawn("recv_blocking", &[&addr.to_string(), codec]);
    let ready = peer.line();
    let bound: Address = ready.strip_prefix("ready ").unwrap().parse().unwrap();
    rt().block_on(async {
        let mut tx: typed::Sender<Reading, C> = typed::connect(&bound).await.unwrap();
        tx.feed(sample(0)).await.unwrap();
        let mut rest = futures_util::stream::iter((1..COUNT).map(|i| Ok(sample(i))));
        tx.send_all(&mut rest).await.unwrap();
        SinkExt::close(&mut tx).await.unwrap();
        assert!(!tx.is_pending());
    });
    assert_eq!(peer.line(), format!("got {COUNT}"));
    peer.finish();
}

/// `tokio::select!` between `recv()` and a timer: the peer sends each message after the
/// first only once the timer branch has won (so each of those `recv`s was cancelled at
/// least once before its message arrived); every message arrives, in order.
fn select_race(addr: &Address) {
    rt().block_on(async {
        let mut listener: typed::Listener<Reading> = typed::listen(addr).unwrap();
        let bound = listener.address().to_string();
        let mut peer = Live::spawn("send_on_go", &[&bound]);
        let mut rx = listener.accept().await.unwrap();
        let (mut got, mut cancelled, mut asked) = (Vec::new(), 0u32, true);
        let deadline = tokio::time::Instant::now() + WAIT;
        while got.len() < RACE as usize {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{addr}: got {got:?}"
            );
            tokio::select! {
                r = rx.recv() => {
                    got.push(r.unwrap());
                    asked = false;
                }
                () = tokio::time::sleep(Duration::from_millis(2)) => {
                    cancelled += 1;
                    if !asked {
                        peer.send_line("go");
                        asked = true;
                    }
                }
            }
        }
        assert_eq!(got, (0..RACE).map(sample).collect::<Vec<_>>(), "{addr}");
        assert!(
            cancelled >= RACE - 1,
            "{addr}: {cancelled} cancelled receives"
        );
        peer.finish();
    });
}

/// One module per async transport.
macro_rules! rows {
    ($($name:ident => $addr:expr,)*) => {$(
        mod $name {
            use super::*;

            fn addr() -> Address {
                $addr().parse().unwrap()
            }

            #[test]
            fn msgpack() {
                roundtrip::<MsgPack>(&addr(), "msgpack");
            }

            #[test]
            fn postcard_stream() {
                roundtrip::<Postcard>(&addr(), "postcard");
            }

            #[test]
            fn garbage_msgpack() {
                garbage_then_good::<MsgPack>(&addr(), "msgpack");
            }

            #[test]
            fn garbage_postcard() {
                garbage_then_good::<Postcard>(&addr(), "postcard");
            }

            #[test]
            fn sink_msgpack() {
                sink_to_blocking::<MsgPack>(&addr(), "msgpack");
            }

            #[test]
            fn sink_postcard() {
                sink_to_blocking::<Postcard>(&addr(), "postcard");
            }

            #[test]
            fn select_with_a_timer_loses_nothing() {
                select_race(&addr());
            }
        }
    )*};
}

rows! {
    fifo => fifo,
    unix_stream => unix,
    unix_dgram => unix_dgram,
    unix_seqpacket => unix_seqpacket,
    tcp => tcp,
    posix_mq => posix_mq,
    sysv_mq => sysv_mq,
    shm_ring => shm_ring,
}

/// The typed `Stream` ends (`None`) when the sender leaves between messages.
#[test]
fn stream_ends_when_the_sender_leaves() {
    let addr: Address = unix().parse().unwrap();
    rt().block_on(async {
        let mut listener: typed::Listener<Reading, Postcard> = typed::listen(&addr).unwrap();
        let mut peer = Live::spawn("send_async", &[&addr.to_string(), "postcard"]);
        peer.close_stdin(); // the peer exits once it has sent all
        let rx = listener.accept().await.unwrap();
        let got: Vec<Reading> = rx.map(|r| r.unwrap()).collect().await;
        assert_eq!(got, (0..COUNT).map(sample).collect::<Vec<_>>());
        peer.finish();
    });
}

/// A receive cancelled by a timer while half a frame has arrived keeps that half: once the
/// rest arrives, the message is whole.
#[test]
fn a_cancelled_recv_keeps_half_a_frame() {
    let addr: Address = unix().parse().unwrap();
    rt().block_on(async {
        let mut listener: typed::Listener<Reading> = typed::listen(&addr).unwrap();
        let mut peer = Live::spawn("send_half_frame", &[&addr.to_string()]);
        let mut rx = listener.accept().await.unwrap();
        assert_eq!(peer.line(), "half");
        for _ in 0..5 {
            let r = tokio::time::timeout(Duration::from_millis(5), rx.recv()).await;
            assert!(r.is_err(), "half a frame is no message: {r:?}");
        }
        peer.send_line("go");
        let got = tokio::time::timeout(WAIT, rx.recv())
            .await
            .expect("in time");
        assert_eq!(got.unwrap(), sample(3));
        peer.finish();
    });
}
