//! `pipe::popen` through the real `/bin/sh`, and the hand-over rule of `pipe::Spawner`: a
//! parent that reads to end of file gets it without dropping anything by hand.

mod common;

use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use common::{say, unique_path, Peer};
use ipckit::pipe::{pipe, popen, Mode, PipeWriter, Spawner};
use ipckit::ErrorKind;

#[test]
/// The peer-process entry point (see `common::run_peer`): run as a test, it checks that
/// this binary re-executed as a peer answers.
fn peer() {
    common::run_peer(|role, args| match role {
        "write-and-exit" => {
            let fd: i32 = args[0].parse().expect("fd argument");
            let mut w = PipeWriter::from_inherited(fd).expect("claim write end");
            w.write_all(b"from the peer").expect("write");
            say("wrote");
        }
        other => panic!("unknown peer role {other}"),
    });
}

#[test]
fn read_mode_reads_the_commands_stdout() {
    let mut p = popen("echo hello; printf 'a b'", Mode::Read).unwrap();
    assert!(p.pid() > 0);
    let mut out = String::new();
    p.read_to_string(&mut out).unwrap();
    assert_eq!(out, "hello\na b");
    let status = p.close().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn write_mode_feeds_the_commands_stdin() {
    let path = unique_path("popen-cat");
    let mut p = popen(&format!("cat > '{}'", path.display()), Mode::Write).unwrap();
    for i in 0..100 {
        writeln!(p, "line {i}").unwrap();
    }
    assert!(p.close().unwrap().success());
    let got = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(got.lines().count(), 100);
    assert_eq!(got.lines().last(), Some("line 99"));
}

#[test]
fn a_non_zero_exit_status_is_returned_by_close() {
    let mut p = popen("echo partial; exit 7", Mode::Read).unwrap();
    let mut out = String::new();
    p.read_to_string(&mut out).unwrap();
    assert_eq!(out, "partial\n");
    assert_eq!(p.close().unwrap().code(), Some(7));
}

#[test]
fn a_command_not_found_is_status_127() {
    let p = popen("ipckit-no-such-command-here 2>/dev/null", Mode::Read).unwrap();
    assert_eq!(p.close().unwrap().code(), Some(127));
}

#[test]
fn a_killed_command_reports_its_signal() {
    // `exec` so the shell itself is the sleeping process the signal reaches.
    let mut p = popen("exec sleep 30", Mode::Write).unwrap();
    assert_eq!(p.try_wait().unwrap(), None);
    let pid = p.pid() as i32;
    Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    let status = p.close().unwrap();
    assert_eq!(status.signal(), Some(9), "{status:?}");
    assert_eq!(status.code(), None);
}

#[test]
fn kill_ends_a_command_that_would_keep_close_waiting() {
    let mut p = popen("exec sleep 30", Mode::Read).unwrap();
    p.kill().unwrap();
    assert_eq!(p.close().unwrap().signal(), Some(9));
}

#[test]
fn the_wrong_direction_is_invalid_input() {
    let mut p = popen("cat >/dev/null", Mode::Write).unwrap();
    let e = p.read(&mut [0u8; 4]).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    assert!(e.to_string().contains("Mode::Write"), "{e}");
    drop(p); // closes stdin and waits: cat ends
}

#[test]
fn writing_after_the_command_exited_is_peer_gone() {
    let mut p = popen("exit 0", Mode::Write).unwrap();
    while p.try_wait().unwrap().is_none() {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let e = p.write_all(&[0u8; 70_000]).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe);
    let inner = e.get_ref().and_then(|i| i.downcast_ref::<ipckit::Error>());
    assert_eq!(inner.map(ipckit::Error::kind), Some(ErrorKind::PeerGone));
    assert!(p.close().unwrap().success());
}

#[test]
fn drop_waits_so_no_zombie_is_left() {
    let p = popen("exit 0", Mode::Read).unwrap();
    let pid = p.pid();
    drop(p);
    // Reaped: /proc has no entry (a zombie would still have one, in state Z).
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
}

#[test]
fn a_parent_reading_to_eof_gets_it_without_dropping_the_command() {
    // The child (a re-executed copy of this test) holds the write end as fd 9, writes and
    // exits; the parent reads to end of file. Before `Spawner`, the parent's `Command` kept
    // a copy of the write end open and this read never returned.
    let (mut r, w) = pipe().unwrap();
    let mut spawner = Spawner::new(Peer::command("write-and-exit", &["9"]));
    w.inherit_as(&mut spawner, 9).unwrap();
    let mut child = spawner.spawn().unwrap();
    let mut got = String::new();
    r.read_to_string(&mut got).unwrap();
    assert_eq!(got, "from the peer");
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_stdio_end_set_on_the_spawners_command_is_closed_too() {
    let (mut r, w) = pipe().unwrap();
    let mut spawner = Spawner::new(Command::new("/bin/sh"));
    spawner
        .command_mut()
        .args(["-c", "echo via stdout"])
        .stdout(Stdio::from(w));
    let mut child = spawner.spawn().unwrap();
    let mut got = String::new();
    r.read_to_string(&mut got).unwrap();
    assert_eq!(got, "via stdout\n");
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_failed_spawn_closes_the_ends_and_names_the_program() {
    let (mut r, w) = pipe().unwrap();
    let mut spawner = Spawner::new(Command::new("/nonexistent/ipckit-program"));
    w.inherit(&mut spawner);
    let e = spawner.spawn().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.to_string().contains("/nonexistent/ipckit-program"), "{e}");
    let mut got = Vec::new();
    assert_eq!(r.read_to_end(&mut got).unwrap(), 0); // the write end is gone: EOF
}
