//! System V message queues between real processes.

mod common;
mod sysv_support;

use std::time::Duration;

use common::{say, unique_key, Peer};
use ipckit::sysv::key::Key;
use ipckit::sysv::msg::{MessageQueue, RecvFlags, Selector, Wait};
use ipckit::ErrorKind;
use ipckit::Named;
use sysv_support::wait_sleeping;

/// The peer-process entry point (see `common::run_peer`).
#[test]
fn peer() {
    common::run_peer(|role, args| {
        // libtest printed "test peer ... " without a newline: start the said lines afresh.
        println!();
        let key: Key = args[0].parse().unwrap();
        let q = MessageQueue::builder(key).open().unwrap();
        assert!(!q.is_owner());
        match role {
            // Receives one message per selector argument (C msgtyp convention, or !T for
            // MSG_EXCEPT) and says "mtype data".
            "recv" => {
                for s in &args[1..] {
                    let sel = match s.strip_prefix('!') {
                        Some(t) => Selector::Except(t.parse().unwrap()),
                        None => Selector::from_msgtyp(s.parse().unwrap()),
                    };
                    let m = q.recv(sel).unwrap();
                    say(format!(
                        "{} {}",
                        m.mtype,
                        String::from_utf8(m.data).unwrap()
                    ));
                }
            }
            // Sends each "type:text" argument.
            "send" => {
                for a in &args[1..] {
                    let (t, text) = a.split_once(':').unwrap();
                    q.send(t.parse().unwrap(), text.as_bytes()).unwrap();
                }
            }
            // Says it is about to block, then blocks in msgrcv until the queue is removed.
            "block-until-removed" => {
                q.send(99, b"ready").unwrap();
                let e = q.recv(Selector::Exactly(1)).unwrap_err();
                say(format!("{:?}", e.kind()));
            }
            other => panic!("unknown peer role {other}"),
        }
    });
}

fn new_queue() -> (MessageQueue, String) {
    let key = Key::new(unique_key());
    let q = MessageQueue::builder(key).create_new().unwrap();
    (q, key.to_string())
}

#[test]
fn selectors_across_processes() {
    let (q, key) = new_queue();
    for (t, text) in [
        (3, "c1"),
        (1, "a1"),
        (2, "b1"),
        (3, "c2"),
        (1, "a2"),
        (5, "e1"),
    ] {
        q.send(t, text.as_bytes()).unwrap();
    }
    // exactly 3; lowest <= 2 (type 1 first, in FIFO order); except 1; any.
    let peer = Peer::spawn("recv", &[&key, "3", "-2", "-2", "!1", "!3", "0"]);
    assert_eq!(
        peer.wait_lines(),
        ["3 c1", "1 a1", "1 a2", "2 b1", "5 e1", "3 c2"]
    );
    assert_eq!(q.stat().unwrap().qnum, 0);
}

#[test]
fn blocking_receiver_in_another_process_gets_what_is_sent_later() {
    let (q, key) = new_queue();
    let peer = Peer::spawn("recv", &[&key, "7", "0"]);
    wait_sleeping(peer.pid());
    q.send(8, b"other").unwrap();
    q.send(7, b"wanted").unwrap();
    assert_eq!(peer.wait_lines(), ["7 wanted", "8 other"]);
}

#[test]
fn stat_reports_pids_counts_mode_and_times() {
    let key = Key::new(unique_key());
    let q = MessageQueue::builder(key).mode(0o640).create_new().unwrap();
    let st = q.stat().unwrap();
    assert_eq!(st.perm.mode, 0o640);
    assert_eq!(st.perm.key, key);
    assert_eq!((st.qnum, st.cbytes, st.lspid, st.lrpid), (0, 0, 0, 0));
    assert!(st.stime.is_none() && st.rtime.is_none() && st.ctime.is_some());
    assert_eq!(
        st.perm.uid,
        std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").unwrap())
    );

    let peer = Peer::spawn("send", &[&key.to_string(), "4:four", "6:sixsix"]);
    let pid = peer.pid() as i32;
    peer.wait_lines();
    let st = q.stat().unwrap();
    assert_eq!((st.qnum, st.cbytes, st.lspid), (2, 10, pid));
    assert!(st.stime.is_some());
    q.recv(Selector::Any).unwrap();
    let st = q.stat().unwrap();
    assert_eq!((st.qnum, st.lrpid), (1, std::process::id() as i32));

    q.set_mode(0o600).unwrap();
    q.set_qbytes(1000).unwrap();
    let st = q.stat().unwrap();
    assert_eq!((st.perm.mode, st.qbytes), (0o600, 1000));
}

#[test]
fn nonblocking_and_timeouts() {
    let (q, _) = new_queue();
    let e = q.try_recv(Selector::Any).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock);
    assert_eq!(e.op(), "msgrcv");
    let e = q
        .recv_timeout(Selector::Any, Duration::from_millis(30))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    q.set_qbytes(3).unwrap();
    q.try_send(1, b"abc").unwrap();
    assert_eq!(
        q.try_send(1, b"d").unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    assert_eq!(
        q.send_timeout(1, b"d", Duration::from_millis(30))
            .unwrap_err()
            .kind(),
        ErrorKind::TimedOut
    );
    // A timed receive gets a message that is already there.
    let m = q
        .recv_timeout(Selector::Exactly(1), Duration::from_secs(5))
        .unwrap();
    assert_eq!(m.data, b"abc");
}

#[test]
fn timed_receive_gets_a_message_sent_by_another_process_while_waiting() {
    let (q, key) = new_queue();
    let peer = Peer::spawn("send", &[&key, "2:late"]);
    let m = q
        .recv_timeout(Selector::Exactly(2), Duration::from_secs(30))
        .unwrap();
    assert_eq!(m.data, b"late");
    peer.wait_lines();
}

#[test]
fn message_above_msgmax_is_too_large_with_the_limit() {
    let (q, _) = new_queue();
    let msgmax: usize = std::fs::read_to_string("/proc/sys/kernel/msgmax")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let e = q.send(1, &vec![0u8; msgmax + 1]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooLarge);
    assert!(e.to_string().contains(&msgmax.to_string()), "{e}");
    // Exactly msgmax fits (if the queue can hold it).
    if msgmax as u64 <= q.stat().unwrap().qbytes {
        q.send(1, &vec![7u8; msgmax]).unwrap();
        assert_eq!(q.recv(Selector::Any).unwrap().data.len(), msgmax);
    }
    // Above the queue's capacity: it could never be queued.
    q.set_qbytes(10).unwrap();
    let e = q.send(1, &[0u8; 11]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooLarge);
    assert!(e.to_string().contains("10 bytes"), "{e}");
}

#[test]
fn long_message_stays_unless_truncation_is_asked() {
    let (q, _) = new_queue();
    q.send(4, b"0123456789").unwrap();
    let mut buf = vec![1, 2, 3];
    let e = q
        .recv_with(Selector::Any, &mut buf, 4, RecvFlags::EMPTY, Wait::NoWait)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooLarge);
    assert_eq!(q.stat().unwrap().qnum, 1);
    let t = q
        .recv_with(Selector::Any, &mut buf, 4, RecvFlags::NOERROR, Wait::Block)
        .unwrap();
    assert_eq!((t, &buf[..]), (4, &b"0123"[..]));
    assert_eq!(q.stat().unwrap().qnum, 0);
    // An absurd maximum is capped at what a message can be, not allocated.
    q.send(2, b"small").unwrap();
    let t = q
        .recv_with(
            Selector::Any,
            &mut buf,
            usize::MAX,
            RecvFlags::EMPTY,
            Wait::NoWait,
        )
        .unwrap();
    assert_eq!((t, &buf[..]), (2, &b"small"[..]));
}

#[test]
fn bad_types_are_invalid_input() {
    let (q, _) = new_queue();
    assert_eq!(q.send(0, b"x").unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(
        q.send(-3, b"x").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    for sel in [
        Selector::Exactly(0),
        Selector::LowestUpTo(-1),
        Selector::Except(0),
    ] {
        assert_eq!(q.try_recv(sel).unwrap_err().kind(), ErrorKind::InvalidInput);
    }
}

#[test]
fn creation_modes_and_ownership() {
    let key = Key::new(unique_key());
    assert_eq!(
        MessageQueue::builder(key).open().unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let owner = MessageQueue::builder(key).create_new().unwrap();
    assert!(owner.is_owner());
    let e = MessageQueue::builder(key).create_new().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    assert!(e.to_string().contains(&key.to_string()), "{e}");
    let opener = MessageQueue::builder(key).open_or_create().unwrap();
    assert!(!opener.is_owner());
    assert_eq!(opener.id(), owner.id());
    drop(opener); // does not remove
    owner.send(1, b"still there").unwrap();
    let id = owner.id();
    drop(owner); // removes
    assert_eq!(
        MessageQueue::from_id(id).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        MessageQueue::builder(key).open().unwrap_err().kind(),
        ErrorKind::NotFound
    );

    // persist() keeps it; remove() takes it away.
    let mut q = MessageQueue::builder(key).create_new().unwrap();
    q.persist();
    let id = q.id();
    drop(q);
    let q = MessageQueue::from_id(id).unwrap();
    assert_eq!(q.key(), key);
    q.remove().unwrap();
    assert_eq!(
        MessageQueue::builder(key).open().unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn removing_the_queue_wakes_a_blocked_receiver_with_peer_gone() {
    let (q, key) = new_queue();
    let peer = Peer::spawn("block-until-removed", &[&key]);
    q.recv(Selector::Exactly(99)).unwrap();
    wait_sleeping(peer.pid());
    let id = q.id();
    q.remove().unwrap();
    assert_eq!(peer.wait_lines(), ["PeerGone"]);
    assert_eq!(
        MessageQueue::from_id(id).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn empty_and_binary_messages_round_trip() {
    let (q, _) = new_queue();
    let all: Vec<u8> = (0..=255).collect();
    q.send(1, b"").unwrap();
    q.send(2, &all).unwrap();
    assert_eq!(q.recv(Selector::Any).unwrap().data, b"");
    assert_eq!(q.recv(Selector::Any).unwrap().data, all);
}

#[test]
fn sysv_mq_channel_listener_removes_only_the_queue_it_created() {
    use ipckit::channel::{self, Address};
    let key = Key::new(unique_key());
    let addr: Address = format!("sysv-mq:{key}:3").parse().unwrap();
    let mut listener = channel::listen(&addr).unwrap();
    let mut rx = listener.accept().unwrap();
    let q = MessageQueue::builder(key).open().unwrap();
    // Another type on the same queue is not this channel's.
    q.send(4, b"other channel").unwrap();
    channel::connect(&addr).unwrap().send(b"mine").unwrap();
    let mut buf = Vec::new();
    rx.recv(&mut buf).unwrap();
    assert_eq!(buf, b"mine");
    assert_eq!(q.recv(Selector::Any).unwrap().data, b"other channel");
    drop(listener); // the receiver still holds the queue
    assert!(MessageQueue::builder(key).open().is_ok());
    drop(rx);
    assert_eq!(
        MessageQueue::builder(key).open().unwrap_err().kind(),
        ErrorKind::NotFound
    );
    // A queue that existed before is left alone.
    let before = MessageQueue::builder(key).create_new().unwrap();
    drop(channel::listen(&addr).unwrap());
    assert!(before.stat().is_ok());
}

#[test]
fn timed_calls_accept_duration_max() {
    // The polling deadline saturates: Duration::MAX waits until the other thread acts.
    let q = MessageQueue::builder(Key::PRIVATE).create_new().unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(50));
            q.send(3, b"late").unwrap();
        });
        let m = q.recv_timeout(Selector::Any, Duration::MAX).unwrap();
        assert_eq!((m.mtype, &m.data[..]), (3, &b"late"[..]));
    });
    q.set_qbytes(1).unwrap();
    q.send(1, b"x").unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(50));
            q.recv(Selector::Any).unwrap();
        });
        q.send_timeout(1, b"y", Duration::MAX).unwrap();
    });
    let mut buf = Vec::new();
    assert_eq!(
        q.recv_into(Selector::Any, &mut buf, Wait::Timeout(Duration::MAX))
            .unwrap(),
        1
    );
    assert_eq!(buf, b"y");
}
