//! Every size argument goes through the one size parser (K/M/G/T, KiB/kB alike, all powers
//! of 1024), and a flag that does not apply to the object asked for is an error naming both,
//! through the built binary.

use ipckit::inspect::{posix, sysv};
use ipckit::sysv::msg::MessageQueue;
use ipckit_testkit::{ipckit, ok, posix_name, stderr, unique_key, Cleanup};

#[test]
fn mk_sizes_take_suffixes() {
    let mut clean = Cleanup::default();
    let id: i32 = ok(&["mk", "-M", "4K"]).trim().parse().unwrap();
    clean.segments.push(id);
    assert_eq!(sysv::segment(id).unwrap().unwrap().size, 4096);
    let id: i32 = ok(&["mk", "-M", "2KiB"]).trim().parse().unwrap();
    clean.segments.push(id);
    assert_eq!(sysv::segment(id).unwrap().unwrap().size, 2048);

    let shm = posix_name("size");
    clean.shms.push(shm.clone());
    ok(&["mk", "--posix-shm", &shm, "--size", "1kB"]);
    let found = posix::list_shm().unwrap();
    let s = found.iter().find(|s| s.common.name == shm).expect("listed");
    assert_eq!(s.size, 1024);

    let mq = posix_name("msgsize");
    clean.mqs.push(mq.clone());
    ok(&["mk", "--posix-mq", &mq, "--msgsize", "1K", "--maxmsg", "4"]);
    let q = ipckit::posix::mq::MessageQueue::builder(&mq)
        .read_only()
        .nonblocking()
        .open()
        .unwrap();
    let attr = q.attr().unwrap();
    assert_eq!((attr.msgsize, attr.maxmsg), (1024, 4));

    let out = ipckit(&["mk", "-M", "4X"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is not a size in bytes"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_flag_that_does_not_apply_is_an_error_naming_flag_and_kind() {
    let mut clean = Cleanup::default();
    let name = posix_name("noflag");
    clean.sems.push(name.clone());
    clean.shms.push(name.clone());
    for (args, flag, kind) in [
        (
            vec!["mk", "-Q", "--size", "5"],
            "--size",
            "System V message queue",
        ),
        (
            vec!["mk", "-M", "100", "--maxmsg", "5"],
            "--maxmsg",
            "System V shared-memory segment",
        ),
        (
            vec!["mk", "-S", "2", "--msgsize", "1K"],
            "--msgsize",
            "System V semaphore set",
        ),
        (
            vec!["mk", "--posix-sem", &name, "--key", "1234"],
            "--key",
            "POSIX semaphore",
        ),
        (
            vec!["mk", "--posix-shm", &name, "--size", "1K", "--value", "3"],
            "--value",
            "POSIX shared-memory object",
        ),
    ] {
        let out = ipckit(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains(flag) && err.contains(kind), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing made");
    }
    assert!(posix::list_sem()
        .unwrap()
        .iter()
        .all(|s| s.common.name != name));
}

/// `recv --max-message 1K` is 1024 bytes: a 1025-byte message is dropped with a warning that
/// says so, the next one is received.
#[test]
fn max_message_takes_suffixes() {
    let key = unique_key();
    let q = MessageQueue::builder(key).create_new().unwrap(); // removed on drop
    q.send(1, &[b'x'; 1025]).unwrap();
    q.send(1, b"small").unwrap();
    let addr = format!("sysv-mq:{key}");
    let out = ipckit(&[
        "recv",
        &addr,
        "--max-message",
        "1K",
        "--count",
        "1",
        "--timeout",
        "10",
    ]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "small\n");
    assert!(
        stderr(&out).contains("above 1024 bytes"),
        "{}",
        stderr(&out)
    );
    let out = ipckit(&["send", &addr, "--max-message", "4B", "toolong"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains('4'), "{}", stderr(&out));
}

#[test]
fn bench_sizes_use_the_same_parser() {
    for (size, says) in [
        ("4X", "is not a size in bytes"),
        ("0", "at least 1 byte"),
        ("1G", "maximum message"),
    ] {
        let out = ipckit(&["bench", "--quick", "--sizes", size]);
        assert_eq!(out.status.code(), Some(2), "{size}");
        assert!(stderr(&out).contains(says), "{size}: {}", stderr(&out));
    }
}
