//! Helpers shared by the System V tests.
#![allow(dead_code)]

use std::time::Duration;

/// Waits until every thread of process `pid` sleeps in a syscall (state `S`), for at most
/// 10 s: a peer that announced a blocking call has then entered it.
pub fn wait_sleeping(pid: u32) {
    for _ in 0..1000 {
        let all_sleep = std::fs::read_dir(format!("/proc/{pid}/task"))
            .unwrap()
            .all(|t| {
                let stat = std::fs::read_to_string(t.unwrap().path().join("stat")).unwrap();
                stat.rsplit_once(") ").unwrap().1.starts_with('S')
            });
        if all_sleep {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("peer {pid} never blocked");
}

/// Polls `f` every 5 ms until it returns true, for at most 10 s.
pub fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..2000 {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("timed out waiting until {what}");
}
