//! fd passing (`SCM_RIGHTS`) and abstract addresses against Python's `socket` module
//! (`socket.send_fds`/`socket.recv_fds`, Python 3.9+), a peer nobody here wrote.
//!
//! Python spells an abstract address `"\0name"` and passes it with the tight length
//! (`sizeof(sun_family) + 1 + len(name)`); ipckit's `@name` must be the very same socket.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsFd;
use std::process::{Child, ChildStdout, Command, Stdio};

use ipckit::net::unix::{SocketAddr, UnixListener, UnixStream};
use ipckit::pipe::{pipe, PipeReader};
use ipckit_testkit::unique;

/// The tests here run one at a time: one of them counts this process's open fds.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

fn have_python() -> bool {
    if !ipckit_interop::have_tool("python3") {
        return false;
    }
    // send_fds/recv_fds arrived in Python 3.9.
    let has = Command::new("python3")
        .args([
            "-c",
            "import socket, sys; sys.exit(0 if hasattr(socket, 'send_fds') else 1)",
        ])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        has || std::env::var_os("CI").is_none(),
        "python3 under CI lacks socket.send_fds (Python 3.9+ needed)"
    );
    if !has {
        eprintln!("skipped: python3 lacks socket.send_fds (Python 3.9+ needed)");
    }
    has
}

/// `python3 -c SCRIPT ARGS...` with stdout piped (its lines are read as handshakes).
fn python(script: &str, args: &[&str]) -> (Child, BufReader<ChildStdout>) {
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn python3");
    let out = BufReader::new(child.stdout.take().unwrap());
    (child, out)
}

fn line(out: &mut BufReader<ChildStdout>) -> String {
    let mut l = String::new();
    out.read_line(&mut l).expect("read python stdout");
    l.trim_end().to_string()
}

fn finish(mut child: Child, mut out: BufReader<ChildStdout>) -> String {
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "python peer failed: {status}\n{rest}");
    rest
}

/// Python connects to an ipckit listener on `\0NAME`, sends two pipe read ends with
/// `socket.send_fds`, and reports the peer address it sees.
const PY_SEND_FDS: &str = r#"
import os, socket, sys
name = sys.argv[1].encode()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(b"\0" + name)
print("peername", repr(s.getpeername()), flush=True)
fds = []
for text in (b"first pipe", b"second pipe"):
    r, w = os.pipe()
    os.write(w, text)
    os.close(w)
    fds.append(r)
socket.send_fds(s, [b"fds"], fds)
for fd in fds:
    os.close(fd)
s.close()
"#;

#[test]
fn python_send_fds_reaches_an_ipckit_receiver_on_an_abstract_name() {
    let _serial = serial();
    if !have_python() {
        return;
    }
    let name = unique("py-to-ipckit");
    let listener = UnixListener::bind(&SocketAddr::abstract_name(&name)).unwrap();
    let (child, mut out) = python(PY_SEND_FDS, &[&name]);
    let conn = listener.accept().unwrap();
    // Python sees exactly "\0name": the address ipckit bound has no NUL padding.
    assert_eq!(line(&mut out), format!("peername b'\\x00{name}'"));
    assert_eq!(conn.peer_cred().unwrap().pid, child.id());

    let mut buf = [0u8; 16];
    let (n, fds) = conn.recv_fds(&mut buf, 8).unwrap();
    assert_eq!(&buf[..n], b"fds");
    let texts: Vec<String> = fds
        .into_iter()
        .map(|fd| {
            let mut s = String::new();
            PipeReader::from(fd).read_to_string(&mut s).unwrap();
            s
        })
        .collect();
    assert_eq!(texts, ["first pipe", "second pipe"]);
    finish(child, out);
}

/// Python listens on `\0NAME`, receives a message with up to 4 fds with `socket.recv_fds`,
/// reads each one to its end and prints what it read, plus its local address.
const PY_RECV_FDS: &str = r#"
import os, socket, sys
name = sys.argv[1].encode()
l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
l.bind(b"\0" + name)
l.listen(1)
print("ready", flush=True)
c, _ = l.accept()
msg, fds, flags, _ = socket.recv_fds(c, 64, 4)
print("msg", msg.decode(), "fds", len(fds), "flags", flags)
for fd in fds:
    data = b""
    while True:
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    print("read", data.decode())
    os.close(fd)
"#;

#[test]
fn an_ipckit_sender_passes_fds_to_python_recv_fds_on_an_abstract_name() {
    let _serial = serial();
    if !have_python() {
        return;
    }
    let name = unique("ipckit-to-py");
    let (child, mut out) = python(PY_RECV_FDS, &[&name]);
    assert_eq!(line(&mut out), "ready");
    // If ipckit padded the abstract address with NULs, this would be another name, and
    // connect would be refused.
    let conn = UnixStream::connect(&SocketAddr::abstract_name(&name)).unwrap();
    assert_eq!(
        conn.peer_addr().unwrap(),
        SocketAddr::Abstract(name.clone().into_bytes())
    );

    let (r1, mut w1) = pipe().unwrap();
    let (r2, mut w2) = pipe().unwrap();
    conn.send_fds(b"two pipes", &[r1.as_fd(), r2.as_fd()])
        .unwrap();
    drop((r1, r2));
    w1.write_all(b"Hello Python!").unwrap();
    w2.write_all(b"from ipckit").unwrap();
    drop((w1, w2));

    let rest = finish(child, out);
    assert_eq!(
        rest.lines().collect::<Vec<_>>(),
        [
            "msg two pipes fds 2 flags 0",
            "read Hello Python!",
            "read from ipckit"
        ]
    );
}

/// Python connects to `\0NAME` and sends more fds than the ipckit receiver allows.
const PY_SEND_MANY: &str = r#"
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(b"\0" + sys.argv[1].encode())
r, w = os.pipe()
socket.send_fds(s, [b"six"], [r] * 6)
s.send(b"after")
print("sent", flush=True)
s.recv(1)
"#;

#[test]
fn more_fds_from_python_than_allowed_is_an_error_and_closes_them() {
    use ipckit::net::unix::UnixSeqpacketListener;
    let _serial = serial();
    if !have_python() {
        return;
    }
    let name = unique("py-ctrunc");
    let listener = UnixSeqpacketListener::bind(&SocketAddr::abstract_name(&name)).unwrap();
    let (child, mut out) = python(PY_SEND_MANY, &[&name]);
    let conn = listener.accept().unwrap();
    assert_eq!(line(&mut out), "sent");
    let open = || std::fs::read_dir("/proc/self/fd").unwrap().count();
    let before = open();
    let mut buf = [0u8; 16];
    let err = conn.recv_fds(&mut buf, 2).unwrap_err();
    assert_eq!(err.kind(), ipckit::ErrorKind::TooLarge, "{err}");
    assert!(err.to_string().contains("MSG_CTRUNC"), "{err}");
    assert_eq!(open(), before, "the fds that arrived were closed");
    let n = conn.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"after");
    conn.send(b"k").unwrap();
    finish(child, out);
}
