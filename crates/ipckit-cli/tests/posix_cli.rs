//! `ipckit ls`, `limits`, `mk`, `rm`, `dump` on POSIX objects, end to end through the built
//! binary. Queues can only be listed through the mqueue filesystem, which is not mounted on
//! every machine: those tests run `ipckit` in a private mount namespace (`unshare -m`), so
//! whatever they mount or unmount is invisible to everything else and gone when they end.

use std::process::{Command, Output};

use ipckit::posix::mq::MessageQueue;
use ipckit::posix::sem::Semaphore;
use ipckit::posix::shm::SharedMemory;
use ipckit_testkit::{bin, command, ipckit, json, ok, posix_name, Cleanup, Running};
use serde_json::Value;

fn find<'a>(v: &'a Value, section: &str, name: &str) -> Option<&'a Value> {
    v["posix"][section]
        .as_array()?
        .iter()
        .find(|o| o["name"] == name)
}

#[test]
fn mk_ls_dump_rm_shared_memory_and_semaphores() {
    let mut c = Cleanup::default();
    let shm = posix_name("shm");
    let sem = posix_name("sem");
    c.shms.push(shm.clone());
    c.sems.push(sem.clone());
    assert_eq!(
        ok(&["mk", "--posix-shm", &shm, "--size", "300", "-p", "0640"]).trim(),
        shm
    );
    assert_eq!(ok(&["mk", "--posix-sem", &sem, "--value", "5"]).trim(), sem);

    // Someone writes into the segment and takes a unit of the semaphore.
    {
        use ipckit::mmap::MappedBytes;
        SharedMemory::builder(&shm)
            .open()
            .unwrap()
            .write(16, b"hello dump")
            .unwrap();
        Semaphore::builder(&sem).open().unwrap().try_wait().unwrap();
    }

    let v = json(&["ls", "-M", "-S", "--json"]);
    assert!(
        v.get("sysv").is_none(),
        "only the POSIX kinds asked for: {v}"
    );
    let s = find(&v, "segments", &shm).expect("segment listed");
    assert_eq!(s["size"], 300);
    assert_eq!(s["perms"], "rw-r-----");
    assert!(s["mtime"].as_u64().unwrap() > 0);
    let m = find(&v, "semaphores", &sem).expect("semaphore listed");
    assert_eq!(m["value"], 4);
    assert!(find(&v, "segments", &format!("/sem.{}", &sem[1..])).is_none());

    let table = ok(&["ls", "-S"]);
    let line = table.lines().find(|l| l.starts_with(&sem)).expect(&table);
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        &cells[..4],
        &[sem.as_str(), "rw-------", &user(), "4"],
        "{table}"
    );
    assert!(table.starts_with("POSIX semaphores\nNAME"), "{table}");

    let dump = ok(&["dump", "--posix-shm", &shm, "--offset", "16", "--len", "10"]);
    assert!(
        dump.starts_with("00000010  68 65 6c 6c 6f 20 64 75  6d 70"),
        "{dump}"
    );
    assert!(dump.contains("|hello dump|"), "{dump}");
    let raw = ipckit(&["dump", "--posix-shm", &shm, "--raw"]);
    assert_eq!(raw.stdout.len(), 300);

    ok(&["rm", "--posix-shm", &shm, "--posix-sem", &sem]);
    let v = json(&["ls", "-M", "-S", "--json"]);
    assert!(find(&v, "segments", &shm).is_none());
    assert!(find(&v, "semaphores", &sem).is_none());
    // Removing again fails, naming the call, the object and the errno.
    let out = ipckit(&["rm", "--posix-sem", &sem]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("ipckit: sem_unlink {sem}: ENOENT")),
        "{err}"
    );
}

fn user() -> String {
    let uid = nix::unistd::geteuid();
    nix::unistd::User::from_uid(uid)
        .ok()
        .flatten()
        .map_or_else(|| uid.to_string(), |u| u.name)
}

#[test]
fn bad_names_and_sizes_are_refused_with_reasons() {
    let out = ipckit(&["mk", "--posix-shm", "noslash", "--size", "10"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("shm_open noslash") && err.contains("try \"/noslash\""),
        "{err}"
    );
    let out = ipckit(&[
        "mk",
        "--posix-mq",
        &posix_name("big"),
        "--maxmsg",
        "1000000",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("msg_max="), "{err}");
    let out = ipckit(&["mk", "--posix-shm", &posix_name("nosize")]);
    assert!(!out.status.success(), "--size is required");
    let out = ipckit(&["dump", "--posix-shm", "/ipckit-clitest-no-such"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ENOENT"), "{err}");
}

#[test]
fn limits_show_the_mqueue_limits() {
    let v = json(&["limits", "--json"]);
    let l = ipckit::posix::mq::Limits::read();
    assert_eq!(v["posix"]["msg_max"]["limit"], l.msg_max.unwrap());
    assert_eq!(v["posix"]["msgsize_max"]["limit"], l.msgsize_max.unwrap());
    assert_eq!(v["posix"]["queues_max"]["limit"], l.queues_max.unwrap());
}

/// Runs `script` with `sh` in a private mount namespace where no mqueue filesystem is
/// mounted and /dev is a private tmpfs (so a mount point made there touches nothing real);
/// `$IPCKIT` is the binary. `None` if this machine cannot (not root, no `unshare`).
fn in_private_namespace(script: &str) -> Option<Output> {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: needs root for a private mount namespace");
        return None;
    }
    let prelude = "set -e\n\
        for d in $(awk '$3==\"mqueue\"{print $2}' /proc/self/mounts); do umount -l \"$d\"; done\n\
        mount -t tmpfs ipckit-test /dev\n";
    let out = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c"])
        .arg(format!("{prelude}{script}"))
        .env("IPCKIT", bin())
        .output();
    match out {
        Ok(o) if String::from_utf8_lossy(&o.stderr).contains("unshare failed") => {
            eprintln!("skipped: {}", String::from_utf8_lossy(&o.stderr));
            None
        }
        Ok(o) => Some(o),
        Err(e) => {
            eprintln!("skipped: unshare: {e}");
            None
        }
    }
}

#[test]
fn queues_need_the_mqueue_filesystem_and_ls_can_mount_it() {
    let mut c = Cleanup::default();
    let name = posix_name("mq");
    c.mqs.push(name.clone());
    assert_eq!(
        ok(&[
            "mk",
            "--posix-mq",
            &name,
            "--maxmsg",
            "4",
            "--msgsize",
            "64"
        ])
        .trim(),
        name
    );
    let q = MessageQueue::builder(&name).write_only().open().unwrap();
    q.send(b"twelve bytes", 3).unwrap();

    // Not mounted: as root (this namespace needs it) the queue is listed all the same,
    // through a private mount namespace (tests/posix_mq_unmounted.rs checks the rest).
    let Some(out) = in_private_namespace("\"$IPCKIT\" ls -Q") else {
        return;
    };
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.lines().any(|l| l.starts_with(&name)), "{table}");

    // --mount-mqueue mounts it at /dev/mqueue, then the queue is listed with its counts.
    let out = in_private_namespace(
        "\"$IPCKIT\" ls --mount-mqueue -Q --json\n\
         awk '$3==\"mqueue\"{print \"mounted at\", $2}' /proc/self/mounts >&2",
    )
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("mounted at /dev/mqueue"), "{err}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let e = find(&v, "queues", &name).expect("queue listed");
    assert_eq!(
        (
            e["msgs"].as_u64(),
            e["maxmsg"].as_u64(),
            e["msgsize"].as_u64()
        ),
        (Some(1), Some(4), Some(64))
    );
    assert!(e["usedbytes"].as_u64().unwrap() >= 12, "{e}");
    assert_eq!(e["perms"], "rw-------");

    // Nothing of that is visible here.
    assert!(!std::fs::read_to_string("/proc/self/mounts")
        .unwrap()
        .contains("ipckit-test"));
    ok(&["rm", "--posix-mq", &name]);
    assert!(MessageQueue::builder(&name).open().is_err());
}

/// `ipckit recv ADDR ARGS...` running in the background, once it listens on its queue;
/// stopped if the test fails first.
fn recv_queue(addr: &str, args: &[&str]) -> Running {
    let mut cmd = command();
    cmd.arg("recv").arg(addr).args(args);
    Running::start(cmd, "ipckit recv: listening on posix-mq:/")
}

#[test]
fn send_with_priorities_and_recv_v_prints_them_highest_first() {
    let mut c = Cleanup::default();
    let name = posix_name("prio");
    c.mqs.push(name.clone());
    ok(&["mk", "--posix-mq", &name, "--msgsize", "128"]);
    let addr = format!("posix-mq:{name}");
    ok(&["send", &addr, "--priority", "1", "low"]);
    ok(&["send", &addr, "-p", "30000", "urgent", "also urgent"]);
    ok(&["send", &addr, "middle"]); // priority 0 through the channel
    ok(&["send", &addr, "-p", "7", "seven"]);
    let out = ok(&["recv", &addr, "-v", "--count", "5", "--timeout", "30"]);
    assert_eq!(
        out,
        "30000\turgent\n30000\talso urgent\n7\tseven\n1\tlow\n0\tmiddle\n"
    );
    // The queue existed before: recv leaves it.
    assert!(MessageQueue::builder(&name).open().is_ok());

    let out = ipckit(&["send", &addr, "-p", "32768", "x"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("MQ_PRIO_MAX"),
        "{err}"
    );
    let out = ipckit(&["send", "unix-dgram:/tmp/x", "-p", "3", "x"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("posix-mq addresses"),
        "{err}"
    );
    let out = ipckit(&["recv", "unix-dgram:@ipckit-clitest-v", "-v", "--count", "1"]);
    assert!(!out.status.success(), "-v is for posix-mq only");
    let out = ipckit(&["send", "posix-mq:/ipckit-clitest-none", "x"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("ENOENT"), "{err}");
}

#[test]
fn recv_creates_the_queue_and_removes_it_at_the_end_and_on_sigterm() {
    let mut c = Cleanup::default();
    let name = posix_name("recv");
    c.mqs.push(name.clone());
    let addr = format!("posix-mq:{name}");
    let r = recv_queue(&addr, &["--count", "2", "--timeout", "30"]);
    ok(&["send", &addr, "first", "second"]);
    let (status, out, err) = r.finish();
    assert!(status.success(), "{err}");
    assert_eq!(String::from_utf8_lossy(&out), "first\nsecond\n");
    assert_eq!(
        MessageQueue::builder(&name).open().unwrap_err().kind(),
        ipckit::ErrorKind::NotFound,
        "recv removes the queue it created"
    );

    let r = recv_queue(&addr, &["-v"]);
    assert!(MessageQueue::builder(&name).open().is_ok());
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(r.pid() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let (status, _, _) = r.finish();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::into_raw(status) >> 8,
        128 + 15
    );
    assert_eq!(
        MessageQueue::builder(&name).open().unwrap_err().kind(),
        ipckit::ErrorKind::NotFound,
        "recv removes the queue it created when killed by SIGTERM"
    );
}
