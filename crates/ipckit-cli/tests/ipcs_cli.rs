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
    assert_eq!((r[3].as_str(), r[4].as_str(), r[5].as_str()), ("644", "0", "0"));
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

    let out = ipckit(&["ipcrm", "-q", &q.to_string(), "-m", &m.to_string(), "-s", &s.to_string()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = ipckit(&["ipcrm", "-q", &q.to_string(), "-v"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("removing message queue id `{q}'\n")
    );
    assert!(stderr(&out).contains(&format!("invalid id ({q})")), "{}", stderr(&out));
    // Bad usage as util-linux: status 1 and its messages.
    let out = ipckit(&["ipcmk"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("bad usage"));
    let out = ipckit(&["ipcrm", "-a", "bogus"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("unknown argument: bogus"));
}
