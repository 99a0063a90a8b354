//! `ipckit ls --stale` and `rm --stale` (issue 10, defect 8): the socket files and System V
//! segments left by processes killed with SIGKILL are found and removed; a socket someone
//! listens on, and a segment with a live creator or an attachment, never are. End to end
//! through the built binary.

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ipckit::sysv::key::Key;
use ipckit::sysv::shm::SharedMemory;
use ipckit_testkit::{ipckit, json, ok, stderr, tmp, unique_key, Cleanup, Running};
use serde_json::Value;

/// A directory removed (with what is left in it) when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let d = tmp(tag);
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn socket_paths(v: &Value) -> Vec<String> {
    v["stale"]["sockets"]
        .as_array()
        .expect("sockets array")
        .iter()
        .map(|s| s["path"].as_str().unwrap().to_string())
        .collect()
}

fn segment_ids(v: &Value) -> Vec<i64> {
    v["stale"]["segments"]
        .as_array()
        .expect("segments array")
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect()
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn a_socket_file_of_a_killed_receiver_is_found_and_removed_a_live_one_never() {
    let dir = TempDir::new("stale-dir");
    let dead = dir.0.join("dead.sock");
    let live = dir.0.join("live.sock");
    let plain = dir.0.join("not-a-socket");
    std::fs::write(&plain, b"x").unwrap();

    // A receiver killed with SIGKILL leaves its socket file.
    let mut recv = Running::recv(&[&format!("unix:{}", s(&dead))]);
    recv.child().kill().unwrap();
    let (status, _, _) = recv.finish();
    assert!(!status.success());
    assert!(dead.exists(), "SIGKILL leaves the file behind");
    let _listener = UnixListener::bind(&live).unwrap();

    let v = json(&["ls", "--stale", &s(&dir.0), "--json"]);
    assert_eq!(socket_paths(&v), [s(&dead)], "{v}");
    assert_eq!(segment_ids(&v), Vec::<i64>::new(), "DIRs only: no segments");
    let table = ok(&["ls", "--stale", &s(&dir.0)]);
    assert!(
        table.contains(&s(&dead)) && !table.contains(&s(&live)),
        "{table}"
    );

    let out = ok(&["rm", "--stale", &s(&dir.0)]);
    assert_eq!(out, format!("removed socket {}\n", s(&dead)));
    assert!(!dead.exists());
    assert!(live.exists() && plain.exists());
    // Nothing stale left: nothing removed, success.
    assert_eq!(ok(&["rm", "--stale", &s(&dir.0)]), "");
    assert_eq!(
        socket_paths(&json(&["ls", "--stale", &s(&dir.0), "--json"])).len(),
        0
    );
}

/// Not a test of its own: with `IPCKIT_STALE_CHILD=KEY`, makes a segment with that key,
/// prints its id and waits to be killed (the parent test re-executes this binary).
#[test]
fn child_making_a_segment() {
    let Ok(key) = std::env::var("IPCKIT_STALE_CHILD") else {
        return;
    };
    let key: Key = key.parse().unwrap();
    let seg = SharedMemory::builder(key, 4096).create_new().unwrap();
    println!("{}", seg.id());
    std::thread::sleep(std::time::Duration::from_secs(60));
}

/// A segment with `key` made by a child process killed with SIGKILL; its id.
fn segment_of_killed_child(key: Key) -> i32 {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_making_a_segment", "--nocapture", "-q"])
        .env("IPCKIT_STALE_CHILD", key.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let id = loop {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "child ended");
        if let Ok(id) = line.trim().parse::<i32>() {
            break id;
        }
    };
    child.kill().unwrap();
    child.wait().unwrap();
    id
}

#[test]
fn a_segment_of_a_dead_creator_is_found_and_removed_a_live_or_attached_one_never() {
    let (killed, exited, live, attached) = (unique_key(), unique_key(), unique_key(), unique_key());
    let mut c = Cleanup::default();
    c.keys.extend([killed, exited, live, attached]);

    let killed_id = segment_of_killed_child(killed);
    // `ipckit mk` exits once it made the segment: its creator is dead too.
    let exited_id: i64 = ok(&["mk", "-M", "4096", "-k", &exited.to_string()])
        .trim()
        .parse()
        .unwrap();
    // This process made it and lives.
    let live_seg = SharedMemory::builder(live, 4096).create_new().unwrap();
    // Its creator is dead, but this process has it attached.
    ok(&["mk", "-M", "4096", "-k", &attached.to_string()]);
    let att = SharedMemory::builder(attached, 0).open().unwrap();
    let _mapping = att.attach().unwrap();

    let keys: Vec<String> = [killed, exited, live, attached]
        .iter()
        .map(Key::to_string)
        .collect();
    let mut args = vec!["ls", "--stale", "--json"];
    args.extend(keys.iter().map(String::as_str));
    let v = json(&args);
    let mut ids = segment_ids(&v);
    ids.sort();
    let mut want = vec![i64::from(killed_id), exited_id];
    want.sort();
    assert_eq!(ids, want, "{v}");
    assert_eq!(socket_paths(&v).len(), 0, "KEYs only: no directory probed");

    let mut args = vec!["rm", "--stale"];
    args.extend(keys.iter().map(String::as_str));
    let out = ok(&args);
    let mut lines: Vec<&str> = out.lines().collect();
    lines.sort();
    let mut expect = vec![
        format!("removed segment {killed_id} (key {killed})"),
        format!("removed segment {exited_id} (key {exited})"),
    ];
    expect.sort();
    assert_eq!(lines, expect, "{out}");

    assert!(SharedMemory::builder(killed, 0).open().is_err());
    assert!(SharedMemory::builder(exited, 0).open().is_err());
    assert!(SharedMemory::builder(live, 0).open().is_ok());
    assert!(SharedMemory::builder(attached, 0).open().is_ok());
    drop(live_seg);
}

#[test]
fn stale_arguments_that_are_neither_directory_nor_key_are_refused() {
    let out = ipckit(&["ls", "--stale", "/no/such/dir"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("/no/such/dir") && err.contains("ENOENT"),
        "{err}"
    );
    // DIR|KEY arguments need --stale.
    assert_eq!(ipckit(&["ls", "/tmp"]).status.code(), Some(2));
    assert_eq!(ipckit(&["rm", "/tmp"]).status.code(), Some(2));
    // --stale is a listing of its own.
    assert_eq!(ipckit(&["ls", "--stale", "-q"]).status.code(), Some(2));
}
