//! `ipckit signal` end to end: list, send and wait between real `ipckit` processes.

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use ipckit_testkit::{command, ipckit, stderr, stdout, Running};

/// `ipckit signal wait ARGS`, returned once its readiness line says the mask is in place.
struct Waiter(Running);

impl Waiter {
    fn start(args: &[&str]) -> Waiter {
        let mut cmd = command();
        cmd.args(["signal", "wait"]).args(args);
        let w = Running::start(cmd, "waiting for ");
        assert!(
            w.ready().contains(&format!("(pid {})", w.pid())),
            "readiness line: {:?}",
            w.ready()
        );
        Waiter(w)
    }

    fn pid(&self) -> String {
        self.0.pid().to_string()
    }

    /// Waits for it to end: (success, stdout lines).
    fn finish(self) -> (std::process::ExitStatus, Vec<String>) {
        let (status, out, _) = self.0.finish();
        let out = String::from_utf8_lossy(&out);
        (status, out.lines().map(String::from).collect())
    }
}

/// Runs `ipckit signal send ARGS` and returns its pid (the sender the waiter reports).
fn send(args: &[&str]) -> u32 {
    let mut c = command()
        .args(["signal", "send"])
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = c.id();
    let mut err = String::new();
    c.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(c.wait().unwrap().success(), "send {args:?}: {err}");
    pid
}

#[test]
fn list_names_every_signal_and_the_table_adds_actions_and_descriptions() {
    let o = ipckit(&["signal", "list"]);
    assert!(o.status.success());
    let names: Vec<String> = stdout(&o).split_whitespace().map(String::from).collect();
    assert_eq!(&names[..3], ["HUP", "INT", "QUIT"]);
    assert!(names.contains(&"RTMIN+1".to_string()) && names.contains(&"RTMAX-1".to_string()));
    assert_eq!(names.last().unwrap(), "RTMAX");
    assert!(stdout(&o).lines().all(|l| l.len() < 80));

    let o = ipckit(&["signal", "list", "--table"]);
    assert!(o.status.success());
    let t = stdout(&o);
    let kill_row = t
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some("KILL"))
        .unwrap();
    assert_eq!(
        kill_row.split_whitespace().collect::<Vec<_>>(),
        ["9", "KILL", "Term", "Killed"]
    );
    let chld = t
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some("CHLD"))
        .unwrap();
    assert!(chld.contains(" Ign "), "{chld}");
    assert_eq!(
        t.lines().count(),
        names.len() + 1,
        "one row per signal plus the header"
    );

    assert_eq!(stdout(&ipckit(&["signal", "list", "15"])).trim(), "TERM");
    assert_eq!(stdout(&ipckit(&["signal", "list", "sigusr1"])).trim(), "10");
}

#[test]
fn wait_reports_each_arrival_with_sender_and_value() {
    let w = Waiter::start(&["USR1", "RTMIN+1", "--count", "3", "--timeout", "30"]);
    let pid = w.pid();
    let a = send(&[&pid, "RTMIN+1", "--value", "42"]);
    let b = send(&[&pid, "usr1"]);
    let c = send(&[&pid, "sigrtmin+1", "--value", "-5"]);
    let (status, lines) = w.finish();
    assert!(status.success(), "{status:?}");
    let uid = nix::unistd::getuid().as_raw();
    // Pending signals come out lowest number first, so SIGUSR1 may overtake a SIGRTMIN+1
    // not yet read; the real-time ones keep their order.
    let rt: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("SIGRTMIN+1 "))
        .collect();
    assert_eq!(
        rt,
        [
            &format!("SIGRTMIN+1 pid={a} uid={uid} value=42 origin=sigqueue"),
            &format!("SIGRTMIN+1 pid={c} uid={uid} value=-5 origin=sigqueue"),
        ]
    );
    let usr1: Vec<&String> = lines.iter().filter(|l| l.starts_with("SIGUSR1 ")).collect();
    assert_eq!(
        usr1,
        [&format!("SIGUSR1 pid={b} uid={uid} value=0 origin=kill")]
    );
    assert_eq!(lines.len(), 3);
}

#[test]
fn wait_loses_no_realtime_signal_sent_in_a_burst() {
    let w = Waiter::start(&["RTMAX-2", "-n", "20", "-t", "30"]);
    let pid = w.pid();
    for v in 0..20 {
        send(&[&pid, "RTMAX-2", "-q", &v.to_string()]);
    }
    let (status, lines) = w.finish();
    assert!(status.success());
    let values: Vec<String> = lines
        .iter()
        .map(|l| {
            l.split("value=")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    let want: Vec<String> = (0..20).map(|v: i32| v.to_string()).collect();
    assert_eq!(values, want);
}

#[test]
fn wait_times_out_with_status_1_and_a_clear_error() {
    let o = ipckit(&["signal", "wait", "USR2", "--timeout", "0.2"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("ipckit: ") && e.contains("timed out"), "{e}");
    assert!(stdout(&o).is_empty());
}

#[test]
fn send_terminates_a_process_and_the_null_signal_probes() {
    let mut sleeper = Command::new("sleep").arg("30").spawn().unwrap();
    let pid = sleeper.id().to_string();
    let o = ipckit(&["signal", "send", &pid, "0"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("exists and may be signalled"));
    assert!(ipckit(&["signal", "send", &pid, "TERM"]).status.success());
    assert_eq!(sleeper.wait().unwrap().signal(), Some(libc::SIGTERM));

    // Above pid_max there is no process.
    let pid_max: u32 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let gone = (pid_max + 1).to_string();
    let o = ipckit(&["signal", "send", &gone, "0"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("does not exist"));
    let o = ipckit(&["signal", "send", &gone, "TERM"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).starts_with(&format!("ipckit: kill pid {gone} with SIGTERM: ESRCH")),
        "{}",
        stderr(&o)
    );
}

#[test]
fn send_group_signals_every_member_of_a_process_group() {
    use std::os::unix::process::CommandExt;
    // Two sleepers in one new group (the first one's pid is the group id).
    let mut first = Command::new("sleep")
        .arg("30")
        .process_group(0)
        .spawn()
        .unwrap();
    let pgid = first.id();
    let mut second = Command::new("sleep")
        .arg("30")
        .process_group(pgid as i32)
        .spawn()
        .unwrap();
    let o = ipckit(&["signal", "send", "--group", &pgid.to_string(), "USR2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(first.wait().unwrap().signal(), Some(libc::SIGUSR2));
    assert_eq!(second.wait().unwrap().signal(), Some(libc::SIGUSR2));
}

#[test]
fn bad_input_is_a_clear_error() {
    let o = ipckit(&["signal", "send", "1", "NOPE"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("parse signal \"NOPE\""),
        "{}",
        stderr(&o)
    );
    let o = ipckit(&["signal", "wait", "KILL"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("SIGKILL and SIGSTOP cannot be"),
        "{}",
        stderr(&o)
    );
    let o = ipckit(&["signal", "send", "1", "RTMIN+99"]);
    assert!(
        stderr(&o).contains("real-time signals go from RTMIN"),
        "{}",
        stderr(&o)
    );
    let o = ipckit(&["signal", "send", "0", "TERM"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("a pid is a number from 1 to 2147483647"),
        "{}",
        stderr(&o)
    );
}
