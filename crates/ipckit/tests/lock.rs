//! `ipckit::lock` between real processes: a re-executed copy of this test holds a lock (or
//! tries one) while the test checks what the other process can take.

mod common;

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{say, unique_path, Peer};
use ipckit::lock::{Lock, LockKind, LockMethod};
use ipckit::ErrorKind;

/// `shared|exclusive`, `start`, `len` (0: to EOF), `ofd|flock` → a lock.
fn parse_lock(args: &[String]) -> Lock {
    let kind = match args[0].as_str() {
        "shared" => LockKind::Shared,
        "exclusive" => LockKind::Exclusive,
        k => panic!("kind {k}"),
    };
    let method = match args[3].as_str() {
        "ofd" => LockMethod::Ofd,
        "flock" => LockMethod::Flock,
        m => panic!("method {m}"),
    };
    Lock::new(kind)
        .at(args[1].parse().unwrap(), args[2].parse().unwrap())
        .method(method)
}

fn open_rw(path: &Path) -> File {
    File::options().read(true).write(true).open(path).unwrap()
}

#[test]
/// The peer-process entry point (see `common::run_peer`): run as a test, it checks that
/// this binary re-executed as a peer answers.
fn peer() {
    common::run_peer(|role, args| {
        let path = PathBuf::from(&args[0]);
        let lock = parse_lock(&args[1..]);
        match role {
            // Takes the lock, says so, then sleeps until killed.
            "hold" => {
                let f = open_rw(&path);
                let _g = lock.lock(&f).expect("lock");
                say("locked");
                std::thread::sleep(Duration::from_secs(60));
            }
            // As "hold", and then opens and closes another fd of the same file: a classic
            // POSIX lock would be gone after that.
            "hold-then-close-another-fd" => {
                let f = open_rw(&path);
                let _g = lock.lock(&f).expect("lock");
                drop(File::open(&path).expect("open again"));
                say("locked");
                std::thread::sleep(Duration::from_secs(60));
            }
            "try" => {
                let f = open_rw(&path);
                let answer = match lock.try_lock(&f) {
                    Ok(_) => "ok",
                    Err(e) if e.kind() == ErrorKind::WouldBlock => "wouldblock",
                    Err(e) => panic!("{e}"),
                };
                say(answer);
            }
            other => panic!("unknown peer role {other}"),
        }
    });
}

/// A peer that holds a lock until it is killed.
struct Holder(Peer);

impl Holder {
    fn start(role: &str, path: &Path, lock: &[&str]) -> Holder {
        let p = path.to_str().unwrap();
        let mut args = vec![p];
        args.extend_from_slice(lock);
        let mut peer = Peer::spawn(role, &args);
        let out = peer.child_mut().stdout.take().unwrap();
        let mut line = String::new();
        let mut out = BufReader::new(out);
        while !line.contains("@@peer locked") {
            line.clear();
            assert!(out.read_line(&mut line).unwrap() > 0, "holder ended early");
        }
        Holder(peer)
    }

    /// `kill -9`, then reap.
    fn kill(mut self) {
        self.0.child_mut().kill().unwrap();
        let status = self.0.wait();
        assert_eq!(status.signal(), Some(9));
    }
}

fn try_in_peer(path: &Path, lock: &[&str]) -> String {
    let p = path.to_str().unwrap();
    let mut args = vec![p];
    args.extend_from_slice(lock);
    Peer::spawn("try", &args).wait_lines().join(" ")
}

struct TempFile(PathBuf);

impl TempFile {
    fn new(tag: &str) -> TempFile {
        let p = unique_path(tag);
        std::fs::write(&p, b"0123456789").unwrap();
        TempFile(p)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn an_exclusive_lock_excludes_every_other_process_until_the_holder_is_killed() {
    let t = TempFile::new("lock-excl");
    let holder = Holder::start("hold", &t.0, &["exclusive", "0", "0", "ofd"]);
    let f = open_rw(&t.0);
    let e = Lock::shared().try_lock(&f).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock);
    assert!(e.to_string().contains("F_OFD_SETLK"), "{e}");
    let c = Lock::shared().conflict(&f).unwrap().expect("held");
    assert_eq!(c.kind, LockKind::Exclusive);
    assert_eq!((c.start, c.len), (0, 0));
    assert_eq!(c.pid, None, "OFD locks report l_pid = -1");
    holder.kill();
    // The kernel released it with the dead holder's last fd.
    let g = Lock::exclusive().try_lock(&f).unwrap();
    assert_eq!(
        try_in_peer(&t.0, &["shared", "0", "0", "ofd"]),
        "wouldblock"
    );
    drop(g);
    assert_eq!(try_in_peer(&t.0, &["shared", "0", "0", "ofd"]), "ok");
}

#[test]
fn shared_locks_share_and_keep_exclusive_out() {
    let t = TempFile::new("lock-shared");
    let holder = Holder::start("hold", &t.0, &["shared", "0", "0", "ofd"]);
    let f = open_rw(&t.0);
    let g = Lock::shared().try_lock(&f).unwrap();
    assert_eq!(try_in_peer(&t.0, &["shared", "0", "0", "ofd"]), "ok");
    assert_eq!(
        try_in_peer(&t.0, &["exclusive", "0", "0", "ofd"]),
        "wouldblock"
    );
    drop(g);
    let e = Lock::exclusive().try_lock(&f).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock);
    holder.kill();
}

#[test]
fn disjoint_ranges_do_not_conflict_and_overlapping_ones_do() {
    let t = TempFile::new("lock-range");
    let holder = Holder::start("hold", &t.0, &["exclusive", "0", "100", "ofd"]);
    let f = open_rw(&t.0);
    let g = Lock::exclusive().range(100..200).try_lock(&f).unwrap();
    // Beyond the end of the 10-byte file is lockable too.
    let to_eof = Lock::exclusive().at(200, 0).try_lock(&f).unwrap();
    let e = Lock::shared().range(50..150).try_lock(&f).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock);
    let c = Lock::shared().range(99..100).conflict(&f).unwrap().unwrap();
    assert_eq!((c.start, c.len), (0, 100));
    assert_eq!(
        try_in_peer(&t.0, &["shared", "150", "10", "ofd"]),
        "wouldblock"
    );
    drop((g, to_eof));
    assert_eq!(try_in_peer(&t.0, &["shared", "150", "10", "ofd"]), "ok");
    holder.kill();
}

#[test]
fn a_lock_held_elsewhere_times_out() {
    let t = TempFile::new("lock-timeout");
    let holder = Holder::start("hold", &t.0, &["exclusive", "0", "0", "ofd"]);
    let f = open_rw(&t.0);
    let t0 = Instant::now();
    let e = Lock::exclusive()
        .lock_timeout(&f, Duration::from_millis(100))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    assert!(t0.elapsed() >= Duration::from_millis(100));
    holder.kill();
    let g = Lock::exclusive()
        .lock_timeout(&f, Duration::from_secs(5))
        .unwrap();
    drop(g);
}

#[test]
fn a_blocking_lock_returns_once_the_holder_dies() {
    let t = TempFile::new("lock-block");
    let holder = Holder::start("hold", &t.0, &["exclusive", "0", "0", "ofd"]);
    let killer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        holder.kill();
    });
    let f = open_rw(&t.0);
    let g = Lock::exclusive().lock(&f).unwrap(); // F_OFD_SETLKW: waits for the kill
    killer.join().unwrap();
    assert_eq!(
        try_in_peer(&t.0, &["exclusive", "0", "0", "ofd"]),
        "wouldblock"
    );
    drop(g);
}

#[test]
fn closing_another_fd_of_the_file_keeps_an_ofd_lock() {
    // The classic fcntl pitfall: with F_SETLK, the holder's `open`+`close` of the same file
    // would have released its lock. With OFD locks it is still held.
    let t = TempFile::new("lock-pitfall");
    let holder = Holder::start(
        "hold-then-close-another-fd",
        &t.0,
        &["exclusive", "0", "0", "ofd"],
    );
    let f = open_rw(&t.0);
    assert_eq!(
        Lock::shared().try_lock(&f).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    // And the same here: lock, open and close another fd, the peer is still locked out.
    holder.kill();
    let g = Lock::exclusive().lock(&f).unwrap();
    drop(File::open(&t.0).unwrap());
    assert_eq!(
        try_in_peer(&t.0, &["shared", "0", "0", "ofd"]),
        "wouldblock"
    );
    drop(g);
}

#[test]
fn flock_excludes_flock_and_is_independent_of_ofd_locks() {
    let t = TempFile::new("lock-flock");
    let holder = Holder::start("hold", &t.0, &["exclusive", "0", "0", "flock"]);
    let f = open_rw(&t.0);
    let flock = Lock::shared().method(LockMethod::Flock);
    let e = flock.try_lock(&f).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock);
    assert!(e.to_string().contains("flock"), "{e}");
    // On Linux flock and fcntl locks do not see each other.
    drop(Lock::exclusive().try_lock(&f).unwrap());
    let e = flock
        .lock_timeout(&f, Duration::from_millis(30))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    holder.kill();
    let g = Lock::exclusive()
        .method(LockMethod::Flock)
        .lock(&f)
        .unwrap();
    assert_eq!(
        try_in_peer(&t.0, &["shared", "0", "0", "flock"]),
        "wouldblock"
    );
    let _f: &File = g.unlock().unwrap();
    assert_eq!(try_in_peer(&t.0, &["shared", "0", "0", "flock"]), "ok");
}

#[test]
fn a_shared_fcntl_lock_needs_read_access_and_an_exclusive_one_write_access() {
    let t = TempFile::new("lock-access");
    let ro = File::open(&t.0).unwrap();
    let e = Lock::exclusive().try_lock(&ro).unwrap_err();
    assert_eq!(e.errno(), Some(ipckit::Errno::EBADF));
    drop(Lock::shared().try_lock(&ro).unwrap());
}
