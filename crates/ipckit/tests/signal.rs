//! Signals between real processes: what every IPC tutorial says, checked.
//!
//! Dispositions are process-wide and a process-directed signal goes to any thread that does
//! not block it, while `cargo test` runs tests as threads of one process. So every test holds
//! `LOCK`, and whatever needs "blocked in the whole process" happens in a child: the test
//! thread blocks the signals, spawns the child (which inherits the mask in all its threads),
//! and unblocks again.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{ChildStdin, ChildStdout, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use common::{say, Peer};
use ipckit::signal::{
    self, block, current_mask, ignore, kill, pending, probe, queue, unblock, Catcher, Origin,
    Probe, Signal, SignalFd, SignalSet,
};
use ipckit::ErrorKind;
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

static LOCK: Mutex<()> = Mutex::new(());

fn lock() -> MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

const LONG: Duration = Duration::from_secs(20);

fn rt1() -> Signal {
    Signal::realtime(1).unwrap()
}

/// A peer we talk to while it runs: lines in through stdin, `say` lines out.
struct Live {
    peer: Peer,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Live {
    /// Starts `role`; with `blocked` non-empty the peer starts with those signals blocked in
    /// every thread (the mask is inherited through fork and exec).
    fn spawn(role: &str, args: &[&str], blocked: &SignalSet) -> Live {
        let mut cmd = Peer::command(role, args);
        cmd.stdin(Stdio::piped());
        let mut peer = {
            let _mask = block(blocked).unwrap();
            Peer::from_command(cmd)
        };
        let stdin = peer.child_mut().stdin.take();
        let stdout = BufReader::new(peer.child_mut().stdout.take().unwrap());
        Live {
            peer,
            stdin,
            stdout,
        }
    }

    fn pid(&self) -> u32 {
        self.peer.pid()
    }

    /// The next line the peer said (without the marker).
    fn next(&mut self) -> String {
        let mut line = String::new();
        loop {
            line.clear();
            let n = self.stdout.read_line(&mut line).unwrap();
            assert!(n > 0, "peer ended before saying the expected line");
            if let Some(i) = line.find("@@peer ") {
                return line[i + "@@peer ".len()..].trim_end().to_string();
            }
        }
    }

    fn expect(&mut self, want: &str) {
        assert_eq!(self.next(), want);
    }

    fn send_line(&mut self, line: &str) {
        writeln!(self.stdin.as_mut().unwrap(), "{line}").unwrap();
    }
}

/// In a peer: waits for one line from the test.
fn read_go() -> String {
    let mut s = String::new();
    std::io::stdin().read_line(&mut s).unwrap();
    s.trim().to_string()
}

/// The peer-process entry point (see `common::run_peer`).
#[test]
fn peer() {
    common::run_peer(|role, args| match role {
        // Reads the pending USR1 and RTMIN+1 instances after the test sent them.
        "coalesce" => {
            let set = SignalSet::from([Signal::USR1, rt1()]);
            let mask = current_mask().unwrap();
            assert!(
                mask.contains(Signal::USR1) && mask.contains(rt1()),
                "{mask}"
            );
            say("ready");
            assert_eq!(read_go(), "go");
            let p = pending().unwrap();
            say(format!(
                "pending {}",
                p.contains(Signal::USR1) && p.contains(rt1())
            ));
            let mut got = Vec::new();
            if args[0] == "signalfd" {
                let fd = SignalFd::new(&set).unwrap();
                while let Some(info) = fd.try_recv().unwrap() {
                    got.push(info);
                }
            } else if args[0] == "signalfd-many" {
                let fd = SignalFd::new(&set).unwrap();
                let n = fd.try_recv_many(&mut got).unwrap();
                assert_eq!(n, got.len());
                assert_eq!(fd.try_recv_many(&mut got).unwrap(), 0);
            } else {
                loop {
                    match signal::wait(&set, Some(Duration::ZERO)) {
                        Ok(info) => got.push(info),
                        Err(e) if e.kind() == ErrorKind::TimedOut => break,
                        Err(e) => panic!("{e}"),
                    }
                }
            }
            let ppid = std::os::unix::process::parent_id();
            assert!(got.iter().all(|i| i.sender_pid() == ppid), "{got:?}");
            let usr1: Vec<_> = got.iter().filter(|i| i.signal() == Signal::USR1).collect();
            let rt: Vec<i32> = got
                .iter()
                .filter(|i| i.signal() == rt1())
                .map(|i| i.value())
                .collect();
            say(format!("usr1 {}", usr1.len()));
            say(format!("rt {rt:?}"));
        }
        // A handler for SIGUSR2 while it is blocked: nothing until unblocked.
        "unblock" => {
            let usr2 = SignalSet::from(Signal::USR2);
            let catcher = Catcher::new([Signal::USR2]).unwrap();
            say("ready");
            assert_eq!(read_go(), "go");
            say(format!(
                "before {:?}",
                catcher.try_recv().unwrap().is_some()
            ));
            say(format!(
                "pending {}",
                pending().unwrap().contains(Signal::USR2)
            ));
            let _open = unblock(&usr2).unwrap(); // the pending one is delivered here
            let info = catcher.try_recv().unwrap().expect("delivered on unblock");
            say(format!(
                "after {} from {}",
                info.signal(),
                info.sender_pid()
            ));
        }
        // Nested dispositions of SIGUSR1: ignored, caught, ignored again, default.
        "ignore" => {
            let guard = ignore(Signal::USR1).unwrap();
            say("ignoring");
            assert_eq!(read_go(), "go");
            let catcher = Catcher::new([Signal::USR1]).unwrap();
            say("catching");
            assert_eq!(read_go(), "go");
            let info = catcher.recv_timeout(LONG).unwrap();
            say(format!(
                "caught {} from {}",
                info.signal(),
                info.sender_pid()
            ));
            drop(catcher); // back to ignoring
            say("ignoring again");
            assert_eq!(read_go(), "go");
            drop(guard); // back to the default
            say("default");
            read_go(); // killed by SIGUSR1 before this returns
            say("survived");
        }
        "sender" => {
            let pid: u32 = args[0].parse().unwrap();
            let sig: Signal = args[1].parse().unwrap();
            for v in args[2..].iter() {
                queue(pid, sig, v.parse().unwrap()).unwrap();
            }
        }
        "sleeper" => {
            say("ready");
            let line = read_go();
            say(format!("got {line}"));
        }
        "alarm" => {
            let alrm = SignalSet::from(Signal::ALRM);
            assert!(current_mask().unwrap().contains(Signal::ALRM));
            nix::unistd::alarm::set(1);
            let info = signal::wait(&alrm, Some(LONG)).unwrap();
            say(format!("{:?} {}", info.origin(), info.sender_pid()));
            // A POSIX timer carries a value.
            use nix::sys::signal::{SigEvent, SigevNotify};
            use nix::sys::timer::{Expiration, Timer, TimerSetTimeFlags};
            let ev = SigEvent::new(SigevNotify::SigevSignal {
                signal: nix::sys::signal::Signal::SIGALRM,
                si_value: 77,
            });
            let mut timer = Timer::new(nix::time::ClockId::CLOCK_MONOTONIC, ev).unwrap();
            timer
                .set(
                    Expiration::OneShot(Duration::from_millis(10).into()),
                    TimerSetTimeFlags::empty(),
                )
                .unwrap();
            let info = signal::wait(&alrm, Some(LONG)).unwrap();
            say(format!("{:?} {}", info.origin(), info.value()));
        }
        // Every timed receive accepts Duration::MAX (a deadline that never passes).
        "max-timeouts" => {
            let usr1 = SignalSet::from(Signal::USR1);
            assert!(current_mask().unwrap().contains(Signal::USR1));
            let me = std::process::id();
            kill(me, Signal::USR1).unwrap();
            let info = signal::wait(&usr1, Some(Duration::MAX)).unwrap();
            say(format!("wait {}", info.signal()));
            let fd = SignalFd::new(&usr1).unwrap();
            kill(me, Signal::USR1).unwrap();
            say(format!(
                "signalfd {}",
                fd.recv_timeout(Duration::MAX).unwrap().signal()
            ));
            kill(me, Signal::USR1).unwrap();
            let mut got = Vec::new();
            let n = fd.recv_many(&mut got, Some(Duration::MAX)).unwrap();
            say(format!("signalfd many {n} {}", got[0].signal()));
        }
        "exit7" => std::process::exit(7),
        other => panic!("unknown peer role {other}"),
    });
}

fn coalesce(reader: &str) {
    let _l = lock();
    let mut p = Live::spawn(
        "coalesce",
        &[reader],
        &SignalSet::from([Signal::USR1, rt1()]),
    );
    p.expect("ready");
    for v in 0..5 {
        kill(p.pid(), Signal::USR1).unwrap();
        queue(p.pid(), rt1(), v * 10).unwrap();
    }
    p.send_line("go");
    p.expect("pending true");
    assert_eq!(
        p.next(),
        "usr1 1",
        "5 standard signals while blocked: one delivery"
    );
    assert_eq!(
        p.next(),
        "rt [0, 10, 20, 30, 40]",
        "5 real-time: 5, values in order"
    );
    assert!(p.peer.wait().success());
}

#[test]
fn standard_signals_coalesce_while_realtime_signals_queue_sigtimedwait() {
    coalesce("sigtimedwait");
}

#[test]
fn standard_signals_coalesce_while_realtime_signals_queue_signalfd() {
    coalesce("signalfd");
}

#[test]
fn standard_signals_coalesce_while_realtime_signals_queue_signalfd_many() {
    coalesce("signalfd-many");
}

#[test]
fn timed_receives_accept_duration_max() {
    let _l = lock();
    let mut p = Live::spawn("max-timeouts", &[], &SignalSet::from(Signal::USR1));
    p.expect("wait SIGUSR1");
    p.expect("signalfd SIGUSR1");
    p.expect("signalfd many 1 SIGUSR1");
    assert!(p.peer.wait().success());
    // The catcher, in this process.
    let catcher = Catcher::new([Signal::WINCH]).unwrap();
    kill(std::process::id(), Signal::WINCH).unwrap();
    assert_eq!(
        catcher.recv_timeout(Duration::MAX).unwrap().signal(),
        Signal::WINCH
    );
    kill(std::process::id(), Signal::WINCH).unwrap();
    let mut got = Vec::new();
    assert!(catcher.recv_many(&mut got, Some(Duration::MAX)).unwrap() >= 1);
    assert!(got.iter().all(|i| i.signal() == Signal::WINCH), "{got:?}");
}

#[test]
fn catcher_recv_many_fills_the_callers_buffer_and_times_out_when_idle() {
    let _l = lock();
    let sig = Signal::realtime(3).unwrap();
    let catcher = Catcher::new([sig]).unwrap();
    let mut got = Vec::new();
    let e = catcher
        .recv_many(&mut got, Some(Duration::from_millis(20)))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
    assert!(got.is_empty());
    let me = std::process::id().to_string();
    let sender = Peer::spawn("sender", &[&me, &sig.to_string(), "4", "5", "6"]);
    while got.len() < 3 {
        let before = got.len();
        let n = catcher.recv_many(&mut got, Some(LONG)).unwrap();
        assert_eq!(got.len(), before + n);
    }
    assert!(sender.wait().success());
    let mut values: Vec<i32> = got.iter().map(|i| i.value()).collect();
    values.sort_unstable();
    assert_eq!(values, [4, 5, 6]);
    assert_eq!(catcher.try_recv_many(&mut got).unwrap(), 0);
}

#[test]
fn a_blocked_signal_is_delivered_to_the_handler_on_unblock() {
    let _l = lock();
    let mut p = Live::spawn("unblock", &[], &SignalSet::from(Signal::USR2));
    p.expect("ready");
    kill(p.pid(), Signal::USR2).unwrap();
    p.send_line("go");
    p.expect("before false");
    p.expect("pending true");
    p.expect(&format!("after SIGUSR2 from {}", std::process::id()));
    assert!(p.peer.wait().success());
}

#[test]
fn disposition_guards_nest_and_restore_what_was_there() {
    use std::os::unix::process::ExitStatusExt;
    let _l = lock();
    let mut p = Live::spawn("ignore", &[], &SignalSet::empty());
    p.expect("ignoring");
    kill(p.pid(), Signal::USR1).unwrap(); // discarded
    p.send_line("go");
    p.expect("catching");
    kill(p.pid(), Signal::USR1).unwrap(); // recorded by the handler
    p.send_line("go");
    p.expect(&format!("caught SIGUSR1 from {}", std::process::id()));
    p.expect("ignoring again");
    kill(p.pid(), Signal::USR1).unwrap(); // the catcher's drop put SIG_IGN back: discarded
    p.send_line("go");
    p.expect("default");
    kill(p.pid(), Signal::USR1).unwrap(); // the guard's drop put SIG_DFL back: terminates
    let status = p.peer.wait();
    assert_eq!(status.signal(), Some(Signal::USR1.as_raw()), "{status:?}");
}

#[test]
fn catcher_gets_each_queued_value_with_the_senders_pid_and_uid() {
    let _l = lock();
    let sig = Signal::realtime(2).unwrap();
    let catcher = Catcher::new([sig]).unwrap();
    // One signal, one catcher at a time.
    assert_eq!(
        Catcher::new([sig]).unwrap_err().kind(),
        ErrorKind::AlreadyExists
    );
    let me = std::process::id().to_string();
    let sender = Peer::spawn("sender", &[&me, &sig.to_string(), "1", "-2", "3"]);
    let sender_pid = sender.pid();
    let got: Vec<_> = (0..3)
        .map(|_| catcher.recv_timeout(LONG).unwrap())
        .collect();
    assert!(sender.wait().success());
    for info in &got {
        assert_eq!(info.signal(), sig);
        assert_eq!(info.origin(), Origin::Queue);
        assert_eq!(info.sender_pid(), sender_pid);
        assert_eq!(info.sender_uid(), nix::unistd::getuid().as_raw());
    }
    // Each queued signal is recorded once with its value. Not in send order: this test
    // process has many threads and the handler may run on several at once (see Catcher's
    // docs; the order is tested through sigtimedwait and signalfd above).
    let mut values: Vec<i32> = got.iter().map(|i| i.value()).collect();
    values.sort_unstable();
    assert_eq!(values, [-2, 1, 3]);
    assert!(catcher.try_recv().unwrap().is_none());
    assert_eq!(catcher.dropped(), 0);
    drop(catcher);
    // The slot is free again once dropped.
    drop(Catcher::new([sig]).unwrap());
}

#[test]
fn kill_and_stop_cannot_be_caught_ignored_or_blocked() {
    let _l = lock();
    for s in [Signal::KILL, Signal::STOP] {
        let set = SignalSet::from(s);
        let kinds = [
            Catcher::new([s]).map(drop).unwrap_err().kind(),
            ignore(s).map(drop).unwrap_err().kind(),
            signal::set_default(s).map(drop).unwrap_err().kind(),
            block(&set).map(drop).unwrap_err().kind(),
            signal::set_mask(&set).map(drop).unwrap_err().kind(),
            signal::wait(&set, Some(Duration::ZERO)).unwrap_err().kind(),
            SignalFd::new(&set).map(drop).unwrap_err().kind(),
        ];
        assert!(
            kinds.iter().all(|&k| k == ErrorKind::InvalidInput),
            "{s}: {kinds:?}"
        );
    }
    let e = ignore(Signal::KILL).unwrap_err();
    assert!(e.to_string().contains("SIGKILL"), "{e}");
    // Nothing changed: the mask still lacks them (the kernel never lets them in).
    assert!(!current_mask().unwrap().contains(Signal::KILL));
}

#[test]
fn the_null_signal_tells_missing_from_present() {
    let _l = lock();
    assert_eq!(probe(std::process::id()).unwrap(), Probe::MaySignal);
    // Above pid_max no process can exist.
    let pid_max: u32 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(probe(pid_max + 1).unwrap(), Probe::NoSuchProcess);
    assert_eq!(
        kill(pid_max + 1, Signal::TERM).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        queue(pid_max + 1, rt1(), 1).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        kill(0, Signal::TERM).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    if nix::unistd::geteuid().is_root() {
        eprintln!("running as root: every process may be signalled, EPERM is not reachable");
    } else {
        // init belongs to root.
        assert_eq!(probe(1).unwrap(), Probe::NotPermitted);
        assert_eq!(
            kill(1, Signal::CONT).unwrap_err().kind(),
            ErrorKind::PermissionDenied
        );
    }
}

fn proc_state(pid: u32) -> char {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // "pid (comm) S ...": the state follows the last ')'.
    stat[stat.rfind(')').unwrap() + 2..].chars().next().unwrap()
}

#[test]
fn sigstop_stops_and_sigcont_resumes_a_child() {
    let _l = lock();
    let mut p = Live::spawn("sleeper", &[], &SignalSet::empty());
    p.expect("ready");
    let pid = Pid::from_raw(p.pid() as i32);
    kill(p.pid(), Signal::STOP).unwrap();
    assert_eq!(
        waitpid(pid, Some(WaitPidFlag::WUNTRACED)).unwrap(),
        WaitStatus::Stopped(pid, nix::sys::signal::Signal::SIGSTOP)
    );
    assert_eq!(proc_state(p.pid()), 'T');
    kill(p.pid(), Signal::CONT).unwrap();
    assert_eq!(
        waitpid(pid, Some(WaitPidFlag::WCONTINUED)).unwrap(),
        WaitStatus::Continued(pid)
    );
    // It runs again: it answers.
    p.send_line("hello");
    p.expect("got hello");
    assert_eq!(waitpid(pid, None).unwrap(), WaitStatus::Exited(pid, 0));
}

#[test]
fn sigalrm_arrives_from_alarm_and_from_a_posix_timer() {
    let _l = lock();
    let mut p = Live::spawn("alarm", &[], &SignalSet::from(Signal::ALRM));
    p.expect("Kernel 0");
    p.expect("Timer 77");
    assert!(p.peer.wait().success());
}

#[test]
fn sigchld_names_the_child_and_reaping_collects_its_status() {
    let _l = lock();
    let catcher = Catcher::new([Signal::CHLD]).unwrap();
    let child = Peer::spawn("exit7", &[]);
    let pid = child.pid();
    let info = loop {
        let info = catcher.recv_timeout(LONG).unwrap();
        if info.sender_pid() == pid {
            break info;
        }
    };
    assert_eq!(info.signal(), Signal::CHLD);
    assert_eq!(info.code(), libc::CLD_EXITED);
    assert_eq!(info.status(), 7);
    // A zombie until reaped: it still exists.
    assert!(probe(pid).unwrap().exists());
    let p = Pid::from_raw(pid as i32);
    assert_eq!(waitpid(p, None).unwrap(), WaitStatus::Exited(p, 7));
    // Reaped: nothing left to wait for.
    assert_eq!(waitpid(p, None).unwrap_err(), nix::errno::Errno::ECHILD);
    drop(child); // dropping a std Child does not wait: the pid stays ours to reap
}
