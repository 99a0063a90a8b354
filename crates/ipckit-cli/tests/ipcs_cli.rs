//! `ipckit ipcs`, `ipcmk`, `ipcrm` through the built binary (util-linux's formats; the
//! comparison with util-linux itself is `interop/tests/ipcs_compat.rs`). Never `ipcrm -a`
//! here: other programs' objects live on this machine.

use ipckit_testkit::{ipckit, ok, stderr, Cleanup};

fn made(line: &str, prefix: &str) -> i32 {
    line.trim()
        .strip_prefix(prefix)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line:?} is not {prefix}N"))
}

#[test]
fn ipcmk_ipcs_ipcrm_round_trip() {
    let mut clean = Cleanup::default();
    let q = made(&ok(&["ipcmk", "-Q"]), "Message queue id: ");
    clean.queues.push(q);
    let both = ok(&["ipcmk", "-M", "8K", "-S", "3", "-p", "0600"]);
    let mut lines = both.lines();
    let m = made(lines.next().unwrap(), "Shared memory id: ");
    clean.segments.push(m);
    let s = made(lines.next().unwrap(), "Semaphore id: ");
    clean.sets.push(s);

    let all = ok(&["ipcs"]);
    for banner in [
        "------ Message Queues --------",
        "------ Shared Memory Segments --------",
        "------ Semaphore Arrays --------",
    ] {
        assert!(all.contains(banner), "{all}");
    }
    let row = |kind: &str, id: i32| -> Vec<String> {
        ok(&["ipcs", kind])
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(&id.to_string()))
            .unwrap_or_else(|| panic!("{id} not listed"))
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    let r = row("-q", q);
    assert!(r[0].starts_with("0x") && r[0].len() == 10, "{r:?}");
    assert_eq!(
        (r[3].as_str(), r[4].as_str(), r[5].as_str()),
        ("644", "0", "0")
    );
    let r = row("-m", m);
    assert_eq!((r[3].as_str(), r[4].as_str()), ("600", "8192"));
    assert_eq!(row("-s", s)[4], "3");
    let detail = ok(&["ipcs", "-m", "-i", &m.to_string(), "--human"]);
    assert!(detail.contains(&format!("\nShared memory Segment shmid={m}\n")));
    assert!(detail.contains("size=8K\t"), "{detail}");

    // -i needs exactly one kind.
    let out = ipckit(&["ipcs", "-i", &q.to_string()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("a single resource must be specified"));

    let out = ipckit(&[
        "ipcrm",
        "-q",
        &q.to_string(),
        "-m",
        &m.to_string(),
        "-s",
        &s.to_string(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = ipckit(&["ipcrm", "-q", &q.to_string(), "-v"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("removing message queue id `{q}'\n")
    );
    assert!(
        stderr(&out).contains(&format!("invalid id ({q})")),
        "{}",
        stderr(&out)
    );
    // Bad usage as util-linux: status 1 and its messages.
    let out = ipckit(&["ipcmk"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("bad usage"));
    let out = ipckit(&["ipcrm", "-a", "bogus"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("unknown argument: bogus"));
}

/// `rm --all` and `ipcrm -a` remove queues with unread messages too (an explicit act), and
/// say so for each: run in a private IPC namespace (root), where only this test's objects
/// exist.
#[test]
fn remove_all_says_what_it_removed() {
    let ns = std::process::Command::new("unshare")
        .args(["--ipc", "true"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ns {
        eprintln!("skipped: `unshare --ipc` fails (needs root)");
        return;
    }
    let out = std::process::Command::new("unshare")
        .args(["--ipc", "sh", "-ec"])
        .arg(
            "\"$IPCKIT\" mk -Q --key 0x42 >/dev/null; \"$IPCKIT\" send sysv-mq:0x42 a b; \
             \"$IPCKIT\" mk -S 1 >/dev/null; \"$IPCKIT\" rm --all; echo @@@; \
             q=$(\"$IPCKIT\" ipcmk -Q); \"$IPCKIT\" send sysv-mq:0x$(\"$IPCKIT\" ipcs -q | \
             awk 'NR==4{print substr($1,3)}') c; \"$IPCKIT\" ipcrm -a; echo @@@; \
             \"$IPCKIT\" ipcs -q -s",
        )
        .env("IPCKIT", ipckit_testkit::bin())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let parts: Vec<&str> = text.split("@@@\n").collect();
    assert!(
        parts[0].contains("removing message queue id")
            && parts[0].contains("(key 0x00000042) with 2 unread message(s)"),
        "{text}"
    );
    assert!(parts[0].contains("removing semaphore set id"), "{text}");
    assert!(parts[1].contains("(1 unread message(s))"), "{text}");
    assert!(!parts[2].lines().any(|l| l.starts_with("0x")), "{text}");
}
