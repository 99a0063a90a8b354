//! FIFOs between real processes: what opening waits for, end of stream, a reader that goes
//! away, and the creation modes.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{run_peer, say, unique_path, Live};
use ipckit::channel::{self, Address, ChannelOptions};
use ipckit::fifo::{Fifo, FifoReader, FifoWriter};
use ipckit::{Errno, ErrorKind, Named};

/// The peer-process entry point (see `common::run_peer`).
#[test]
fn peer() {
    run_peer(|role, args| {
        let path = PathBuf::from(&args[0]);
        match role {
            "blocking_reader" => {
                say("opening");
                let mut r = FifoReader::open(&path).unwrap();
                say("opened");
                let mut got = String::new();
                r.read_to_string(&mut got).unwrap();
                say(format!("read {got}"));
            }
            "blocking_writer" => {
                say("opening");
                let mut w = FifoWriter::open(&path).unwrap();
                say("opened");
                w.write_all(b"from the writer").unwrap();
            }
            "channel_connect_send" => {
                // Started before anyone accepts: the connect waits for a reader.
                let addr: Address = format!("fifo:{}", path.display()).parse().unwrap();
                say("connecting");
                let mut tx = channel::connect(&addr).unwrap();
                tx.send(b"late reader").unwrap();
            }
            "read_one_line_then_exit" => {
                let r = FifoReader::open(&path).unwrap();
                let mut line = String::new();
                BufReader::new(r).read_line(&mut line).unwrap();
                say(format!("got {}", line.trim_end()));
            }
            other => panic!("unknown peer role {other}"),
        }
    });
}

/// A live peer running `role` on the FIFO at `path` (every read of its output has a
/// deadline: [`common::Live`]).
fn spawn_live(role: &str, path: &Path) -> Live {
    Live::spawn(role, &[path.to_str().unwrap()])
}

/// Waits until some thread of process `pid` is blocked in `openat(2)` (its
/// `/proc/PID/task/TID/syscall` starts with that syscall's number): proof that an open is
/// waiting, without guessing a delay.
fn wait_until_blocked_in_open(pid: u32) {
    let want = libc::SYS_openat.to_string();
    for _ in 0..10_000 {
        let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("peer's /proc entry");
        for task in tasks.flatten() {
            if let Ok(s) = std::fs::read_to_string(task.path().join("syscall")) {
                if s.split_whitespace().next() == Some(want.as_str()) {
                    return;
                }
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    panic!("peer {pid} never blocked in openat");
}

#[test]
fn blocking_reader_open_waits_for_a_writer() {
    let fifo = Fifo::create_new(unique_path("fifo")).unwrap();
    let mut live = spawn_live("blocking_reader", fifo.path());
    assert_eq!(live.line(), "opening");
    wait_until_blocked_in_open(live.pid());
    // The waiting reader counts as a reader, so a non-blocking writer gets in: the reader's
    // open returns only now.
    let mut w = fifo.open_writer_nonblocking().unwrap();
    assert_eq!(live.line(), "opened");
    w.set_nonblocking(false).unwrap();
    w.write_all(b"hello").unwrap();
    drop(w);
    assert_eq!(
        live.line(),
        "read hello",
        "end of stream once the writer closed"
    );
    live.finish();
}

#[test]
fn blocking_writer_open_waits_for_a_reader() {
    let fifo = Fifo::create_new(unique_path("fifo")).unwrap();
    let mut live = spawn_live("blocking_writer", fifo.path());
    assert_eq!(live.line(), "opening");
    wait_until_blocked_in_open(live.pid());
    let mut r = fifo.open_reader().unwrap();
    assert_eq!(live.line(), "opened");
    let mut got = String::new();
    r.read_to_string(&mut got).unwrap();
    assert_eq!(got, "from the writer");
    live.finish();
}

#[test]
fn nonblocking_reader_opens_at_once_and_sees_no_data() {
    let fifo = Fifo::create_new(unique_path("fifo")).unwrap();
    let mut r = fifo.open_reader_nonblocking().unwrap();
    let mut buf = [0u8; 8];
    // No writer has ever opened it: the kernel reports end of stream, not "would block".
    assert_eq!(r.read(&mut buf).unwrap(), 0);
    let mut w = fifo.open_writer().unwrap();
    let e = r.read(&mut buf).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
    w.write_all(b"x").unwrap();
    assert_eq!(r.read(&mut buf).unwrap(), 1);
}

#[test]
fn nonblocking_writer_without_reader_is_peer_gone() {
    let fifo = Fifo::create_new(unique_path("fifo")).unwrap();
    let e = fifo.open_writer_nonblocking().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PeerGone);
    assert_eq!(e.errno(), Some(Errno::ENXIO));
    assert_eq!(e.detail(), Some("no process has the FIFO open for reading"));
    assert!(e.to_string().contains(&fifo.path().display().to_string()));
}

#[test]
fn write_after_the_reader_exits_is_peer_gone() {
    let fifo = Fifo::create_new(unique_path("fifo")).unwrap();
    let mut live = spawn_live("read_one_line_then_exit", fifo.path());
    let mut w = fifo.open_writer().unwrap();
    w.write_all(b"one\n").unwrap();
    assert_eq!(live.line(), "got one");
    live.finish();
    let e = w.write_all(b"two\n").unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe);
    let inner = e
        .get_ref()
        .and_then(|i| i.downcast_ref::<ipckit::Error>())
        .unwrap();
    assert_eq!(inner.kind(), ErrorKind::PeerGone);
    assert_eq!(inner.errno(), Some(Errno::EPIPE));
}

#[test]
fn opening_what_is_not_a_fifo_is_invalid_input() {
    let file = unique_path("file");
    std::fs::write(&file, b"regular").unwrap();
    let dir = std::env::temp_dir();
    for (path, what) in [
        (file.as_path(), "a regular file"),
        (dir.as_path(), "a directory"),
    ] {
        for e in [
            Fifo::open(path).unwrap_err(),
            Fifo::open_or_create(path).unwrap_err(),
            FifoReader::open(path).unwrap_err(),
            FifoWriter::open_nonblocking(path).unwrap_err(),
        ] {
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
            assert!(e.to_string().contains(what), "{e}");
        }
    }
    std::fs::remove_file(&file).unwrap();
    let missing = unique_path("missing");
    let e = FifoReader::open(&missing).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(e.errno(), Some(Errno::ENOENT));
    assert!(e.to_string().contains(&missing.display().to_string()));
}

/// This process's umask, read without changing it (`/proc/self/status`, Linux 4.7+).
fn umask() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Umask:")).unwrap();
    u32::from_str_radix(line["Umask:".len()..].trim(), 8).unwrap()
}

#[test]
fn created_with_mode_0600_unless_asked() {
    let p = unique_path("fifo");
    let fifo = Fifo::create_new(&p).unwrap();
    let meta = std::fs::metadata(&p).unwrap();
    assert!(meta.file_type().is_fifo());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    drop(fifo);
    assert!(!p.exists(), "the creator unlinks on drop");

    let fifo = Fifo::builder(&p).mode(0o640).create_new().unwrap();
    assert_eq!(
        std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
        0o640 & !umask(),
        "the mode asked for, less the umask"
    );
    drop(fifo);
    assert!(!p.exists());
}

#[test]
fn persist_keeps_and_open_never_unlinks() {
    let p = unique_path("fifo");
    let mut fifo = Fifo::builder(&p).create_new().unwrap();
    fifo.persist();
    assert!(!fifo.is_owner());
    drop(fifo);
    assert!(p.exists(), "persisted");
    let opened = Fifo::open(&p).unwrap();
    drop(opened);
    assert!(p.exists(), "open() does not own");
    Fifo::open(&p).unwrap().remove().unwrap();
    assert!(!p.exists());
}

#[test]
fn ends_read_and_write_through_shared_references_with_the_end_named_in_errors() {
    let fifo = Fifo::create_new(unique_path("fifo")).unwrap();
    assert_eq!(fifo.name(), fifo.path().to_string_lossy());
    let reader = fifo.open_reader_nonblocking().unwrap();
    let writer = fifo.open_writer().unwrap();
    assert_eq!(reader.capacity().unwrap(), writer.capacity().unwrap());
    (&writer).write_all(b"ab").unwrap();
    let mut buf = [0u8; 2];
    (&reader).read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ab");
    let e = (&reader).read(&mut buf).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
    let inner = e
        .get_ref()
        .and_then(|i| i.downcast_ref::<ipckit::Error>())
        .unwrap();
    assert_eq!(inner.op(), "read");
    assert!(inner.object().starts_with("FIFO read end (fd "), "{inner}");
}

#[test]
fn ends_stay_usable_after_the_path_is_unlinked() {
    let fifo = Fifo::create_new(unique_path("fifo")).unwrap();
    let mut r = fifo.open_reader_nonblocking().unwrap();
    let mut w = fifo.open_writer().unwrap();
    drop(fifo);
    w.write_all(b"still").unwrap();
    let mut buf = [0u8; 5];
    r.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"still");
}

/// A `fifo:` connect with no reader gives up after its connect timeout (it used to block in
/// `open(O_WRONLY)` for as long as no reader came: forever, if none ever did).
#[test]
fn channel_connect_without_a_reader_times_out() {
    let addr: Address = format!("fifo:{}", unique_path("fifo-ct").display())
        .parse()
        .unwrap();
    let listener = channel::listen(&addr).unwrap(); // creates the FIFO; never accepts
    let opts = ChannelOptions::new().with_connect_timeout(Duration::from_millis(50));
    let e = channel::connect_with(&addr, &opts).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
    assert!(e.to_string().contains("connect timeout"), "{e}");
    drop(listener);
    // No FIFO at all: NotFound at once, not a wait.
    let e = channel::connect_with(&addr, &opts).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
}

/// A connect that started before the reader came succeeds once the listener accepts (the
/// bounded connect retries until a reader has the FIFO open).
#[test]
fn channel_connect_waits_for_a_late_reader() {
    let addr: Address = format!("fifo:{}", unique_path("fifo-late").display())
        .parse()
        .unwrap();
    let mut listener = channel::listen(&addr).unwrap();
    let Address::Fifo(path) = &addr else {
        unreachable!()
    };
    let mut live = spawn_live("channel_connect_send", path);
    assert_eq!(live.line(), "connecting");
    // Give the peer time to be waiting with no reader (it retries, not blocks).
    std::thread::sleep(Duration::from_millis(100));
    let mut rx = listener.accept().unwrap();
    let mut buf = Vec::new();
    rx.recv(&mut buf).unwrap();
    assert_eq!(buf, b"late reader");
    live.finish();
}
