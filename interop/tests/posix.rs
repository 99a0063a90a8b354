//! ipckit's POSIX IPC against Python's `posix_ipc` (a C extension over the same libc calls):
//! message queues with priorities, named semaphores and shared memory, both ways, and
//! `mq_notify` in ipckit firing when Python sends.

use std::sync::mpsc;
use std::time::Duration;

use ipckit::mmap::MappedBytes;
use ipckit::posix::mq::MessageQueue;
use ipckit::posix::sem::Semaphore;
use ipckit::posix::shm::SharedMemory;
use ipckit::Named;
use ipckit_interop::{have_python_module, Py};
use ipckit_testkit::posix_name;

const LONG: Duration = Duration::from_secs(30);

#[test]
fn queue_priorities_ipckit_to_python() {
    if !have_python_module("posix_ipc") {
        return;
    }
    let n = posix_name("mq-to-py");
    let q = MessageQueue::builder(&n)
        .write_only()
        .maxmsg(8)
        .msgsize(64)
        .create_new()
        .unwrap();
    for (p, m) in [
        (1, "one"),
        (7, "seven"),
        (3, "three"),
        (7, "seven-b"),
        (0, "zero"),
    ] {
        q.send(m.as_bytes(), p).unwrap();
    }
    let py = Py::start(
        "posix_ipc, mmap",
        "q = posix_ipc.MessageQueue(sys.argv[1])\n\
         for _ in range(5):\n    m, p = q.receive(30)\n    print(p, m.decode(), flush=True)\n\
         q.close()",
        &[&n],
    );
    assert_eq!(
        py.finish(),
        ["7 seven", "7 seven-b", "3 three", "1 one", "0 zero"]
    );
}

#[test]
fn queue_priorities_python_to_ipckit() {
    if !have_python_module("posix_ipc") {
        return;
    }
    let n = posix_name("mq-from-py");
    let q = MessageQueue::builder(&n)
        .read_only()
        .maxmsg(8)
        .msgsize(64)
        .create_new()
        .unwrap();
    Py::start("posix_ipc, mmap", 
        "q = posix_ipc.MessageQueue(sys.argv[1])\n\
         for p, m in [(2, 'two'), (9, 'nine'), (5, 'five'), (0, 'zero')]:\n    q.send(m, priority=p)\n\
         q.close()",
        &[&n],
    )
    .finish();
    let mut got = Vec::new();
    let mut buf = Vec::new();
    while let Ok((len, p)) = q.try_recv(&mut buf) {
        got.push(format!("{p} {}", String::from_utf8_lossy(&buf[..len])));
    }
    assert_eq!(got, ["9 nine", "5 five", "2 two", "0 zero"]);
}

#[test]
fn semaphore_post_wakes_the_other_side_both_ways() {
    if !have_python_module("posix_ipc") {
        return;
    }
    let n = posix_name("sem");
    let sem = Semaphore::builder(&n).value(0).create_new().unwrap();
    // ipckit posts, Python's acquire wakes.
    let mut py = Py::start(
        "posix_ipc, mmap",
        "s = posix_ipc.Semaphore(sys.argv[1])\n\
         print('waiting', flush=True)\n\
         s.acquire(30)\n\
         print('woke', s.value, flush=True)\n\
         sys.stdin.readline()\n\
         s.release()\n\
         s.close()",
        &[&n],
    );
    assert_eq!(py.line(), "waiting");
    sem.post().unwrap();
    assert_eq!(py.line(), "woke 0");
    // Python posts, ipckit's wait wakes.
    py.tell("go");
    sem.wait_timeout(LONG).unwrap();
    py.finish();
    assert_eq!(sem.value().unwrap(), 0);
}

#[test]
fn semaphore_created_by_python_is_opened_by_ipckit() {
    if !have_python_module("posix_ipc") {
        return;
    }
    let n = posix_name("sem-py");
    let mut py = Py::start(
        "posix_ipc, mmap",
        "s = posix_ipc.Semaphore(sys.argv[1], posix_ipc.O_CREX, initial_value=3)\n\
         print('created', flush=True)\n\
         sys.stdin.readline()\n\
         print(s.value, flush=True)\n\
         s.unlink()",
        &[&n],
    );
    assert_eq!(py.line(), "created");
    // Python unlinks it at the end; this removes it if the test fails first.
    struct Unlink(String);
    impl Drop for Unlink {
        fn drop(&mut self) {
            let _ = Semaphore::unlink(&self.0);
        }
    }
    let _guard = Unlink(n.clone());
    let sem = Semaphore::builder(&n).open().unwrap();
    assert!(!sem.is_owner());
    assert_eq!(sem.value().unwrap(), 3);
    sem.try_wait().unwrap();
    py.tell("value?");
    assert_eq!(py.finish(), ["2"]);
}

#[test]
fn shared_memory_both_ways() {
    if !have_python_module("posix_ipc") {
        return;
    }
    let n = posix_name("shm");
    let shm = SharedMemory::builder(&n).size(4096).create_new().unwrap();
    shm.write(0, b"written by ipckit").unwrap();
    let py = Py::start(
        "posix_ipc, mmap",
        "m = posix_ipc.SharedMemory(sys.argv[1])\n\
         mm = mmap.mmap(m.fd, m.size)\n\
         print(m.size, mm[0:17].decode(), flush=True)\n\
         m.close_fd()\n\
         mm[100:117] = b'written by python'\n\
         mm.close()",
        &[&n],
    );
    assert_eq!(py.finish(), ["4096 written by ipckit"]);
    let mut b = [0u8; 17];
    shm.read(100, &mut b).unwrap();
    assert_eq!(&b, b"written by python");
}

#[test]
fn mq_notify_in_ipckit_fires_when_python_sends() {
    if !have_python_module("posix_ipc") {
        return;
    }
    let n = posix_name("notify");
    let q = MessageQueue::builder(&n).read_only().create_new().unwrap();
    let (tx, rx) = mpsc::channel();
    q.notify_callback(move || {
        let _ = tx.send(());
    })
    .unwrap();
    Py::start(
        "posix_ipc, mmap",
        "q = posix_ipc.MessageQueue(sys.argv[1])\n\
         q.send('knock', priority=4)\n\
         q.close()",
        &[&n],
    )
    .finish();
    rx.recv_timeout(LONG).expect("mq_notify callback ran");
    let mut buf = Vec::new();
    assert_eq!(q.try_recv(&mut buf).unwrap(), (5, 4));
    assert_eq!(buf, b"knock");
}
