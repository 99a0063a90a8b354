//! prefork-httpd under load from peers nobody here wrote: `wrk` (64 connections, with a
//! worker killed and with a reload in the middle) and `curl`, plus `ipckit ls` showing the
//! scoreboard. The server binary is the one built beside this test
//! (`target/<profile>/prefork-httpd`; `cargo test --workspace` builds it, or `cargo build -p
//! ipckit-demos`). The wrk runs take one at a time (a lock), so they do not measure each
//! other.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ipckit::signal::{kill, Signal};
use ipckit_interop::have_tool;
use serde_json::Value;

static LOAD: Mutex<()> = Mutex::new(());

/// Counts non-2xx responses per thread (wrk's own error count only covers >= 400) and
/// prints one machine-readable line at the end.
const LUA: &str = r#"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non2xx = 0 end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("non2xx") end
  io.write(string.format("RESULT requests=%d connect=%d read=%d write=%d timeout=%d non2xx=%d\n",
    summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, n))
end
"#;

fn server_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|d| d.parent()).unwrap();
    let bin = dir.join("prefork-httpd");
    assert!(
        bin.exists(),
        "{} is missing: `cargo build -p ipckit-demos` (cargo test --workspace builds it)",
        bin.display()
    );
    bin
}

struct Server {
    child: Child,
    addr: String,
    root: PathBuf,
}

impl Server {
    fn start(tag: &str, n: usize) -> Server {
        let root =
            std::env::temp_dir().join(format!("ipckit-interop-httpd-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("index.html"), "<h1>load</h1>\n".repeat(64)).unwrap();
        std::fs::write(root.join("a.txt"), "hello\n").unwrap();
        let mut child = Command::new(server_bin())
            .args(["--listen", "127.0.0.1:0", "--workers", &n.to_string()])
            .args(["--grace", "5", "--root"])
            .arg(&root)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut out = child.stdout.take().unwrap();
        let mut line = Vec::new();
        let mut b = [0u8; 1];
        while out.read(&mut b).unwrap() == 1 && b[0] != b'\n' {
            line.push(b[0]);
        }
        let s = Server {
            child,
            addr: String::from_utf8(line).unwrap(),
            root,
        };
        s.wait_for(|v| {
            let ws = workers(v);
            ws.len() == n && ws.iter().all(|w| w["state"] != "starting")
        });
        s
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn status(&self) -> Value {
        let out = Command::new("curl")
            .args(["-sf", "--max-time", "5"])
            .arg(self.url("/server-status?json"))
            .output()
            .unwrap();
        assert!(out.status.success(), "curl /server-status?json: {out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn wait_for(&self, f: impl Fn(&Value) -> bool) -> Value {
        let t = Instant::now();
        loop {
            let v = self.status();
            if f(&v) {
                return v;
            }
            assert!(t.elapsed() < Duration::from_secs(10), "scoreboard: {v}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn segment(&self) -> String {
        format!("/ipckit-httpd-{}", self.child.id())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = kill(self.child.id(), Signal::TERM);
        let t = Instant::now();
        while self.child.try_wait().ok().flatten().is_none()
            && t.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let seg = format!("/dev/shm{}", self.segment());
        let left = std::path::Path::new(&seg).exists();
        let _ = std::fs::remove_file(&seg);
        let _ = std::fs::remove_dir_all(&self.root);
        if !std::thread::panicking() {
            assert!(!left, "{seg} left behind");
        }
    }
}

fn workers(v: &Value) -> Vec<Value> {
    v["workers"].as_array().cloned().unwrap_or_default()
}

#[derive(Debug, Default)]
struct Wrk {
    requests: u64,
    connect: u64,
    read: u64,
    write: u64,
    timeout: u64,
    non2xx: u64,
}

impl Wrk {
    fn failures(&self) -> u64 {
        self.connect + self.read + self.write + self.timeout + self.non2xx
    }
}

/// Starts `wrk -t2 -c64 -dSECS` on `url` with the counting script.
fn wrk(url: &str, secs: u32) -> (Child, PathBuf) {
    let script = std::env::temp_dir().join(format!(
        "ipckit-httpd-wrk-{}-{secs}.lua",
        std::process::id()
    ));
    std::fs::write(&script, LUA).unwrap();
    let child = Command::new("wrk")
        .args([
            "-t2",
            "-c64",
            &format!("-d{secs}s"),
            "--timeout",
            "5s",
            "-s",
        ])
        .arg(&script)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    (child, script)
}

fn finish(child: Child, script: PathBuf) -> Wrk {
    let out = child.wait_with_output().unwrap();
    let _ = std::fs::remove_file(script);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    eprintln!("{text}");
    assert!(out.status.success(), "wrk failed: {text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("RESULT "))
        .unwrap_or_else(|| panic!("no RESULT line in {text}"));
    let mut w = Wrk::default();
    for kv in line["RESULT ".len()..].split_whitespace() {
        let (k, v) = kv.split_once('=').unwrap();
        let v: u64 = v.parse().unwrap();
        match k {
            "requests" => w.requests = v,
            "connect" => w.connect = v,
            "read" => w.read = v,
            "write" => w.write = v,
            "timeout" => w.timeout = v,
            "non2xx" => w.non2xx = v,
            _ => {}
        }
    }
    w
}

#[test]
fn curl_single_requests_and_ipckit_ls() {
    if !have_tool("curl") {
        return;
    }
    let s = Server::start("curl", 2);
    let code = |args: &[&str], path: &str| {
        let out = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
            .args(args)
            .arg(s.url(path))
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(code(&[], "/a.txt"), "200");
    assert_eq!(code(&["-I"], "/"), "200");
    assert_eq!(code(&[], "/missing"), "404");
    assert_eq!(code(&["--path-as-is"], "/../../etc/passwd"), "403");
    assert_eq!(code(&["-X", "PUT"], "/a.txt"), "405");
    assert_eq!(code(&["--http1.0"], "/a.txt"), "200");
    let out = Command::new("curl")
        .args(["-s"])
        .arg(s.url("/a.txt"))
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"hello\n");
    // Two URLs, one connection (curl reuses it: "Re-using existing connection").
    let out = Command::new("curl")
        .args(["-sv", "-o", "/dev/null", "-o", "/dev/null"])
        .arg(s.url("/a.txt"))
        .arg(s.url("/"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("e-using existing connection") || err.contains("Reusing existing"),
        "{err}"
    );
    // The scoreboard is a POSIX segment `ipckit ls` lists.
    let ls = ipckit_testkit::ok(&["ls", "-M"]);
    assert!(ls.contains(&s.segment()), "{ls}");
    let j = ipckit_testkit::json(&["ls", "-M", "--json"]);
    let segs = j["posix"]["segments"].as_array().unwrap();
    assert!(segs.iter().any(|x| x["name"] == s.segment()), "{j}");
}

#[test]
fn wrk_64_connections_10s_4_workers_no_error() {
    if !have_tool("wrk") || !have_tool("curl") {
        return;
    }
    let _one = LOAD.lock().unwrap_or_else(|e| e.into_inner());
    let s = Server::start("wrk", 4);
    let (child, script) = wrk(&s.url("/index.html"), 10);
    let w = finish(child, script);
    assert!(w.requests > 1000, "{w:?}");
    assert_eq!(w.failures(), 0, "{w:?}");
    let v = s.status();
    let served: u64 = workers(&v)
        .iter()
        .map(|w| w["requests"].as_u64().unwrap())
        .sum();
    assert!(
        served >= w.requests,
        "scoreboard {served} < wrk {}",
        w.requests
    );
}

#[test]
fn wrk_with_a_worker_killed_only_its_connections_fail() {
    if !have_tool("wrk") || !have_tool("curl") {
        return;
    }
    let _one = LOAD.lock().unwrap_or_else(|e| e.into_inner());
    let s = Server::start("wrkkill", 4);
    let (child, script) = wrk(&s.url("/index.html"), 6);
    // Once the load is spread, kill the busiest worker; its open connections are what may
    // fail.
    let v = s.wait_for(|v| {
        workers(v)
            .iter()
            .map(|w| w["connections"].as_u64().unwrap())
            .sum::<u64>()
            >= 64
    });
    std::thread::sleep(Duration::from_secs(1));
    let v2 = s.status();
    let victim = workers(&v2)
        .into_iter()
        .max_by_key(|w| w["connections"].as_u64().unwrap())
        .unwrap();
    let _ = v;
    let (pid, slot) = (
        victim["pid"].as_u64().unwrap() as u32,
        victim["slot"].clone(),
    );
    let conns = victim["connections"].as_u64().unwrap();
    kill(pid, Signal::KILL).unwrap();
    let t = Instant::now();
    let replaced = s.wait_for(|v| {
        workers(v)
            .iter()
            .any(|w| w["slot"] == slot && w["pid"].as_u64() != Some(u64::from(pid)))
    });
    eprintln!(
        "worker {pid} with {conns} connections killed; replaced after {:?}",
        t.elapsed()
    );
    let w = finish(child, script);
    eprintln!(
        "failures: {} of {} requests (the killed worker had {conns} connections)",
        w.failures(),
        w.requests
    );
    assert!(w.requests > 1000, "{w:?}");
    assert_eq!(w.non2xx, 0, "{w:?}");
    assert!(
        w.failures() <= conns,
        "{w:?}: more failures than the {conns} connections of {pid}"
    );
    assert_eq!(workers(&replaced).len(), 4);
}

#[test]
fn wrk_with_a_reload_no_request_fails() {
    if !have_tool("wrk") || !have_tool("curl") {
        return;
    }
    let _one = LOAD.lock().unwrap_or_else(|e| e.into_inner());
    let s = Server::start("wrkhup", 4);
    let (child, script) = wrk(&s.url("/index.html"), 6);
    std::thread::sleep(Duration::from_secs(2));
    kill(s.child.id(), Signal::HUP).unwrap();
    let v = s.wait_for(|v| {
        v["generation"] == 2 && workers(v).iter().filter(|w| w["generation"] == 2).count() == 4
    });
    eprintln!("reloaded: {v}");
    let w = finish(child, script);
    eprintln!(
        "failures: {} of {} requests across the reload",
        w.failures(),
        w.requests
    );
    assert!(w.requests > 1000, "{w:?}");
    assert_eq!(w.failures(), 0, "{w:?}");
    let v = s.wait_for(|v| workers(v).iter().all(|w| w["generation"] == 2));
    assert_eq!(workers(&v).len(), 4);
}
