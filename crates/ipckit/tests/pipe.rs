//! Anonymous pipes between real processes: the test hands one end to a re-executed copy of
//! itself (`common::Peer`) and talks to it over the other.

mod common;

use std::io::{ErrorKind as IoKind, Read, Write};
use std::os::fd::AsRawFd;

use common::{say, Peer};
use ipckit::pipe::{pipe, PipeReader, PipeWriter, Spawner};
use ipckit::ErrorKind;

fn fd_arg(args: &[String], i: usize) -> i32 {
    args[i].parse().expect("fd argument")
}

/// The peer-process entry point (see `common::run_peer`).
#[test]
fn peer() {
    common::run_peer(|role, args| match role {
        "read-to-end" => {
            let mut r = PipeReader::from_inherited(fd_arg(args, 0)).expect("claim read end");
            let mut got = String::new();
            r.read_to_string(&mut got).expect("read to end of file");
            say(format!("got {got}"));
        }
        "write" => {
            let mut w = PipeWriter::from_inherited(fd_arg(args, 0)).expect("claim write end");
            w.write_all(args[1].as_bytes()).expect("write");
        }
        "close-at-once" => {
            drop(PipeReader::from_inherited(fd_arg(args, 0)).expect("claim read end"));
        }
        "capacity" => {
            let r = PipeReader::from_inherited(fd_arg(args, 0)).expect("claim read end");
            say(format!("capacity {}", r.capacity().expect("capacity")));
        }
        "write-after-go" => {
            let mut w = PipeWriter::from_inherited(fd_arg(args, 0)).expect("claim write end");
            let mut go = PipeReader::from_inherited(fd_arg(args, 1)).expect("claim go pipe");
            let mut buf = [0u8; 2];
            go.read_exact(&mut buf).expect("wait for go");
            assert_eq!(&buf, b"go");
            w.write_all(b"late").expect("write");
        }
        "check-fds" => {
            let r = PipeReader::from_inherited(fd_arg(args, 0));
            say(format!(
                "inherited {}",
                if r.is_ok() { "ok" } else { "missing" }
            ));
            for a in &args[1..] {
                let open = std::path::Path::new(&format!("/proc/self/fd/{a}")).exists();
                say(format!("fd {a} {}", if open { "open" } else { "closed" }));
            }
        }
        "fork" => {
            let (r, mut w) = pipe().expect("pipe");
            // The forked child prints "@@peer child got: <data>": a line the test reads.
            let child = r.fork_copy_to_stdout(b"@@peer child got: ").expect("fork");
            w.write_all(b"Hello Child Process!\n").expect("write");
            drop(w);
            say(format!("child exit {}", child.wait().expect("wait")));
        }
        other => panic!("unknown peer role {other}"),
    });
}

#[test]
fn data_crosses_to_a_child_and_it_sees_eof_when_the_writer_closes() {
    let (r, mut w) = pipe().unwrap();
    let mut cmd = Spawner::new(Peer::command("read-to-end", &["7"]));
    r.inherit_as(&mut cmd, 7).unwrap();
    let peer = Peer::from_spawner(cmd);
    w.write_all(b"Hello Child Process!").unwrap();
    drop(w); // the child's read_to_string only returns at end of file
    assert_eq!(peer.wait_lines(), ["got Hello Child Process!"]);
}

#[test]
fn a_child_writes_and_the_parent_reads_to_eof_after_it_exits() {
    let (mut r, w) = pipe().unwrap();
    let mut cmd = Spawner::new(Peer::command("write", &[]));
    let fd = w.inherit(&mut cmd);
    let fd_s = fd.to_string();
    cmd.command_mut().env(
        "IPCKIT_PEER_ARGS",
        [fd_s.as_str(), "from the child"].join("\u{1f}"),
    );
    let peer = Peer::from_spawner(cmd);
    let mut got = String::new();
    r.read_to_string(&mut got).unwrap();
    assert_eq!(got, "from the child");
    peer.wait_lines();
}

#[test]
fn writing_after_the_reader_is_gone_is_peer_gone() {
    let (r, mut w) = pipe().unwrap();
    let mut cmd = Spawner::new(Peer::command("close-at-once", &["5"]));
    r.inherit_as(&mut cmd, 5).unwrap();
    Peer::from_spawner(cmd).wait_lines();
    // Every read end is closed now (ours at the spawn, the child's at its exit).
    let err = w.write(b"anyone?").unwrap_err();
    assert_eq!(err.kind(), IoKind::BrokenPipe);
    assert_eq!(io_errno(&err), Some(libc::EPIPE));
    let wrapped = ipckit::Error::from_errno(
        ipckit::Errno::from_raw(io_errno(&err).unwrap()),
        "write",
        "pipe",
    );
    assert_eq!(wrapped.kind(), ErrorKind::PeerGone);
}

#[test]
fn capacity_set_in_one_process_is_seen_in_the_other() {
    let (r, w) = pipe().unwrap();
    let before = w.capacity().unwrap();
    assert!(before >= 4096);
    let got = w.set_capacity(100_000).unwrap();
    // The kernel rounds up to a power of two pages.
    assert!(got >= 100_000 && got.is_power_of_two(), "{got}");
    let mut cmd = Spawner::new(Peer::command("capacity", &["6"]));
    r.inherit_as(&mut cmd, 6).unwrap();
    assert_eq!(
        Peer::from_spawner(cmd).wait_lines(),
        [format!("capacity {got}")]
    );
}

#[test]
fn capacity_above_the_limit_is_refused_with_the_limit_named() {
    let (_r, w) = pipe().unwrap();
    let max: usize = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let err = w.set_capacity(usize::MAX).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    match w.set_capacity(max * 2) {
        // Privileged (CAP_SYS_RESOURCE) processes may exceed pipe-max-size.
        Ok(n) => {
            assert!(nix::unistd::geteuid().is_root(), "unprivileged but got {n}");
            assert!(n >= max * 2);
        }
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::LimitReached, "{e}");
            let text = e.to_string();
            assert!(text.contains("EPERM"), "{text}");
            assert!(
                text.contains(&format!("pipe-max-size is {max} bytes")),
                "{text}"
            );
        }
    }
}

#[test]
fn nonblocking_read_with_a_live_writer_would_block() {
    let (mut r, w) = pipe().unwrap();
    let (go_r, mut go_w) = pipe().unwrap();
    // The worst case for handing over two ends: each one's target is the other's current
    // fd number, so a naive dup2 of the first would replace the second.
    let (w_target, go_target) = (go_r.as_raw_fd(), w.as_raw_fd());
    let (w_arg, go_arg) = (w_target.to_string(), go_target.to_string());
    let mut cmd = Spawner::new(Peer::command("write-after-go", &[&w_arg, &go_arg]));
    w.inherit_as(&mut cmd, w_target).unwrap();
    go_r.inherit_as(&mut cmd, go_target).unwrap();
    let peer = Peer::from_spawner(cmd);

    r.set_nonblocking(true).unwrap();
    // The child holds the write end open and has written nothing: no EOF, no data.
    let err = r.read(&mut [0u8; 16]).unwrap_err();
    assert_eq!(err.kind(), IoKind::WouldBlock);

    go_w.write_all(b"go").unwrap();
    r.set_nonblocking(false).unwrap();
    let mut got = String::new();
    r.read_to_string(&mut got).unwrap();
    assert_eq!(got, "late");
    peer.wait_lines();
}

#[test]
fn nonblocking_write_to_a_full_pipe_would_block_after_capacity_bytes() {
    let (r, mut w) = pipe().unwrap();
    w.set_nonblocking(true).unwrap();
    let cap = w.capacity().unwrap();
    let chunk = [7u8; 4096];
    let mut written = 0;
    let err = loop {
        match w.write(&chunk) {
            Ok(n) => written += n,
            Err(e) => break e,
        }
    };
    assert_eq!(err.kind(), IoKind::WouldBlock);
    assert_eq!(written, cap);
    drop(r);
}

#[test]
fn inheritance_hands_over_one_fd_and_every_other_stays_close_on_exec() {
    let (r, w) = pipe().unwrap();
    let (other_r, other_w) = pipe().unwrap();
    let others = [w.as_raw_fd(), other_r.as_raw_fd(), other_w.as_raw_fd()];
    // The number the child gets is chosen so that it differs from every fd still open here.
    let target = 60;
    let mut args = vec![target.to_string()];
    args.extend(others.iter().map(|fd| fd.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut cmd = Spawner::new(Peer::command("check-fds", &args));
    r.inherit_as(&mut cmd, target).unwrap();
    let lines = Peer::from_spawner(cmd).wait_lines();
    let mut want = vec!["inherited ok".to_string()];
    want.extend(others.iter().map(|fd| format!("fd {fd} closed")));
    assert_eq!(lines, want);
}

#[test]
fn from_inherited_refuses_fds_opened_here() {
    let (r, w) = pipe().unwrap();
    let err = PipeReader::from_inherited(r.as_raw_fd()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("FD_CLOEXEC"), "{err}");
    let err = PipeWriter::from_inherited(1 << 20).unwrap_err();
    assert_eq!(err.errno(), Some(ipckit::Errno::EBADF));
    drop((r, w));
}

#[test]
fn a_forked_child_reads_what_the_parent_writes() {
    let lines = Peer::spawn("fork", &[]).wait_lines();
    assert_eq!(lines, ["child got: Hello Child Process!", "child exit 0"]);
}

#[test]
fn a_vectored_write_is_one_writev() {
    use std::io::IoSlice;
    let (mut r, mut w) = pipe().unwrap();
    let n = w
        .write_vectored(&[IoSlice::new(b"head"), IoSlice::new(b"er")])
        .unwrap();
    assert_eq!(n, 6);
    drop(w);
    let mut got = String::new();
    r.read_to_string(&mut got).unwrap();
    assert_eq!(got, "header");
}

#[test]
fn pipe_errors_name_the_operation_and_the_end() {
    let (r, _w) = pipe().unwrap();
    r.set_nonblocking(true).unwrap();
    let e = (&r).read(&mut [0u8; 4]).unwrap_err();
    assert_eq!(e.kind(), IoKind::WouldBlock);
    let inner = e
        .get_ref()
        .and_then(|i| i.downcast_ref::<ipckit::Error>())
        .unwrap();
    assert_eq!(inner.kind(), ErrorKind::WouldBlock);
    assert_eq!(inner.op(), "read");
    assert!(inner.object().starts_with("pipe read end (fd "), "{inner}");
}

/// The errno in an `io::Error` from ipckit: the raw OS error, or the errno of the
/// [`ipckit::Error`] inside (which names the operation and the object).
fn io_errno(e: &std::io::Error) -> Option<i32> {
    e.raw_os_error().or_else(|| {
        e.get_ref()
            .and_then(|i| i.downcast_ref::<ipckit::Error>())
            .and_then(|i| i.errno())
            .map(|n| n.raw())
    })
}
