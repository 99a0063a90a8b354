//! Runs every example in `examples/` as a user would (`cargo run --example NAME`) and checks
//! that it succeeds and prints what it promises. `cargo test` builds the examples into
//! `target/<profile>/examples/` before running this.

mod common;

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test binary under target/<profile>/deps")
        .join("examples");
    dir.join(name)
}

/// Runs the example (killed after 60 s), asserts it succeeded and returns its stdout.
fn run(name: &str, envs: &[(&str, String)]) -> String {
    let path = example(name);
    assert!(path.exists(), "{} was not built", path.display());
    let mut child = Command::new(&path)
        .envs(envs.iter().map(|(k, v)| (*k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn example");
    let mut out = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        out.read_to_string(&mut s).map(|_| s)
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("example {name} still running after 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = reader.join().expect("reader").expect("read stdout");
    assert!(status.success(), "example {name}: {status}\n{stdout}");
    stdout
}

fn assert_prints(name: &str, stdout: &str, wanted: &[&str]) {
    for w in wanted {
        assert!(
            stdout.contains(w),
            "example {name} did not print {w:?}:\n{stdout}"
        );
    }
}

macro_rules! example_test {
    ($name:ident $(, env: $env:expr)?, prints: [$($want:expr),+ $(,)?]) => {
        #[test]
        fn $name() {
            #[allow(unused_mut)]
            let mut envs: Vec<(&str, String)> = Vec::new();
            $(envs.extend($env);)?
            let out = run(stringify!($name), &envs);
            assert_prints(stringify!($name), &out, &[$($want),+]);
        }
    };
}

example_test!(pipe_fork, prints: ["Child received: Hello Child Process!"]);
example_test!(pipe_spawn, prints: ["received: Hello Child Process!"]);
example_test!(fifo_echo, prints: [r#"sent "hello", got back "hello""#, "server: quit"]);
example_test!(unix_echo, prints: [r#"client: sent "bye", got back "bye""#]);
example_test!(
    sysv_msg_key1234,
    env: [("IPCKIT_KEY", common::unique_key().to_string())],
    prints: ["B: received type 1: hello from A"]
);
example_test!(sysv_shm_writer_reader, prints: [r#"says "Linux Programming""#]);
example_test!(sysv_sem_pv, prints: ["counter = 600 (expected 600)"]);
example_test!(posix_mq, prints: [r#"receiver: priority 10: "urgent""#]);
example_test!(posix_sem, prints: ["worker 1: in the critical section"]);
example_test!(posix_shm, prints: [r#"parent: read "pong 2""#]);
example_test!(mmap_file, prints: [r#"parent: the file says "hello, parent!!""#]);
example_test!(signal_handler, prints: ["SIGTERM: cleaning up and leaving"]);
example_test!(signal_ignore, prints: ["while ignoring it: still alive"]);
example_test!(signal_block, prints: ["unblocked: handler got SIGUSR1"]);
#[cfg(feature = "serde")]
example_test!(typed_channel, prints: ["unix:@", "shm-ring:@", "5 readings received"]);
#[cfg(feature = "tokio")]
example_test!(async_echo, prints: [
    "unix: got 18 bytes: client 2 message 1",
    "shm-ring: got 18 bytes: client 2 message 1",
    "unix server done: 6 messages",
    "shm-ring server done: 6 messages",
]);
#[cfg(feature = "pod")]
example_test!(ring_pod, prints: ["received 1000 ticks of 32 bytes in place"]);

#[test]
fn signal_lost_vs_queued() {
    let out = run("signal_lost_vs_queued", &[]);
    // Five of each were sent while blocked: the standard signal arrives once, every
    // real-time one arrives, with its value.
    assert_eq!(out.matches("received SIGUSR1").count(), 1, "{out}");
    assert_eq!(out.matches("received SIGRTMIN+1").count(), 5, "{out}");
    assert_prints(
        "signal_lost_vs_queued",
        &out,
        &["received SIGRTMIN+1 value 500"],
    );
}
