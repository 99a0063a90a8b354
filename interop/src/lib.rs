//! Support for the interop tests: finding the third-party peers and talking to Python. What
//! the CLI tests share too (running the built `ipckit`, unique names and keys, cleanup
//! guards, background processes) is in `ipckit-testkit`.
//!
//! A peer that is missing skips its test with a message on a developer's machine, and fails
//! it under CI (`CI` set in the environment), where `.ci/run` installs every peer.

use std::process::Command;

/// Whether the peer program `tool` is on `PATH`. Missing: under CI this panics, elsewhere it
/// prints why the test is skipped and returns `false`.
pub fn have_tool(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    found || missing(&format!("program `{tool}`"))
}

/// Whether `python3` can import `module`. Missing: as [`have_tool`].
pub fn have_python_module(module: &str) -> bool {
    let found = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    found || missing(&format!("python3 module `{module}`"))
}

fn missing(what: &str) -> bool {
    assert!(
        std::env::var_os("CI").is_none(),
        "interop peer {what} is missing under CI: .ci/run must install it"
    );
    eprintln!("skipped: interop peer {what} is not installed (.ci/run installs it)");
    false
}

/// A Python peer: `python3 -c "import sys, <modules>\n<script>"` with `sys.argv[1:] = args`,
/// talked to line by line over its stdin and stdout (stderr passes through).
pub struct Py {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    out: std::io::BufReader<std::process::ChildStdout>,
}

impl Py {
    /// Starts `script` after `import sys, <modules>` (`modules` comma-separated, e.g.
    /// `"posix_ipc, mmap"`).
    ///
    /// # Panics
    /// If `python3` cannot be started.
    pub fn start(modules: &str, script: &str, args: &[&str]) -> Py {
        use std::process::Stdio;
        let mut child = Command::new("python3")
            .arg("-c")
            .arg(format!("import sys, {modules}\n{script}"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start python3");
        let stdin = child.stdin.take();
        let out = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
        Py { child, stdin, out }
    }

    /// The peer's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next line the peer prints, without its newline; empty at the end of its output.
    ///
    /// # Panics
    /// If reading fails.
    pub fn line(&mut self) -> String {
        use std::io::BufRead;
        let mut l = String::new();
        self.out.read_line(&mut l).expect("read from python");
        l.trim_end().to_string()
    }

    /// Writes `line` and a newline to the peer's stdin.
    ///
    /// # Panics
    /// If the peer's stdin is closed or writing fails.
    pub fn tell(&mut self, line: &str) {
        use std::io::Write;
        let w = self.stdin.as_mut().expect("stdin still open");
        writeln!(w, "{line}")
            .and_then(|_| w.flush())
            .expect("write to python");
    }

    /// Closes the peer's stdin, waits for it, asserts it succeeded and returns the rest of its
    /// output lines.
    ///
    /// # Panics
    /// If the peer failed (its remaining output is in the message).
    pub fn finish(mut self) -> Vec<String> {
        use std::io::BufRead;
        drop(self.stdin.take());
        let rest: Vec<String> = (&mut self.out)
            .lines()
            .map(|l| l.expect("read from python"))
            .collect();
        let status = self.child.wait().expect("wait for python");
        assert!(
            status.success(),
            "python failed: {status:?}; output {rest:?}"
        );
        rest
    }
}

impl Drop for Py {
    /// Never leaves a blocked Python behind when a test fails: kills and reaps the peer.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `channel::connect(address)`, retried every 20 ms for up to `within` while the listener
/// is not up yet (a bridge or peer process that is still starting); panics naming the
/// address and the last error after that.
pub fn connect_within(
    address: &ipckit::channel::Address,
    within: std::time::Duration,
) -> ipckit::channel::Sender {
    let until = std::time::Instant::now() + within;
    loop {
        match ipckit::channel::connect(address) {
            Ok(tx) => return tx,
            Err(_) if std::time::Instant::now() < until => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            Err(e) => panic!("connect {address}: {e}"),
        }
    }
}
