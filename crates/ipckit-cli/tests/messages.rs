//! Messages for people (issue 13, point 8), through the built binary: durations as a person
//! writes them, one wording for a bad pid, a directory given as a socket path, the address
//! forms pointed at instead of repeated, and a message argument that is not UTF-8 sent as
//! its bytes.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt as _;
use std::time::{Duration, Instant};

use ipckit_testkit::{assert_ok, command, ipckit, stderr, tmp, Running};

/// Whether `text` holds a Rust `Debug` duration (`999.99367ms`, `0ns`, `1.5s`): digits
/// followed at once by a unit.
fn has_debug_duration(text: &str) -> bool {
    let b = text.as_bytes();
    (1..b.len()).any(|i| {
        b[i - 1].is_ascii_digit()
            && ["ns", "µs", "ms", "s "]
                .iter()
                .any(|u| text[i..].starts_with(u) || (*u == "s " && text[i..] == *"s\n"))
    })
}

#[test]
fn timeouts_read_as_people_write_them() {
    let fifo = tmp("msg-fifo");
    let fifo_addr = format!("fifo:{}", fifo.display());
    let sock_addr = format!("unix:{}", tmp("msg-sock").display());
    let cases: [(&[&str], &str); 4] = [
        (&["signal", "wait", "USR1", "--timeout", "1"], "within 1 s"),
        (&["signal", "wait", "USR1", "--timeout", "0"], "within 0 s"),
        (&["recv", &sock_addr, "--timeout", "0.25"], "within 250 ms"),
        (
            &["send", &fifo_addr, "x", "--timeout", "0.25"],
            "within 250 ms",
        ),
    ];
    // send fifo: waits for a reader, which never comes.
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    for (args, want) in cases {
        let out = ipckit(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "ipckit {args:?}: {err}");
        assert!(err.contains(want), "ipckit {args:?}: {want:?} not in {err}");
        let last = err.lines().last().unwrap_or_default();
        assert!(!has_debug_duration(last), "ipckit {args:?}: {last}");
    }
    std::fs::remove_file(&fifo).unwrap();
    assert!(!has_debug_duration("within 1 s\n") && has_debug_duration("within 999.9ms"));
}

#[test]
fn every_bad_pid_has_the_same_wording() {
    for pid in ["0", "-5", "99999999999", "2147483648", "x"] {
        let out = ipckit(&["signal", "send", "--", pid, "USR1"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "pid {pid}: {err}");
        assert!(
            err.contains("a pid is a number from 1 to 2147483647"),
            "pid {pid}: {err}"
        );
    }
}

#[test]
fn a_directory_as_a_socket_path_says_it_is_a_directory() {
    let dir = std::env::temp_dir();
    let dir = dir.to_str().unwrap();
    for args in [
        vec![
            "recv".to_string(),
            format!("unix:{dir}"),
            "--timeout".into(),
            "1".into(),
        ],
        vec!["send".to_string(), format!("unix:{dir}"), "hi".into()],
        vec![
            "recv".to_string(),
            format!("unix-dgram:{dir}"),
            "--timeout".into(),
            "1".into(),
        ],
        vec!["send".to_string(), format!("fifo:{dir}"), "hi".into()],
    ] {
        let out = command().args(&args).output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(&format!("{dir} is a directory")),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn an_address_typo_is_one_line_and_a_pointer_to_help() {
    let out = ipckit(&["send", "nosuch:x", "hi"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("unknown scheme \"nosuch\""), "{err}");
    assert!(err.contains("--help"), "{err}");
    // Clap's own lines (error, blank, "For more information") plus ours: not the
    // nine-line list.
    assert!(err.lines().count() <= 5, "{err}");
    assert!(!err.contains("posix-mq:/NAME"), "{err}");
}

#[test]
fn a_message_that_is_not_utf8_is_sent_as_its_bytes() {
    let addr = format!("unix:{}", tmp("msg-bytes").display());
    let recv = Running::recv(&[&addr, "--count", "1"]);
    let started = Instant::now();
    let out = command()
        .args(["send", recv.recv_address()])
        .arg(OsStr::from_bytes(b"\xff\xfe"))
        .output()
        .unwrap();
    assert_ok(&out);
    assert!(started.elapsed() < Duration::from_secs(30));
    // Framed on the way; recv prints the payload as it came, then a newline.
    assert_eq!(recv.output(), b"\xff\xfe\n");
}
