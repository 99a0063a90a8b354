//! `ipckit ls`/`ipcs`, `limits`, `mk`, `rm`, `dump` on System V objects, end to end through
//! the built binary. (Never `rm --all` here: other programs' objects live on this machine.)

use std::process::Stdio;

use ipckit::mmap::MappedBytes;
use ipckit::sysv::key::Key;
use ipckit::sysv::msg::MessageQueue;
use ipckit::sysv::sem::{SemOp, SemaphoreSet};
use ipckit::sysv::shm::SharedMemory;
use ipckit_testkit::{command, ipckit, json, ok, unique_key, Cleanup};
use serde_json::Value;

fn find<'a>(v: &'a Value, section: &str, id: i32) -> Option<&'a Value> {
    v["sysv"][section]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == id)
}

#[test]
fn mk_ls_rm_queue_by_key() {
    let mut clean = Cleanup::default();
    let key = unique_key();
    let k = key.to_string();
    let id: i32 = ok(&["mk", "-Q", "--key", &k, "--mode", "0640"])
        .trim()
        .parse()
        .unwrap();
    clean.queues.push(id);
    let q = MessageQueue::builder(key).open().unwrap();
    assert_eq!(q.id(), id);
    q.send(3, b"hello").unwrap();

    let all = json(&["ls", "--json"]);
    let o = find(&all, "queues", id).expect("listed");
    assert_eq!(o["key"], key.raw() as u32);
    assert_eq!(o["key_hex"], k);
    assert_eq!(o["mode"], 0o640);
    assert_eq!(o["perms"], "rw-r-----");
    assert_eq!(o["usedbytes"], 5);
    assert_eq!(o["msgs"], 1);
    assert_eq!(o["lspid"], std::process::id());
    assert!(o["rtime"].is_null() && o["stime"].is_u64());
    // -q lists only queues.
    let only = json(&["ls", "-q", "--json"]);
    assert!(only["sysv"].get("segments").is_none());
    assert!(find(&only, "queues", id).is_some());
    let text = ok(&["ls", "-q"]);
    let line = text.lines().find(|l| l.starts_with(&k)).expect("row");
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cells[1], id.to_string());
    assert_eq!((cells[2], cells[4], cells[5]), ("rw-r-----", "5", "1"));
    let detail = json(&["ls", "-q", "-i", &id.to_string(), "--json"]);
    assert_eq!(detail["qbytes"], q.stat().unwrap().qbytes);

    ok(&["rm", "-Q", &k]);
    assert!(find(&json(&["ls", "-q", "--json"]), "queues", id).is_none());
    // Removing it again fails with the op, object and errno.
    let out = ipckit(&["rm", "-q", &id.to_string()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("ipckit: msgctl"), "{err}");
    assert!(
        err.contains(&id.to_string()) && err.contains("EINVAL"),
        "{err}"
    );
}

#[test]
fn mk_shared_memory_dump_and_rm_by_id() {
    let mut clean = Cleanup::default();
    let id: i32 = ok(&["mk", "-M", "100"]).trim().parse().unwrap();
    clean.segments.push(id);
    let seg = SharedMemory::from_id(id).unwrap();
    assert_eq!(seg.key(), Key::PRIVATE);
    let st = seg.stat().unwrap();
    assert_eq!((st.size, st.perm.mode), (100, 0o600));
    seg.attach()
        .unwrap()
        .write(0, b"Linux Programming")
        .unwrap();

    let dump = ok(&["dump", "-m", &id.to_string()]);
    let lines: Vec<&str> = dump.lines().collect();
    assert_eq!(
        lines[0],
        "00000000  4c 69 6e 75 78 20 50 72  6f 67 72 61 6d 6d 69 6e  |Linux Programmin|"
    );
    assert_eq!(lines[3], "*");
    assert_eq!(*lines.last().unwrap(), "00000064");
    let raw = ipckit(&[
        "dump",
        "-m",
        &id.to_string(),
        "--offset",
        "6",
        "--len",
        "11",
        "--raw",
    ]);
    assert_eq!(raw.stdout, b"Programming");
    let out = ipckit(&[
        "dump",
        "-m",
        &id.to_string(),
        "--offset",
        "90",
        "--len",
        "11",
    ]);
    assert!(!out.status.success());

    let o = json(&["ls", "-m", "-i", &id.to_string(), "--json"]);
    assert_eq!(
        (o["size"].as_u64(), o["nattch"].as_u64()),
        (Some(100), Some(0))
    );
    assert_eq!(o["status"], Value::Null);
    // A segment marked for removal while attached shows status dest.
    let att = seg.attach_read_only().unwrap();
    ok(&["rm", "-m", &id.to_string()]);
    let o = &json(&["ls", "-m", "--json"]);
    let o = find(o, "segments", id).expect("still listed while attached");
    assert_eq!(
        (o["status"].as_str(), o["dest"].as_bool()),
        (Some("dest"), Some(true))
    );
    assert_eq!(o["key"], 0);
    drop(att);
    assert!(find(&json(&["ls", "-m", "--json"]), "segments", id).is_none());
}

#[test]
fn mk_semaphores_and_show_each_value() {
    let mut clean = Cleanup::default();
    let key = unique_key();
    let id: i32 = ok(&[
        "mk",
        "-S",
        "3",
        "--key",
        &key.raw().to_string(),
        "--value",
        "2",
    ])
    .trim()
    .parse()
    .unwrap();
    clean.sets.push(id);
    let set = SemaphoreSet::builder(key, 3).open().unwrap();
    set.op(&[SemOp::wait(1)]).unwrap();
    let o = json(&["ls", "-s", "-i", &id.to_string(), "--json"]);
    assert_eq!(o["nsems"], 3);
    let el = o["elements"].as_array().unwrap();
    let values: Vec<u64> = el.iter().map(|e| e["value"].as_u64().unwrap()).collect();
    assert_eq!(values, [2, 1, 2]);
    assert_eq!(el[1]["pid"], std::process::id());
    assert_eq!(
        (el[1]["ncnt"].as_u64(), el[1]["zcnt"].as_u64()),
        (Some(0), Some(0))
    );
    let text = ok(&["ls", "-s", "-i", &id.to_string()]);
    assert!(text.contains("SEMNUM VALUE NCNT ZCNT"), "{text}");
    ok(&["rm", "-S", &key.to_string()]);
    assert!(find(&json(&["ls", "-s", "--json"]), "semaphores", id).is_none());
}

#[test]
fn mk_with_ftok_key() {
    let mut clean = Cleanup::default();
    let dir = std::env::temp_dir().join(format!("ipckit-cli-ftok-{}", std::process::id()));
    std::fs::write(&dir, b"").unwrap();
    let id: i32 = ok(&["mk", "-Q", "--ftok", &format!("{}:{}", dir.display(), 0x51)])
        .trim()
        .parse()
        .unwrap();
    clean.queues.push(id);
    assert_eq!(
        MessageQueue::from_id(id).unwrap().key(),
        Key::ftok(&dir, 0x51).unwrap()
    );
    // The same key again is taken.
    let out = ipckit(&["mk", "-Q", "--ftok", &format!("{}:{}", dir.display(), 0x51)]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("EEXIST"));
    std::fs::remove_file(&dir).unwrap();
}

#[test]
fn limits_are_typed() {
    let v = json(&["limits", "--json"]);
    for name in [
        "msgmax", "msgmnb", "msgmni", "shmmax", "shmall", "shmmni", "semmsl", "semmns", "semopm",
        "semmni",
    ] {
        assert!(v["sysv"][name]["limit"].is_u64(), "{name}: {v}");
    }
    let msgmax: u64 = std::fs::read_to_string("/proc/sys/kernel/msgmax")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(v["sysv"]["msgmax"]["limit"], msgmax);
    assert!(v["sysv"]["msgmni"]["used"].is_u64());
    assert!(v["sysv"]["msgmax"]["used"].is_null());
    assert!(ok(&["limits"]).contains("semopm"));
}

#[test]
fn usage_errors() {
    assert!(!ipckit(&["ls", "-i", "1"]).status.success());
    assert!(!ipckit(&["ls", "-q", "-m", "-i", "1"]).status.success());
    assert!(!ipckit(&["mk"]).status.success());
    assert!(!ipckit(&["mk", "-Q", "-M", "10"]).status.success());
    assert!(!ipckit(&["mk", "-Q", "--mode", "999"]).status.success());
    assert!(!ipckit(&["rm"]).status.success());
    // A bad --all kind is refused before anything is removed (a real --all is never run
    // here: other programs' objects live on this machine).
    let out = ipckit(&["rm", "--all=z"]);
    assert_eq!(out.status.code(), Some(2), "a usage error");
    assert!(!ipckit(&["dump"]).status.success());
    let out = ipckit(&["ls", "-q", "-i", "2147483647"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("ipckit: "));
}

#[test]
fn closed_stdout_is_a_normal_end() {
    let mut child = command()
        .args(["ls", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader is gone before ipckit writes
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn send_and_recv_with_types_and_selectors() {
    let key = unique_key();
    let q = MessageQueue::builder(key).create_new().unwrap(); // removed on drop
    let addr = format!("sysv-mq:{key}");
    ok(&["send", &addr, "--type", "5", "five-a", "five-b"]);
    ok(&["send", &format!("{addr}:2"), "two"]);
    ok(&["send", &addr, "--type", "9", "nine"]);
    ok(&["send", &addr, "one"]); // the address's type: 1
    assert_eq!(q.stat().unwrap().qnum, 5);
    assert_eq!(
        ok(&["recv", &addr, "--type", "-5", "--count", "2", "-v"]),
        "1\tone\n2\ttwo\n"
    );
    assert_eq!(
        ok(&["recv", &addr, "--except", "5", "--count", "1", "-v"]),
        "9\tnine\n"
    );
    assert_eq!(
        ok(&["recv", &addr, "--type", "5", "--count", "1"]),
        "five-a\n"
    );
    assert_eq!(
        ok(&["recv", &addr, "--type", "0", "--count", "1", "-v"]),
        "5\tfive-b\n"
    );
    // Nothing left: a timed receive fails, and the queue (not created by recv) stays.
    let out = ipckit(&["recv", &addr, "--timeout", "0.05"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("timed out"));
    assert!(q.stat().is_ok());
    // Flags that only mean something for queues.
    assert!(!ipckit(&["send", &addr, "--type", "0", "x"])
        .status
        .success());
    assert!(!ipckit(&["send", "fifo:/nonexistent", "--type", "3", "x"])
        .status
        .success());
    assert!(!ipckit(&["recv", "unix:@nothing-here", "-v"])
        .status
        .success());
}

/// `recv sysv-mq:KEY` without a type takes any type (msgtyp 0), as msgrcv(…, 0, …) and
/// Python's sysv_ipc do; `-v` prints the type; `send` without a type sends type 1.
#[test]
fn recv_without_a_type_takes_any_type() {
    let key = unique_key();
    let q = MessageQueue::builder(key).create_new().unwrap(); // removed on drop
    q.send(3, b"three").unwrap();
    let addr = format!("sysv-mq:{key}");
    assert_eq!(
        ok(&["recv", &addr, "--count", "1", "-v", "--timeout", "10"]),
        "3\tthree\n"
    );
    ok(&["send", &addr, "plain"]);
    let m = q
        .recv(ipckit::sysv::msg::Selector::Any)
        .expect("sent with type 1");
    assert_eq!((m.mtype, &m.data[..]), (1, &b"plain"[..]));
    // A type in the address narrows it: type 3 is not taken by sysv-mq:KEY:2.
    q.send(3, b"three").unwrap();
    let out = ipckit(&["recv", &format!("{addr}:2"), "--timeout", "0.1"]);
    assert!(!out.status.success());
    assert_eq!(q.stat().unwrap().qnum, 1);
}

#[test]
fn recv_creates_the_queue_and_removes_it_at_the_end() {
    let key = unique_key();
    let addr = format!("sysv-mq:{key}:3");
    let child = command()
        .args(["recv", &addr, "--count", "1", "--timeout", "30"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // recv made the queue: wait for it, then send through the CLI.
    let mut opened = None;
    for _ in 0..2000 {
        if let Ok(q) = MessageQueue::builder(key).open() {
            opened = Some(q);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let q = opened.expect("recv creates the queue");
    ok(&["send", &addr, "hello"]);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, b"hello\n");
    assert!(q.stat().is_err(), "recv removed the queue it created");
}
