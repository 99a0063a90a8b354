//! `ipckit send` / `ipckit recv` against socat, in both directions, on Unix stream,
//! seqpacket and datagram sockets (paths and abstract names) and TCP on loopback.
//!
//! socat speaks plain bytes, so ipckit uses `--raw` against it on byte streams; one test per
//! direction also checks the framing on the wire (4-byte little-endian length, then the
//! payload) against what socat sees or sends. Datagram and seqpacket sockets keep message
//! boundaries on both sides, framed or not. (socat takes an empty seqpacket record for the
//! end of the connection, so none is sent to it.)

use std::io::Write;
use std::process::{Command, Stdio};

use ipckit_interop::have_tool;
use ipckit_testkit::{ipckit_with_stdin, tmp, unique, Running};

/// `socat -d -d ARGS`, once it printed `ready`.
fn socat(args: &[&str], ready: &str) -> Running {
    let mut cmd = Command::new("socat");
    cmd.args(["-d", "-d"]).args(args);
    Running::start_after(cmd, ready)
}

/// `ipckit send ARGS` with `stdin`, asserting success.
fn send(args: &[&str], stdin: &[u8]) {
    let out = ipckit_with_stdin(&[&["send"], args].concat(), stdin);
    assert!(
        out.status.success(),
        "ipckit send {args:?}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `socat -u - ADDRESS` fed `stdin`, asserting success.
fn socat_send(address: &str, stdin: &[u8]) {
    let mut child = Command::new("socat")
        .args(["-u", "-", address])
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn socat");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "socat -u - {address}: {status:?}");
}

const TEXT: &[u8] = b"hello from one side\nand a second line\n";

/// The TCP port in socat's "listening on AF=2 127.0.0.1:PORT" line.
fn socat_port(line: &str) -> u16 {
    line.rsplit(':')
        .next()
        .unwrap()
        .trim_matches('"')
        .parse()
        .unwrap()
}

// ---- ipckit sends, socat receives ----

#[test]
fn stream_ipckit_to_socat() {
    if !have_tool("socat") {
        return;
    }
    let path = tmp("us");
    let p = path.display().to_string();
    let name = unique("us");
    for (listen, addr) in [
        (format!("UNIX-LISTEN:{p}"), format!("unix:{p}")),
        (format!("ABSTRACT-LISTEN:{name}"), format!("unix:@{name}")),
    ] {
        let socat = socat(&["-u", &listen, "-"], "listening on");
        send(&["--raw", &addr], TEXT);
        assert_eq!(socat.output(), TEXT, "{addr}");
    }
    assert!(!path.exists());
}

#[test]
fn framing_on_the_wire_as_socat_sees_it() {
    if !have_tool("socat") {
        return;
    }
    let name = unique("frame");
    let socat = socat(
        &["-u", &format!("ABSTRACT-LISTEN:{name}"), "-"],
        "listening on",
    );
    send(&[&format!("unix:@{name}"), "abc", ""], b"");
    assert_eq!(socat.output(), b"\x03\0\0\0abc\0\0\0\0");
}

#[test]
fn seqpacket_ipckit_to_socat() {
    if !have_tool("socat") {
        return;
    }
    let path = tmp("sp");
    let p = path.display().to_string();
    let name = unique("sp");
    for (listen, addr) in [
        (
            format!("UNIX-LISTEN:{p},type=5"),
            format!("unix-seqpacket:{p}"),
        ),
        (
            format!("ABSTRACT-LISTEN:{name},type=5"),
            format!("unix-seqpacket:@{name}"),
        ),
    ] {
        let socat = socat(&["-u", &listen, "-"], "listening on");
        send(&[&addr, "one", "two"], b"");
        assert_eq!(socat.output(), b"onetwo", "{addr}");
    }
}

#[test]
fn datagram_ipckit_to_socat() {
    if !have_tool("socat") {
        return;
    }
    let path = tmp("ud");
    let p = path.display().to_string();
    let name = unique("ud");
    for (recv, addr) in [
        (format!("UNIX-RECV:{p}"), format!("unix-dgram:{p}")),
        (
            format!("ABSTRACT-RECV:{name}"),
            format!("unix-dgram:@{name}"),
        ),
    ] {
        let mut socat = socat(&["-u", &recv, "-"], "starting data transfer loop");
        send(&[&addr, "one", "two"], b"");
        assert_eq!(socat.read_stdout(6), b"onetwo", "{addr}");
        // Raw: every chunk of stdin is one datagram.
        send(&["--raw", &addr], b"raw\n");
        assert_eq!(socat.read_stdout(4), b"raw\n", "{addr}");
    }
}

#[test]
fn tcp_ipckit_to_socat() {
    if !have_tool("socat") {
        return;
    }
    let socat = socat(
        &["-u", "TCP-LISTEN:0,bind=127.0.0.1,reuseaddr", "-"],
        "listening on",
    );
    let port = socat_port(socat.ready());
    send(&["--raw", &format!("tcp:127.0.0.1:{port}")], TEXT);
    assert_eq!(socat.output(), TEXT);
}

// ---- socat sends, ipckit receives ----

#[test]
fn stream_socat_to_ipckit() {
    if !have_tool("socat") {
        return;
    }
    let path = tmp("us");
    let p = path.display().to_string();
    let name = unique("us");
    for (addr, connect) in [
        (format!("unix:{p}"), format!("UNIX-CONNECT:{p}")),
        (format!("unix:@{name}"), format!("ABSTRACT-CONNECT:{name}")),
    ] {
        let recv = Running::recv(&["--raw", &addr]);
        socat_send(&connect, TEXT);
        assert_eq!(recv.output(), TEXT, "{addr}");
    }
    assert!(!path.exists(), "ipckit recv left its socket file");
}

#[test]
fn framed_message_from_socat() {
    if !have_tool("socat") {
        return;
    }
    let name = unique("frame");
    let recv = Running::recv(&[&format!("unix:@{name}")]);
    socat_send(
        &format!("ABSTRACT-CONNECT:{name}"),
        b"\x05\0\0\0hello\x00\0\0\0\x02\0\0\0hi",
    );
    assert_eq!(recv.output(), b"hello\n\nhi\n");
}

#[test]
fn seqpacket_socat_to_ipckit() {
    if !have_tool("socat") {
        return;
    }
    let path = tmp("sp");
    let p = path.display().to_string();
    let name = unique("sp");
    for (addr, connect) in [
        (
            format!("unix-seqpacket:{p}"),
            format!("UNIX-CONNECT:{p},type=5"),
        ),
        (
            format!("unix-seqpacket:@{name}"),
            format!("ABSTRACT-CONNECT:{name},type=5"),
        ),
    ] {
        // One record per chunk socat reads from stdin; ipckit prints it and a newline.
        let recv = Running::recv(&[&addr]);
        socat_send(&connect, b"record");
        assert_eq!(recv.output(), b"record\n", "{addr}");
    }
}

#[test]
fn datagram_socat_to_ipckit() {
    if !have_tool("socat") {
        return;
    }
    let path = tmp("ud");
    let p = path.display().to_string();
    let name = unique("ud");
    for (addr, sendto) in [
        (format!("unix-dgram:{p}"), format!("UNIX-SENDTO:{p}")),
        (
            format!("unix-dgram:@{name}"),
            format!("ABSTRACT-SENDTO:{name}"),
        ),
    ] {
        let recv = Running::recv(&["--raw", "--count", "1", &addr]);
        socat_send(&sendto, b"datagram\n");
        assert_eq!(recv.output(), b"datagram\n", "{addr}");
    }
    assert!(!path.exists(), "ipckit recv left its socket file");
}

#[test]
fn tcp_socat_to_ipckit() {
    if !have_tool("socat") {
        return;
    }
    let recv = Running::recv(&["--raw", "tcp:127.0.0.1:0"]);
    let port = recv.recv_address().rsplit(':').next().unwrap().to_string();
    socat_send(&format!("TCP:127.0.0.1:{port}"), TEXT);
    assert_eq!(recv.output(), TEXT);
}
