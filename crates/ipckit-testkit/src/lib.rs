//! Test support shared by the `ipckit` CLI tests (`crates/ipckit-cli/tests`) and `interop/`:
//! running the built `ipckit` binary, names and keys no other test or process uses, a guard
//! that removes what a test made, and a background process awaited until it says it is
//! ready.
//!
//! The binary is found the way `assert_cmd` finds it: beside the test executable
//! (`target/<profile>/deps/<test>` runs `target/<profile>/ipckit`). Cargo builds it before
//! the integration tests of `ipckit-cli`; for `interop/` alone, `cargo build -p ipckit-cli`
//! first (`cargo test --workspace` does both).
//!
//! ```no_run
//! use ipckit_testkit::{json, ok, posix_name, Cleanup};
//! let mut clean = Cleanup::default();
//! let name = posix_name("shm");
//! clean.shms.push(name.clone());
//! ok(&["mk", "--posix-shm", &name, "--size", "10"]);
//! assert!(json(&["ls", "-M", "--json"])["posix"]["segments"].is_array());
//! ```

use std::io::{BufRead, BufReader, Read};

use ipckit::Named;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ipckit::posix::mq::MessageQueue as PosixQueue;
use ipckit::posix::sem::Semaphore as PosixSemaphore;
use ipckit::posix::shm::SharedMemory as PosixShm;
use ipckit::sysv::key::Key;
use ipckit::sysv::msg::MessageQueue;
use ipckit::sysv::sem::SemaphoreSet;
use ipckit::sysv::shm::SharedMemory;
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// The binary

/// The `ipckit` binary built beside the running test (`target/<profile>/ipckit`).
///
/// # Panics
/// If it is not built (`cargo build -p ipckit-cli`; `cargo test --workspace` builds it).
pub fn bin() -> PathBuf {
    if let Some(p) = std::env::var_os("CARGO_BIN_EXE_ipckit") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("current_exe");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test binary under target/<profile>/deps");
    let bin = dir.join(format!("ipckit{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p ipckit-cli` (cargo test --workspace builds it)",
        bin.display()
    );
    bin
}

/// A [`Command`] for the `ipckit` binary, without arguments.
pub fn command() -> Command {
    Command::new(bin())
}

/// Runs `ipckit ARGS` to the end and returns what it did.
///
/// # Panics
/// If it cannot be started.
pub fn ipckit(args: &[&str]) -> Output {
    command().args(args).output().expect("run ipckit")
}

/// Runs `ipckit ARGS` with `stdin` written to its standard input (then closed), to the end.
///
/// # Panics
/// If it cannot be started or written to.
pub fn ipckit_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ipckit");
    let mut input = child.stdin.take().expect("piped stdin");
    input.write_all(stdin).expect("write ipckit's stdin");
    drop(input);
    child.wait_with_output().expect("wait for ipckit")
}

/// Runs `ipckit ARGS`, asserts it succeeded and returns its standard output.
///
/// # Panics
/// If it failed (its stderr is in the message) or printed other than UTF-8.
pub fn ok(args: &[&str]) -> String {
    let out = ipckit(args);
    assert!(
        out.status.success(),
        "ipckit {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Runs `ipckit ARGS` (which should include `--json`), asserts it succeeded and parses its
/// output.
///
/// # Panics
/// As [`ok`], and if the output is not JSON.
pub fn json(args: &[&str]) -> Value {
    serde_json::from_str(&ok(args)).expect("JSON output")
}

/// Asserts that a finished `ipckit` succeeded, showing its status and stderr if not.
///
/// # Panics
/// If it did not.
pub fn assert_ok(o: &Output) {
    assert!(
        o.status.success(),
        "ipckit failed: {:?}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Its standard output as text (lossy).
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Its standard error as text (lossy).
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Names and keys

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A name no other test (in this process or another) uses: `ipckit-test-PID-N-TAG`.
pub fn unique(tag: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("ipckit-test-{}-{n}-{tag}", std::process::id())
}

/// A POSIX object name (leading slash) no other test uses: `/ipckit-test-PID-N-TAG`.
pub fn posix_name(tag: &str) -> String {
    format!("/{}", unique(tag))
}

/// A path in the temporary directory no other test uses.
pub fn tmp(tag: &str) -> PathBuf {
    std::env::temp_dir().join(unique(tag))
}

/// A System V key no other test uses: `0x5` then 22 bits of the pid then 8 of a counter.
pub fn unique_key() -> Key {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) & 0xff;
    Key::new(0x5000_0000 | ((std::process::id() & 0x3f_ffff) << 8) as i32 | n as i32)
}

// ---------------------------------------------------------------------------------------------
// Cleanup

/// Removes the objects a test made (through the CLI or a peer), also when the test fails:
/// push each one as soon as it exists. Errors (already gone) are ignored.
#[derive(Debug, Default)]
pub struct Cleanup {
    /// System V message queue ids.
    pub queues: Vec<i32>,
    /// System V shared-memory segment ids.
    pub segments: Vec<i32>,
    /// System V semaphore set ids.
    pub sets: Vec<i32>,
    /// System V keys: whatever queue, segment or set has one is removed.
    pub keys: Vec<Key>,
    /// POSIX message queue names.
    pub mqs: Vec<String>,
    /// POSIX shared-memory names.
    pub shms: Vec<String>,
    /// POSIX semaphore names.
    pub sems: Vec<String>,
}

impl Cleanup {
    /// A guard removing whatever System V object has `key`.
    pub fn key(key: Key) -> Cleanup {
        let mut c = Cleanup::default();
        c.keys.push(key);
        c
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for &id in &self.queues {
            let _ = MessageQueue::from_id(id).and_then(MessageQueue::remove);
        }
        for &id in &self.segments {
            let _ = SharedMemory::from_id(id).and_then(SharedMemory::remove);
        }
        for &id in &self.sets {
            let _ = SemaphoreSet::from_id(id).and_then(SemaphoreSet::remove);
        }
        for &key in &self.keys {
            if let Ok(q) = MessageQueue::builder(key).open() {
                let _ = q.remove();
            }
            if let Ok(s) = SharedMemory::builder(key, 0).open() {
                let _ = s.remove();
            }
            if let Ok(s) = SemaphoreSet::builder(key, 0).no_init_wait().open() {
                let _ = s.remove();
            }
        }
        for n in &self.mqs {
            let _ = PosixQueue::unlink(n);
        }
        for n in &self.shms {
            let _ = PosixShm::unlink(n);
        }
        for n in &self.sems {
            let _ = PosixSemaphore::unlink(n);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Background processes

/// What `ipckit recv` prints on stderr once it listens, before the address.
pub const RECV_READY: &str = "ipckit recv: listening on ";

/// A process running in the background, started with stdin, stdout and stderr piped and
/// returned once its stderr said it is ready. The rest of its stderr is collected (and echoed
/// to the test's own stderr) so it never blocks writing it. Dropped while running, it gets
/// `SIGTERM` (so `ipckit recv` and socat remove their socket files and queues), then
/// `SIGKILL` if it has not ended within five seconds.
#[derive(Debug)]
pub struct Running {
    child: Option<Child>,
    ready: String,
    stderr: Option<JoinHandle<String>>,
}

impl Running {
    /// Starts `cmd`; its first stderr line must start with `ready`.
    ///
    /// # Panics
    /// If it cannot be started or its first line is something else.
    pub fn start(cmd: Command, ready: &str) -> Running {
        Running::spawn(cmd, ready, false)
    }

    /// Starts `cmd` and reads stderr lines until one contains `ready` (for a chatty peer,
    /// such as `socat -d -d`).
    ///
    /// # Panics
    /// If it cannot be started or ends before saying `ready`.
    pub fn start_after(cmd: Command, ready: &str) -> Running {
        Running::spawn(cmd, ready, true)
    }

    /// `ipckit recv ARGS`, once it said where it listens.
    ///
    /// # Panics
    /// As [`Running::start`].
    pub fn recv(args: &[&str]) -> Running {
        let mut cmd = command();
        cmd.arg("recv").args(args);
        Running::start(cmd, RECV_READY)
    }

    fn spawn(mut cmd: Command, ready: &str, skip: bool) -> Running {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
        let mut err = BufReader::new(child.stderr.take().expect("piped stderr"));
        let mut line = String::new();
        loop {
            line.clear();
            let n = err.read_line(&mut line).expect("read stderr");
            assert!(n > 0, "{cmd:?} ended before saying {ready:?}");
            if !skip {
                assert!(line.starts_with(ready), "readiness line: {line:?}");
                break;
            }
            if line.contains(ready) {
                break;
            }
        }
        let stderr = std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = err.read_to_string(&mut rest);
            eprint!("{rest}");
            rest
        });
        Running {
            child: Some(child),
            ready: line.trim_end().to_string(),
            stderr: Some(stderr),
        }
    }

    /// The readiness line, without its newline.
    pub fn ready(&self) -> &str {
        &self.ready
    }

    /// The address `ipckit recv` said it listens on.
    ///
    /// # Panics
    /// If the readiness line is not `ipckit recv`'s.
    pub fn recv_address(&self) -> &str {
        self.ready
            .strip_prefix(RECV_READY)
            .expect("recv readiness line")
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// The child process, to write its stdin or read its stdout directly.
    pub fn child(&mut self) -> &mut Child {
        self.child.as_mut().expect("running")
    }

    /// Reads exactly `n` bytes of its stdout (for a peer that never ends by itself).
    ///
    /// # Panics
    /// If it ends first.
    pub fn read_stdout(&mut self, n: usize) -> Vec<u8> {
        let mut buf = vec![0; n];
        let out = self.child().stdout.as_mut().expect("piped stdout");
        out.read_exact(&mut buf).expect("read stdout");
        buf
    }

    /// Closes its stdin and waits for it to end: its status, stdout and the stderr after the
    /// readiness line.
    ///
    /// # Panics
    /// If waiting fails.
    pub fn finish(mut self) -> (ExitStatus, Vec<u8>, String) {
        let mut child = self.child.take().expect("running");
        drop(child.stdin.take());
        let out = child.wait_with_output().expect("wait");
        let err = self
            .stderr
            .take()
            .map(|t| t.join().unwrap_or_default())
            .unwrap_or_default();
        (out.status, out.stdout, err)
    }

    /// Closes its stdin, waits for it, asserts it succeeded and returns its stdout.
    ///
    /// # Panics
    /// If it failed.
    pub fn output(self) -> Vec<u8> {
        let (status, out, err) = self.finish();
        assert!(status.success(), "failed: {status:?}\n{err}");
        out
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let Some(c) = &mut self.child else { return };
        let _ = ipckit::signal::kill(c.id(), ipckit::signal::Signal::TERM);
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            if !matches!(c.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = c.kill();
        let _ = c.wait();
    }
}
