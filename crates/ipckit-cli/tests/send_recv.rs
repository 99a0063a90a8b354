//! `ipckit send` and `ipckit recv` end to end, between real `ipckit` processes, on every
//! address kind; and their errors.

use std::path::PathBuf;
use std::process::Output;

use ipckit_testkit::{assert_ok, command, ipckit_with_stdin, tmp, unique, Running};

/// One address of every kind, fresh.
fn every_address() -> Vec<String> {
    vec![
        format!("fifo:{}", tmp("fifo").display()),
        format!("unix:{}", tmp("us").display()),
        format!("unix:@{}", unique("us")),
        format!("unix-dgram:{}", tmp("ud").display()),
        format!("unix-dgram:@{}", unique("ud")),
        format!("unix-seqpacket:{}", tmp("sp").display()),
        format!("unix-seqpacket:@{}", unique("sp")),
        "tcp:127.0.0.1:0".to_string(),
    ]
}

/// The file an address names, if any.
fn file_of(addr: &str) -> Option<PathBuf> {
    let rest = addr.split_once(':')?.1;
    (rest.starts_with('/')).then(|| PathBuf::from(rest))
}

/// `ipckit send ARGS` with `stdin`.
fn send(args: &[&str], stdin: &[u8]) -> Output {
    ipckit_with_stdin(&[&["send"], args].concat(), stdin)
}

#[test]
fn messages_from_arguments_on_every_address_kind() {
    for addr in every_address() {
        let recv = Running::recv(&[&addr, "--count", "3"]);
        let o = send(&[recv.recv_address(), "one", "two words", ""], b"");
        assert_ok(&o);
        assert_eq!(recv.output(), b"one\ntwo words\n\n", "{addr}");
        if let Some(f) = file_of(&addr) {
            assert!(!f.exists(), "{addr}: recv left {} behind", f.display());
        }
    }
}

#[test]
fn stdin_one_message_per_line_until_the_sender_is_gone() {
    for addr in every_address() {
        // A datagram socket has no sender to lose: count instead.
        let datagram = addr.starts_with("unix-dgram:");
        let recv = if datagram {
            Running::recv(&[&addr, "--count", "3"])
        } else {
            Running::recv(&[&addr])
        };
        let o = send(
            &[recv.recv_address()],
            b"alpha\nbeta\nlast line without newline",
        );
        assert_ok(&o);
        assert_eq!(
            recv.output(),
            b"alpha\nbeta\nlast line without newline\n",
            "{addr}"
        );
    }
}

#[test]
fn raw_bytes_pass_unchanged() {
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    for addr in [
        format!("fifo:{}", tmp("fifo").display()),
        format!("unix:{}", tmp("us").display()),
        format!("unix:@{}", unique("us")),
        "tcp:127.0.0.1:0".to_string(),
    ] {
        let recv = Running::recv(&[&addr, "--raw"]);
        let o = send(&["--raw", recv.recv_address()], &data);
        assert_ok(&o);
        assert!(recv.output() == data, "{addr}: bytes changed");
    }
    // Datagram and seqpacket: each message's bytes, no newline added.
    for addr in [
        format!("unix-dgram:@{}", unique("ud")),
        format!("unix-seqpacket:{}", tmp("sp").display()),
    ] {
        let recv = Running::recv(&[&addr, "--raw", "--count", "2"]);
        let o = send(&["--raw", recv.recv_address(), "x", "y"], b"");
        assert_ok(&o);
        assert_eq!(recv.output(), b"x\ny\n", "{addr}");
    }
}

#[test]
fn recv_takes_senders_one_after_another_until_count() {
    let addr = format!("unix:{}", tmp("us").display());
    let recv = Running::recv(&[&addr, "--count", "2"]);
    assert_ok(&send(&[recv.recv_address(), "first"], b""));
    assert_ok(&send(&[recv.recv_address(), "second"], b""));
    assert_eq!(recv.output(), b"first\nsecond\n");
}

#[test]
fn bad_address_points_at_help_which_lists_the_forms() {
    let forms = [
        "fifo:PATH",
        "unix:@NAME",
        "unix-dgram:PATH|@NAME",
        "unix-seqpacket:PATH|@NAME",
        "tcp:HOST:PORT",
    ];
    for verb in ["send", "recv"] {
        for bad in ["udp:1.2.3.4:5", "unix:", "tcp:nohost", "fifo"] {
            let o = command().args([verb, bad]).output().unwrap();
            assert!(!o.status.success());
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.contains("--help"), "{verb} {bad}: {err}");
            // The list is in --help, not in every error.
            assert!(
                !err.contains("unix-seqpacket:PATH|@NAME"),
                "{verb} {bad}: {err}"
            );
        }
        let help = command().args([verb, "--help"]).output().unwrap();
        let help = String::from_utf8_lossy(&help.stdout);
        for form in forms {
            assert!(help.contains(form), "{verb} --help: {help}");
        }
    }
}

#[test]
fn missing_fifo_names_the_path_and_errno() {
    let path = tmp("missing");
    let o = send(&[&format!("fifo:{}", path.display()), "x"], b"");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.starts_with("ipckit: "), "{err}");
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("ENOENT"), "{err}");
}

#[test]
fn nothing_listening_is_an_error_naming_the_address() {
    let path = tmp("nobody");
    let o = send(&[&format!("unix:{}", path.display()), "x"], b"");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&path.display().to_string()) && err.contains("ENOENT"),
        "{err}"
    );
}

#[test]
fn recv_timeout_without_a_sender_fails() {
    for addr in [
        format!("unix:@{}", unique("us")),
        format!("fifo:{}", tmp("fifo").display()),
        format!("unix-dgram:@{}", unique("ud")),
    ] {
        let o = command()
            .args(["recv", &addr, "--timeout", "0.1"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{addr}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("timed out"), "{addr}: {err}");
        if let Some(f) = file_of(&addr) {
            assert!(!f.exists(), "{addr}: left behind");
        }
    }
}

#[test]
fn recv_removes_its_socket_file_when_terminated() {
    for (sig, code) in [(libc::SIGTERM, 143), (libc::SIGINT, 130)] {
        let path = tmp("term");
        let addr = format!("unix:{}", path.display());
        let recv = Running::recv(&[&addr]);
        assert!(path.exists());
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(recv.pid() as i32),
            nix::sys::signal::Signal::try_from(sig).unwrap(),
        )
        .unwrap();
        let (status, _, _) = recv.finish();
        assert_eq!(status.code(), Some(code));
        assert!(!path.exists(), "socket file left after signal {sig}");
    }
}

#[test]
fn too_long_message_is_refused_by_the_sender() {
    let addr = format!("unix:@{}", unique("us"));
    let recv = Running::recv(&[&addr, "--count", "1"]);
    let o = send(&["--max-message", "4", recv.recv_address(), "toolong"], b"");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("too large"), "{err}");
    assert_ok(&send(&[recv.recv_address(), "ok"], b""));
    assert_eq!(recv.output(), b"ok\n");
}
