//! `ipckit send` / `ipckit recv` on FIFOs against the shell's own tools: `echo` and
//! `printf` writing with a redirection, `cat` reading.
//!
//! With `--raw` ipckit speaks plain bytes; without it, the bytes on the FIFO are the
//! documented framing (4-byte little-endian length, then the payload), which `printf` can
//! write and `cat` shows.

use std::process::{Child, Command, Stdio};

use ipckit::fifo::Fifo;
use ipckit_interop::have_tool;
use ipckit_testkit::{command, tmp, Running};

/// Waits for `child` (started with stdout piped), asserts success, returns its stdout.
fn output(child: Child) -> Vec<u8> {
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    out.stdout
}

/// `sh -c SCRIPT sh PATH` (the FIFO is `$1`), asserting success.
fn shell(script: &str, path: &std::path::Path) {
    let status = Command::new("sh")
        .args(["-c", script, "sh"])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "{script}: {status:?}");
}

/// `cat PATH` started before the writer (its open waits for one).
fn cat(path: &std::path::Path) -> Child {
    Command::new("cat")
        .arg(path)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn cat")
}

fn ipckit_send(args: &[&str]) {
    let status = command().arg("send").args(args).status().unwrap();
    assert!(status.success(), "ipckit send {args:?}: {status:?}");
}

#[test]
fn echo_into_ipckit_recv() {
    if !have_tool("sh") {
        return;
    }
    let path = tmp("fifo");
    let rx = Running::recv(&["--raw", &format!("fifo:{}", path.display())]);
    shell(r#"echo "hello from echo" > "$1""#, &path);
    assert_eq!(rx.output(), b"hello from echo\n");
    assert!(
        !path.exists(),
        "ipckit recv created the FIFO and must remove it"
    );
}

#[test]
fn ipckit_send_into_cat() {
    if !have_tool("cat") {
        return;
    }
    let fifo = Fifo::create_new(tmp("fifo")).unwrap();
    let reader = cat(fifo.path());
    let addr = format!("fifo:{}", fifo.path().display());
    ipckit_send(&["--raw", &addr, "hello", "from ipckit"]);
    assert_eq!(output(reader), b"hello\nfrom ipckit\n");
}

#[test]
fn printf_frames_into_ipckit_recv() {
    if !have_tool("sh") {
        return;
    }
    let path = tmp("fifo");
    let rx = Running::recv(&[&format!("fifo:{}", path.display())]);
    // Two frames: "abc" (length 3) and the empty message.
    shell(
        r#"printf '\003\000\000\000abc\000\000\000\000' > "$1""#,
        &path,
    );
    assert_eq!(rx.output(), b"abc\n\n");
}

#[test]
fn ipckit_frames_as_cat_sees_them() {
    if !have_tool("cat") {
        return;
    }
    let fifo = Fifo::create_new(tmp("fifo")).unwrap();
    let reader = cat(fifo.path());
    ipckit_send(&[&format!("fifo:{}", fifo.path().display()), "abc", ""]);
    assert_eq!(output(reader), b"\x03\0\0\0abc\0\0\0\0");
}

#[test]
fn recv_keeps_a_fifo_it_did_not_create() {
    if !have_tool("sh") {
        return;
    }
    let fifo = Fifo::create_new(tmp("fifo")).unwrap();
    let rx = Running::recv(&["--raw", &format!("fifo:{}", fifo.path().display())]);
    shell(r#"echo kept > "$1""#, fifo.path());
    assert_eq!(rx.output(), b"kept\n");
    assert!(
        fifo.path().exists(),
        "the FIFO belongs to the test, not to ipckit recv"
    );
}
