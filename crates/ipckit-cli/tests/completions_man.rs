//! `ipckit completions` and `ipckit man` through the real binary: every shell's script, the
//! man pages written into a temporary directory, and their rendering by `man`/`groff`.

use std::path::{Path, PathBuf};
use std::process::Command;

use ipckit_testkit::{ipckit, ok, stderr, tmp};

const SHELLS: [&str; 5] = ["bash", "zsh", "fish", "elvish", "powershell"];

/// Whether a program is on `PATH` (`command -v`).
fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program} >/dev/null 2>&1")])
        .status()
        .is_ok_and(|s| s.success())
}

/// A temporary directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        TempDir(tmp(tag))
    }
    fn path(&self) -> &Path {
        &self.0
    }
    fn arg(&self) -> &str {
        self.0.to_str().expect("temporary path is UTF-8")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn every_shell_script_names_the_subcommands() {
    for shell in SHELLS {
        let script = ok(&["completions", shell]);
        assert!(!script.trim().is_empty(), "{shell}: empty script");
        for sub in ["send", "recv", "bench"] {
            assert!(
                script.contains(sub),
                "{shell}: script does not name `{sub}`"
            );
        }
        assert!(
            !script.contains("__bench-peer"),
            "{shell}: script names the hidden peer"
        );
    }
}

#[test]
fn bash_script_passes_bash_syntax_check() {
    if !have("bash") {
        println!("skipped: bash is not installed");
        return;
    }
    let dir = TempDir::new("completions-bash");
    std::fs::create_dir_all(dir.path()).unwrap();
    let file = dir.path().join("ipckit.bash");
    std::fs::write(&file, ok(&["completions", "bash"])).unwrap();
    let out = Command::new("bash").arg("-n").arg(&file).output().unwrap();
    assert!(
        out.status.success(),
        "bash -n rejected the script: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bad_shell_is_a_usage_error_listing_the_five() {
    let out = ipckit(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr(&out));
    let err = stderr(&out);
    for shell in SHELLS {
        assert!(
            err.contains(shell),
            "usage error does not list {shell}: {err}"
        );
    }
}

#[test]
fn help_says_how_to_install() {
    let help = ok(&["completions", "--help"]);
    assert!(
        help.contains("~/.local/share/bash-completion/completions/ipckit"),
        "{help}"
    );
    let help = ok(&["man", "--help"]);
    assert!(
        help.contains("ipckit man ~/.local/share/man/man1"),
        "{help}"
    );
}

#[test]
fn man_writes_one_page_per_visible_subcommand() {
    let dir = TempDir::new("man-pages");
    // DIR does not exist yet: `ipckit man` creates it.
    let printed = ok(&["man", dir.arg()]);
    let written: Vec<&str> = printed.lines().collect();
    for name in [
        "ipckit",
        "ipckit-bench",
        "ipckit-signal",
        "ipckit-ls",
        "ipckit-limits",
        "ipckit-mk",
        "ipckit-rm",
        "ipckit-dump",
        "ipckit-send",
        "ipckit-recv",
        "ipckit-completions",
        "ipckit-man",
    ] {
        let path = dir.path().join(format!("{name}.1"));
        assert!(
            written.contains(&path.to_str().unwrap()),
            "{name}.1 not printed: {printed}"
        );
        let page = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}.1: {e}"));
        assert!(
            page.starts_with(".ie") || page.starts_with(".TH"),
            "{name}.1: {page:.80}"
        );
        assert!(
            page.lines().any(|l| l.starts_with(".TH ")),
            "{name}.1 has no .TH header"
        );
    }
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            !name.contains("bench-peer"),
            "hidden subcommand got a page: {name}"
        );
        assert!(
            written.iter().any(|w| w.ends_with(&name)),
            "{name} written but not printed"
        );
    }
    let send = std::fs::read_to_string(dir.path().join("ipckit-send.1")).unwrap();
    assert!(
        send.contains("timeout"),
        "ipckit-send.1 does not mention --timeout"
    );
}

#[test]
fn man_page_renders() {
    let dir = TempDir::new("man-render");
    ok(&["man", dir.arg()]);
    let page = dir.path().join("ipckit.1");
    let out = if have("man") {
        Command::new("man")
            .arg("-l")
            .arg(&page)
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .output()
    } else if have("groff") {
        Command::new("groff")
            .args(["-man", "-Tutf8", "-ww"])
            .arg(&page)
            .output()
    } else if have("mandoc") {
        Command::new("mandoc")
            .args(["-T", "lint"])
            .arg(&page)
            .output()
    } else {
        println!("skipped: neither man, groff nor mandoc is installed");
        return;
    }
    .unwrap();
    assert!(
        out.status.success(),
        "rendering ipckit.1 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("ipckit"),
        "rendered page is empty"
    );
}

#[test]
fn man_into_unwritable_dir_names_it_and_the_errno() {
    let out = ipckit(&["man", "/proc/ipckit-no-such-dir"]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("/proc/ipckit-no-such-dir"), "{err}");
    assert!(err.contains("ENOENT"), "{err}");
}
