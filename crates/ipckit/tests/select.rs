//! `channel::Select`: one thread serves many senders; an idle, slow or half-frame sender
//! never delays another (issue 10, defect 3). Senders are other processes where it matters.

mod common;
#[path = "common/hostile.rs"]
mod hostile;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{run_peer, say, unique_key, unique_name, unique_path, Peer};
use ipckit::channel::{self, Address, Member, Select, Token};
use ipckit::net::unix::UnixSeqpacket;
use ipckit::ErrorKind;

/// The peer-process entry point (see `common::run_peer`).
#[test]
fn peer() {
    run_peer(|role, args| {
        let addr: Address = args[0].parse().expect("address");
        match role {
            // Connects, sends half a header, and holds the connection until killed.
            "half_frame" => {
                let mut tx = channel::connect_raw(&addr).unwrap();
                tx.write_all(&[9, 0]).unwrap();
                say("holding");
                std::thread::sleep(Duration::from_secs(60));
            }
            "send" => {
                let mut tx = channel::connect(&addr).unwrap();
                for m in &args[1..] {
                    tx.send(m.as_bytes()).unwrap();
                }
            }
            // Connects (a ring: the handshake is done when `connect` returns), says so,
            // then sends each line of its stdin as a message; ends at EOF (a clean close).
            "talk" => {
                let mut tx = channel::connect(&addr).unwrap();
                say("connected");
                for line in std::io::stdin().lines() {
                    tx.send(line.unwrap().as_bytes()).unwrap();
                    say("sent");
                }
            }
            // Connects to a ring listener's socket and never sends the handshake.
            "silent" => {
                let Address::ShmRing(name) = &addr else {
                    panic!("{addr}")
                };
                let _sock = UnixSeqpacket::connect(name).unwrap();
                say("connected");
                std::thread::sleep(Duration::from_secs(60));
            }
            // Connects to a ring listener's socket and sends garbage for a handshake.
            "garbage" => {
                let Address::ShmRing(name) = &addr else {
                    panic!("{addr}")
                };
                let sock = UnixSeqpacket::connect(name).unwrap();
                sock.send(b"not a ring hello").unwrap();
                say("sent");
                std::thread::sleep(Duration::from_secs(60));
            }
            // Connects (a ring), floods its connection's socket with doorbell bytes for
            // 1.5 s (never committing a record), then sends one message.
            "flood" => {
                let mut tx = channel::connect(&addr).unwrap();
                say("connected");
                let sent = hostile::flood(Duration::from_millis(1500));
                say(format!("flooded {sent}"));
                tx.send(b"real").unwrap();
                std::thread::sleep(Duration::from_millis(200));
            }
            other => panic!("unknown peer role {other}"),
        }
    });
}

/// How long a test waits for a peer's next line before it fails: far above what a loaded
/// machine needs.
const PEER_TIMEOUT: Duration = Duration::from_secs(60);

/// What a peer [`say`]s on this line of its output (after `common::say`'s prefix; libtest
/// may print `test peer ... ` before it on the same line).
fn said(line: &str) -> Option<&str> {
    const PREFIX: &str = "@@peer ";
    line.find(PREFIX)
        .map(|i| line[i + PREFIX.len()..].trim_end())
}

/// A peer that sends what it is told on its stdin (role `talk`), each step bounded by
/// [`PEER_TIMEOUT`]; killed and reaped when dropped.
struct Talker {
    peer: Option<Peer>,
    stdin: Option<std::process::ChildStdin>,
    lines: mpsc::Receiver<String>,
}

impl Talker {
    fn spawn(role: &str, addr: &Address) -> Talker {
        let mut cmd = Peer::command(role, &[&addr.to_string()]);
        cmd.stdin(Stdio::piped());
        let mut peer = Peer::from_command(cmd);
        let stdin = peer.child_mut().stdin.take();
        let out = peer.child_mut().stdout.take().expect("piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if let Some(s) = said(&line) {
                    if tx.send(s.to_string()).is_err() {
                        break;
                    }
                }
            }
        });
        Talker {
            peer: Some(peer),
            stdin,
            lines,
        }
    }

    /// Waits for the peer to say `want`.
    fn expect(&self, want: &str) {
        let got = self
            .lines
            .recv_timeout(PEER_TIMEOUT)
            .expect("peer said nothing");
        assert_eq!(got, want);
    }

    /// Has the peer send `msg` (and waits until it did).
    fn send(&mut self, msg: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{msg}").unwrap();
        stdin.flush().unwrap();
        self.expect("sent");
    }

    /// Closes its stdin: the peer closes the connection cleanly and exits.
    fn finish(mut self) {
        drop(self.stdin.take());
        let status = self.peer.take().unwrap().wait();
        assert!(status.success(), "{status:?}");
    }

    /// `kill -9`, and reaps it.
    fn kill(mut self) {
        let mut peer = self.peer.take().unwrap();
        peer.child_mut().kill().unwrap();
        peer.wait();
    }
}

impl Drop for Talker {
    fn drop(&mut self) {
        if let Some(p) = &mut self.peer {
            let _ = p.child_mut().kill();
            let _ = p.child_mut().wait();
        }
    }
}

/// Serves `sel` until `want` messages arrived or `limit` passed; returns them.
fn serve(sel: &mut Select, listener: Token, want: usize, limit: Duration) -> Vec<Vec<u8>> {
    let end = Instant::now() + limit;
    let mut got = Vec::new();
    let mut buf = Vec::new();
    while got.len() < want {
        let left = end.saturating_duration_since(Instant::now());
        let ev = match sel.wait(Some(left)) {
            Ok(ev) => ev,
            Err(e) if e.kind() == ErrorKind::TimedOut => break,
            Err(e) => panic!("wait: {e}"),
        };
        if ev.token == listener {
            match sel.accept(listener) {
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => panic!("accept: {e}"),
            }
            continue;
        }
        match sel.try_recv(ev.token, &mut buf) {
            Ok(_) => got.push(buf.clone()),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) if matches!(e.kind(), ErrorKind::PeerGone | ErrorKind::UnexpectedEof) => {
                sel.remove(ev.token);
            }
            Err(e) => panic!("recv: {e}"),
        }
    }
    got
}

fn connection_addresses() -> Vec<Address> {
    [
        format!("unix:{}", unique_path("sel").display()),
        format!("unix-seqpacket:@{}", unique_name("sel")),
        "tcp:127.0.0.1:0".to_string(),
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect()
}

#[test]
fn an_idle_and_a_half_frame_client_delay_nobody() {
    for addr in connection_addresses() {
        let mut sel = Select::new();
        let listener = channel::listen(&addr).unwrap();
        let bound = listener.address().clone();
        let l = sel.insert_listener(listener).unwrap();
        let _idle = channel::connect(&bound).unwrap();
        let mut hostile = (bound.scheme() != "unix-seqpacket").then(|| {
            let mut p = Peer::command("half_frame", &[&bound.to_string()]);
            p.stdout(std::process::Stdio::null());
            Peer::from_command(p)
        });
        std::thread::sleep(Duration::from_millis(50));
        let t0 = Instant::now();
        let sender = Peer::spawn("send", &[&bound.to_string(), "one", "two"]);
        let got = serve(&mut sel, l, 2, Duration::from_secs(10));
        assert_eq!(got, [b"one".to_vec(), b"two".to_vec()], "{bound}");
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "{bound}: {:?}",
            t0.elapsed()
        );
        sender.wait_lines();
        if let Some(h) = hostile.as_mut() {
            h.child_mut().kill().unwrap();
            h.child_mut().wait().unwrap();
        }
    }
}

#[test]
fn many_senders_one_thread_every_message_once() {
    for addr in connection_addresses() {
        let mut sel = Select::new();
        let listener = channel::listen(&addr).unwrap();
        let bound = listener.address().clone();
        let l = sel.insert_listener(listener).unwrap();
        let peers: Vec<Peer> = (0..5)
            .map(|i| {
                let msgs: Vec<String> = (0..20).map(|j| format!("p{i} m{j}")).collect();
                let mut args = vec![bound.to_string()];
                args.extend(msgs);
                let refs: Vec<&str> = args.iter().map(String::as_str).collect();
                Peer::spawn("send", &refs)
            })
            .collect();
        let mut got = serve(&mut sel, l, 100, Duration::from_secs(20));
        for p in peers {
            p.wait_lines();
        }
        // Each sender's messages in its order.
        for i in 0..5 {
            let mine: Vec<String> = got
                .iter()
                .map(|m| String::from_utf8(m.clone()).unwrap())
                .filter(|m| m.starts_with(&format!("p{i} ")))
                .collect();
            let want: Vec<String> = (0..20).map(|j| format!("p{i} m{j}")).collect();
            assert_eq!(mine, want, "{bound}");
        }
        got.sort();
        got.dedup();
        assert_eq!(got.len(), 100, "{bound}");
    }
}

#[test]
fn ready_members_are_taken_in_turn() {
    let addr: Address = format!("unix:@{}", unique_name("rr")).parse().unwrap();
    let mut listener = channel::listen(&addr).unwrap();
    let mut sel = Select::new();
    let mut txs = Vec::new();
    let mut toks = Vec::new();
    for _ in 0..3 {
        let mut tx = channel::connect(&addr).unwrap();
        for _ in 0..10 {
            tx.send(b"x").unwrap();
        }
        txs.push(tx);
        toks.push(sel.insert_receiver(listener.accept().unwrap()).unwrap());
    }
    let mut order = Vec::new();
    let mut buf = Vec::new();
    for _ in 0..6 {
        let ev = sel.wait(Some(Duration::from_secs(5))).unwrap();
        assert!(ev.readiness.is_readable());
        sel.try_recv(ev.token, &mut buf).unwrap();
        order.push(ev.token);
    }
    assert_eq!(
        order,
        [toks[0], toks[1], toks[2], toks[0], toks[1], toks[2]]
    );
    let mut events = Vec::new();
    assert_eq!(sel.wait_all(&mut events, Some(Duration::ZERO)).unwrap(), 3);
}

#[test]
fn timeouts_and_an_empty_set() {
    let mut sel = Select::new();
    let e = sel.wait(None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let e = sel.wait(Some(Duration::from_millis(5))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    let addr: Address = format!("unix:@{}", unique_name("to")).parse().unwrap();
    let l = sel
        .insert_listener(channel::listen(&addr).unwrap())
        .unwrap();
    let t0 = Instant::now();
    let e = sel.wait(Some(Duration::from_millis(30))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    assert!(t0.elapsed() >= Duration::from_millis(30));
    let _tx = channel::connect(&addr).unwrap();
    let ev = sel.wait(Some(Duration::MAX)).unwrap();
    assert_eq!(ev.token, l);
    let rx = sel.accept(l).unwrap();
    assert!(matches!(sel.get(rx), Some(Member::Receiver(_))));
    assert_eq!(sel.accept(l).unwrap_err().kind(), ErrorKind::WouldBlock);
    assert_eq!(sel.len(), 2);
    assert!(matches!(sel.remove(rx), Some(Member::Receiver(_))));
    assert!(sel.remove(rx).is_none());
    assert_eq!(sel.tokens().collect::<Vec<_>>(), [l]);
}

#[test]
fn what_has_no_fd_to_poll_is_refused_and_given_back() {
    let mut sel = Select::new();
    let key = format!("sysv-mq:{}", unique_key()).parse().unwrap();
    let mut sysv = channel::listen(&key).unwrap();
    let rx = sysv.accept().unwrap();
    let r = sel.insert_receiver(rx).unwrap_err();
    assert_eq!(r.error().kind(), ErrorKind::InvalidInput);
    assert!(r.to_string().contains("not a file"), "{r}");
    assert!(r.to_string().contains("sysv-mq: receiver"), "{r}");
    let _rx = r.into_inner();
    let r = sel.insert_listener(sysv).unwrap_err();
    assert_eq!(r.error().kind(), ErrorKind::InvalidInput);
    assert!(r.to_string().contains("sysv-mq:"), "{r}");
    drop(r.into_inner());

    let path = unique_path("selfifo");
    let fifo = channel::listen(&format!("fifo:{}", path.display()).parse().unwrap()).unwrap();
    let r = sel.insert_listener(fifo).unwrap_err();
    assert!(r.to_string().contains("insert the receiver"), "{r}");
    let fifo = r.into_inner();
    assert!(path.exists(), "given back, not dropped");
    drop(fifo);
    assert!(!path.exists());

    let dgram: Address = format!("unix-dgram:@{}", unique_name("seld"))
        .parse()
        .unwrap();
    let r = sel
        .insert_listener(channel::listen(&dgram).unwrap())
        .unwrap_err();
    assert_eq!(r.error().kind(), ErrorKind::InvalidInput);
    let e: ipckit::Error = r.into();
    assert!(e.to_string().contains("no connections"), "{e}");
    assert!(sel.is_empty());
}

#[test]
fn connectionless_receivers_in_a_select() {
    let dgram: Address = format!("unix-dgram:@{}", unique_name("seld"))
        .parse()
        .unwrap();
    let mq: Address = format!("posix-mq:/{}", unique_name("selmq"))
        .parse()
        .unwrap();
    let mut sel = Select::new();
    let mut ld = channel::listen(&dgram).unwrap();
    let mut lm = channel::listen(&mq).unwrap();
    let d = sel.insert_receiver(ld.accept().unwrap()).unwrap();
    let m = sel.insert_receiver(lm.accept().unwrap()).unwrap();
    Peer::spawn("send", &[&mq.to_string(), "to mq"]).wait_lines();
    Peer::spawn("send", &[&dgram.to_string(), "to dgram"]).wait_lines();
    let mut buf = Vec::new();
    let mut seen = Vec::new();
    for _ in 0..2 {
        let ev = sel.wait(Some(Duration::from_secs(5))).unwrap();
        sel.try_recv(ev.token, &mut buf).unwrap();
        seen.push((ev.token, String::from_utf8(buf.clone()).unwrap()));
    }
    seen.sort();
    let mut want = vec![(d, "to dgram".to_string()), (m, "to mq".to_string())];
    want.sort();
    assert_eq!(seen, want);
}

/// What a serving loop saw.
#[derive(Debug, Default)]
struct Log {
    /// Every message, with the receiver it came from.
    msgs: Vec<(Token, String)>,
    /// Every receiver that ended, and how.
    ends: Vec<(Token, ErrorKind)>,
    /// Every failed accept (one connector's error).
    accept_errors: Vec<ErrorKind>,
}

/// Serves `sel` (its listeners are `listeners`) until `done(log)` or `limit` passed;
/// returns whether `done` was reached. A receiver that ends is removed.
fn serve_until(
    sel: &mut Select,
    listeners: &[Token],
    log: &mut Log,
    limit: Duration,
    done: impl Fn(&Log) -> bool,
) -> bool {
    let end = Instant::now() + limit;
    let mut buf = Vec::new();
    while !done(log) {
        let left = end.saturating_duration_since(Instant::now());
        let ev = match sel.wait(Some(left)) {
            Ok(ev) => ev,
            Err(e) if e.kind() == ErrorKind::TimedOut => return false,
            Err(e) => panic!("wait: {e}"),
        };
        if listeners.contains(&ev.token) {
            match sel.accept(ev.token) {
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => log.accept_errors.push(e.kind()),
            }
            continue;
        }
        match sel.try_recv(ev.token, &mut buf) {
            Ok(_) => log
                .msgs
                .push((ev.token, String::from_utf8(buf.clone()).unwrap())),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) if matches!(e.kind(), ErrorKind::PeerGone | ErrorKind::UnexpectedEof) => {
                sel.remove(ev.token);
                log.ends.push((ev.token, e.kind()));
            }
            Err(e) => panic!("recv: {e}"),
        }
    }
    true
}

/// The messages of each sender (`"<sender> <n>"`) in the order they arrived.
fn by_sender(msgs: &[(Token, String)]) -> std::collections::BTreeMap<String, Vec<u32>> {
    let mut m = std::collections::BTreeMap::<String, Vec<u32>>::new();
    for (_, s) in msgs {
        let (who, n) = s.split_once(' ').expect("<sender> <n>");
        m.entry(who.to_string())
            .or_default()
            .push(n.parse().unwrap());
    }
    m
}

#[test]
fn a_unix_listener_and_rings_of_many_processes_in_one_select() {
    let path = unique_path("selmix");
    let unix: Address = format!("unix:{}", path.display()).parse().unwrap();
    let ring: Address = format!("shm-ring:@{}", unique_name("selmix"))
        .parse()
        .unwrap();
    let mut sel = Select::new();
    let lu = sel
        .insert_listener(channel::listen(&unix).unwrap())
        .unwrap();
    let lr = sel
        .insert_listener(channel::listen(&ring).unwrap())
        .unwrap();
    // A connector that never sends its handshake, one that sends garbage for it, and a
    // ring sender that connects and then sends nothing.
    let silent = Talker::spawn("silent", &ring);
    silent.expect("connected");
    let t0 = Instant::now();
    let garbage = Talker::spawn("garbage", &ring);
    garbage.expect("sent");
    let mut idle = Talker::spawn("talk", &ring);
    let msgs = |who: &str| -> Vec<String> { (0..40).map(|j| format!("{who} {j}")).collect() };
    let senders: Vec<Peer> = [("r0", &ring), ("r1", &ring), ("r2", &ring)]
        .into_iter()
        .chain([("u0", &unix), ("u1", &unix)])
        .map(|(who, addr)| {
            let mut args = vec![addr.to_string()];
            args.extend(msgs(who));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            Peer::spawn("send", &args)
        })
        .collect();
    let mut log = Log::default();
    let all = 5 * 40;
    assert!(
        serve_until(
            &mut sel,
            &[lu, lr],
            &mut log,
            Duration::from_secs(30),
            |l| { l.msgs.len() >= all }
        ),
        "{log:?}"
    );
    // The silent connector's handshake was still pending: it delayed nobody.
    assert!(
        t0.elapsed() < ipckit::ring::HANDSHAKE_TIMEOUT,
        "{:?}",
        t0.elapsed()
    );
    let got = by_sender(&log.msgs);
    assert_eq!(got.len(), 5, "{got:?}");
    for (who, ns) in &got {
        assert_eq!(
            *ns,
            (0..40).collect::<Vec<_>>(),
            "{who}: in order, each once"
        );
    }
    for s in senders {
        s.wait_lines();
    }
    // Then the silent connector's handshake times out, as one failed accept, and the
    // garbage one was refused as another; the listener goes on.
    assert!(
        serve_until(
            &mut sel,
            &[lu, lr],
            &mut log,
            Duration::from_secs(20),
            |l| { l.accept_errors.contains(&ErrorKind::TimedOut) }
        ),
        "{log:?}"
    );
    assert!(
        log.accept_errors.contains(&ErrorKind::InvalidData),
        "{log:?}"
    );
    // The idle ring sender was accepted meanwhile; it still gets through, then ends.
    idle.expect("connected");
    idle.send("idle 0");
    assert!(serve_until(
        &mut sel,
        &[lu, lr],
        &mut log,
        PEER_TIMEOUT,
        |l| l.msgs.len() > all
    ));
    assert_eq!(log.msgs.last().unwrap().1, "idle 0");
    let idle_token = log.msgs.last().unwrap().0;
    idle.finish();
    // Five senders and the idle one, each ended once.
    assert!(
        serve_until(&mut sel, &[lu, lr], &mut log, PEER_TIMEOUT, |l| {
            l.ends.len() == 6
        }),
        "{log:?}"
    );
    assert!(log.ends.iter().any(|e| e.0 == idle_token), "{log:?}");
    assert!(
        log.ends.iter().all(|e| e.1 == ErrorKind::PeerGone),
        "{log:?}"
    );
    // Every connection ended and was removed: the two listeners are left.
    assert_eq!(sel.tokens().collect::<Vec<_>>(), [lu, lr]);
    silent.kill();
    garbage.kill();
    drop(sel);
    assert!(!path.exists());
}

/// Three ring senders in other processes, accepted outside the set.
fn ring_talkers(sel: &mut Select, tag: &str) -> (Vec<Talker>, Vec<Token>) {
    let ring: Address = format!("shm-ring:@{}", unique_name(tag)).parse().unwrap();
    let mut listener = channel::listen(&ring).unwrap();
    let mut talkers = Vec::new();
    let mut tokens = Vec::new();
    for _ in 0..3 {
        let t = Talker::spawn("talk", &ring);
        let rx = listener.accept_timeout(PEER_TIMEOUT).unwrap();
        t.expect("connected");
        tokens.push(sel.insert_receiver(rx).unwrap());
        talkers.push(t);
    }
    (talkers, tokens)
}

#[test]
fn a_killed_ring_sender_is_an_end_and_the_others_go_on() {
    let mut sel = Select::new();
    let (mut talkers, toks) = ring_talkers(&mut sel, "selkill");
    let mut log = Log::default();
    // Nothing pending: the wait times out.
    let e = sel.wait(Some(Duration::from_millis(50))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    // The third stays idle and delays nobody.
    talkers[0].send("a 0");
    talkers[1].send("b 0");
    talkers[0].send("a 1");
    assert!(serve_until(&mut sel, &[], &mut log, PEER_TIMEOUT, |l| {
        l.msgs.len() == 3
    }));
    let mut seen = log.msgs.clone();
    seen.sort();
    assert_eq!(
        seen,
        [
            (toks[0], "a 0".to_string()),
            (toks[0], "a 1".to_string()),
            (toks[1], "b 0".to_string())
        ]
    );
    // kill -9 the second: its receiver is ready and ends as the ring says.
    talkers.remove(1).kill();
    assert!(serve_until(&mut sel, &[], &mut log, PEER_TIMEOUT, |l| {
        !l.ends.is_empty()
    }));
    assert_eq!(log.ends, [(toks[1], ErrorKind::PeerGone)]);
    // The others go on.
    talkers[1].send("c 0");
    talkers[0].send("a 2");
    assert!(serve_until(&mut sel, &[], &mut log, PEER_TIMEOUT, |l| {
        l.msgs.len() == 5
    }));
    let got = by_sender(&log.msgs);
    assert_eq!(got["a"], [0, 1, 2]);
    assert_eq!(got["c"], [0]);
    for t in talkers {
        t.finish();
    }
    assert!(serve_until(&mut sel, &[], &mut log, PEER_TIMEOUT, |l| {
        l.ends.len() == 3
    }));
    assert!(sel.is_empty());
}

#[test]
fn a_wait_on_idle_rings_does_not_spin() {
    let mut sel = Select::new();
    let (mut talkers, toks) = ring_talkers(&mut sel, "selspin");
    // Park them all, then have every sender ring its doorbell: a byte on each connection's
    // socket, which a level-triggered wait would see as readable forever unless drained.
    let e = sel.wait(Some(Duration::from_millis(10))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    for (i, t) in talkers.iter_mut().enumerate() {
        t.send(&format!("t{i} 0"));
    }
    let mut log = Log::default();
    assert!(serve_until(&mut sel, &[], &mut log, PEER_TIMEOUT, |l| {
        l.msgs.len() == 3
    }));
    let cpu = hostile::thread_cpu();
    let t0 = Instant::now();
    let e = sel.wait(Some(Duration::from_millis(500))).unwrap_err();
    let (wall, used) = (t0.elapsed(), hostile::thread_cpu() - cpu);
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    assert!(wall >= Duration::from_millis(500), "{wall:?}");
    // Not a speed assertion: a busy loop would use about the whole 500 ms.
    eprintln!("idle wait: {used:?} of CPU in {wall:?}");
    assert!(
        used < Duration::from_millis(100),
        "{used:?} of CPU in {wall:?}"
    );
    let mut events = Vec::new();
    let e = sel
        .wait_all(&mut events, Some(Duration::from_millis(50)))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    // Still woken by the next message.
    talkers[2].send("t2 1");
    let ev = sel.wait(Some(PEER_TIMEOUT)).unwrap();
    assert_eq!(ev.token, toks[2]);
    let mut buf = Vec::new();
    sel.try_recv(ev.token, &mut buf).unwrap();
    assert_eq!(buf, b"t2 1");
    for t in talkers {
        t.finish();
    }
}

#[test]
fn a_ring_receiver_flooded_with_doorbell_bytes_does_not_spin() {
    // The socket is the doorbell and the Select polls it level-triggered: a wait that did
    // not drain it would return at once, forever.
    let ring: Address = format!("shm-ring:@{}", unique_name("selflood"))
        .parse()
        .unwrap();
    let mut listener = channel::listen(&ring).unwrap();
    let peer = Peer::spawn("flood", &[&ring.to_string()]);
    let rx = listener.accept_timeout(PEER_TIMEOUT).unwrap();
    let mut sel = Select::new();
    let tok = sel.insert_receiver(rx).unwrap();
    let cpu = hostile::thread_cpu();
    let t0 = Instant::now();
    let e = sel.wait(Some(Duration::from_secs(1))).unwrap_err();
    let (wall, used) = (t0.elapsed(), hostile::thread_cpu() - cpu);
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    // Not a speed assertion: a busy loop would use about the whole second.
    eprintln!("flooded select: {used:?} of CPU in {wall:?}");
    assert!(
        used < Duration::from_millis(250),
        "{used:?} of CPU in {wall:?}"
    );
    let ev = sel.wait(Some(PEER_TIMEOUT)).unwrap();
    assert_eq!(ev.token, tok);
    let mut buf = Vec::new();
    sel.try_recv(ev.token, &mut buf).unwrap();
    assert_eq!(buf, b"real");
    let lines = peer.wait_lines();
    assert!(lines.iter().any(|l| l.starts_with("flooded ")), "{lines:?}");
}
