//! prefork-httpd between real processes: the built binary (master and its re-executed
//! workers) against std `TcpStream` clients. Each test serves its own temporary root on a
//! free port and checks that its scoreboard is gone from `/dev/shm` at the end.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ipckit::signal::{kill, Signal};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(10);

struct Server {
    child: Option<Child>,
    addr: String,
    root: PathBuf,
    stderr: Arc<Mutex<String>>,
}

fn make_root(tag: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!(
        "ipckit-httpd-test-{tag}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::create_dir_all(root.join("docs")).unwrap();
    std::fs::write(root.join("index.html"), "<h1>home</h1>\n").unwrap();
    std::fs::write(root.join("a.txt"), "hello\n").unwrap();
    std::fs::write(root.join("a b.css"), "p{}\n").unwrap();
    std::fs::write(root.join("docs/index.html"), "<p>docs</p>\n").unwrap();
    let big: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(root.join("big.bin"), big).unwrap();
    std::os::unix::fs::symlink("/etc", root.join("out")).unwrap();
    std::os::unix::fs::symlink("a.txt", root.join("inlink.txt")).unwrap();
    root
}

impl Server {
    fn start(tag: &str, args: &[&str]) -> Server {
        let root = make_root(tag);
        let mut child = Command::new(env!("CARGO_BIN_EXE_prefork-httpd"))
            .args(["--listen", "127.0.0.1:0", "--root"])
            .arg(&root)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start prefork-httpd");
        let mut out = child.stdout.take().unwrap();
        let mut line = Vec::new();
        let mut b = [0u8; 1];
        while out.read(&mut b).unwrap() == 1 && b[0] != b'\n' {
            line.push(b[0]);
        }
        let addr = String::from_utf8(line).unwrap();
        assert!(addr.starts_with("127.0.0.1:"), "first line {addr:?}");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let s = String::from_utf8_lossy(&buf[..n]);
                eprint!("{s}");
                sink.lock().unwrap().push_str(&s);
            }
        });
        let s = Server {
            child: Some(child),
            addr,
            root,
            stderr,
        };
        let n: usize = args
            .iter()
            .position(|a| *a == "--workers")
            .map_or(4, |i| args[i + 1].parse().unwrap());
        s.wait_for(|v| {
            workers(v).len() == n && workers(v).iter().all(|w| w["state"] != "starting")
        });
        s
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    fn segment(&self) -> PathBuf {
        PathBuf::from(format!("/dev/shm/ipckit-httpd-{}", self.pid()))
    }

    fn status(&self) -> Value {
        let (code, _, body) = request(
            &self.addr,
            "GET /server-status?json HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(code, 200);
        serde_json::from_slice(&body).expect("json")
    }

    /// Polls /server-status?json until `f` holds.
    fn wait_for(&self, f: impl Fn(&Value) -> bool) -> Value {
        let t = Instant::now();
        loop {
            let v = self.status();
            if f(&v) {
                return v;
            }
            assert!(t.elapsed() < WAIT, "scoreboard never got there: {v}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn signal(&self, sig: Signal) {
        kill(self.pid(), sig).unwrap();
    }

    /// Waits for the master to exit; its exit code.
    fn wait_exit(&mut self) -> Option<i32> {
        let child = self.child.as_mut().unwrap();
        let t = Instant::now();
        loop {
            if let Some(st) = child.try_wait().unwrap() {
                return st.code();
            }
            assert!(t.elapsed() < WAIT, "master did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            if c.try_wait().ok().flatten().is_none() {
                let _ = kill(c.id(), Signal::TERM);
                let t = Instant::now();
                while c.try_wait().ok().flatten().is_none() && t.elapsed() < WAIT {
                    std::thread::sleep(Duration::from_millis(20));
                }
                let _ = c.kill();
                let _ = c.wait();
            }
            let seg = format!("/dev/shm/ipckit-httpd-{}", c.id());
            if !std::thread::panicking() {
                assert!(!Path::new(&seg).exists(), "{seg} left behind");
            }
            let _ = std::fs::remove_file(seg);
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn workers(v: &Value) -> Vec<Value> {
    v["workers"].as_array().cloned().unwrap_or_default()
}

fn pids(v: &Value) -> Vec<u64> {
    let mut p: Vec<u64> = workers(v)
        .iter()
        .map(|w| w["pid"].as_u64().unwrap())
        .collect();
    p.sort();
    p
}

/// Reads one response from `s`: status, head, body (by Content-Length; `head_only` for
/// HEAD).
fn read_response(s: &mut TcpStream, head_only: bool) -> (u16, String, Vec<u8>) {
    // Byte by byte up to the end of the head, then exactly the body: what follows (a
    // pipelined response) stays in the socket.
    let mut buf = Vec::new();
    let mut b = [0u8; 8192];
    let head_end = loop {
        if buf.ends_with(b"\r\n\r\n") {
            break buf.len();
        }
        let n = s.read(&mut b[..1]).expect("read response");
        assert!(
            n > 0,
            "EOF before a response head: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&b[..n]);
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).unwrap();
    let code: u16 = head[9..12].parse().unwrap();
    let len: usize = header(&head, "content-length")
        .map(|v| v.parse().unwrap())
        .unwrap_or(0);
    let want = if head_only { 0 } else { len };
    let mut body = buf[head_end..].to_vec();
    while body.len() < want {
        let room = (want - body.len()).min(b.len());
        let n = s.read(&mut b[..room]).expect("read body");
        assert!(n > 0, "EOF inside a body");
        body.extend_from_slice(&b[..n]);
    }
    assert_eq!(body.len(), want, "bytes beyond the body");
    (code, head, body)
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
    })
}

fn connect(addr: &str) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    s
}

/// One request on a new connection.
fn request(addr: &str, raw: &str) -> (u16, String, Vec<u8>) {
    let mut s = connect(addr);
    s.write_all(raw.as_bytes()).unwrap();
    read_response(&mut s, raw.starts_with("HEAD "))
}

fn get(addr: &str, path: &str) -> (u16, String, Vec<u8>) {
    request(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"),
    )
}

fn alive(pid: u64) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // Field 3, after the parenthesised command name: Z for a zombie.
        Ok(s) => !s.rsplit_once(") ").is_some_and(|(_, r)| r.starts_with('Z')),
        Err(_) => false,
    }
}

#[test]
fn status_codes() {
    let s = Server::start("codes", &["--workers", "2"]);
    let (c, h, b) = get(&s.addr, "/");
    assert_eq!((c, b.as_slice()), (200, &b"<h1>home</h1>\n"[..]));
    assert_eq!(
        header(&h, "content-type").unwrap(),
        "text/html; charset=utf-8"
    );
    assert!(header(&h, "date").is_some());
    let (c, h, b) = get(&s.addr, "/a.txt");
    assert_eq!((c, b.as_slice()), (200, &b"hello\n"[..]));
    assert_eq!(header(&h, "content-length").unwrap(), "6");
    assert!(header(&h, "content-type")
        .unwrap()
        .starts_with("text/plain"));
    assert_eq!(get(&s.addr, "/a%20b.css").0, 200);
    assert_eq!(get(&s.addr, "/docs/").2, b"<p>docs</p>\n");
    assert_eq!(get(&s.addr, "/docs").0, 200);
    let (c, _, b) = get(&s.addr, "/big.bin");
    assert_eq!((c, b.len()), (200, 1_000_000));
    assert!(b.iter().enumerate().all(|(i, &x)| x == (i % 251) as u8));
    // HEAD: the GET's headers, no body.
    let (c, h, b) = request(&s.addr, "HEAD /a.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(
        (c, header(&h, "content-length").unwrap(), b.len()),
        (200, "6".into(), 0)
    );
    assert_eq!(get(&s.addr, "/nope.html").0, 404);
    assert_eq!(
        get(&s.addr, "/sub/").0,
        403,
        "a directory without index.html"
    );
    let (c, h, _) = request(
        &s.addr,
        "POST /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc",
    );
    assert_eq!(c, 405);
    assert_eq!(header(&h, "allow").unwrap(), "GET, HEAD");
    assert_eq!(
        request(&s.addr, "DELETE / HTTP/1.1\r\nHost: t\r\n\r\n").0,
        405
    );
    assert_eq!(request(&s.addr, "G@T / HTTP/1.1\r\nHost: t\r\n\r\n").0, 400);
    assert_eq!(request(&s.addr, "GET / HTTP/1.1\r\n\r\n").0, 400, "no Host");
    assert_eq!(
        request(&s.addr, "GET /%zz HTTP/1.1\r\nHost: t\r\n\r\n").0,
        400
    );
    assert_eq!(request(&s.addr, "GET / HTTP/2.0\r\nHost: t\r\n\r\n").0, 505);
    assert_eq!(request(&s.addr, "GET / HTTP/1.7\r\nHost: t\r\n\r\n").0, 505);
    let huge = format!(
        "GET / HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n",
        "x".repeat(9000)
    );
    let (c, h, _) = request(&s.addr, &huge);
    assert_eq!(c, 413);
    assert_eq!(header(&h, "connection").unwrap(), "close");
    // HTTP/1.0 without Host is fine.
    assert_eq!(request(&s.addr, "GET /a.txt HTTP/1.0\r\n\r\n").0, 200);
}

#[test]
fn path_escapes_stay_in_the_root() {
    let s = Server::start("escape", &["--workers", "1"]);
    for path in [
        "/../etc/passwd",
        "/../../../../etc/passwd",
        "/%2e%2e/etc/passwd",
        "/%2E%2E/%2e%2e/etc/passwd",
        "/sub/../../etc/passwd",
        "/sub/%2e%2e/%2e%2e/etc/passwd",
        "/..%2fetc/passwd",
        "/out/passwd",
        "/out/",
        "/out",
    ] {
        let (c, _, body) = get(&s.addr, path);
        assert!(c == 403 || c == 404, "{path}: {c}");
        assert!(!String::from_utf8_lossy(&body).contains("root:"), "{path}");
    }
    // `..` that stays inside, and a symlink inside the root, are fine.
    assert_eq!(get(&s.addr, "/sub/../a.txt").2, b"hello\n");
    assert_eq!(get(&s.addr, "/inlink.txt").2, b"hello\n");
}

#[test]
fn keep_alive_and_pipelining() {
    let s = Server::start("keepalive", &["--workers", "1"]);
    let mut c = connect(&s.addr);
    for path in ["/a.txt", "/"] {
        write!(c, "GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        let (code, h, _) = read_response(&mut c, false);
        assert_eq!(code, 200);
        assert!(header(&h, "connection").is_none(), "kept alive: {h}");
    }
    // Two requests in one write, answered in order on the same connection.
    c.write_all(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\nHEAD / HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut c, false).2, b"hello\n");
    let (code, h, _) = read_response(&mut c, true);
    assert_eq!(
        (code, header(&h, "content-length").unwrap()),
        (200, "14".into())
    );
    // HTTP/1.0 keep-alive on request.
    c.write_all(b"GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .unwrap();
    let (_, h, _) = read_response(&mut c, false);
    assert_eq!(header(&h, "connection").unwrap(), "keep-alive");
    // Connection: close is honoured.
    c.write_all(b"GET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    read_response(&mut c, false);
    let mut rest = Vec::new();
    c.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    let st = s.status();
    assert_eq!(workers(&st)[0]["requests"].as_u64().unwrap(), 7);
}

#[test]
fn idle_peers_do_not_block_the_server() {
    let s = Server::start(
        "idle",
        &[
            "--workers",
            "1",
            "--keepalive-timeout",
            "0.5",
            "--request-timeout",
            "1",
        ],
    );
    // With one worker: idle connections, one stuck half-way through its head, and still a
    // request gets its answer at once.
    let idle: Vec<TcpStream> = (0..5).map(|_| connect(&s.addr)).collect();
    let mut half = connect(&s.addr);
    half.write_all(b"GET / HTTP/1.1\r\nHo").unwrap();
    assert_eq!(get(&s.addr, "/a.txt").0, 200);
    // The idle ones are closed after the timeouts.
    for mut c in idle.into_iter().chain([half]) {
        let mut b = [0u8; 16];
        let t = Instant::now();
        assert_eq!(c.read(&mut b).unwrap_or(0), 0);
        assert!(t.elapsed() < WAIT);
    }
    let st = s.wait_for(|v| workers(v)[0]["connections"].as_u64() == Some(1));
    assert_eq!(workers(&st).len(), 1);
}

#[test]
fn server_status_json_and_html() {
    let s = Server::start("status", &["--workers", "3"]);
    get(&s.addr, "/a.txt");
    let v = s.status();
    assert_eq!(v["master_pid"].as_u64().unwrap(), u64::from(s.pid()));
    assert_eq!(v["generation"], 1);
    assert_eq!(v["segment"], format!("/ipckit-httpd-{}", s.pid()));
    assert!(s.segment().exists());
    let ws = workers(&v);
    assert_eq!(ws.len(), 3);
    let mut distinct = pids(&v);
    distinct.dedup();
    assert_eq!(distinct.len(), 3);
    for w in &ws {
        for field in [
            "slot",
            "pid",
            "generation",
            "state",
            "requests",
            "bytes_sent",
            "connections",
            "request_started_us",
            "uptime_s",
        ] {
            assert!(!w[field].is_null(), "{field} in {w}");
        }
        assert!(
            ["idle", "reading", "writing", "keep-alive"].contains(&w["state"].as_str().unwrap()),
            "{w}"
        );
    }
    // The worker answering is writing; the one that served /a.txt counted it.
    let total: u64 = ws.iter().map(|w| w["requests"].as_u64().unwrap()).sum();
    assert!(total >= 2, "{v}");
    assert!(ws.iter().any(|w| w["state"] == "writing"), "{v}");
    assert!(v["total_bytes_sent"].as_u64().unwrap() > 0);
    let (c, h, body) = get(&s.addr, "/server-status");
    assert_eq!(c, 200);
    assert!(header(&h, "content-type").unwrap().starts_with("text/html"));
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("<table") && html.contains(&ws[0]["pid"].to_string()));
    // SIGUSR1: the scoreboard on the master's stderr.
    s.signal(Signal::USR1);
    let t = Instant::now();
    while !s
        .stderr
        .lock()
        .unwrap()
        .contains("scoreboard /ipckit-httpd-")
    {
        assert!(t.elapsed() < WAIT, "no scoreboard on stderr");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_finishes_an_in_flight_request() {
    let mut s = Server::start("sigterm", &["--workers", "2", "--grace", "5"]);
    let seg = s.segment();
    let mut slow = connect(&s.addr);
    slow.write_all(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n")
        .unwrap();
    s.wait_for(|v| {
        workers(v)
            .iter()
            .any(|w| w["state"] == "reading" || w["connections"] == 2)
    });
    s.signal(Signal::TERM);
    std::thread::sleep(Duration::from_millis(300));
    // The master is still waiting for the request in flight.
    assert!(s.child.as_mut().unwrap().try_wait().unwrap().is_none());
    slow.write_all(b"\r\n").unwrap();
    let (code, h, body) = read_response(&mut slow, false);
    assert_eq!((code, body.as_slice()), (200, &b"hello\n"[..]));
    assert_eq!(header(&h, "connection").unwrap(), "close");
    assert_eq!(s.wait_exit(), Some(0));
    assert!(!seg.exists(), "scoreboard left after SIGTERM");
    assert!(TcpStream::connect(&s.addr).is_err(), "still listening");
}

#[test]
fn sigterm_kills_workers_after_the_grace_period() {
    let mut s = Server::start("grace", &["--workers", "1", "--grace", "0.5"]);
    let mut slow = connect(&s.addr);
    slow.write_all(b"GET /a.txt HTTP/1.1\r\n").unwrap();
    s.wait_for(|v| workers(v)[0]["connections"] == 2);
    let t = Instant::now();
    s.signal(Signal::TERM);
    assert_eq!(s.wait_exit(), Some(0));
    assert!(t.elapsed() >= Duration::from_millis(400));
    let mut b = [0u8; 1];
    assert_eq!(slow.read(&mut b).unwrap_or(0), 0);
}

#[test]
fn sighup_starts_a_new_generation() {
    let s = Server::start("sighup", &["--workers", "2", "--grace", "5"]);
    let before = pids(&s.status());
    // A keep-alive connection on an old worker, with a request in flight across the reload:
    // it is answered, then closed.
    let mut kept = connect(&s.addr);
    kept.write_all(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    read_response(&mut kept, false);
    kept.write_all(b"GET /a.txt HTTP/1.1\r\n").unwrap();
    s.signal(Signal::HUP);
    let v = s.wait_for(|v| {
        v["generation"] == 2
            && workers(v).iter().filter(|w| w["generation"] == 2).count() == 2
            && workers(v)
                .iter()
                .all(|w| w["generation"] == 2 || w["state"] == "closing")
    });
    assert!(
        pids(&v).iter().filter(|p| !before.contains(p)).count() >= 2,
        "{before:?} -> {v}"
    );
    kept.write_all(b"Host: t\r\n\r\n").unwrap();
    let (code, h, _) = read_response(&mut kept, false);
    assert_eq!(code, 200);
    assert_eq!(header(&h, "connection").unwrap(), "close");
    let mut rest = Vec::new();
    kept.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    // The old generation is gone.
    let v = s.wait_for(|v| workers(v).len() == 2);
    assert!(workers(&v).iter().all(|w| w["generation"] == 2), "{v}");
    assert!(before.iter().all(|&p| !alive(p)));
    assert!(s.stderr.lock().unwrap().contains("generation 2"));
}

#[test]
fn a_killed_worker_is_replaced_within_a_second() {
    let s = Server::start("respawn", &["--workers", "2"]);
    let v = s.status();
    let victim = workers(&v)[0].clone();
    let (pid, slot) = (victim["pid"].as_u64().unwrap(), victim["slot"].clone());
    let t = Instant::now();
    kill(pid as u32, Signal::KILL).unwrap();
    let v = s.wait_for(|v| {
        workers(v)
            .iter()
            .any(|w| w["slot"] == slot && w["pid"].as_u64() != Some(pid))
    });
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "replaced after {:?}",
        t.elapsed()
    );
    assert_eq!(workers(&v).len(), 2);
    let new = workers(&v).into_iter().find(|w| w["slot"] == slot).unwrap();
    assert!(new["requests"].as_u64().unwrap() <= 1, "slot reset: {new}");
    assert!(s.stderr.lock().unwrap().contains(&format!("worker {pid} ")));
    assert_eq!(get(&s.addr, "/a.txt").0, 200);
}

#[test]
fn max_requests_per_child_retires_workers() {
    let s = Server::start(
        "maxreq",
        &["--workers", "1", "--max-requests-per-child", "2"],
    );
    // This status request is the worker's first, /a.txt its second and last.
    let first = pids(&s.status());
    assert_eq!(get(&s.addr, "/a.txt").0, 200);
    let v = s.wait_for(|v| pids(v).len() == 1 && pids(v) != first);
    assert_eq!(workers(&v)[0]["generation"], 1);
    assert!(s.stderr.lock().unwrap().contains("retired"));
}

#[test]
fn master_kill_9_workers_exit_and_dev_shm_is_clean() {
    let mut s = Server::start("kill9", &["--workers", "3", "--grace", "2"]);
    let seg = s.segment();
    let ws = pids(&s.status());
    assert!(seg.exists());
    s.signal(Signal::KILL);
    s.wait_exit();
    let t = Instant::now();
    while ws.iter().any(|&p| alive(p)) {
        assert!(t.elapsed() < WAIT, "workers outlived their master");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!seg.exists(), "{} left behind", seg.display());
}

#[test]
fn max_connections_leaves_the_rest_in_the_backlog() {
    let s = Server::start("maxconn", &["--workers", "1", "--max-connections", "1"]);
    let held = connect(&s.addr);
    std::thread::sleep(Duration::from_millis(200));
    // The worker holds `held`; a second client waits in the backlog, unanswered...
    let mut waiting = connect(&s.addr);
    std::thread::sleep(Duration::from_millis(100));
    waiting
        .write_all(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    waiting
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut b = [0u8; 1];
    assert!(
        waiting.read(&mut b).is_err(),
        "answered beyond --max-connections"
    );
    // ...until the held connection closes.
    drop(held);
    waiting.set_read_timeout(Some(WAIT)).unwrap();
    let (code, _, body) = read_response(&mut waiting, false);
    assert_eq!((code, body.as_slice()), (200, &b"hello\n"[..]));
}
