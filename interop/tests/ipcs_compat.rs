//! `ipckit ipcs`, `ipckit ipcmk` and `ipckit ipcrm` against util-linux's `ipcs`, `ipcmk` and
//! `ipcrm`: the same objects listed by both with every output flag, compared field by field
//! (then byte for byte); objects made by either are seen and removed by the other.
//!
//! Everything runs in a private IPC namespace (`unshare --ipc`, as root), re-executing this
//! test binary there: only the test's own objects exist, nothing another program does can
//! change a count between the two runs, `ipcrm -a` cannot touch anybody else's objects, and
//! the namespace (with whatever is left in it) is gone when the child exits. Without root or
//! `unshare` the test says so and is skipped (under CI it fails).

use std::process::{Command, Output};

use ipckit::sysv::key::Key;
use ipckit::sysv::msg::MessageQueue;
use ipckit::sysv::sem::{SemOp, SemaphoreSet};
use ipckit::sysv::shm::SharedMemory;
use ipckit::Named;
use ipckit_interop::have_tool;
use ipckit_testkit::bin;

/// Set in the child that runs inside the private IPC namespace.
const CHILD: &str = "IPCKIT_IPCS_COMPAT_CHILD";

fn run(program: &str, args: &[&str]) -> Output {
    let cmd = if program == "ipckit" {
        bin()
    } else {
        program.into()
    };
    Command::new(cmd)
        .args(args)
        .env("LC_ALL", "C")
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs `ipcs ARGS` and `ipckit ipcs ARGS`; compares line by line and field by field (the
/// fields a script would split on), then the bytes, and the exit status.
fn compare_ipcs(args: &[&str]) {
    let theirs = run("ipcs", args);
    let mut ours_args = vec!["ipcs"];
    ours_args.extend(args);
    let ours = run("ipckit", &ours_args);
    let (t, o) = (text(&theirs.stdout), text(&ours.stdout));
    let show = || format!("ipcs {args:?}\n--- util-linux:\n{t}--- ipckit:\n{o}");
    assert_eq!(
        t.lines().count(),
        o.lines().count(),
        "line count: {}",
        show()
    );
    for (n, (tl, ol)) in t.lines().zip(o.lines()).enumerate() {
        let tf: Vec<&str> = tl.split_whitespace().collect();
        let of: Vec<&str> = ol.split_whitespace().collect();
        assert_eq!(tf, of, "line {n} fields: {}", show());
    }
    assert_eq!(t, o, "bytes (spacing): {}", show());
    assert_eq!(theirs.status.code(), ours.status.code(), "{}", show());
    // Messages on stderr: the same after the program name.
    let strip = |e: &[u8]| {
        text(e)
            .lines()
            .map(|l| {
                l.trim_start_matches("ipckit ipcs: ")
                    .trim_start_matches("ipcs: ")
                    .to_string()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&theirs.stderr), strip(&ours.stderr), "{}", show());
}

/// The number after the last space of `Message queue id: N` and the like.
fn made_id(out: &Output) -> i32 {
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    s.trim()
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no id in {s:?}"))
}

/// Whether `ipcs KIND` lists `id` (its second column).
fn listed(via: &str, kind: &str, id: i32) -> bool {
    let out = if via == "ipckit" {
        run("ipckit", &["ipcs", kind])
    } else {
        run("ipcs", &[kind])
    };
    text(&out.stdout)
        .lines()
        .any(|l| l.split_whitespace().nth(1) == Some(&id.to_string()))
}

/// The scenario, inside the private IPC namespace.
fn child() {
    // A queue with two unread messages (sent by this process: lspid), ...
    let q = MessageQueue::builder(Key::new(0x1234_5678))
        .mode(0o640)
        .create_new()
        .unwrap();
    q.send(1, b"first").unwrap();
    q.send(3, b"third message").unwrap();
    // ... a segment attached here (nattch 1, lpid), with a private twin marked for removal
    // while attached (status dest, key 0) ...
    let seg = SharedMemory::builder(Key::new(0x0bad_cafe), 5000)
        .create_new()
        .unwrap();
    let _attached = seg.attach().unwrap();
    let doomed = SharedMemory::builder(Key::PRIVATE, 100)
        .create_new()
        .unwrap();
    let _doomed_attached = doomed.attach().unwrap();
    SharedMemory::remove_id(doomed.id()).unwrap();
    // ... and a semaphore set that has been operated on (otime set).
    let set = SemaphoreSet::builder(Key::new(0x7777), 3)
        .values(&[1, 0, 2])
        .create_new()
        .unwrap();
    set.op(&[SemOp::new(0, -1)]).unwrap();

    for args in [
        &[][..],
        &["-q"],
        &["-m"],
        &["-s"],
        &["-a"],
        &["-l"],
        &["-u"],
        &["-t"],
        &["-p"],
        &["-c"],
        &["-b"],
        &["--human"],
        &["-l", "-b"],
        &["-l", "--human"],
        &["-u", "-b"],
        &["-u", "--human"],
        &["-m", "--human"],
        &["-t", "-p"],
    ] {
        compare_ipcs(args);
    }
    let (qid, mid, sid) = (
        q.id().to_string(),
        seg.id().to_string(),
        set.id().to_string(),
    );
    for (kind, id) in [("-q", &qid), ("-m", &mid), ("-s", &sid)] {
        compare_ipcs(&[kind, "-i", id]);
        compare_ipcs(&[kind, "-i", id, "-b"]);
        compare_ipcs(&[kind, "-i", id, "--human"]);
    }
    compare_ipcs(&["-q", "-i", "999999"]); // not found: a message, status 0
    compare_ipcs(&["-i", &qid]); // no kind: an error, status 1

    // Made by one, seen and removed by the other.
    let a = made_id(&run("ipckit", &["ipcmk", "-Q", "-p", "0600"]));
    assert!(listed("util-linux", "-q", a));
    let b = made_id(&run("ipcmk", &["-M", "1M"]));
    assert!(listed("ipckit", "-m", b));
    let c = made_id(&run("ipckit", &["ipcmk", "-S", "2"]));
    assert!(listed("util-linux", "-s", c));
    let d = made_id(&run("ipckit", &["ipcmk", "-M", "64K"]));
    let sizes = text(&run("ipcs", &["-m", "-i", &d.to_string()]).stdout);
    assert!(sizes.contains("bytes=65536\t"), "{sizes}");
    compare_ipcs(&[]);
    let out = run("ipcrm", &["-q", &a.to_string(), "-s", &c.to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!listed("ipckit", "-q", a) && !listed("ipckit", "-s", c));
    let out = run(
        "ipckit",
        &["ipcrm", "-m", &b.to_string(), "-m", &d.to_string()],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!listed("util-linux", "-m", b) && !listed("util-linux", "-m", d));

    // The same failures: message (after the program name) and exit status.
    for args in [
        &["-q", "999999"][..],
        &["-Q", "0x4242"],
        &["-Q", "0"],
        &["-m", "abc"],
        &["shm", "999999"],
        &["-q", "999999", "-s", "999998"],
    ] {
        let t = run("ipcrm", args);
        let mut ours_args = vec!["ipcrm"];
        ours_args.extend(args);
        let o = run("ipckit", &ours_args);
        assert_eq!(t.status.code(), o.status.code(), "ipcrm {args:?}");
        let first = |e: &[u8]| {
            text(e)
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("ipckit ipcrm: ")
                .trim_start_matches("ipcrm: ")
                .to_string()
        };
        assert_eq!(first(&t.stderr), first(&o.stderr), "ipcrm {args:?}");
    }
    // By key, each way.
    let k = run("ipckit", &["ipcmk", "-Q"]);
    let kid = made_id(&k);
    let key = text(&run("ipckit", &["ipcs", "-q"]).stdout)
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(&kid.to_string()))
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .expect("listed with its key");
    let out = run("ipcrm", &["-Q", &key]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    // -a removes everything, printing each removal and the messages a queue held.
    let out = run("ipckit", &["ipcrm", "-a"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains(&format!(
            "removing message queue id `{qid}' (2 unread message(s))"
        )),
        "{said}"
    );
    assert!(
        said.contains(&format!("removing semaphore id `{sid}'")),
        "{said}"
    );
    assert!(
        said.contains(&format!("removing shared memory segment id `{mid}'")),
        "{said}"
    );
    // Attached segments stay (marked dest) until detached; queues and sets are gone.
    let left = text(&run("ipcs", &["-q", "-s"]).stdout);
    assert_eq!(
        left.lines().filter(|l| l.starts_with("0x")).count(),
        0,
        "{left}"
    );
    // The handles no longer own anything to remove.
    let (mut q, mut seg, mut set) = (q, seg, set);
    q.persist();
    seg.persist();
    set.persist();
}

#[test]
fn ipcs_ipcmk_ipcrm_match_util_linux() {
    if std::env::var_os(CHILD).is_some() {
        child();
        return;
    }
    if !have_tool("ipcs") || !have_tool("ipcmk") || !have_tool("ipcrm") || !have_tool("unshare") {
        return;
    }
    let ns_ok = Command::new("unshare")
        .args(["--ipc", "true"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ns_ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "unshare --ipc fails under CI (the comparison needs root for a private IPC namespace)"
        );
        eprintln!("skipped: `unshare --ipc` fails (needs root): no private IPC namespace");
        return;
    }
    let out = Command::new("unshare")
        .arg("--ipc")
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "ipcs_ipcmk_ipcrm_match_util_linux",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "child in the private IPC namespace failed:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("1 passed"),
        "{}",
        text(&out.stdout)
    );
}
