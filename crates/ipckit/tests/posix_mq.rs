//! POSIX message queues between real processes.

mod common;

use std::os::fd::AsFd;
use std::sync::mpsc;
use std::time::Duration;

use common::{say, Peer};
use ipckit::posix::mq::{prio_max, MessageQueue};
use ipckit::ErrorKind;
use ipckit::Named;

const LONG: Duration = Duration::from_secs(30);

fn qname(tag: &str) -> String {
    format!("/{}", common::unique_name(tag))
}

/// Unlinks a queue name when dropped (for queues a test makes persistent).
struct Unlink(String);
impl Drop for Unlink {
    fn drop(&mut self) {
        let _ = MessageQueue::unlink(&self.0);
    }
}

/// The peer-process entry point (see `common::run_peer`).
#[test]
fn peer() {
    common::run_peer(|role, args| match role {
        // send NAME PRIO:TEXT...: open write-only, send each message.
        "send" => {
            let q = MessageQueue::builder(&args[0]).write_only().open().unwrap();
            assert!(!q.is_owner());
            for m in &args[1..] {
                let (p, text) = m.split_once(':').unwrap();
                q.send(text.as_bytes(), p.parse().unwrap()).unwrap();
            }
        }
        // recv NAME N: receive N messages, print "PRIO TEXT" for each.
        "recv" => {
            let q = MessageQueue::builder(&args[0]).read_only().open().unwrap();
            let mut buf = Vec::new();
            for _ in 0..args[1].parse::<usize>().unwrap() {
                let (n, p) = q.recv_timeout(&mut buf, LONG).unwrap();
                say(format!("{p} {}", String::from_utf8_lossy(&buf[..n])));
            }
        }
        // ooc NAME: open_or_create, report ownership, wait for "go", then exit (no unlink).
        "ooc" => {
            let mut q = MessageQueue::builder(&args[0]).open_or_create().unwrap();
            say(format!("owner {}", q.is_owner()));
            q.persist();
        }
        other => panic!("unknown peer role {other}"),
    });
}

#[test]
fn priorities_come_out_highest_first_across_processes() {
    let name = qname("prio");
    let q = MessageQueue::builder(&name)
        .read_only()
        .maxmsg(8)
        .msgsize(64)
        .create_new()
        .unwrap();
    let top = (prio_max() - 1).to_string();
    let args = [
        name.as_str(),
        "1:low",
        "5:mid-a",
        "0:zero",
        "5:mid-b",
        &format!("{top}:top"),
        "3:three",
    ];
    Peer::spawn("send", &args).wait_lines();
    assert_eq!(q.attr().unwrap().curmsgs, 6);
    let mut got = Vec::new();
    let mut buf = Vec::new();
    while let Ok((n, p)) = q.try_recv(&mut buf) {
        got.push((p, String::from_utf8(buf[..n].to_vec()).unwrap()));
    }
    let want: Vec<(u32, String)> = [
        (prio_max() - 1, "top"),
        (5, "mid-a"),
        (5, "mid-b"),
        (3, "three"),
        (1, "low"),
        (0, "zero"),
    ]
    .into_iter()
    .map(|(p, s)| (p, s.to_string()))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn blocked_receiver_in_another_process_wakes_on_send() {
    let name = qname("wake");
    let q = MessageQueue::builder(&name)
        .write_only()
        .create_new()
        .unwrap();
    let peer = Peer::spawn("recv", &[&name, "2"]);
    q.send(b"hello", 7).unwrap();
    q.send(b"", 0).unwrap(); // an empty message is a message
    assert_eq!(
        peer.wait_lines(),
        vec!["7 hello".to_string(), "0 ".to_string()]
    );
}

#[test]
fn bad_input_is_refused_with_reasons() {
    let name = qname("bad");
    let q = MessageQueue::builder(&name)
        .maxmsg(2)
        .msgsize(8)
        .create_new()
        .unwrap();
    let e = q.send(&[0; 9], 0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooLarge);
    assert!(
        e.to_string()
            .contains("9 bytes exceeds the queue's msgsize of 8"),
        "{e}"
    );
    let e = q.send(b"x", prio_max()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("MQ_PRIO_MAX"), "{e}");
    assert_eq!(q.attr().unwrap().curmsgs, 0, "nothing was sent");

    for bad in ["noslash", "/a/b", "/", ""] {
        let e = MessageQueue::builder(bad).open_or_create().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad:?}");
        assert!(e.to_string().starts_with("mq_open"), "{e}");
    }
    let e = MessageQueue::builder(&qname("zero"))
        .maxmsg(0)
        .create_new()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);

    let ro = MessageQueue::builder(&name).read_only().open().unwrap();
    assert_eq!(
        ro.send(b"x", 0).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    let wo = MessageQueue::builder(&name).write_only().open().unwrap();
    assert_eq!(
        wo.recv(&mut Vec::new()).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn attributes_above_the_kernel_limits_report_the_limits() {
    // 65536 (HARD_MSGMAX) is the ceiling even with CAP_SYS_RESOURCE, so this fails for root too.
    let name = qname("limits");
    let e = MessageQueue::builder(&name)
        .maxmsg(1 << 20)
        .msgsize(16)
        .create_new()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let text = e.to_string();
    assert!(text.contains("maxmsg=1048576"), "{text}");
    assert!(text.contains("msg_max="), "{text}");
    assert!(text.contains("msgsize_max="), "{text}");
    assert_eq!(
        MessageQueue::builder(&name).open().unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn non_blocking_and_timed_calls() {
    let name = qname("timed");
    let q = MessageQueue::builder(&name)
        .maxmsg(1)
        .msgsize(4)
        .create_new()
        .unwrap();
    let mut buf = Vec::new();
    assert_eq!(
        q.try_recv(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    let e = q
        .recv_timeout(&mut buf, Duration::from_millis(20))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    q.try_send(b"one", 2).unwrap();
    assert_eq!(
        q.try_send(b"two", 2).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    let e = q
        .send_timeout(b"two", 2, Duration::from_millis(20))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);

    q.set_nonblocking(true).unwrap();
    assert!(q.attr().unwrap().nonblocking);
    assert_eq!(q.send(b"two", 0).unwrap_err().kind(), ErrorKind::WouldBlock);
    assert_eq!(q.recv(&mut buf).unwrap(), (3, 2));
    assert_eq!(buf, b"one");
    assert_eq!(q.recv(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
    q.set_nonblocking(false).unwrap();
    assert!(!q.attr().unwrap().nonblocking);

    let nb = MessageQueue::builder(&name).nonblocking().open().unwrap();
    assert_eq!(nb.recv(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
}

#[test]
fn creator_unlinks_on_drop_unless_persisted() {
    let name = qname("own");
    let q = MessageQueue::builder(&name).create_new().unwrap();
    let other = MessageQueue::builder(&name).open().unwrap();
    drop(other); // not the owner: the queue stays
    MessageQueue::builder(&name).open().unwrap();
    drop(q);
    assert_eq!(
        MessageQueue::builder(&name).open().unwrap_err().kind(),
        ErrorKind::NotFound
    );

    let name = qname("persist");
    let _guard = Unlink(name.clone());
    let mut q = MessageQueue::builder(&name).create_new().unwrap();
    q.send(b"kept", 4).unwrap();
    q.persist();
    drop(q);
    let q = MessageQueue::builder(&name).open().unwrap();
    let mut buf = Vec::new();
    assert_eq!(q.recv(&mut buf).unwrap(), (4, 4));
    MessageQueue::unlink(&name).unwrap();
    assert_eq!(
        MessageQueue::unlink(&name).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn open_or_create_owner_is_whoever_created() {
    let name = qname("ooc");
    let lines = Peer::spawn("ooc", &[&name]).wait_lines();
    let _guard = Unlink(name.clone());
    assert_eq!(lines, vec!["owner true".to_string()]);
    let q = MessageQueue::builder(&name).open_or_create().unwrap();
    assert!(!q.is_owner());
}

#[test]
fn notify_callback_fires_when_another_process_sends() {
    let name = qname("notify");
    let q = MessageQueue::builder(&name)
        .read_only()
        .create_new()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    q.notify_callback(move || tx.send("fired").unwrap())
        .unwrap();
    // A second registration on the same queue (from any process) is refused while one exists.
    let again = MessageQueue::builder(&name).read_only().open().unwrap();
    let e = again.notify_callback(|| {}).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    Peer::spawn("send", &[&name, "3:ping"]).wait_lines();
    assert_eq!(rx.recv_timeout(LONG).unwrap(), "fired");
    let mut buf = Vec::new();
    assert_eq!(q.try_recv(&mut buf).unwrap(), (4, 3));
    // One-shot: it fired once; re-arming works.
    q.notify_callback(|| {}).unwrap();
    q.notify_cancel().unwrap();
}

#[test]
fn notify_signal_delivers_the_signal() {
    use ipckit::signal::{Catcher, Signal};
    const SIGUSR2: i32 = libc::SIGUSR2;
    let name = qname("notifysig");
    let q = MessageQueue::builder(&name)
        .read_only()
        .create_new()
        .unwrap();
    // This is the only test in this binary touching SIGUSR2; the catcher's handler records
    // it while the catcher lives.
    let catcher = Catcher::new([Signal::USR2]).unwrap();
    q.notify_signal(SIGUSR2).unwrap();
    Peer::spawn("send", &[&name, "1:sig"]).wait_lines();
    let got = catcher
        .recv_timeout(LONG)
        .map(|info| info.signal().as_raw());
    assert_eq!(got.unwrap(), SIGUSR2);
    assert_eq!(
        q.notify_signal(-3).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn descriptor_polls_readable_when_a_peer_sends() {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let name = qname("poll");
    let q = MessageQueue::builder(&name)
        .read_only()
        .create_new()
        .unwrap();
    {
        let mut fds = [PollFd::new(q.as_fd(), PollFlags::POLLIN)];
        assert_eq!(poll(&mut fds, PollTimeout::ZERO).unwrap(), 0);
    }
    let peer = Peer::spawn("send", &[&name, "2:polled"]);
    let mut fds = [PollFd::new(q.as_fd(), PollFlags::POLLIN)];
    assert_eq!(
        poll(&mut fds, PollTimeout::try_from(LONG).unwrap()).unwrap(),
        1
    );
    peer.wait_lines();
    let mut buf = Vec::new();
    assert_eq!(q.try_recv(&mut buf).unwrap(), (6, 2));
}

#[test]
fn timed_calls_accept_duration_max() {
    // Duration::MAX must neither overflow the absolute timespec nor be refused by the kernel:
    // the calls below block until the other thread acts, then succeed.
    let name = qname("mqmax");
    let q = MessageQueue::builder(&name)
        .maxmsg(1)
        .msgsize(8)
        .create_new()
        .unwrap();
    let mut buf = Vec::new();
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(50));
            q.send(b"late", 1).unwrap();
        });
        assert_eq!(q.recv_timeout(&mut buf, Duration::MAX).unwrap(), (4, 1));
    });
    q.send(b"full", 0).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(50));
            let mut b = Vec::new();
            q.recv(&mut b).unwrap();
        });
        q.send_timeout(b"next", 0, Duration::MAX).unwrap();
    });
    assert_eq!(q.attr().unwrap().curmsgs, 1);
}
