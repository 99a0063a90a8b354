//! End-to-end tests of `ipckit bench` through the built binary: it runs real peer processes,
//! verifies every message, and writes the JSON schema the README and CI rely on.

use std::path::PathBuf;
use std::process::Command;

fn ipckit() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ipckit"))
}

/// A file path in the temp dir unique to this test process and tag, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(tag: &str) -> TempFile {
        TempFile(
            std::env::temp_dir().join(format!("ipckit-bench-test-{}-{tag}", std::process::id())),
        )
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn positive(v: &serde_json::Value, what: &str) -> f64 {
    let n = v
        .as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {v}"));
    assert!(n > 0.0, "{what} = {n} is not positive");
    n
}

fn run_quick(only: &str, sizes: &str, rounds: &str) -> (Vec<serde_json::Value>, String) {
    let json = TempFile::new(&format!("{only}.json"));
    let csv = TempFile::new(&format!("{only}.csv"));
    let out = ipckit()
        .args(["bench", "--quick", "--only", only, "--sizes", sizes])
        .args(["--rounds", rounds, "--json"])
        .arg(&json.0)
        .arg("--csv")
        .arg(&csv.0)
        .output()
        .expect("run ipckit bench");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "ipckit bench failed: {}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&json.0).expect("read JSON"))
            .expect("JSON is an array of rows");
    let csv_text = std::fs::read_to_string(&csv.0).expect("read CSV");
    assert_eq!(
        csv_text.lines().count(),
        rows.len() + 1,
        "one CSV line per JSON row plus the header:\n{csv_text}"
    );
    assert!(csv_text.starts_with("mechanism,implementation,size_bytes,"));
    (rows, stdout)
}

fn check_rows(rows: &[serde_json::Value], mechanisms: &[&str], sizes: &[u64]) {
    for mech in mechanisms {
        for size in sizes {
            let raw = rows.iter().find(|r| {
                r["mechanism"] == *mech && r["implementation"] == "raw" && r["size_bytes"] == *size
            });
            let raw = raw.unwrap_or_else(|| panic!("no raw row for {mech} {size} B in {rows:?}"));
            assert_eq!(raw["verified"], true, "{raw}");
        }
    }
    for r in rows {
        let what = format!(
            "{} {} {}",
            r["mechanism"], r["implementation"], r["size_bytes"]
        );
        assert!(
            mechanisms.contains(&r["mechanism"].as_str().expect("mechanism is a string")),
            "{what}: a mechanism that was not asked for"
        );
        assert!(
            r["implementation"] == "raw" || r["implementation"] == "ipckit",
            "{what}"
        );
        assert_eq!(r["verified"], true, "{what}: {r}");
        let lat = &r["latency_ns"];
        let p50 = positive(&lat["p50"], "p50");
        let p99 = positive(&lat["p99"], "p99");
        let p999 = positive(&lat["p999"], "p999");
        let max = positive(&lat["max"], "max");
        assert!(p50 <= p99 && p99 <= p999 && p999 <= max, "{what}: {lat}");
        positive(&r["cpu_ns_per_round_trip"], "cpu_ns_per_round_trip");
        positive(&r["cpu_ns_per_msg"], "cpu_ns_per_msg");
        let tp = &r["throughput"];
        let mb = positive(&tp["mb_per_s"], "mb_per_s");
        let rate = positive(&tp["msgs_per_s"], "msgs_per_s");
        let size = r["size_bytes"].as_f64().expect("size_bytes");
        assert!(
            (mb * 1e6 - rate * size).abs() <= 1e-6 * mb * 1e6,
            "{what}: MB/s is msg/s times the size in 10^6 bytes"
        );
        if r["implementation"] == "ipckit" {
            let ratio = &r["ratio_vs_raw"];
            positive(&ratio["p50"], "ratio p50");
            positive(&ratio["msgs_per_s"], "ratio msgs_per_s");
            positive(&ratio["cpu"], "ratio cpu");
        }
    }
}

#[test]
fn quick_bench_writes_verified_rows_for_pipe_and_unix_stream() {
    let (rows, stdout) = run_quick("pipe,unix-stream", "64,4K", "1");
    check_rows(&rows, &["pipe", "unix-stream"], &[64, 4096]);
    for head in [
        "mechanism",
        "p50",
        "p99.9",
        "MB/s",
        "msg/s",
        "ratio",
        "verified",
    ] {
        assert!(
            stdout.contains(head),
            "table header lacks {head}:\n{stdout}"
        );
    }
    assert!(stdout.contains("machine: "), "{stdout}");
}

#[test]
fn quick_bench_covers_message_sockets_fifo_and_tcp() {
    // Two rounds: ipckit and raw alternate, results merged.
    let (rows, _) = run_quick("fifo,unix-seqpacket,unix-dgram,tcp", "1,100K", "2");
    check_rows(
        &rows,
        &["fifo", "unix-seqpacket", "unix-dgram", "tcp"],
        &[1, 100 * 1024],
    );
}

#[test]
fn quick_bench_covers_the_shm_ring_rows_and_the_memcpy_baseline() {
    let mechs = ["shm-ring", "shm-ring-zc", "shm-ring-futex"];
    let (rows, stdout) = run_quick(&mechs.join(","), "1,1M", "2");
    check_rows(&rows, &mechs, &[1, 1 << 20]);
    assert!(stdout.contains("memcpy 1 MiB: "), "{stdout}");
    assert!(
        stdout.contains("shm-ring 1 MiB ipckit: "),
        "no share of memcpy for the copy-mode row:\n{stdout}"
    );
}

#[test]
fn unknown_mechanism_is_an_error_listing_the_known_ones() {
    let out = ipckit()
        .args(["bench", "--quick", "--only", "pipe,nosuch"])
        .output()
        .expect("run ipckit bench");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nosuch"), "{err}");
    for known in [
        "pipe",
        "fifo",
        "unix-stream",
        "unix-dgram",
        "unix-seqpacket",
        "tcp",
    ] {
        assert!(
            err.contains(known),
            "the error does not list {known}: {err}"
        );
    }
    assert!(out.stdout.is_empty(), "no table on a bad argument");
}

#[test]
fn bad_sizes_are_rejected() {
    for bad in ["0", "12Q", "1G"] {
        let out = ipckit()
            .args(["bench", "--quick", "--sizes", bad])
            .output()
            .expect("run ipckit bench");
        assert!(!out.status.success(), "--sizes {bad} was accepted");
    }
}

/// The checks can fail: a peer that corrupts an echo, corrupts a streamed message or drops
/// one makes the row FAILED, `"verified": false` in the JSON, and the exit status non-zero.
#[test]
fn a_corrupted_or_lost_message_fails_the_row_and_the_run() {
    // shm-ring-zc: the same checks on messages verified in place (the zero-copy path).
    for (fault, phase, only) in [
        ("corrupt-echo", "latency", "pipe"),
        ("corrupt-stream", "throughput", "pipe"),
        ("drop-stream", "throughput", "pipe"),
        ("corrupt-echo", "latency", "shm-ring-zc"),
        ("corrupt-stream", "throughput", "shm-ring-zc"),
        ("drop-stream", "throughput", "shm-ring-zc"),
    ] {
        let json = TempFile::new(&format!("fault-{fault}-{only}.json"));
        let out = ipckit()
            .args([
                "bench", "--quick", "--only", only, "--sizes", "64", "--fault", fault, "--json",
            ])
            .arg(&json.0)
            .output()
            .expect("run ipckit bench");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            !out.status.success(),
            "{fault}: the run succeeded:\n{stdout}"
        );
        assert!(stdout.contains("FAILED"), "{fault}:\n{stdout}");
        let rows: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(&json.0).expect("read JSON"))
                .expect("JSON rows");
        let raw = rows
            .iter()
            .find(|r| r["implementation"] == "raw")
            .expect("a raw row");
        assert_eq!(raw["verified"], false, "{fault}: {raw}");
        assert!(
            raw["latency_ns"].is_null(),
            "{fault}: a failed row has no numbers"
        );
        let err = raw["error"].as_str().expect("an error text");
        assert!(err.starts_with(phase), "{fault}: {err}");
    }
}

/// A peer that dies before it connects never hangs the run: with a pipe the parent notices at
/// once (the row FAILED); with a socket the parent would wait in `accept` forever, so the
/// watchdog stops the run with an error naming the scenario.
#[test]
fn a_peer_that_dies_early_fails_the_run_instead_of_hanging() {
    let out = ipckit()
        .args(["bench", "--quick", "--only", "pipe", "--sizes", "64"])
        .args(["--fault", "exit"])
        .output()
        .expect("run ipckit bench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(stdout.contains("FAILED"), "{stdout}");
    assert!(stdout.contains("exiting before setup"), "{stdout}");

    let out = ipckit()
        .args(["bench", "--quick", "--only", "unix-stream", "--sizes", "64"])
        .args(["--fault", "exit"])
        .output()
        .expect("run ipckit bench");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("unix-stream"), "{stderr}");
    assert!(stderr.contains("peer exited"), "{stderr}");
    assert!(stderr.contains("exiting before setup"), "{stderr}");
}

/// The peer speaks only the typed control protocol: a malformed plan on its control pipe is
/// an error quoting what it received, and no plan at all is an error too.
#[test]
fn the_peer_rejects_a_malformed_plan_naming_it() {
    use std::io::Write as _;
    use std::process::Stdio;
    for (input, expect) in [("tp 3 4 5 ok\n", "\"tp 3 4 5 ok\""), ("", "no plan")] {
        let mut child = ipckit()
            .arg("__bench-peer")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the peer");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write the plan");
        let out = child.wait_with_output().expect("wait for the peer");
        assert!(!out.status.success(), "{input:?} was accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expect), "{input:?}: {err}");
        assert!(
            out.stdout.is_empty(),
            "{input:?}: the peer reported something"
        );
    }
}

#[test]
fn list_names_every_mechanism() {
    let out = ipckit()
        .args(["bench", "--list"])
        .output()
        .expect("run ipckit bench --list");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let mut want = vec![
        "pipe",
        "fifo",
        "unix-stream",
        "unix-seqpacket",
        "unix-dgram",
        "tcp",
        "sysv-mq",
        "posix-mq",
        "sysv-shm",
        "posix-shm",
        "mmap-file",
        "file",
        "shm-ring",
        "shm-ring-zc",
        "shm-ring-futex",
        "signal",
    ];
    // The typed rows exist with the default feature `typed` (channel::typed, serde).
    if cfg!(feature = "typed") {
        want.extend(["typed-shm-ring", "typed-unix-stream"]);
    }
    // The async rows, with the default feature `async` (ipckit::tokio).
    if cfg!(feature = "async") {
        want.extend(["async-unix-stream", "typed-async-unix-stream"]);
    }
    assert_eq!(names, want);
}

/// The width and height of a PNG, from its IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let be = |i: usize| u32::from_be_bytes(png[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn svg_chart_renders_to_a_non_trivial_png() {
    let svg = TempFile::new("chart.svg");
    let out = ipckit()
        .args(["bench", "--quick", "--only", "pipe,unix-stream,shm-ring"])
        .args(["--sizes", "64,4K", "--rounds", "2", "--svg"])
        .arg(&svg.0)
        .output()
        .expect("run ipckit bench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The table shows the spread of each ratio and ends with what to pick.
    assert!(
        stdout.contains("ratio [a–b]: the lowest and highest"),
        "{stdout}"
    );
    let spread = stdout
        .lines()
        .filter(|l| l.contains("  ipckit  ") && l.contains('[') && l.contains('–'))
        .count();
    assert_eq!(spread, 6, "every ipckit row has a spread: {stdout}");
    assert!(stdout.contains("which to pick"), "{stdout}");
    for size in [
        "  64 B: lowest p50 round trip ",
        "  4 KiB: lowest p50 round trip ",
    ] {
        assert!(stdout.contains(size), "{size:?} not in {stdout}");
    }
    let text = std::fs::read_to_string(&svg.0).expect("read the SVG");
    assert!(text.starts_with("<svg") && text.trim_end().ends_with("</svg>"));
    for s in [
        "pipe",
        "unix-stream",
        "shm-ring",
        "p50 round trip",
        "throughput",
    ] {
        assert!(text.contains(s), "{s} not in the SVG");
    }
    let Ok(rsvg) = which("rsvg-convert") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "rsvg-convert (librsvg2-bin) is missing: scripts/install-test-peers installs it"
        );
        eprintln!("skipped the PNG check: rsvg-convert is not installed");
        return;
    };
    let png = TempFile::new("chart.png");
    let st = Command::new(rsvg)
        .arg("-o")
        .arg(&png.0)
        .arg(&svg.0)
        .status()
        .expect("run rsvg-convert");
    assert!(st.success(), "rsvg-convert failed: {st}");
    let bytes = std::fs::read(&png.0).unwrap();
    let (w, h) = png_size(&bytes);
    assert!(w >= 1000 && h >= 1000, "{w}x{h}");
    // A blank image of that size compresses to a few KiB; lines, dots and text do not.
    assert!(bytes.len() > 30_000, "PNG of {} bytes", bytes.len());
}

fn which(name: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or(())
}

#[test]
fn bad_output_paths_fail_before_the_run() {
    let dir = std::env::temp_dir();
    let missing = dir.join(format!("ipckit-no-such-dir-{}", std::process::id()));
    let cases = [
        ("--svg", dir.clone(), "is a directory"),
        ("--json", missing.join("x.json"), "does not exist"),
        (
            "--csv",
            PathBuf::from("/proc/version/x.csv"),
            "is not a directory",
        ),
    ];
    for (flag, path, why) in cases {
        let started = std::time::Instant::now();
        // Not --quick: a full run takes minutes, so failing well within that (and with
        // nothing on stdout) shows that the path was checked first. The bound is loose on
        // purpose: this is not a speed test, and the machine may be loaded.
        let out = ipckit()
            .args(["bench", flag])
            .arg(&path)
            .output()
            .expect("run ipckit bench");
        let took = started.elapsed();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{flag}: {err}");
        assert!(
            took < std::time::Duration::from_secs(20),
            "{flag} took {took:?}"
        );
        assert!(
            err.contains(&path.display().to_string()) && err.contains(why),
            "{flag}: {err}"
        );
        assert!(out.stdout.is_empty(), "{flag}: the run started");
    }
}
