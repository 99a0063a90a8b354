//! `parallel-sum` end to end, through the built binary: the notes' case for every mechanism,
//! uneven shares, the signal mechanism's refusal, a killed, silent or hanging worker, a
//! wrong partial sum and Ctrl-C; after each run, every IPC object the master reported
//! creating (`--verbose`) must be gone.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use ipckit::ErrorKind;
use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_parallel-sum"))
}

fn run(args: &[&str]) -> Output {
    bin()
        .args(args)
        .arg("--verbose")
        .output()
        .expect("start parallel-sum")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The objects the master said it created (`parallel-sum: created KIND NAME`).
fn created(stderr: &str) -> Vec<(String, String)> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("parallel-sum: created "))
        .map(|rest| {
            let (kind, name) = rest.split_once(' ').expect("KIND NAME");
            (kind.to_string(), name.to_string())
        })
        .collect()
}

/// Fails if one of the objects still exists.
fn assert_gone(objects: &[(String, String)]) {
    for (kind, name) in objects {
        let id = || name.parse::<i32>().expect("a System V id");
        let gone = match kind.as_str() {
            "path" => !Path::new(name).exists(),
            "posix-shm" => !Path::new("/dev/shm").join(&name[1..]).exists(),
            "posix-mq" => !Path::new("/dev/mqueue").join(&name[1..]).exists(),
            "sysv-shm" => ipckit::sysv::shm::SharedMemory::from_id(id())
                .is_err_and(|e| e.kind() == ErrorKind::NotFound),
            "sysv-sem" => ipckit::sysv::sem::SemaphoreSet::from_id(id())
                .is_err_and(|e| e.kind() == ErrorKind::NotFound),
            "sysv-mq" => ipckit::sysv::msg::MessageQueue::from_id(id())
                .is_err_and(|e| e.kind() == ErrorKind::NotFound),
            "address" => true, // abstract socket or TCP port: nothing in a file system
            other => panic!("unknown object kind {other}"),
        };
        assert!(gone, "{kind} {name} was left behind");
    }
}

/// Runs with `--json`, checks the exit status and the objects, returns the JSON.
fn run_ok(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let o = run(&all);
    let err = stderr(&o);
    assert!(o.status.success(), "{args:?}: {:?}\n{err}", o.status);
    assert_gone(&created(&err));
    serde_json::from_slice(&o.stdout).expect("JSON on stdout")
}

/// Checks a JSON result: the total, one report per worker with distinct pids, each partial
/// the sum of its share.
fn check_result(v: &Value, workers: usize, to: u64) {
    let expected = to as u128 * (to as u128 + 1) / 2;
    assert_eq!(v["total"].as_u64().map(u128::from), Some(expected), "{v}");
    assert_eq!(v["ok"], true);
    let list = v["workers"].as_array().expect("workers");
    assert_eq!(list.len(), workers);
    let mut pids: Vec<u64> = list.iter().map(|w| w["pid"].as_u64().unwrap()).collect();
    pids.sort_unstable();
    pids.dedup();
    assert_eq!(pids.len(), workers, "one process per worker");
    assert!(!pids.contains(&u64::from(std::process::id())));
    for w in list {
        let (from, to) = (w["from"].as_u64().unwrap(), w["to"].as_u64().unwrap());
        let want: u64 = if from > to { 0 } else { (from..=to).sum() };
        assert_eq!(w["partial"].as_u64(), Some(want), "{w}");
    }
}

macro_rules! every_mech {
    ($($name:ident => $mech:literal,)*) => {
        /// The notes' case: 1..10000 over 10 workers gives 50005000.
        mod notes_case {
            use super::*;
            $(
                #[test]
                fn $name() {
                    let human = run(&["--workers", "10", "--to", "10000", "--via", $mech]);
                    assert!(human.status.success(), "{}", stderr(&human));
                    let out = String::from_utf8_lossy(&human.stdout);
                    assert!(out.contains("total 50005000"), "{out}");
                    assert!(out.contains("wall time "), "{out}");
                    assert_gone(&created(&stderr(&human)));
                    let v = run_ok(&["--workers", "10", "--to", "10000", "--via", $mech]);
                    check_result(&v, 10, 10_000);
                    assert_eq!(v["via"], $mech);
                }
            )*
        }

        /// A worker killed (SIGKILL) before it reports: a clear error naming it and the
        /// mechanism, exit status 3, nothing left.
        mod killed_worker {
            use super::*;
            $(
                #[test]
                fn $name() {
                    let o = run(&["--workers", "4", "--to", "4000", "--via", $mech,
                                  "--fault", "kill", "--fault-worker", "2", "--timeout", "30"]);
                    let err = stderr(&o);
                    assert_eq!(o.status.code(), Some(3), "{err}");
                    assert!(err.contains("worker 2 (pid "), "{err}");
                    assert!(err.contains("SIGKILL"), "{err}");
                    assert!(err.contains(&format!("via {}", $mech)), "{err}");
                    let objects = created(&err);
                    assert!($mech == "pipe" || $mech == "signal" || !objects.is_empty());
                    assert_gone(&objects);
                }
            )*
        }
    };
}

every_mech! {
    pipe => "pipe",
    fifo => "fifo",
    unix => "unix",
    tcp => "tcp",
    sysv_mq => "sysv-mq",
    posix_mq => "posix-mq",
    sysv_shm => "sysv-shm",
    posix_shm => "posix-shm",
    shm_ring => "shm-ring",
    file => "file",
    signal => "signal",
}

#[test]
fn uneven_shares_sum_right() {
    for (mech, workers, to) in [
        ("posix-shm", 10, 10_007u64),
        ("unix", 3, 1_000_001),
        ("sysv-mq", 7, 3), // more workers than numbers: four empty shares
        ("pipe", 5, 1),
        ("signal", 9, 10),
    ] {
        let v = run_ok(&[
            "--workers",
            &workers.to_string(),
            "--to",
            &to.to_string(),
            "--via",
            mech,
        ]);
        check_result(&v, workers, to);
    }
}

#[test]
fn signal_refuses_partials_that_do_not_fit_in_an_int() {
    let o = run(&["--workers", "10", "--to", "10^6", "--via", "signal"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("does not fit") || err.contains("at most 2147483647"),
        "{err}"
    );
    assert!(
        err.contains("worker 9"),
        "the largest share is named: {err}"
    );
    assert!(created(&err).is_empty(), "nothing is created: {err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn a_worker_that_exits_without_reporting_is_named() {
    for mech in ["pipe", "sysv-shm", "tcp"] {
        let o = run(&["--via", mech, "--fault", "exit", "--fault-worker", "5"]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(3), "{err}");
        assert!(err.contains("worker 5 (pid "), "{err}");
        assert!(err.contains("exited with status 0"), "{err}");
        assert_gone(&created(&err));
    }
}

#[test]
fn a_hanging_worker_times_out_never_hangs_the_master() {
    for mech in ["fifo", "posix-mq", "shm-ring"] {
        let o = run(&[
            "--via",
            mech,
            "--fault",
            "hang",
            "--fault-worker",
            "1",
            "--timeout",
            "1",
        ]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(3), "{err}");
        assert!(err.contains("timed out"), "{err}");
        assert!(
            err.contains(&format!("via {mech} for worker 1 (pid ")),
            "{err}"
        );
        assert_gone(&created(&err));
    }
}

#[test]
fn a_wrong_partial_sum_exits_1() {
    let o = run(&["--via", "sysv-shm", "--fault", "wrong-partial"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("wrong total via sysv-shm: 50005001, expected 50005000"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("WRONG"));
    assert_gone(&created(&err));
}

#[test]
fn ctrl_c_stops_the_workers_and_removes_everything() {
    for mech in ["posix-shm", "sysv-shm", "fifo", "unix"] {
        let mut child = bin()
            .args([
                "--via",
                mech,
                "--fault",
                "hang",
                "--timeout",
                "60",
                "--verbose",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut seen = String::new();
        while !seen.contains("parallel-sum: created ") {
            seen.push_str(&lines.next().expect("a created line").unwrap());
            seen.push('\n');
        }
        std::thread::sleep(Duration::from_millis(300)); // the workers start
        ipckit::signal::kill(child.id(), ipckit::signal::Signal::INT).unwrap();
        for l in lines {
            seen.push_str(&l.unwrap());
            seen.push('\n');
        }
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(130), "{mech}: {seen}");
        assert!(seen.contains("interrupted by SIGINT"), "{seen}");
        let objects = created(&seen);
        assert!(!objects.is_empty());
        assert_gone(&objects);
    }
}

#[test]
fn a_worker_killed_from_outside_is_reported() {
    for mech in ["sysv-mq", "posix-shm", "tcp"] {
        let mut child = bin()
            .args(["--via", mech, "--fault", "hang", "--fault-worker", "1"])
            .args(["--timeout", "60", "--verbose"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut seen = String::new();
        let pid: u32 = loop {
            let line = lines.next().expect("a started line").unwrap();
            seen.push_str(&line);
            seen.push('\n');
            if let Some(rest) = line.strip_prefix("parallel-sum: started worker 1 pid ") {
                break rest.split(' ').next().unwrap().parse().unwrap();
            }
        };
        ipckit::signal::kill(pid, ipckit::signal::Signal::KILL).unwrap();
        for l in lines {
            seen.push_str(&l.unwrap());
            seen.push('\n');
        }
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(3), "{mech}: {seen}");
        assert!(
            seen.contains(&format!("worker 1 (pid {pid}, numbers 1001..=2000) was killed by SIGKILL before its partial sum arrived via {mech}")),
            "{seen}"
        );
        assert_gone(&created(&seen));
    }
}

#[test]
fn help_names_every_mechanism() {
    let o = bin().arg("--help").output().unwrap();
    assert!(o.status.success());
    let help = String::from_utf8_lossy(&o.stdout);
    for mech in [
        "pipe",
        "fifo",
        "unix",
        "tcp",
        "sysv-mq",
        "posix-mq",
        "sysv-shm",
        "posix-shm",
        "shm-ring",
        "signal",
    ] {
        assert!(help.contains(mech), "{mech} missing from --help");
    }
    assert!(!help.contains("--fault"), "fault injection stays hidden");
}
