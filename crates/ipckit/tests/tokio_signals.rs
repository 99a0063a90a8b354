//! `SignalStream` across processes: a peer `sigqueue`s values to a process whose async loop
//! reads them. The receiving side runs in a child process (this binary re-executed) that
//! starts with the signals blocked in every thread, as a signalfd needs.
#![cfg(feature = "tokio")]

mod common;

use common::{run_peer, say, Peer};
use ipckit::signal::{queue, Signal, SignalSet};

/// Held by a test while it changes this process's signal mask.
static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
/// The peer-process entry point (see `common::run_peer`): run as a test, it checks that
/// this binary re-executed as a peer answers.
fn peer() {
    run_peer(|role, args| match role {
        "async_loop" => {
            use futures_util::StreamExt;
            let rt1 = Signal::realtime(2).unwrap();
            let set: SignalSet = [Signal::USR1, rt1].into_iter().collect();
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let mut signals = ipckit::tokio::SignalStream::block(&set).unwrap();
                say("ready");
                let mut seen = Vec::new();
                while seen.len() < 4 {
                    let info = signals.next().await.unwrap().unwrap();
                    seen.push(format!(
                        "{} {} {}",
                        info.signal(),
                        info.sender_pid(),
                        info.value()
                    ));
                }
                for s in seen {
                    say(s);
                }
            });
        }
        "sender" => {
            let pid: u32 = args[0].parse().unwrap();
            let rt1 = Signal::realtime(2).unwrap();
            for v in [7, 8, 9] {
                queue(pid, rt1, v).unwrap();
            }
            queue(pid, Signal::USR1, 1).unwrap();
        }
        other => panic!("unknown role {other}"),
    });
}

#[test]
fn signals_from_another_process_arrive_with_their_values() {
    use std::io::BufRead;
    let rt1 = Signal::realtime(2).unwrap();
    let set: SignalSet = [Signal::USR1, rt1].into_iter().collect();
    // The child starts with the set blocked in every thread (the mask is inherited through
    // fork and exec): blocked here only around the spawn, under the lock.
    let mut receiver = {
        let _lock = LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let _mask = ipckit::signal::block(&set).unwrap();
        Peer::spawn("async_loop", &[])
    };
    let pid = receiver.pid();
    let mut out = std::io::BufReader::new(receiver.child_mut().stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("@@peer ready") {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "receiver ended early"
        );
    }
    let sender = Peer::spawn("sender", &[&pid.to_string()]);
    let sender_pid = sender.pid();
    assert!(sender.wait().success());
    let mut said = Vec::new();
    for l in out.lines() {
        let l = l.unwrap();
        if let Some(i) = l.find("@@peer ") {
            said.push(l[i + 7..].trim_end().to_string());
        }
    }
    assert!(receiver.wait().success());
    // Real-time signals are delivered before standard ones, each queued with its value.
    let mut want: Vec<String> = [7, 8, 9]
        .iter()
        .map(|v| format!("{rt1} {sender_pid} {v}"))
        .collect();
    want.push(format!("{} {sender_pid} 1", Signal::USR1));
    let mut got = said.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want, "{said:?}");
}
