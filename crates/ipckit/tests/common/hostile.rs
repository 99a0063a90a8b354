//! What a hostile ring peer does to the connection's socket (the doorbell, see
//! `ring::park`): reach a process's socket descriptions (`pidfd_getfd`), send raw doorbell
//! bytes, flood. Included by `tests/tokio_ring.rs` and `tests/select.rs` with
//! `#[path]`; safe code through rustix (tests have no `unsafe`).
#![allow(dead_code)]

use std::time::Duration;

/// The sockets of process `pid` (`/proc/PID/fd` links `socket:[…]`), duplicated into ours
/// with `pidfd_getfd`: the same file descriptions, so that flags we set are theirs.
pub fn sockets_of(pid: u32) -> Vec<std::os::fd::OwnedFd> {
    use rustix::process::{pidfd_getfd, pidfd_open, Pid, PidfdFlags, PidfdGetfdFlags};
    let pid_t = Pid::from_raw(pid as i32).expect("a pid");
    let pidfd = pidfd_open(pid_t, PidfdFlags::empty()).expect("pidfd_open");
    let mut out = Vec::new();
    for e in std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
    {
        let Ok(link) = std::fs::read_link(e.path()) else {
            continue;
        };
        if !link.to_string_lossy().starts_with("socket:") {
            continue;
        }
        let n: i32 = e.file_name().to_string_lossy().parse().unwrap();
        match pidfd_getfd(&pidfd, n, PidfdGetfdFlags::empty()) {
            Ok(fd) => out.push(fd),
            // Closed since the listing (the directory's own fd, a transient socket).
            Err(rustix::io::Errno::BADF) => {}
            Err(e) => panic!("pidfd_getfd of fd {n} of {pid}: {e}"),
        }
    }
    out
}

/// `send(fd, 1 byte, MSG_DONTWAIT)`: `true` if it was queued.
pub fn send_byte(fd: &std::os::fd::OwnedFd) -> bool {
    rustix::net::send(fd, b"!", rustix::net::SendFlags::DONTWAIT) == Ok(1)
}

/// Floods this process's connection socket with doorbell bytes for `time`: fills it until
/// `EAGAIN`, then tops it up every 20 ms. Returns the bytes sent.
pub fn flood(time: Duration) -> u64 {
    let socks = sockets_of(std::process::id());
    assert!(!socks.is_empty(), "no socket to flood");
    let (t0, mut sent) = (std::time::Instant::now(), 0u64);
    while t0.elapsed() < time {
        for s in &socks {
            while send_byte(s) {
                sent += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    sent
}

/// The CPU time this thread used so far (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)`): what a
/// "does not spin" check compares before and after a wait.
pub fn thread_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}
