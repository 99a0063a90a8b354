//! `ipckit ls -Q` with the mqueue filesystem not mounted: as root the queues are listed
//! through a private mount namespace and the mount table is the same after; otherwise the
//! listing says it cannot know (`"queues": null`, `"mqueue": {"listed": false}`), never `{}`.
//!
//! The host here may have `/dev/mqueue` mounted: the commands then run in a mount namespace
//! of their own (`unshare -m`) where it has been unmounted, which is a host without it as far
//! as ipckit can tell. Needs root and util-linux's `unshare`/`setpriv`; skipped otherwise.

use std::process::Command;

use ipckit::posix::mq::MessageQueue;
use ipckit_testkit::{bin, posix_name};
use serde_json::Value;

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `script` (with `$IPCKIT` the binary) under `sh` in a new mount namespace where the
/// mqueue filesystem is unmounted, or directly when the host has none mounted.
fn without_mqueue(script: &str) -> String {
    let host_has = std::fs::read_to_string("/proc/self/mounts")
        .unwrap()
        .lines()
        .any(|l| l.split_whitespace().nth(2) == Some("mqueue"));
    let mut cmd = if host_has {
        let mut c = Command::new("unshare");
        c.args(["-m", "--propagation", "private", "sh", "-c"]);
        c.arg(format!(
            "grep ' mqueue ' /proc/self/mounts | cut -d' ' -f2 | while read -r d; do umount \"$d\"; done; {script}"
        ));
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        c
    };
    let out = cmd.env("IPCKIT", bin()).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `ipckit COMMAND --json` and `ipckit COMMAND` as root, then as nobody, where no mqueue
/// filesystem is mounted (see [`without_mqueue`]); asserts that none was mounted there and
/// that the mount table is the same after the root runs.
fn root_and_nobody(command: &str) -> [String; 4] {
    let out = without_mqueue(&format!(
        "cat /proc/self/mountinfo; echo @@@; \"$IPCKIT\" {command} --json; echo @@@; \
         \"$IPCKIT\" {command}; echo @@@; cat /proc/self/mountinfo; echo @@@; \
         setpriv --reuid=65534 --regid=65534 --clear-groups \"$IPCKIT\" {command} --json; echo @@@; \
         setpriv --reuid=65534 --regid=65534 --clear-groups \"$IPCKIT\" {command}",
    ));
    let parts: Vec<&str> = out.split("@@@\n").collect();
    assert_eq!(parts.len(), 6, "{out}");
    let (before, after) = (parts[0], parts[3]);
    assert!(
        !before.contains(" - mqueue "),
        "mqueue still mounted:\n{before}"
    );
    assert_eq!(before, after, "the mount table changed");
    [parts[1], parts[2], parts[4], parts[5]].map(String::from)
}

#[test]
fn queues_listed_through_a_private_mount_namespace() {
    if !is_root() || !have("unshare") || !have("setpriv") {
        eprintln!("skipped: needs root, unshare and setpriv");
        return;
    }
    let name = posix_name("unmounted");
    let _q = MessageQueue::builder(&name).create_new().unwrap(); // unlinked on drop
    let host_before = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let [json, table, nobody_json, nobody_table] = root_and_nobody("ls -Q");

    let v: Value = serde_json::from_str(&json).unwrap();
    let queues = v["posix"]["queues"].as_array().expect("a list");
    assert!(queues.iter().any(|q| q["name"] == name.as_str()), "{json}");
    assert_eq!(v["posix"]["mqueue"]["mounted"], false);
    assert_eq!(v["posix"]["mqueue"]["listed"], true);
    assert_eq!(v["posix"]["mqueue"]["via"], "private mount namespace");
    assert!(table.lines().any(|l| l.starts_with(&name)), "{table}");
    // Nothing mounted or unmounted on the host (nor where ipckit ran: root_and_nobody).
    assert_eq!(
        host_before,
        std::fs::read_to_string("/proc/self/mountinfo").unwrap()
    );

    // Not root: it says it cannot know.
    let v: Value = serde_json::from_str(&nobody_json).unwrap();
    assert!(v["posix"]["queues"].is_null(), "{nobody_json}");
    assert_eq!(v["posix"]["mqueue"]["listed"], false);
    assert!(nobody_table.contains("(not listed: "), "{nobody_table}");
    assert!(
        nobody_table.contains("private mount namespace"),
        "{nobody_table}"
    );
}

/// `ipckit limits` counts the queues in use as `ls -Q` lists them: as root through a private
/// mount namespace (the mount table unchanged), otherwise it says it cannot know.
#[test]
fn limits_count_queues_through_a_private_mount_namespace() {
    if !is_root() || !have("unshare") || !have("setpriv") {
        eprintln!("skipped: needs root, unshare and setpriv");
        return;
    }
    let name = posix_name("limits-unmounted");
    let _q = MessageQueue::builder(&name).create_new().unwrap(); // unlinked on drop
    let [json, table, nobody_json, nobody_table] = root_and_nobody("limits");

    // Root: counted (at least this test's queue; other tests may add theirs meanwhile).
    let v: Value = serde_json::from_str(&json).unwrap();
    let used = v["posix"]["queues_max"]["used"].as_u64().expect("a count");
    assert!(used >= 1, "{json}");
    let row = table
        .lines()
        .find(|l| l.starts_with("queues_max"))
        .expect("a queues_max row");
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert!(cells[2].parse::<u64>().is_ok_and(|n| n >= 1), "{row}");
    assert!(!table.contains("unknown"), "{table}");

    // Not root: unknown, and says why.
    let v: Value = serde_json::from_str(&nobody_json).unwrap();
    assert!(v["posix"]["queues_max"]["used"].is_null(), "{nobody_json}");
    assert!(v["posix"]["queues_max"]["limit"].is_u64(), "{nobody_json}");
    let row = nobody_table
        .lines()
        .find(|l| l.starts_with("queues_max"))
        .expect("a queues_max row");
    assert_eq!(row.split_whitespace().nth(2), Some("unknown"), "{row}");
    assert!(
        nobody_table.contains("unknown (mqueue not mounted, not root)"),
        "{nobody_table}"
    );
}
