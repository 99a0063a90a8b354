//! `ipckit::file` spools between real processes: many senders, a receiver killed with
//! `kill -9` and restarted, a sender killed in the middle of an append, messages sent while
//! no receiver runs.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{ChildStdout, Stdio};
use std::time::Duration;

use common::{say, unique_path, Peer};
use ipckit::file::{position_path, Durability, SpoolReader, SpoolWriter, HEADER_LEN};
use ipckit::ErrorKind;

/// Message `seq` of sender `id`: a header and a pattern, 1..=12000 bytes (above PIPE_BUF
/// and a page, so interleaved writes would show).
fn message(id: usize, seq: usize) -> Vec<u8> {
    let mut m = format!("{id}:{seq}:").into_bytes();
    let len = 1 + (seq * 7919 + id * 104_729) % 12_000;
    m.extend((0..len).map(|i| (i * 31 + id + seq) as u8));
    m
}

/// `(id, seq)` of a [`message`], checking that every byte is where it belongs.
fn check(m: &[u8]) -> (usize, usize) {
    let text = String::from_utf8_lossy(&m[..m.len().min(32)]).into_owned();
    let mut parts = text.splitn(3, ':');
    let id: usize = parts.next().unwrap().parse().expect("sender id");
    let seq: usize = parts.next().unwrap().parse().expect("sequence number");
    assert!(
        m == message(id, seq),
        "message {id}:{seq} arrived altered or torn"
    );
    (id, seq)
}

/// The big message a sender killed mid-append writes, numbered `seq`.
fn big(seq: usize) -> Vec<u8> {
    let mut m = vec![(seq % 251) as u8; 4 << 20];
    m[..8].copy_from_slice(&(seq as u64).to_le_bytes());
    m
}

struct Spool(PathBuf);

impl Spool {
    fn new(tag: &str) -> Spool {
        Spool(unique_path(tag))
    }

    fn arg(&self) -> &str {
        self.0.to_str().unwrap()
    }

    fn writer(&self) -> SpoolWriter {
        SpoolWriter::builder(&self.0)
            .durability(Durability::Buffered)
            .open_or_create()
            .unwrap()
    }

    fn reader(&self) -> SpoolReader {
        SpoolReader::builder(&self.0).open_or_create().unwrap()
    }

    /// The committed end, read from the header as the format documents it.
    fn committed_end(&self) -> u64 {
        let f = std::fs::File::open(&self.0).unwrap();
        let mut b = [0u8; 8];
        f.read_exact_at(&mut b, 8).unwrap();
        u64::from_le_bytes(b)
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let _ = std::fs::remove_file(position_path(&self.0));
    }
}

#[test]
/// The peer-process entry point (see `common::run_peer`): run as a test, it checks that
/// this binary re-executed as a peer answers.
fn peer() {
    common::run_peer(|role, args| {
        let path = Path::new(&args[0]);
        match role {
            "send" => {
                let id: usize = args[1].parse().unwrap();
                let count: usize = args[2].parse().unwrap();
                let mut tx = SpoolWriter::builder(path)
                    .durability(Durability::Buffered)
                    .open_or_create()
                    .unwrap();
                for seq in 0..count {
                    tx.send(&message(id, seq)).unwrap();
                }
                say("sent");
            }
            "send-big-forever" => {
                let mut tx = SpoolWriter::builder(path)
                    .durability(Durability::Buffered)
                    .open_or_create()
                    .unwrap();
                for seq in 0.. {
                    tx.send(&big(seq)).unwrap();
                }
            }
            // Prints every message received, until "stop".
            "recv-print" => {
                let mut rx = SpoolReader::builder(path).open_or_create().unwrap();
                let mut buf = Vec::new();
                loop {
                    rx.recv_timeout(&mut buf, Duration::from_secs(30)).unwrap();
                    if buf == b"stop" {
                        // Said before the position is saved (at drop), as for every message.
                        say("stopped");
                        break;
                    }
                    say(format!("got {}", String::from_utf8_lossy(&buf)));
                }
            }
            "open-reader" => match SpoolReader::builder(path).open() {
                Ok(_) => say("opened"),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => say("already-exists"),
                Err(e) => panic!("{e}"),
            },
            other => panic!("unknown peer role {other}"),
        }
    });
}

#[test]
fn many_senders_never_interleave_and_each_senders_order_is_kept() {
    const SENDERS: usize = 4;
    const EACH: usize = 150;
    let spool = Spool::new("spool-many");
    let mut rx = spool.reader();
    let peers: Vec<Peer> = (0..SENDERS)
        .map(|id| Peer::spawn("send", &[spool.arg(), &id.to_string(), &EACH.to_string()]))
        .collect();
    let mut next = [0usize; SENDERS];
    let mut buf = Vec::new();
    for _ in 0..SENDERS * EACH {
        rx.recv_timeout(&mut buf, Duration::from_secs(30)).unwrap();
        let (id, seq) = check(&buf);
        assert_eq!(seq, next[id], "sender {id}: out of order");
        next[id] += 1;
    }
    assert_eq!(next, [EACH; SENDERS]);
    for p in peers {
        assert_eq!(p.wait_lines(), ["sent"]);
    }
    assert_eq!(
        rx.try_recv(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
}

#[test]
fn messages_sent_while_no_receiver_runs_are_delivered_later_once() {
    let spool = Spool::new("spool-absent");
    assert_eq!(
        Peer::spawn("send", &[spool.arg(), "7", "20"]).wait_lines(),
        ["sent"]
    );
    let mut buf = Vec::new();
    let mut rx = SpoolReader::builder(&spool.0).open().unwrap();
    for seq in 0..10 {
        rx.recv(&mut buf).unwrap();
        assert_eq!(check(&buf), (7, seq));
    }
    drop(rx); // saves the position: 10 delivered
    let mut rx = spool.reader();
    for seq in 10..20 {
        rx.recv(&mut buf).unwrap();
        assert_eq!(check(&buf), (7, seq));
    }
    let e = rx
        .recv_timeout(&mut buf, Duration::from_millis(20))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
}

#[test]
fn one_receiver_per_spool_across_processes() {
    let spool = Spool::new("spool-one");
    let rx = spool.reader();
    let e = SpoolReader::builder(&spool.0).open().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    assert!(e.to_string().contains(".pos"), "{e}");
    assert_eq!(
        Peer::spawn("open-reader", &[spool.arg()]).wait_lines(),
        ["already-exists"]
    );
    drop(rx);
    assert_eq!(
        Peer::spawn("open-reader", &[spool.arg()]).wait_lines(),
        ["opened"]
    );
}

/// A receiver running as a peer, read line by line.
struct Receiver {
    peer: Peer,
    out: BufReader<ChildStdout>,
    stopped: bool,
}

impl Receiver {
    fn start(spool: &Spool) -> Receiver {
        let mut cmd = Peer::command("recv-print", &[spool.arg()]);
        cmd.stdin(Stdio::null());
        let mut peer = Peer::from_command(cmd);
        let out = BufReader::new(peer.child_mut().stdout.take().unwrap());
        Receiver {
            peer,
            out,
            stopped: false,
        }
    }

    /// The next `got N`, or `None` at "stopped" or the end of its output.
    fn next(&mut self) -> Option<usize> {
        let mut line = String::new();
        loop {
            line.clear();
            if self.out.read_line(&mut line).unwrap() == 0 {
                return None;
            }
            let Some(i) = line.find("@@peer ") else {
                continue;
            };
            let said = line[i + 7..].trim_end();
            if said == "stopped" {
                self.stopped = true;
                return None;
            }
            let n = said.strip_prefix("got ").expect("got line");
            return Some(n.parse().unwrap());
        }
    }

    /// `kill -9`, then everything it printed before it died, and whether it had got to
    /// the final "stop".
    fn kill(mut self) -> (Vec<usize>, bool) {
        self.peer.child_mut().kill().unwrap();
        let mut rest = Vec::new();
        while let Some(n) = self.next() {
            rest.push(n);
        }
        let _ = self.peer.wait();
        (rest, self.stopped)
    }
}

#[test]
fn a_receiver_killed_and_restarted_gets_everything_in_order_with_at_most_one_repeat_per_kill() {
    const TOTAL: usize = 3000;
    let spool = Spool::new("spool-kill");
    let mut tx = spool.writer();
    for i in 0..TOTAL {
        tx.send(i.to_string().as_bytes()).unwrap();
    }
    tx.send(b"stop").unwrap();

    let mut seen: Vec<usize> = Vec::new();
    let mut repeats = 0;
    let mut kills = 0;
    // A pseudo-random number of messages per run (deterministic, varied).
    let mut rng = 0x2545_f491_u64 ^ u64::from(std::process::id());
    loop {
        let mut rx = Receiver::start(&spool);
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let take = 1 + (rng % 400) as usize;
        let mut run = Vec::new();
        let mut ended = false;
        for _ in 0..take {
            match rx.next() {
                Some(n) => run.push(n),
                None => {
                    ended = true;
                    break;
                }
            }
        }
        if !ended && kills < 12 {
            let (rest, stopped) = rx.kill();
            run.extend(rest);
            ended = stopped; // killed after it had everything
            kills += 1;
        } else {
            while let Some(n) = rx.next() {
                run.push(n);
            }
            assert!(rx.peer.wait().success());
            ended = true;
        }
        if let (Some(&last), Some(&first)) = (seen.last(), run.first()) {
            assert!(
                first == last || first == last + 1,
                "after a kill at {last} the next receiver started at {first}"
            );
            if first == last {
                repeats += 1;
                run.remove(0);
            }
        }
        seen.extend(run);
        if ended {
            break;
        }
    }
    assert_eq!(
        seen,
        (0..TOTAL).collect::<Vec<_>>(),
        "all, in order, no gap"
    );
    assert!(repeats <= kills);
    eprintln!("{kills} kills, {repeats} messages delivered twice (each the one at a kill)");
}

/// Kills the peer if the test fails before it does.
struct KillOnDrop(Option<Peer>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(mut p) = self.0.take() {
            let _ = p.child_mut().kill();
            let _ = p.wait();
        }
    }
}

#[test]
fn a_sender_killed_mid_append_leaves_nothing_torn_and_later_messages_arrive() {
    let spool = Spool::new("spool-torn");
    let mut peer = KillOnDrop(Some(Peer::spawn("send-big-forever", &[spool.arg()])));
    // Let it write a few whole messages and be in the middle of another.
    while !spool.0.exists() || spool.committed_end() < HEADER_LEN + 3 * (4 << 20) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut p = peer.0.take().unwrap();
    p.child_mut().kill().unwrap();
    let _ = p.wait();
    let size = std::fs::metadata(&spool.0).unwrap().len();
    let end = spool.committed_end();
    eprintln!(
        "killed with {} bytes past the committed end (a torn frame: {})",
        size - end,
        size > end
    );
    let mut tx = spool.writer();
    tx.send(b"after the kill").unwrap();
    let mut rx = spool.reader();
    let mut buf = Vec::new();
    let mut seq = 0;
    loop {
        rx.recv_timeout(&mut buf, Duration::from_secs(10)).unwrap();
        if buf == b"after the kill" {
            break;
        }
        assert!(buf == big(seq), "message {seq} torn or altered");
        seq += 1;
    }
    assert!(seq >= 3);
    assert_eq!(
        rx.try_recv(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
}

#[test]
fn a_torn_frame_past_the_committed_end_is_never_delivered() {
    // What a sender killed inside its pwrite leaves: part of a frame after the committed
    // end. Written by hand here, so the case is certain.
    let spool = Spool::new("spool-torn-hand");
    let mut tx = spool.writer();
    tx.send(b"before").unwrap();
    let end = spool.committed_end();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&spool.0)
        .unwrap();
    let mut torn = 1000u32.to_le_bytes().to_vec();
    torn.extend_from_slice(&[0xAB; 4 + 300]);
    f.write_all_at(&torn, end).unwrap();
    let mut rx = spool.reader();
    let mut buf = Vec::new();
    rx.recv(&mut buf).unwrap();
    assert_eq!(buf, b"before");
    assert_eq!(
        rx.try_recv(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    tx.send(b"after").unwrap(); // written over the torn bytes
    rx.recv_timeout(&mut buf, Duration::from_secs(5)).unwrap();
    assert_eq!(buf, b"after");
}

#[test]
fn a_damaged_committed_frame_is_invalid_data_and_skipped() {
    let spool = Spool::new("spool-crc");
    let mut tx = spool.writer();
    tx.send(b"first").unwrap();
    tx.send(b"second").unwrap();
    // Flip a payload byte of the first frame (at 24 + 8).
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&spool.0)
        .unwrap();
    f.write_all_at(b"F", HEADER_LEN + 8).unwrap();
    let mut rx = spool.reader();
    let mut buf = Vec::new();
    let e = rx.recv(&mut buf).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData);
    assert!(e.to_string().contains("CRC-32"), "{e}");
    rx.recv(&mut buf).unwrap();
    assert_eq!(buf, b"second");
}

#[test]
fn a_file_that_is_not_a_spool_is_refused() {
    let spool = Spool::new("spool-garbage");
    std::fs::write(&spool.0, b"this is not a spool file at all").unwrap();
    let e = SpoolWriter::builder(&spool.0).open().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData);
    assert!(e.to_string().contains("IPCKSPL1"), "{e}");
    let e = SpoolReader::builder(&spool.0).open().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData);
}

#[test]
fn a_removed_spool_ends_its_receiver_with_not_found_after_the_last_message() {
    let spool = Spool::new("spool-removed");
    let mut tx = spool.writer();
    let mut rx = spool.reader();
    tx.send(b"last").unwrap();
    ipckit::file::remove(&spool.0).unwrap();
    let mut buf = Vec::new();
    rx.recv(&mut buf).unwrap();
    assert_eq!(buf, b"last");
    let e = rx.recv(&mut buf).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
}

#[test]
fn the_spool_and_its_sidecar_are_private_to_the_user() {
    use std::os::unix::fs::PermissionsExt;
    let spool = Spool::new("spool-mode");
    let rx = spool.reader();
    for p in [spool.0.clone(), position_path(&spool.0)] {
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", p.display());
    }
    drop(rx);
    let mut all = String::new();
    std::fs::File::open(position_path(&spool.0))
        .unwrap()
        .read_to_string(&mut all)
        .ok();
}
