//! Signals against peers nobody here wrote: procps (or util-linux) `kill`, bash's `kill -l`,
//! a C receiver compiled at test time, and Python's `signal.sigwaitinfo`.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use ipckit_interop::{have_python_module, have_tool};
use ipckit_testkit::{command, Running};

/// The `kill` program (not a shell builtin) that can queue a value (`-q`): procps' or
/// util-linux's, with the name of its package.
fn kill_program() -> Option<(PathBuf, String)> {
    for p in ["/usr/bin/kill", "/bin/kill"] {
        let Ok(out) = Command::new(p).arg("-V").output() else {
            continue;
        };
        let v = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        for pkg in ["procps", "util-linux"] {
            if v.contains(pkg) {
                return Some((PathBuf::from(p), pkg.to_string()));
            }
        }
    }
    // Skips here, fails under CI (where .ci/run installs procps).
    have_tool("/usr/bin/kill");
    None
}

/// `ipckit signal wait ARGS`, once its readiness line is out.
fn start_waiter(args: &[&str]) -> Running {
    let mut cmd = command();
    cmd.args(["signal", "wait"]).args(args);
    Running::start(cmd, "waiting for ")
}

/// Waits for the waiter to end, asserts success, returns its stdout lines.
fn finish(waiter: Running) -> Vec<String> {
    String::from_utf8_lossy(&waiter.output())
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn kill_dash_q_reaches_ipckit_signal_wait_with_its_value() {
    let Some((kill, pkg)) = kill_program() else {
        return;
    };
    let waiter = start_waiter(&["RTMIN+1", "--timeout", "30"]);
    let pid = waiter.pid().to_string();
    let mut k = Command::new(&kill)
        .args(["-s", "RTMIN+1", "-q", "42", &pid])
        .spawn()
        .unwrap();
    let kill_pid = k.id();
    assert!(k.wait().unwrap().success(), "{pkg} kill failed");
    let lines = finish(waiter);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let l = &lines[0];
    assert!(
        l.starts_with("SIGRTMIN+1 ")
            && l.contains(&format!(" pid={kill_pid} "))
            && l.contains(" value=42 ")
            && l.ends_with(" origin=sigqueue"),
        "{pkg} kill -s RTMIN+1 -q 42: {l}"
    );
}

const C_RECEIVER: &str = r#"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    int sig = SIGRTMIN + atoi(argv[1]);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) { perror("sigprocmask"); return 2; }
    printf("ready\n");
    fflush(stdout);
    siginfo_t info;
    if (sigwaitinfo(&set, &info) < 0) { perror("sigwaitinfo"); return 3; }
    printf("%d %d %d %d %d\n", info.si_signo - SIGRTMIN, info.si_code == SI_QUEUE,
           (int)info.si_pid, (int)info.si_uid, info.si_value.sival_int);
    return 0;
}
"#;

/// Spawns `receiver`, waits for its "ready", runs `ipckit signal send PID ARGS...`, and
/// returns (the sender's pid, the receiver's report line).
fn send_to(mut receiver: Command, send_args: &[&str]) -> (u32, String) {
    let mut child = receiver.stdout(Stdio::piped()).spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready");
    let pid = child.id().to_string();
    let mut s = command()
        .args(["signal", "send", &pid])
        .args(send_args)
        .spawn()
        .unwrap();
    let sender = s.id();
    assert!(s.wait().unwrap().success());
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert!(child.wait().unwrap().success(), "receiver failed");
    (sender, rest.trim().to_string())
}

fn uid() -> String {
    let out = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn ipckit_signal_send_value_reaches_a_c_receiver() {
    if !have_tool("cc") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("ipckit-interop-sig-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    struct Cleanup(PathBuf);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let _cleanup = Cleanup(dir.clone());
    let src = dir.join("recv.c");
    let bin = dir.join("recv");
    std::fs::File::create(&src)
        .unwrap()
        .write_all(C_RECEIVER.as_bytes())
        .unwrap();
    let cc = Command::new("cc")
        .arg("-o")
        .arg(&bin)
        .arg(&src)
        .status()
        .unwrap();
    assert!(cc.success(), "cc failed");

    let mut recv = Command::new(&bin);
    recv.arg("2");
    let (sender, report) = send_to(recv, &["RTMIN+2", "--value", "-123456"]);
    assert_eq!(report, format!("2 1 {sender} {} -123456", uid()));
}

#[test]
fn ipckit_signal_send_reaches_python_sigwaitinfo() {
    if !have_python_module("signal") {
        return;
    }
    // Python's struct_siginfo has no si_value: it checks the signal, the code (SI_QUEUE)
    // and the sender.
    let script = r#"
import os, signal, sys
sig = signal.SIGRTMIN + 3
signal.pthread_sigmask(signal.SIG_BLOCK, {sig})
print("ready", flush=True)
i = signal.sigwaitinfo({sig})
print(i.si_signo - signal.SIGRTMIN, i.si_code, i.si_pid, i.si_uid, flush=True)
"#;
    let mut py = Command::new("python3");
    py.args(["-c", script]);
    let (sender, report) = send_to(py, &["rtmin+3", "-q", "9"]);
    // SI_QUEUE is -1 on Linux.
    assert_eq!(report, format!("3 -1 {sender} {}", uid()));
}

/// (number, name without SIG) pairs from `ipckit signal list --table`.
fn ipckit_table() -> Vec<(i32, String)> {
    let out = command()
        .args(["signal", "list", "--table"])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .map(|l| {
            let mut w = l.split_whitespace();
            let n = w.next().unwrap().parse().unwrap();
            (n, w.next().unwrap().to_string())
        })
        .collect()
}

#[test]
fn ipckit_signal_list_names_the_same_signals_as_bash_kill_l() {
    if !have_tool("bash") {
        return;
    }
    let out = Command::new("bash")
        .args(["-c", "kill -l"])
        .output()
        .unwrap();
    assert!(out.status.success());
    // " 1) SIGHUP\t 2) SIGINT ..."
    let text = String::from_utf8_lossy(&out.stdout);
    let words: Vec<&str> = text.split_whitespace().collect();
    let bash: Vec<(i32, String)> = words
        .chunks(2)
        .map(|c| {
            let n = c[0].trim_end_matches(')').parse().unwrap();
            (n, c[1].strip_prefix("SIG").unwrap().to_string())
        })
        .collect();
    assert_eq!(ipckit_table(), bash);
    // The plain list is the same names in the same order.
    let out = command().args(["signal", "list"]).output().unwrap();
    let names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(String::from)
        .collect();
    let bash_names: Vec<String> = bash.into_iter().map(|(_, n)| n).collect();
    assert_eq!(names, bash_names);
}

#[test]
fn ipckit_signal_list_agrees_with_the_kill_program_table() {
    let Some((kill, _)) = kill_program() else {
        return;
    };
    // procps `kill -L`: "N NAME" pairs for the standard signals (util-linux: the same
    // idea); real-time signals are not listed there.
    let out = Command::new(&kill).arg("-L").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut theirs: Vec<(i32, String)> = words
        .chunks(2)
        .filter_map(|c| Some((c[0].parse().ok()?, c.get(1)?.to_string())))
        .map(|(n, name)| {
            // procps calls 29 POLL, ipckit (like glibc and bash) IO; the same number.
            let name = if name == "POLL" {
                "IO".to_string()
            } else {
                name
            };
            (n, name)
        })
        .collect();
    theirs.sort();
    let ours: Vec<(i32, String)> = ipckit_table()
        .into_iter()
        .filter(|(n, _)| *n < 32)
        .collect();
    assert_eq!(ours, theirs);
    // And ipckit reads their spelling.
    let out = command().args(["signal", "list", "POLL"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "29");
}
