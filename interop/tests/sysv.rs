//! ipckit's System V IPC against peers nobody here wrote: Python's `sysv_ipc` (a C extension
//! over the same syscalls) both ways for queues (types and selectors, stat fields), shared
//! memory and semaphores; util-linux `ipcs`, `lsipc --json` and `ipcmk` against
//! `ipckit ls --json` / `ipckit rm`.
//!
//! Only objects these tests make are compared: other programs' objects live on this machine
//! too. Every object is removed at the end, also when a test fails (guards).

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use ipckit::mmap::MappedBytes;
use ipckit::sysv::key::Key;
use ipckit::sysv::msg::{MessageQueue, Selector};
use ipckit::sysv::sem::{SemOp, SemaphoreSet};
use ipckit::sysv::shm::SharedMemory;
use ipckit::Named;
use ipckit_interop::{have_python_module, have_tool, ipckit, Py};
use serde_json::Value;

const LONG: Duration = Duration::from_secs(30);

fn unique_key() -> Key {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed) & 0xff;
    Key::new(0x6000_0000 | ((std::process::id() & 0x3f_ffff) << 8) as i32 | n as i32)
}

/// Removes whatever System V object has this key when dropped.
struct RemoveKey(Key);

impl Drop for RemoveKey {
    fn drop(&mut self) {
        if let Ok(q) = MessageQueue::builder(self.0).open() {
            let _ = q.remove();
        }
        if let Ok(s) = SharedMemory::builder(self.0, 0).open() {
            let _ = s.remove();
        }
        if let Ok(s) = SemaphoreSet::builder(self.0, 0).no_init_wait().open() {
            let _ = s.remove();
        }
    }
}

fn python() -> bool {
    have_python_module("sysv_ipc")
}

#[test]
fn python_receives_what_ipckit_sends_with_selectors() {
    if !python() {
        return;
    }
    let key = unique_key();
    let q = MessageQueue::builder(key).mode(0o640).create_new().unwrap();
    for (t, text) in [(3, "c"), (1, "a"), (2, "b"), (5, "e")] {
        q.send(t, text.as_bytes()).unwrap();
    }
    let py = Py::start(
        "sysv_ipc",
        r#"
q = sysv_ipc.MessageQueue(int(sys.argv[1]))
print(oct(q.mode), q.current_messages, q.last_send_pid)
for t in (2, -4, 0):
    m, typ = q.receive(type=t)
    print(typ, m.decode())
q.send(b"from python", type=7)
q.send(b"\x00\xffbinary", type=9)
"#,
        &[&key.raw().to_string()],
    );
    let lines = py.finish();
    assert_eq!(
        lines[0],
        format!("0o640 4 {}", std::process::id()),
        "mode, current_messages, last_send_pid as Python reads them"
    );
    // type 2 exactly; lowest type <= 4 (1); then the first of the rest (3).
    assert_eq!(lines[1..], ["2 b", "1 a", "3 c"]);
    let m = q.recv(Selector::Except(5)).unwrap();
    assert_eq!((m.mtype, &m.data[..]), (7, &b"from python"[..]));
    let m = q.recv(Selector::LowestUpTo(9)).unwrap();
    assert_eq!((m.mtype, &m.data[..]), (5, &b"e"[..]));
    let m = q.recv(Selector::Exactly(9)).unwrap();
    assert_eq!(m.data, b"\x00\xffbinary");
}

#[test]
fn ipckit_receives_from_a_queue_python_made_and_reads_the_same_stat() {
    if !python() {
        return;
    }
    let key = unique_key();
    let _clean = RemoveKey(key);
    let mut py = Py::start(
        "sysv_ipc",
        r#"
q = sysv_ipc.MessageQueue(int(sys.argv[1]), sysv_ipc.IPC_CREX, mode=0o600)
for t, m in ((4, b"four"), (2, b"two"), (4, b"four again")):
    q.send(m, type=t)
print("sent", q.id)
sys.stdout.flush()
sys.stdin.readline()
print(oct(q.mode), q.current_messages, q.last_receive_pid)
q.remove()
"#,
        &[&key.raw().to_string()],
    );
    let sent = py.line();
    let q = MessageQueue::builder(key).open().unwrap();
    assert_eq!(sent, format!("sent {}", q.id()));
    let st = q.stat().unwrap();
    assert_eq!((st.perm.mode, st.qnum, st.cbytes), (0o600, 3, 17));
    assert_eq!(st.lspid, py.pid() as i32);
    assert_eq!(q.recv(Selector::Exactly(4)).unwrap().data, b"four");
    assert_eq!(q.recv(Selector::Any).unwrap().mtype, 2);
    py.tell("go");
    let lines = py.finish();
    assert_eq!(lines, [format!("0o600 1 {}", std::process::id())]);
}

#[test]
fn shared_memory_both_ways() {
    if !python() {
        return;
    }
    let key = unique_key();
    let seg = SharedMemory::builder(key, 4096).create_new().unwrap();
    let a = seg.attach().unwrap();
    a.write(0, b"Linux Programming").unwrap();
    let py = Py::start(
        "sysv_ipc",
        r#"
m = sysv_ipc.SharedMemory(int(sys.argv[1]))
print(m.read(17).decode(), m.size, m.number_attached)
m.write(b"written by python", 100)
m.detach()
"#,
        &[&key.raw().to_string()],
    );
    let lines = py.finish();
    assert_eq!(lines, ["Linux Programming 4096 2"]);
    let mut back = [0u8; 17];
    a.read(100, &mut back).unwrap();
    assert_eq!(&back, b"written by python");
    assert_eq!(seg.stat().unwrap().nattch, 1);

    // And a segment Python made, read by ipckit.
    let key2 = unique_key();
    let _clean = RemoveKey(key2);
    let py = Py::start(
        "sysv_ipc",
        r#"
m = sysv_ipc.SharedMemory(int(sys.argv[1]), sysv_ipc.IPC_CREX, mode=0o600, size=64)
m.write(b"made in python")
print(m.id)
"#,
        &[&key2.raw().to_string()],
    );
    let lines = py.finish();
    let seg2 = SharedMemory::builder(key2, 0).open().unwrap();
    assert_eq!(lines, [seg2.id().to_string()]);
    assert_eq!(
        &seg2.attach_read_only().unwrap().to_vec()[..14],
        b"made in python"
    );
    assert_eq!(seg2.stat().unwrap().size, 64);
}

#[test]
fn a_semaphore_released_by_one_wakes_the_other() {
    if !python() {
        return;
    }
    // Python waits; ipckit releases.
    let key = unique_key();
    let set = SemaphoreSet::builder(key, 1).create_new().unwrap();
    let py = Py::start(
        "sysv_ipc",
        r#"
s = sysv_ipc.Semaphore(int(sys.argv[1]))
s.acquire(30)
print("acquired", s.value)
"#,
        &[&key.raw().to_string()],
    );
    let deadline = std::time::Instant::now() + LONG;
    while set.ncnt(0).unwrap() != 1 {
        assert!(std::time::Instant::now() < deadline, "python never waited");
        std::thread::sleep(Duration::from_millis(5));
    }
    set.op(&[SemOp::post(0)]).unwrap();
    let py_pid = py.pid() as i32;
    assert_eq!(py.finish(), ["acquired 0"]);
    assert_eq!(set.pid(0).unwrap(), py_pid, "Python's semop was the last");

    // ipckit waits; Python releases once it sees a waiter. Python never calls semop before
    // that, so sem_otime is 0: open without waiting for initialisation.
    let key2 = unique_key();
    let _clean = RemoveKey(key2);
    let py = Py::start(
        "sysv_ipc",
        r#"
import time
s = sysv_ipc.Semaphore(int(sys.argv[1]), sysv_ipc.IPC_CREX, mode=0o600, initial_value=0)
print("made", s.id)
sys.stdout.flush()
for _ in range(3000):
    if s.waiting_for_nonzero == 1:
        break
    time.sleep(0.01)
s.release()
"#,
        &[&key2.raw().to_string()],
    );
    let mut py = py;
    let made = py.line();
    let set2 = SemaphoreSet::builder(key2, 1)
        .no_init_wait()
        .open()
        .unwrap();
    assert_eq!(made, format!("made {}", set2.id()));
    set2.op_timeout(&[SemOp::wait(0)], LONG).unwrap();
    py.finish();
    assert_eq!(set2.get(0).unwrap(), 0);
}

fn ls_json(kind: &str) -> Value {
    let out = ipckit().args(["ls", kind, "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn lsipc_json(kind: &str, columns: &str) -> Value {
    let out = Command::new("lsipc")
        .args([kind, "--json", "--bytes", "-o", columns])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn by_id(list: &Value, id: i32) -> &Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == id || o["id"].as_str() == Some(id.to_string().as_str()))
        .unwrap_or_else(|| panic!("id {id} not listed in {list}"))
}

/// The `ipcs` line for id `id` split into words.
fn ipcs_row(kind: &str, id: i32) -> Vec<String> {
    let out = Command::new("ipcs").arg(kind).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines()
        .map(|l| l.split_whitespace().map(String::from).collect::<Vec<_>>())
        .find(|w| w.get(1) == Some(&id.to_string()))
        .unwrap_or_else(|| panic!("id {id} not in ipcs {kind}:\n{text}"))
}

#[test]
fn util_linux_shows_the_same_objects_and_values() {
    if !have_tool("lsipc") || !have_tool("ipcs") {
        return;
    }
    let q = MessageQueue::builder(unique_key())
        .mode(0o640)
        .create_new()
        .unwrap();
    q.send(2, b"twelve bytes").unwrap();
    let seg = SharedMemory::builder(unique_key(), 1000)
        .create_new()
        .unwrap();
    let att = seg.attach().unwrap();
    let set = SemaphoreSet::builder(unique_key(), 3)
        .mode(0o604)
        .create_new()
        .unwrap();

    // Queues.
    let ours = ls_json("-q");
    let o = by_id(&ours["sysv"]["queues"], q.id());
    let l = lsipc_json("-q", "KEY,ID,PERMS,OWNER,USEDBYTES,MSGS,LSPID,LRPID");
    let u = by_id(&l["messages"], q.id());
    assert_eq!(o["key_hex"], u["key"]);
    for (mine, theirs) in [
        ("usedbytes", "usedbytes"),
        ("msgs", "msgs"),
        ("lspid", "lspid"),
        ("lrpid", "lrpid"),
    ] {
        assert_eq!(o[mine].to_string(), u[theirs].as_str().unwrap(), "{mine}");
    }
    assert_eq!((&o["perms"], &o["owner"]), (&u["perms"], &u["owner"]));
    let row = ipcs_row("-q", q.id());
    assert_eq!(row[0], q.key().to_string());
    assert_eq!(
        (row[3].as_str(), row[4].as_str(), row[5].as_str()),
        ("640", "12", "1")
    );

    // Shared memory.
    let ours = ls_json("-m");
    let o = by_id(&ours["sysv"]["segments"], seg.id());
    let l = lsipc_json("-m", "KEY,ID,PERMS,OWNER,SIZE,NATTCH,STATUS,CPID,LPID");
    let u = by_id(&l["sharedmemory"], seg.id());
    assert_eq!(o["key_hex"], u["key"]);
    for f in ["size", "nattch", "cpid", "lpid"] {
        assert_eq!(o[f].to_string(), u[f].as_str().unwrap(), "{f}");
    }
    assert_eq!(o["status"], u["status"]);
    assert_eq!((&o["perms"], &o["owner"]), (&u["perms"], &u["owner"]));
    let row = ipcs_row("-m", seg.id());
    assert_eq!(
        (row[3].as_str(), row[4].as_str(), row[5].as_str()),
        ("600", "1000", "1")
    );

    // Semaphores.
    let ours = ls_json("-s");
    let o = by_id(&ours["sysv"]["semaphores"], set.id());
    let l = lsipc_json("-s", "KEY,ID,PERMS,OWNER,NSEMS");
    let u = by_id(&l["semaphores"], set.id());
    assert_eq!(o["key_hex"], u["key"]);
    assert_eq!(o["nsems"].to_string(), u["nsems"].as_str().unwrap());
    assert_eq!((&o["perms"], &o["owner"]), (&u["perms"], &u["owner"]));
    assert_eq!(o["perms"], "rw----r--");
    let row = ipcs_row("-s", set.id());
    assert_eq!((row[3].as_str(), row[4].as_str()), ("604", "3"));

    // A segment marked for removal: both say "dest".
    let mut seg = seg;
    seg.mark_for_removal().unwrap();
    let ours = ls_json("-m");
    let o = by_id(&ours["sysv"]["segments"], seg.id());
    let l = lsipc_json("-m", "KEY,ID,STATUS");
    let u = by_id(&l["sharedmemory"], seg.id());
    assert_eq!(
        (o["status"].as_str(), u["status"].as_str()),
        (Some("dest"), Some("dest"))
    );
    assert_eq!(o["key_hex"], u["key"]);
    drop(att);
}

/// Runs `ipcmk ARGS` and returns the id it printed (`... id: N`).
fn ipcmk(args: &[&str]) -> i32 {
    let out = Command::new("ipcmk").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.rsplit(':').next().unwrap().trim().parse().unwrap()
}

/// Removes the objects with these ids when dropped (`ipcmk` picks random keys).
#[derive(Default)]
struct RemoveIds {
    queues: Vec<i32>,
    segments: Vec<i32>,
    sets: Vec<i32>,
}

impl Drop for RemoveIds {
    fn drop(&mut self) {
        for &id in &self.queues {
            let _ = MessageQueue::from_id(id).and_then(MessageQueue::remove);
        }
        for &id in &self.segments {
            let _ = SharedMemory::from_id(id).and_then(SharedMemory::remove);
        }
        for &id in &self.sets {
            let _ = SemaphoreSet::from_id(id).and_then(SemaphoreSet::remove);
        }
    }
}

#[test]
fn objects_made_by_ipcmk_are_listed_and_removed_by_ipckit() {
    if !have_tool("ipcmk") {
        return;
    }
    let mut clean = RemoveIds::default();
    let qid = ipcmk(&["-Q", "-p", "0600"]);
    clean.queues.push(qid);
    let mid = ipcmk(&["-M", "2048", "-p", "0600"]);
    clean.segments.push(mid);
    let sid = ipcmk(&["-S", "2", "-p", "0600"]);
    clean.sets.push(sid);

    let q = by_id(&ls_json("-q")["sysv"]["queues"], qid).clone();
    assert_eq!(
        (q["mode"].as_u64(), q["msgs"].as_u64()),
        (Some(0o600), Some(0))
    );
    let m = by_id(&ls_json("-m")["sysv"]["segments"], mid).clone();
    assert_eq!(m["size"], 2048);
    let s = by_id(&ls_json("-s")["sysv"]["semaphores"], sid).clone();
    // ipcmk never calls semop: sem_otime stays 0, which ipckit shows as null.
    assert_eq!((s["nsems"].as_u64(), s["otime"].is_null()), (Some(2), true));

    // Remove the queue and the set by the keys ipckit listed, the segment by id.
    let st = ipckit()
        .args(["rm", "-Q", q["key_hex"].as_str().unwrap()])
        .args(["-m", &mid.to_string()])
        .args(["-S", s["key_hex"].as_str().unwrap()])
        .status()
        .unwrap();
    assert!(st.success());
    let ids = |kind: &str, section: &str| -> Vec<i64> {
        ls_json(kind)["sysv"][section]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_i64().unwrap())
            .collect()
    };
    assert!(!ids("-q", "queues").contains(&i64::from(qid)));
    assert!(!ids("-m", "segments").contains(&i64::from(mid)));
    assert!(!ids("-s", "semaphores").contains(&i64::from(sid)));
}

#[test]
fn opening_a_set_nobody_initialised_times_out_unless_asked_not_to_wait() {
    if !python() {
        return;
    }
    // sysv_ipc sets the value with SETVAL and never calls semop: sem_otime stays 0, which is
    // what a creator that died between semget and its initialisation leaves.
    let key = unique_key();
    let _clean = RemoveKey(key);
    let py = Py::start(
        "sysv_ipc",
        r#"
s = sysv_ipc.Semaphore(int(sys.argv[1]), sysv_ipc.IPC_CREX, mode=0o600, initial_value=3)
print(s.o_time)
"#,
        &[&key.raw().to_string()],
    );
    assert_eq!(py.finish(), ["0"]);
    let e = SemaphoreSet::builder(key, 1)
        .init_timeout(Duration::from_millis(50))
        .open()
        .unwrap_err();
    assert_eq!(e.kind(), ipckit::ErrorKind::TimedOut);
    assert!(e.to_string().contains("sem_otime"), "{e}");
    let set = SemaphoreSet::builder(key, 1).no_init_wait().open().unwrap();
    assert_eq!(set.get(0).unwrap(), 3);
    assert!(set.stat().unwrap().otime.is_none());
    // The first semop marks it initialised for everyone.
    set.op(&[SemOp::wait(0)]).unwrap();
    let again = SemaphoreSet::builder(key, 1).open().unwrap();
    assert_eq!(again.get(0).unwrap(), 2);
}
