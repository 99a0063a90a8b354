//! Support for the interop tests: finding the `ipckit` binary and the third-party peers.
//!
//! A peer that is missing skips its test with a message on a developer's machine, and fails
//! it under CI (`CI` set in the environment), where `.ci/run` installs every peer.

use std::path::PathBuf;
use std::process::Command;

/// The `ipckit` binary built beside this test (`target/<profile>/ipckit`).
///
/// # Panics
/// If it is not built: `cargo test --workspace` builds it; alone, run
/// `cargo build -p ipckit-cli` first.
pub fn ipckit_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test binary under target/<profile>/deps");
    let bin = dir.join("ipckit");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p ipckit-cli` (cargo test --workspace builds it)",
        bin.display()
    );
    bin
}

/// A `Command` for the `ipckit` binary.
pub fn ipckit() -> Command {
    Command::new(ipckit_bin())
}

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
