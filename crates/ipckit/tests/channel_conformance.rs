//! The channel conformance suite: every transport, the peer in another process.
//!
//! Each transport is one row of [`TRANSPORTS`]: a name and a function returning fresh
//! addresses for it (a transport with several address forms, such as paths and abstract
//! names, returns one of each). Every test runs against every address. A transport that
//! cannot do something (a datagram socket cannot carry 4 MiB, a datagram receiver cannot see
//! its sender go) is skipped for that case only with its reason asserted, never silently.
//!
//! Adding a transport: write `fn my_transport() -> Vec<String>` and add a row.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{ChildStdout, Stdio};
use std::time::Duration;

use common::{run_peer, say, unique_key, unique_name, unique_path, Peer};
use ipckit::channel::{self, Address, ChannelOptions, Listener};
use ipckit::ErrorKind;

/// A transport: its name, and a function giving fresh addresses for one test.
type Transport = (&'static str, fn() -> Vec<String>);

/// The transports.
const TRANSPORTS: &[Transport] = &[
    ("fifo", fifo),
    ("unix", unix_stream),
    ("unix-dgram", unix_dgram),
    ("unix-seqpacket", unix_seqpacket),
    ("tcp", tcp),
    ("sysv-mq", sysv_mq),
    ("posix-mq", posix_mq),
];

fn fifo() -> Vec<String> {
    vec![format!("fifo:{}", unique_path("fifo").display())]
}

fn unix_stream() -> Vec<String> {
    vec![
        format!("unix:{}", unique_path("us").display()),
        format!("unix:@{}", unique_name("us")),
    ]
}

fn unix_dgram() -> Vec<String> {
    vec![
        format!("unix-dgram:{}", unique_path("ud").display()),
        format!("unix-dgram:@{}", unique_name("ud")),
    ]
}

fn unix_seqpacket() -> Vec<String> {
    vec![
        format!("unix-seqpacket:{}", unique_path("sp").display()),
        format!("unix-seqpacket:@{}", unique_name("sp")),
    ]
}

fn sysv_mq() -> Vec<String> {
    vec![
        format!("sysv-mq:{}", unique_key()),
        format!("sysv-mq:{:#x}:5", unique_key()),
    ]
}

fn posix_mq() -> Vec<String> {
    vec![format!("posix-mq:/{}", unique_name("mq"))]
}

fn tcp() -> Vec<String> {
    vec!["tcp:127.0.0.1:0".to_string()]
}

/// Runs `case` for every address of every transport.
fn each_address(case: impl Fn(&Address)) {
    for (name, addresses) in TRANSPORTS {
        for text in addresses() {
            let addr: Address = text.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
            eprintln!("-- {name}: {addr}");
            case(&addr);
        }
    }
}

/// Whether the transport has no connection, so a receiver cannot tell its sender left:
/// datagram sockets and message queues.
fn is_datagram(addr: &Address) -> bool {
    matches!(addr.scheme(), "unix-dgram" | "posix-mq" | "sysv-mq")
}

/// The largest message a transport with a per-message limit may refuse below 64 KiB (the
/// default `SO_SNDBUF` is about 208 KiB): a POSIX queue carries at most `msgsize_max` bytes
/// (8192 by default) per message, a System V queue at most `msgmax` (8192 by default).
fn message_limit(addr: &Address) -> usize {
    match addr {
        Address::PosixMq(_) => ipckit::posix::mq::Limits::read()
            .msgsize_max
            .unwrap_or(8192) as usize,
        Address::SysvMq { .. } => std::fs::read_to_string("/proc/sys/kernel/msgmax")
            .unwrap()
            .trim()
            .parse()
            .unwrap(),
        _ => 64 << 10,
    }
}

/// The test payload of `len` bytes: a pattern that catches shifted or mixed-up bytes.
fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(31) ^ (len >> 3)) as u8)
        .collect()
}

const SIZES: [usize; 4] = [0, 1, 64 << 10, 4 << 20];
const ORDERED: usize = 100;

/// What the peer [`say`]s on this line of its output, if anything (libtest may print
/// `test peer ... ` before it on the same line).
fn said(line: &str) -> Option<&str> {
    line.find("@@peer ")
        .map(|i| line[i + "@@peer ".len()..].trim_end())
}

/// A peer whose output is read line by line while it runs; killed if the test fails first.
struct Live {
    peer: Option<Peer>,
    out: BufReader<ChildStdout>,
}

impl Live {
    fn spawn(role: &str, addr: &Address) -> Live {
        let text = addr.to_string();
        let mut cmd = Peer::command(role, &[&text]);
        cmd.stdin(Stdio::piped());
        let mut peer = Peer::from_command(cmd);
        let out = BufReader::new(peer.child_mut().stdout.take().expect("peer stdout"));
        Live {
            peer: Some(peer),
            out,
        }
    }

    /// The next line the peer [`say`]s.
    fn line(&mut self) -> String {
        let mut line = String::new();
        loop {
            line.clear();
            let n = self.out.read_line(&mut line).expect("read peer output");
            assert!(n > 0, "peer ended without saying the expected line");
            if let Some(said) = said(&line) {
                return said.to_string();
            }
        }
    }

    /// Closes the peer's stdin (its signal to finish), waits, asserts success, returns the
    /// remaining lines it said.
    fn finish(mut self) -> Vec<String> {
        let mut peer = self.peer.take().expect("peer");
        drop(peer.child_mut().stdin.take());
        let mut rest = String::new();
        self.out
            .read_to_string(&mut rest)
            .expect("read peer output");
        let status = peer.wait();
        assert!(status.success(), "peer failed: {status:?}\n{rest}");
        rest.lines().filter_map(said).map(String::from).collect()
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        if let Some(peer) = &mut self.peer {
            let _ = peer.child_mut().kill();
            let _ = peer.child_mut().wait();
        }
    }
}

fn arg_address(args: &[String]) -> Address {
    args[0].parse().expect("peer address")
}

/// Blocks until the test closes this peer's stdin.
fn wait_for_stdin_eof() {
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
}

#[test]
#[ignore = "peer-process entry point: the tests start it with IPCKIT_PEER set"]
fn peer() {
    run_peer(|role, args| {
        let addr = arg_address(args);
        match role {
            "send_sizes" => {
                let mut tx = channel::connect(&addr).unwrap();
                for size in SIZES {
                    match tx.send(&pattern(size)) {
                        Ok(()) => say(format!("sent {size}")),
                        Err(e) if e.kind() == ErrorKind::TooLarge => {
                            say(format!("too-large {size}: {e}"));
                            // Stand in for it, so the receiver knows without waiting.
                            tx.send(format!("skipped {size}").as_bytes()).unwrap();
                        }
                        Err(e) => panic!("send {size}: {e}"),
                    }
                }
                for i in 0..ORDERED {
                    tx.send(format!("message {i}").as_bytes()).unwrap();
                }
            }
            "send_then_exit" => {
                channel::connect(&addr).unwrap().send(b"last").unwrap();
            }
            "send_hello_wait" => {
                let mut tx = channel::connect(&addr).unwrap();
                tx.send(b"hello").unwrap();
                say("sent");
                wait_for_stdin_eof();
            }
            "send_big_then_small" => {
                let mut tx = channel::connect(&addr).unwrap();
                tx.send(&pattern(2048)).unwrap();
                say("sent big");
                // A stream receiver gives up on the stream after the big frame; a message
                // receiver takes the next message.
                let _ = tx.send(b"after");
                wait_for_stdin_eof();
            }
            "connect_wait" => {
                let _tx = channel::connect(&addr).unwrap();
                say("connected");
                wait_for_stdin_eof();
            }
            "sender_max" => {
                let opts = ChannelOptions::new().with_max_message(1024);
                let mut tx = channel::connect_with(&addr, &opts).unwrap();
                let e = tx.send(&pattern(2048)).unwrap_err();
                assert_eq!(e.kind(), ErrorKind::TooLarge, "{e}");
                say("rejected");
                tx.send(b"fits").unwrap();
                wait_for_stdin_eof();
            }
            "recv_one_then_exit" => {
                let mut listener = channel::listen(&addr).unwrap();
                say(format!("ready {}", listener.address()));
                let mut rx = listener.accept().unwrap();
                let mut buf = Vec::new();
                let n = rx.recv(&mut buf).unwrap();
                say(format!("got {n}"));
            }
            other => panic!("unknown peer role {other}"),
        }
    });
}

fn listen(addr: &Address) -> Listener {
    channel::listen(addr).unwrap_or_else(|e| panic!("listen {addr}: {e}"))
}

#[test]
fn sizes_and_order_between_processes() {
    each_address(|addr| {
        let mut listener = listen(addr);
        let live = Live::spawn("send_sizes", listener.address());
        let mut rx = listener.accept().unwrap();
        let mut buf = Vec::new();
        let mut skipped = Vec::new();
        for size in SIZES {
            let n = rx.recv(&mut buf).unwrap();
            if buf == format!("skipped {size}").as_bytes() {
                // Only a transport with native boundaries has a per-message limit.
                assert!(
                    !addr.is_byte_stream(),
                    "{addr}: a byte stream refused {size} B"
                );
                assert!(size > message_limit(addr), "{addr}: refused {size} B");
                skipped.push(size);
                continue;
            }
            assert_eq!(n, size, "{addr}");
            assert_eq!(buf.len(), size);
            assert!(buf == pattern(size), "{addr}: {size} B arrived altered");
        }
        for i in 0..ORDERED {
            rx.recv(&mut buf).unwrap();
            assert_eq!(buf, format!("message {i}").as_bytes(), "{addr}: order");
        }
        let lines = live.finish();
        for size in skipped {
            let line = lines
                .iter()
                .find(|l| l.starts_with(&format!("too-large {size}: ")))
                .expect("the peer's reason for skipping");
            eprintln!("   {addr}: {size} B skipped, the sender got {line}");
        }
    });
}

#[test]
fn receiver_sees_sender_gone() {
    each_address(|addr| {
        let mut listener = listen(addr);
        let live = Live::spawn("send_then_exit", listener.address());
        let mut rx = listener.accept().unwrap();
        let mut buf = Vec::new();
        rx.recv(&mut buf).unwrap();
        assert_eq!(buf, b"last");
        live.finish();
        if is_datagram(addr) {
            // No connection: nothing tells a datagram receiver that a sender left.
            let e = rx
                .recv_timeout(&mut buf, Duration::from_millis(50))
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::TimedOut, "{addr}: {e}");
            eprintln!(
                "   {addr}: receiver-side peer gone skipped: no connection (TimedOut asserted)"
            );
        } else {
            let e = rx.recv(&mut buf).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::PeerGone, "{addr}: {e}");
            assert_eq!(rx.recv(&mut buf).unwrap_err().kind(), ErrorKind::PeerGone);
        }
    });
}

#[test]
fn sender_sees_receiver_gone() {
    each_address(|addr| {
        // The peer listens and says the address it bound (a TCP port 0 made real).
        let mut live = Live::spawn("recv_one_then_exit", addr);
        let ready = live.line();
        let bound: Address = ready
            .strip_prefix("ready ")
            .expect("ready line")
            .parse()
            .unwrap();
        let mut tx = channel::connect(&bound).unwrap();
        tx.send(b"one").unwrap();
        let rest = live.finish();
        assert_eq!(rest, ["got 3"]);
        // TCP may accept a send or two before the peer's reset arrives; every other
        // transport fails the first send.
        let mut attempts = 0;
        let e = loop {
            attempts += 1;
            match tx.send(b"more") {
                Ok(()) if attempts < 1000 => continue,
                Ok(()) => panic!("{addr}: 1000 sends to a gone receiver succeeded"),
                Err(e) => break e,
            }
        };
        assert_eq!(e.kind(), ErrorKind::PeerGone, "{addr}: {e}");
        if !matches!(addr, Address::Tcp { .. }) {
            assert_eq!(attempts, 1, "{addr}");
        }
    });
}

#[test]
fn too_large_is_rejected_before_allocation() {
    each_address(|addr| {
        let opts = ChannelOptions::new().with_max_message(1024);
        let mut listener = channel::listen_with(addr, &opts).unwrap();
        let mut live = Live::spawn("send_big_then_small", listener.address());
        let mut rx = listener.accept().unwrap();
        let mut buf = Vec::new();
        let e = rx.recv(&mut buf).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TooLarge, "{addr}: {e}");
        assert!(
            buf.capacity() < 2048,
            "{addr}: {} bytes allocated for a rejected message",
            buf.capacity()
        );
        assert_eq!(live.line(), "sent big");
        if addr.is_byte_stream() {
            // The stream cannot be resynchronised: the receiver keeps refusing.
            assert_eq!(rx.recv(&mut buf).unwrap_err().kind(), ErrorKind::TooLarge);
        } else {
            // The message was discarded whole; the next one arrives.
            rx.recv(&mut buf).unwrap();
            assert_eq!(buf, b"after", "{addr}");
        }
        drop(rx);
        live.finish();
    });
}

#[test]
fn sender_rejects_too_large_and_writes_nothing() {
    each_address(|addr| {
        let mut listener = listen(addr);
        let mut live = Live::spawn("sender_max", listener.address());
        let mut rx = listener.accept().unwrap();
        assert_eq!(live.line(), "rejected");
        let mut buf = Vec::new();
        rx.recv(&mut buf).unwrap();
        assert_eq!(buf, b"fits", "{addr}: the first message received");
        live.finish();
    });
}

#[test]
fn timeout_and_try_recv_when_nothing_was_sent() {
    each_address(|addr| {
        let mut listener = listen(addr);
        let mut live = Live::spawn("send_hello_wait", listener.address());
        let mut rx = listener.accept().unwrap();
        let mut buf = Vec::new();
        rx.recv(&mut buf).unwrap();
        assert_eq!(buf, b"hello");
        assert_eq!(live.line(), "sent");
        let e = rx
            .recv_timeout(&mut buf, Duration::from_millis(30))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TimedOut, "{addr}: {e}");
        let e = rx.try_recv(&mut buf).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WouldBlock, "{addr}: {e}");
        live.finish();
        if !is_datagram(addr) {
            let e = rx.recv(&mut buf).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::PeerGone, "{addr}: {e}");
        }
    });
}

#[test]
fn recv_timeout_when_the_sender_sent_nothing() {
    each_address(|addr| {
        let mut listener = listen(addr);
        let mut live = Live::spawn("connect_wait", listener.address());
        let mut buf = Vec::new();
        if matches!(addr, Address::Fifo(_)) {
            // A FIFO has no connections: its receiver is ready once bytes (or the writer's
            // close) arrive, so with nothing sent the wait times out in accept.
            let e = listener
                .accept_timeout(Duration::from_millis(30))
                .expect_err("nothing was sent");
            assert_eq!(e.kind(), ErrorKind::TimedOut, "{addr}: {e}");
            assert_eq!(live.line(), "connected");
        } else {
            assert_eq!(live.line(), "connected");
            let mut rx = listener.accept().unwrap();
            let e = rx
                .recv_timeout(&mut buf, Duration::from_millis(30))
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::TimedOut, "{addr}: {e}");
            assert_eq!(
                rx.try_recv(&mut buf).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
        }
        live.finish();
    });
}

#[test]
fn accept_timeout_without_a_sender() {
    each_address(|addr| {
        let mut listener = listen(addr);
        if is_datagram(addr) {
            // A datagram listener has no connections to wait for: accept returns at once
            // and the wait is in recv.
            let mut rx = listener.accept_timeout(Duration::from_millis(10)).unwrap();
            let e = rx
                .recv_timeout(&mut Vec::new(), Duration::from_millis(10))
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::TimedOut);
        } else {
            let e = listener
                .accept_timeout(Duration::from_millis(30))
                .expect_err("accept with no sender must time out");
            assert_eq!(e.kind(), ErrorKind::TimedOut, "{addr}: {e}");
        }
    });
}

#[test]
fn listener_removes_what_it_created() {
    for text in fifo()
        .into_iter()
        .chain(unix_stream())
        .chain(unix_dgram())
        .chain(unix_seqpacket())
    {
        let addr: Address = text.parse().unwrap();
        let path = text.split_once(':').unwrap().1;
        if path.starts_with('@') {
            continue;
        }
        let listener = listen(&addr);
        assert!(std::path::Path::new(path).exists(), "{addr}");
        drop(listener);
        assert!(!std::path::Path::new(path).exists(), "{addr}: left behind");
    }
    for text in posix_mq() {
        let addr: Address = text.parse().unwrap();
        let Address::PosixMq(name) = &addr else {
            unreachable!()
        };
        let open = || ipckit::posix::mq::MessageQueue::builder(name).open();
        let mut listener = listen(&addr);
        let rx = listener.accept().unwrap();
        drop(listener);
        assert!(open().is_ok(), "{addr}: the receiver still needs it");
        drop(rx);
        assert_eq!(
            open().unwrap_err().kind(),
            ErrorKind::NotFound,
            "{addr}: left behind"
        );
    }
}
