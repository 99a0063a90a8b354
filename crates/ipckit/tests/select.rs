//! `channel::Select`: one thread serves many senders; an idle, slow or half-frame sender
//! never delays another (issue 10, defect 3). Senders are other processes where it matters.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::{run_peer, say, unique_key, unique_name, unique_path, Peer};
use ipckit::channel::{self, Address, Member, Select, Token};
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
            other => panic!("unknown peer role {other}"),
        }
    });
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
    let _rx = r.into_inner();
    let r = sel.insert_listener(sysv).unwrap_err();
    assert_eq!(r.error().kind(), ErrorKind::InvalidInput);
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
