//! Shared test support: unique names and keys, and peers that are real processes.
//!
//! A test file that needs a peer process declares
//!
//! ```ignore
//! mod common;
//!
//! /// The peer-process entry point (see `common::run_peer`).
//! #[test]
//! fn peer() {
//!     common::run_peer(|role, args| match role {
//!         "reader" => { /* ... */ }
//!         other => panic!("unknown peer role {other}"),
//!     });
//! }
//! ```
//!
//! and starts it with [`Peer::spawn`]`("reader", &[...])`: the test binary re-executes itself
//! running only `peer`, in a new process. What the peer wants the test to read it prints with
//! [`say`]; [`Peer::wait_lines`] returns those lines. Run as an ordinary test (no
//! `IPCKIT_PEER`), `peer` checks the entry point itself: a re-executed copy of the binary
//! answers a ping (so it is a real test, not an ignored one).
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

mod live;
#[allow(unused_imports)]
pub use live::Live;
/// The typed suites' message type (also included by `interop/tests/msgpack.rs`).
#[cfg(feature = "serde")]
pub mod reading;
/// The typed suites' transport rows and shared peer role.
#[cfg(feature = "serde")]
pub mod typed_rows;

/// A current-thread tokio runtime with I/O and timers, as the async suites run their tests.
#[cfg(feature = "tokio")]
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

const PEER_ENV: &str = "IPCKIT_PEER";
const SAY_PREFIX: &str = "@@peer ";
/// The role [`run_peer`] answers itself, to check the entry point.
const PING_ROLE: &str = "__ping";

/// A name unique to this process and call: `ipckit-test-<pid>-<start>-<n>-<tag>`.
///
/// `<start>` is this process's start time in microseconds (low 24 bits, hex), so that a
/// later process with the same pid does not meet a file a killed run left behind.
pub fn unique_name(tag: &str) -> String {
    static START: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    let start = *START.get_or_init(|| {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        (t.as_micros() & 0xff_ffff) as u32
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("ipckit-test-{}-{start:x}-{n}-{tag}", std::process::id())
}

/// A System V key unique to this process and call (positive, never `IPC_PRIVATE`).
pub fn unique_key() -> i32 {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) & 0xff;
    let pid = std::process::id() & 0x3f_ffff;
    (0x4000_0000 | (pid << 8) as i32 | n as i32) & 0x7fff_ffff
}

/// A path in the temp dir unique to this process and call.
pub fn unique_path(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(unique_name(tag))
}

/// Runs the peer role this process was started for, then exits with status 0 (a panic in the
/// role exits non-zero). Without `IPCKIT_PEER` set (run as a test) it checks the entry point:
/// this binary re-executed as a peer answers [`PING_ROLE`] with `pong`.
pub fn run_peer(f: impl FnOnce(&str, &[String])) {
    let Ok(role) = std::env::var(PEER_ENV) else {
        assert_eq!(Peer::spawn(PING_ROLE, &[]).wait_lines(), ["pong"]);
        return;
    };
    if role == PING_ROLE {
        say("pong");
        use std::io::Write;
        let _ = std::io::stdout().flush();
        std::process::exit(0);
    }
    let args: Vec<String> = std::env::var("IPCKIT_PEER_ARGS")
        .map(|s| {
            s.split('\u{1f}')
                .filter(|a| !a.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    f(&role, &args);
    use std::io::Write;
    let _ = std::io::stdout().flush();
    std::process::exit(0);
}

/// Prints a line for the test to read with [`Peer::wait_lines`].
pub fn say(line: impl std::fmt::Display) {
    println!("{SAY_PREFIX}{line}");
}

/// A peer process: this test binary re-executed to run one role.
pub struct Peer {
    child: Child,
}

impl Peer {
    /// The command that runs `role` with `args`; adjust it (fds, env) before [`Peer::from_command`].
    pub fn command(role: &str, args: &[&str]) -> Command {
        let exe = std::env::current_exe().expect("current_exe");
        let mut cmd = Command::new(exe);
        // --include-ignored: so a `peer` entry point runs even where a file marks it ignored.
        cmd.args([
            "--exact",
            "peer",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(PEER_ENV, role)
        .env("IPCKIT_PEER_ARGS", args.join("\u{1f}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
        cmd
    }

    /// Starts `role` with `args` in a new process.
    pub fn spawn(role: &str, args: &[&str]) -> Peer {
        Peer::from_command(Peer::command(role, args))
    }

    /// Starts a command made by [`Peer::command`].
    pub fn from_command(mut cmd: Command) -> Peer {
        Peer {
            child: cmd.spawn().expect("spawn peer"),
        }
    }

    /// Starts a command made by [`Peer::command`] and wrapped in an ipckit
    /// [`Spawner`](ipckit::pipe::Spawner) (which closes the parent's copies of the pipe ends
    /// it handed over once the child runs).
    pub fn from_spawner(spawner: ipckit::pipe::Spawner) -> Peer {
        Peer {
            child: spawner.spawn().expect("spawn peer"),
        }
    }

    /// The peer's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The child process, to signal or kill it.
    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Waits for the peer, asserts it succeeded, and returns the lines it [`say`]s.
    pub fn wait_lines(self) -> Vec<String> {
        let out = self.child.wait_with_output().expect("wait for peer");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "peer failed: {:?}\n{stdout}",
            out.status
        );
        stdout
            .lines()
            // libtest prints "test peer ... " without a newline before the role's output, so
            // the first line said may follow it on the same line.
            .filter_map(|l| {
                l.find(SAY_PREFIX)
                    .map(|i| l[i + SAY_PREFIX.len()..].to_string())
            })
            .collect()
    }

    /// Waits for the peer and returns its exit status without asserting on it.
    pub fn wait(mut self) -> std::process::ExitStatus {
        self.child.wait().expect("wait for peer")
    }
}
