//! The channel conformance suite for the async ends (`ipckit::tokio`): every transport with
//! the async side here and the sync peer in another process (this test binary re-executed).
//!
//! [`conformance!`] generates one module per transport, one test per case
//! (`unix_dgram::cancel_safe_recv`); `cargo test --features tokio --test
//! channel_conformance_async unix_dgram` runs one transport. A transport that cannot do
//! something (a datagram receiver cannot see its sender go) skips that case, announced.
#![cfg(feature = "tokio")]

mod common;

use std::io::Read;
use std::time::Duration;

use common::{run_peer, say, unique_key, unique_name, unique_path, Live};
use ipckit::channel::{self, Address, ChannelOptions};
use ipckit::ErrorKind;

fn fifo() -> Vec<String> {
    vec![format!("fifo:{}", unique_path("afifo").display())]
}
fn unix_stream() -> Vec<String> {
    vec![
        format!("unix:{}", unique_path("aus").display()),
        format!("unix:@{}", unique_name("aus")),
    ]
}
fn unix_dgram() -> Vec<String> {
    vec![format!("unix-dgram:@{}", unique_name("aud"))]
}
fn unix_seqpacket() -> Vec<String> {
    vec![format!("unix-seqpacket:@{}", unique_name("asp"))]
}
fn tcp() -> Vec<String> {
    vec!["tcp:127.0.0.1:0".to_string()]
}
fn posix_mq() -> Vec<String> {
    vec![format!("posix-mq:/{}", unique_name("amq"))]
}
fn sysv_mq() -> Vec<String> {
    vec![format!("sysv-mq:{:#x}:3", unique_key())]
}
fn shm_ring() -> Vec<String> {
    vec![
        format!("shm-ring:{}", unique_path("aring").display()),
        format!("shm-ring:@{}", unique_name("aring")),
    ]
}

fn each_address(transport: &str, addresses: fn() -> Vec<String>, case: fn(&Address)) {
    for text in addresses() {
        let addr: Address = text.parse().unwrap_or_else(|e| panic!("{transport}: {e}"));
        eprintln!("-- {transport}: {addr}");
        case(&addr);
    }
}

use common::rt;

/// No connection: a receiver cannot tell that a sender left, and all senders share a queue.
fn is_datagram(addr: &Address) -> bool {
    matches!(addr.scheme(), "unix-dgram" | "posix-mq" | "sysv-mq")
}

/// The largest message the transport carries in one piece, at most `want`.
fn size_cap(addr: &Address, want: usize) -> usize {
    let cap = match addr {
        Address::PosixMq(_) => ipckit::posix::mq::Limits::read()
            .msgsize_max
            .unwrap_or(8192) as usize,
        Address::SysvMq { .. } => 8192,
        Address::UnixDgram(_) | Address::UnixSeqpacket(_) => 100 << 10,
        _ => usize::MAX,
    };
    want.min(cap)
}

fn pattern(len: usize, seed: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(31) ^ seed.wrapping_mul(7) ^ (len >> 3)) as u8)
        .collect()
}

/// Sizes of the `i`th of a run of messages: mostly small, some large (partial frames).
fn size_of(addr: &Address, i: usize) -> usize {
    let want = match i % 10 {
        3 => 70_000,
        7 => 300_000,
        _ => i * 13 % 600,
    };
    size_cap(addr, want)
}

const MANY: usize = 200;

/// A peer whose output is read line by line, every read bounded by a deadline
/// ([`common::live::PEER_TIMEOUT`]); killed if the test fails first.
fn spawn_live(role: &str, addr: &Address, more: &[&str]) -> Live {
    let text = addr.to_string();
    let mut args = vec![text.as_str()];
    args.extend_from_slice(more);
    Live::spawn(role, &args)
}

fn wait_for_stdin_eof() {
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
}

/// The peers are the sync ends, so every case also checks that the two interoperate.
#[test]
/// The peer-process entry point (see `common::run_peer`): run as a test, it checks that
/// this binary re-executed as a peer answers.
fn peer() {
    run_peer(|role, args| {
        let addr: Address = args[0].parse().expect("peer address");
        match role {
            "send_many" => {
                let pace = args.get(1).is_some_and(|a| a == "paced");
                let mut tx = channel::connect(&addr).unwrap();
                for i in 0..MANY {
                    tx.send(&pattern(size_of(&addr, i), i)).unwrap();
                    if pace && i % 7 == 0 {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                }
                say("sent");
                wait_for_stdin_eof();
            }
            "send_one_wait" => {
                let mut tx = channel::connect(&addr).unwrap();
                tx.send(args[1].as_bytes()).unwrap();
                say("sent");
                wait_for_stdin_eof();
            }
            "connect_idle" => {
                let _tx = channel::connect(&addr).unwrap();
                say("connected");
                wait_for_stdin_eof();
            }
            "send_big_then_small" => {
                let mut tx = channel::connect(&addr).unwrap();
                tx.send(&pattern(2048, 0)).unwrap();
                let _ = tx.send(b"after");
                say("sent");
                wait_for_stdin_eof();
            }
            "half_frame" => {
                use std::io::Write;
                let mut raw = channel::connect_raw(&addr).unwrap();
                raw.write_all(&100u32.to_le_bytes()).unwrap();
                raw.write_all(b"only part").unwrap();
                say("wrote");
                wait_for_stdin_eof();
            }
            "recv_many" => {
                // Listens, says where, receives MANY messages and checks each.
                let mut listener = channel::listen(&addr).unwrap();
                say(format!("ready {}", listener.address()));
                let mut rx = listener.accept().unwrap();
                let mut buf = Vec::new();
                for i in 0..MANY {
                    if i % 5 == 0 {
                        std::thread::sleep(Duration::from_millis(1)); // a slow reader
                    }
                    rx.recv(&mut buf).unwrap();
                    assert!(buf == pattern(size_of(&addr, i), i), "message {i} altered");
                }
                say("got all");
                wait_for_stdin_eof();
            }
            other => panic!("unknown peer role {other}"),
        }
    });
}

fn listen(addr: &Address) -> ipckit::tokio::Listener {
    ipckit::tokio::listen(addr).unwrap_or_else(|e| panic!("listen {addr}: {e}"))
}

/// Where a peer that listens said it bound.
fn bound(live: &mut Live) -> Address {
    let line = live.line();
    line.strip_prefix("ready ").expect("ready").parse().unwrap()
}

mod cases {
    use super::*;

    /// One message each way of the async ends: a sync peer sends, the async side gets it.
    pub fn round_trip(addr: &Address) {
        rt().block_on(async {
            let mut listener = listen(addr);
            let live = spawn_live("send_one_wait", listener.address(), &["hello async"]);
            let mut rx = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            assert_eq!(rx.recv(&mut buf).await.unwrap(), 11);
            assert_eq!(buf, b"hello async");
            live.finish();
        });
    }

    /// Many messages of mixed sizes (up to 300 kB where the transport carries them) arrive
    /// in order, whole; the async sender's messages reach a sync receiver likewise.
    pub fn order(addr: &Address) {
        rt().block_on(async {
            let mut listener = listen(addr);
            let live = spawn_live("send_many", listener.address(), &[]);
            let mut rx = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            for i in 0..MANY {
                rx.recv(&mut buf).await.unwrap();
                assert!(buf == pattern(size_of(addr, i), i), "{addr}: message {i}");
            }
            live.finish();
        });
    }

    /// The async sender: many messages, some large, to a slow sync receiver.
    pub fn async_sender(addr: &Address) {
        rt().block_on(async {
            let mut live = spawn_live("recv_many", addr, &[]);
            let to = bound(&mut live);
            let mut tx = ipckit::tokio::connect(&to).await.unwrap();
            for i in 0..MANY {
                tx.send(&pattern(size_of(addr, i), i)).await.unwrap();
            }
            assert_eq!(live.line(), "got all");
            live.finish();
        });
    }

    /// Above the receiver's maximum: `TooLarge`; a message transport goes on with the next
    /// message, a byte stream keeps refusing. A sender refuses above its own maximum.
    pub fn too_large(addr: &Address) {
        rt().block_on(async {
            let opts = ChannelOptions::new().with_max_message(1024);
            let mut listener = ipckit::tokio::listen_with(addr, &opts).unwrap();
            let live = spawn_live("send_big_then_small", listener.address(), &[]);
            let mut rx = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            let e = rx.recv(&mut buf).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::TooLarge, "{addr}: {e}");
            if addr.is_byte_stream() {
                let e = rx.recv(&mut buf).await.unwrap_err();
                assert_eq!(e.kind(), ErrorKind::TooLarge);
            } else {
                rx.recv(&mut buf).await.unwrap();
                assert_eq!(buf, b"after");
            }
            let to = listener.address().clone();
            let mut tx = if matches!(addr, Address::ShmRing(_)) {
                // A ring connect completes when the listener accepts (the handshake).
                let (tx, second) =
                    tokio::join!(ipckit::tokio::connect_with(&to, &opts), listener.accept());
                second.unwrap();
                tx.unwrap()
            } else {
                ipckit::tokio::connect_with(&to, &opts).await.unwrap()
            };
            let e = tx.send(&[0; 1025]).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::TooLarge, "{addr}: {e}");
            drop(rx);
            live.finish();
        });
    }

    /// A sender killed after a message: the message arrives, then `PeerGone`; killed inside
    /// a frame: `UnexpectedEof` (connection transports only; datagrams announced).
    pub fn peer_killed(addr: &Address) {
        if is_datagram(addr) {
            eprintln!("   {addr}: skipped: no connection tells a receiver its sender left");
            return;
        }
        rt().block_on(async {
            let mut listener = listen(addr);
            let mut live = spawn_live("send_one_wait", listener.address(), &["last"]);
            let mut rx = listener.accept().await.unwrap();
            assert_eq!(live.line(), "sent");
            live.kill();
            let mut buf = Vec::new();
            rx.recv(&mut buf).await.unwrap();
            assert_eq!(buf, b"last");
            let e = rx.recv(&mut buf).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::PeerGone, "{addr}: {e}");
            if addr.is_byte_stream() {
                let mut live = spawn_live("half_frame", listener.address(), &[]);
                let mut rx = listener.accept().await.unwrap();
                assert_eq!(live.line(), "wrote");
                live.kill();
                let e = rx.recv(&mut buf).await.unwrap_err();
                assert_eq!(e.kind(), ErrorKind::UnexpectedEof, "{addr}: {e}");
            }
        });
    }

    /// `tokio::time::timeout` around a receive from a silent sender: elapsed, and the
    /// message sent afterwards still arrives.
    pub fn timeout(addr: &Address) {
        rt().block_on(async {
            let mut listener = listen(addr);
            let to = listener.address().clone();
            let stream = addr.is_byte_stream();
            // A FIFO's connect waits for the reader its accept opens: both at once.
            let (mut tx, mut rx) = tokio::join!(
                async {
                    let mut tx = ipckit::tokio::connect(&to).await.unwrap();
                    if stream {
                        tx.send(b"first").await.unwrap(); // a FIFO's accept waits for a write
                    }
                    tx
                },
                async { listener.accept().await.unwrap() }
            );
            let mut buf = Vec::new();
            if stream {
                rx.recv(&mut buf).await.unwrap();
            }
            let r = tokio::time::timeout(Duration::from_millis(30), rx.recv(&mut buf)).await;
            assert!(
                r.is_err(),
                "{addr}: a receive from a silent sender returned"
            );
            tx.send(b"late").await.unwrap();
            rx.recv(&mut buf).await.unwrap();
            assert_eq!(buf, b"late");
        });
    }

    /// One async server task, many client processes at once: an idle client that connected
    /// first delays nobody.
    pub fn many_clients(addr: &Address) {
        rt().block_on(async {
            let mut listener = listen(addr);
            let to = listener.address().clone();
            let shared = is_datagram(addr) || matches!(addr, Address::Fifo(_));
            let mut idle = None;
            if !shared {
                let mut l = spawn_live("connect_idle", &to, &[]);
                // Accept first: a shm-ring connect completes only once the listener
                // accepts (the handshake answers it); for the others the order does not
                // matter.
                let idle_rx = listener.accept().await.unwrap();
                assert_eq!(l.line(), "connected");
                idle = Some((l, idle_rx));
            } else {
                eprintln!("   {addr}: one shared queue/stream: no idle connection to hold");
            }
            let clients: Vec<Live> = (0..4)
                .map(|i| spawn_live("send_one_wait", &to, &[&format!("client {i}")]))
                .collect();
            let mut got = Vec::new();
            if shared {
                let mut rx = listener.accept().await.unwrap();
                let mut buf = Vec::new();
                for _ in 0..4 {
                    rx.recv(&mut buf).await.unwrap();
                    got.push(String::from_utf8(buf.clone()).unwrap());
                }
            } else {
                let mut tasks = tokio::task::JoinSet::new();
                for _ in 0..4 {
                    let mut rx = listener.accept().await.unwrap();
                    tasks.spawn(async move {
                        let mut buf = Vec::new();
                        rx.recv(&mut buf).await.map(|_| buf)
                    });
                }
                let all = tokio::time::timeout(Duration::from_secs(30), async {
                    while let Some(r) = tasks.join_next().await {
                        got.push(String::from_utf8(r.unwrap().unwrap()).unwrap());
                    }
                });
                all.await
                    .expect("the clients were served while one stayed idle");
            }
            got.sort();
            assert_eq!(
                got,
                (0..4).map(|i| format!("client {i}")).collect::<Vec<_>>()
            );
            for c in clients {
                c.finish();
            }
            if let Some((l, _rx)) = idle {
                l.finish();
            }
        });
    }

    /// `select!` of `recv` against a 1 ms timer, in a loop, while a peer sends many
    /// messages of mixed sizes (partial frames on streams): each arrives once, in order.
    pub fn cancel_safe_recv(addr: &Address) {
        rt().block_on(async {
            let mut listener = listen(addr);
            let live = spawn_live("send_many", listener.address(), &["paced"]);
            let mut rx = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            let (mut i, mut cancelled) = (0, 0u32);
            while i < MANY {
                tokio::select! {
                    r = rx.recv(&mut buf) => {
                        r.unwrap();
                        assert!(buf == pattern(size_of(addr, i), i), "{addr}: message {i}");
                        i += 1;
                    }
                    () = tokio::time::sleep(Duration::from_micros(300)) => cancelled += 1,
                }
            }
            eprintln!("   {addr}: {MANY} messages, {cancelled} receives cancelled");
            live.finish();
        });
    }

    /// The `Sink` and `Stream` forms: many messages fed into the sender as a `Sink` reach a
    /// slow sync receiver; a sync peer's messages come out of the receiver as a `Stream`,
    /// which ends when the peer is killed (after the last message).
    pub fn sink_and_stream(addr: &Address) {
        use futures_util::{SinkExt, StreamExt};
        rt().block_on(async {
            let mut live = spawn_live("recv_many", addr, &[]);
            let to = bound(&mut live);
            let mut tx = ipckit::tokio::connect(&to).await.unwrap();
            for i in 0..MANY {
                tx.feed(pattern(size_of(addr, i), i)).await.unwrap();
            }
            tx.flush().await.unwrap();
            assert!(!tx.is_pending());
            assert_eq!(live.line(), "got all");
            live.finish();

            if is_datagram(addr) {
                eprintln!("   {addr}: stream end not checked: no connection tells a receiver its sender left");
                return;
            }
            let mut listener = listen(addr);
            let mut live = spawn_live("send_many", listener.address(), &[]);
            let mut rx = listener.accept().await.unwrap();
            for i in 0..MANY {
                let msg = rx.next().await.expect("a message").unwrap();
                assert!(msg == pattern(size_of(addr, i), i), "{addr}: message {i}");
            }
            assert_eq!(live.line(), "sent");
            live.kill();
            assert!(rx.next().await.is_none(), "{addr}: the stream ends");
        });
    }

    /// `select!` of `send` against a short timer: a cancelled send's frame is finished
    /// before the next message, so the slow sync receiver gets every message intact.
    pub fn cancel_safe_send(addr: &Address) {
        rt().block_on(async {
            let mut live = spawn_live("recv_many", addr, &[]);
            let to = bound(&mut live);
            let mut tx = ipckit::tokio::connect(&to).await.unwrap();
            let (mut i, mut cancelled) = (0, 0u32);
            while i < MANY {
                let msg = pattern(size_of(addr, i), i);
                tokio::select! {
                    r = tx.send(&msg) => {
                        r.unwrap();
                        i += 1;
                    }
                    () = tokio::time::sleep(Duration::from_micros(200)) => {
                        cancelled += 1;
                        // Part of the frame went: the sender keeps the rest and the
                        // message counts as sent; otherwise nothing went: send it again.
                        if tx.is_pending() {
                            tx.flush().await.unwrap();
                            i += 1;
                        }
                    }
                }
            }
            eprintln!("   {addr}: {cancelled} sends cancelled");
            assert_eq!(live.line(), "got all");
            live.finish();
        });
    }
}

macro_rules! conformance {
    ($($transport:ident => $addresses:path,)*) => {$(
        mod $transport {
            use super::{cases, each_address};

            fn run(case: fn(&ipckit::channel::Address)) {
                each_address(stringify!($transport), $addresses, case);
            }

            #[test]
            fn round_trip() {
                run(cases::round_trip);
            }
            #[test]
            fn order() {
                run(cases::order);
            }
            #[test]
            fn async_sender() {
                run(cases::async_sender);
            }
            #[test]
            fn too_large() {
                run(cases::too_large);
            }
            #[test]
            fn peer_killed() {
                run(cases::peer_killed);
            }
            #[test]
            fn timeout() {
                run(cases::timeout);
            }
            #[test]
            fn many_clients() {
                run(cases::many_clients);
            }
            #[test]
            fn cancel_safe_recv() {
                run(cases::cancel_safe_recv);
            }
            #[test]
            fn sink_and_stream() {
                run(cases::sink_and_stream);
            }
            #[test]
            fn cancel_safe_send() {
                run(cases::cancel_safe_send);
            }
        }
    )*};
}

conformance! {
    fifo => super::fifo,
    unix => super::unix_stream,
    unix_dgram => super::unix_dgram,
    unix_seqpacket => super::unix_seqpacket,
    tcp => super::tcp,
    posix_mq => super::posix_mq,
    sysv_mq => super::sysv_mq,
    // Every case applies: a ring is a connection (the socket's hang-up tells a receiver
    // its sender left) carrying whole records, never a byte stream (no half frame, no
    // partly sent message: a cancelled send wrote nothing).
    shm_ring => super::shm_ring,
}
