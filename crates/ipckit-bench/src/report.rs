//! Presentation of `ipckit bench`: the machine line, the progress line, the table, JSON, CSV.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;

use crate::scenario::Impl;
use crate::stats::Outcome;

/// What the numbers were measured on.
#[derive(Debug, Clone)]
pub struct Machine {
    /// CPU model name from `/proc/cpuinfo`.
    pub cpu: String,
    /// CPUs this process may use.
    pub cores: usize,
    /// Kernel name and release.
    pub kernel: String,
    /// Running under a hypervisor (the `hypervisor` CPU flag): wake-ups across CPUs cost
    /// more there.
    pub virtual_machine: bool,
}

impl Machine {
    /// Reads `/proc/cpuinfo` and `/proc/sys/kernel/os{type,release}`.
    pub fn detect() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let virtual_machine = cpuinfo
            .lines()
            .find(|l| l.starts_with("flags"))
            .is_some_and(|l| l.split_whitespace().any(|f| f == "hypervisor"));
        let cpu = Some(cpuinfo)
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_else(|| "unknown CPU".into());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let read = |p: &str| {
            std::fs::read_to_string(p)
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let kernel = format!(
            "{} {}",
            read("/proc/sys/kernel/ostype"),
            read("/proc/sys/kernel/osrelease")
        )
        .trim()
        .to_string();
        Machine {
            cpu,
            cores,
            kernel,
            virtual_machine,
        }
    }
}

/// A one-line heading of the chart: what was measured on what.
pub fn title(m: &Machine) -> String {
    format!(
        "ipckit bench: {}, {} CPUs{}, {}",
        m.cpu,
        m.cores,
        if m.virtual_machine {
            " (virtual machine)"
        } else {
            ""
        },
        m.kernel
    )
}

/// The progress line on stderr: rewritten in place on a terminal, one line per mechanism
/// otherwise.
pub struct Progress {
    total: usize,
    done: usize,
    tty: bool,
    last_mech: &'static str,
}

impl Progress {
    /// Progress over `total` scenarios.
    pub fn new(total: usize) -> Progress {
        Progress {
            total,
            done: 0,
            tty: std::io::stderr().is_terminal(),
            last_mech: "",
        }
    }

    /// A scenario starts.
    pub fn step(&mut self, mech: &'static str, size: usize, imp: Impl) {
        self.done += 1;
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(
                err,
                "\r\x1b[K[{:>3}/{}] {mech} {} {}",
                self.done,
                self.total,
                size_text(size),
                imp.as_str()
            );
            let _ = err.flush();
        } else if mech != self.last_mech {
            let _ = writeln!(err, "ipckit bench: {mech}...");
        }
        self.last_mech = mech;
    }

    /// Clears the line.
    pub fn done(&mut self) {
        if self.tty {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
        }
    }
}

/// Round-trip latency in nanoseconds.
#[derive(Debug, Clone, Serialize)]
pub struct LatencyNs {
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Slowest.
    pub max: u64,
    /// Fastest.
    pub min: u64,
}

/// One-way throughput.
#[derive(Debug, Clone, Serialize)]
pub struct ThroughputJson {
    /// 10^6 bytes of message per second.
    pub mb_per_s: f64,
    /// Messages per second.
    pub msgs_per_s: f64,
}

/// ipckit / raw, > 1.0 meaning ipckit is slower.
#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    /// ipckit p50 round trip / raw p50 round trip.
    pub p50: Option<f64>,
    /// raw msg/s / ipckit msg/s.
    pub msgs_per_s: Option<f64>,
    /// ipckit CPU time per message / raw CPU time per message (both processes; from the
    /// throughput phase, or the latency phase for latency-only mechanisms). Unlike the
    /// wall-clock ratios it hardly moves when other programs load the machine: it tells
    /// ipckit's own cost.
    pub cpu: Option<f64>,
    /// Rounds both twins ran (each round pairs one ipckit run with the raw run next to it).
    pub rounds: usize,
    /// `[min, max]` of the per-round p50 ratios (round i of ipckit over round i of raw).
    pub p50_range: Option<[f64; 2]>,
    /// `[min, max]` of the per-round throughput ratios.
    pub msgs_per_s_range: Option<[f64; 2]>,
    /// `[min, max]` of the per-round CPU ratios.
    pub cpu_range: Option<[f64; 2]>,
}

/// `[min, max]` of `values` (the ones present), `None` if there are none.
fn spread(values: impl Iterator<Item = Option<f64>>) -> Option<[f64; 2]> {
    values
        .flatten()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some([v, v]),
            Some([lo, hi]) => Some([lo.min(v), hi.max(v)]),
        })
}

/// The ratios of `o` (ipckit) over `raw`, with their spread over the rounds.
fn ratio(o: &Outcome, raw: &Outcome) -> Ratio {
    let div =
        |a: Option<f64>, b: Option<f64>| a.zip(b).filter(|(_, b)| *b > 0.0).map(|(a, b)| a / b);
    let (mine, theirs) = (o.rounds(), raw.rounds());
    let pairs = || mine.iter().zip(&theirs);
    Ratio {
        p50: match (&o.latency, &raw.latency) {
            (Some(a), Some(b)) if b.p50 > 0 => Some(a.p50 as f64 / b.p50 as f64),
            _ => None,
        },
        msgs_per_s: div(
            raw.throughput.as_ref().map(|t| t.msgs_per_s),
            o.throughput.as_ref().map(|t| t.msgs_per_s),
        ),
        cpu: div(cpu_cost(o), cpu_cost(raw)),
        rounds: mine.len().min(theirs.len()),
        p50_range: spread(
            pairs().map(|(a, b)| div(a.p50.map(|v| v as f64), b.p50.map(|v| v as f64))),
        ),
        msgs_per_s_range: spread(pairs().map(|(a, b)| div(b.msgs_per_s, a.msgs_per_s))),
        cpu_range: spread(pairs().map(|(a, b)| div(a.cpu_per_msg, b.cpu_per_msg))),
    }
}

/// One row of the report (JSON and CSV; the table shows the same).
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Mechanism name.
    pub mechanism: String,
    /// `"ipckit"` or `"raw"`.
    pub implementation: &'static str,
    /// Message size in bytes.
    pub size_bytes: usize,
    /// Round-trip latency; null when failed.
    pub latency_ns: Option<LatencyNs>,
    /// One-way throughput; null when failed or not meaningful (signals).
    pub throughput: Option<ThroughputJson>,
    /// Every message arrived in order and intact.
    pub verified: bool,
    /// On ipckit rows: ipckit / raw (> 1.0: ipckit slower).
    pub ratio_vs_raw: Option<Ratio>,
    /// Round trips measured after the warm-up.
    pub latency_iterations: Option<u64>,
    /// Messages streamed and verified.
    pub throughput_messages: Option<u64>,
    /// CPU time of both processes per round trip in the latency phase, nanoseconds.
    pub cpu_ns_per_round_trip: Option<f64>,
    /// CPU time of sender plus receiver per message in the throughput phase, nanoseconds.
    pub cpu_ns_per_msg: Option<f64>,
    /// Why a scenario was skipped (not run, not a failure); such rows appear only in the
    /// table.
    #[serde(skip)]
    pub skipped: Option<String>,
    /// A note on the row.
    pub note: Option<String>,
    /// What failed.
    pub error: Option<String>,
}

/// CPU time per message of an outcome: from throughput, else from latency.
fn cpu_cost(o: &Outcome) -> Option<f64> {
    o.throughput
        .as_ref()
        .and_then(|t| t.cpu_per_msg())
        .or_else(|| o.latency.as_ref().and_then(|l| l.cpu_per_round_trip()))
}

/// Turns outcomes into rows, with the ratio on each ipckit row that has a verified raw twin.
pub fn rows(outcomes: &[Outcome]) -> Vec<Row> {
    let twin = |o: &Outcome| {
        outcomes
            .iter()
            .find(|r| r.imp == Impl::Raw && r.mechanism == o.mechanism && r.size == o.size)
    };
    outcomes
        .iter()
        .map(|o| {
            let ratio = match (o.imp, twin(o)) {
                (Impl::Ipckit, Some(raw)) if o.verified && raw.verified => Some(ratio(o, raw)),
                _ => None,
            };
            Row {
                mechanism: o.mechanism.to_string(),
                implementation: o.imp.as_str(),
                size_bytes: o.size,
                latency_ns: o.latency.as_ref().map(|l| LatencyNs {
                    p50: l.p50,
                    p99: l.p99,
                    p999: l.p999,
                    max: l.max,
                    min: l.min,
                }),
                throughput: o.throughput.as_ref().map(|t| ThroughputJson {
                    mb_per_s: t.mb_per_s,
                    msgs_per_s: t.msgs_per_s,
                }),
                verified: o.verified,
                ratio_vs_raw: ratio,
                latency_iterations: o.latency.as_ref().map(|l| l.iterations),
                throughput_messages: o.throughput.as_ref().map(|t| t.messages),
                cpu_ns_per_round_trip: o.latency.as_ref().and_then(|l| l.cpu_per_round_trip()),
                cpu_ns_per_msg: o.throughput.as_ref().and_then(|t| t.cpu_per_msg()),
                skipped: o.skipped.clone(),
                note: o.note.clone(),
                error: o.error.clone(),
            }
        })
        .collect()
}

/// `64 B`, `4 KiB`, `1 MiB`, or bytes when not a whole multiple.
pub fn size_text(n: usize) -> String {
    if n >= 1 << 20 && n % (1 << 20) == 0 {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n % (1 << 10) == 0 {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} B")
    }
}

/// `850 ns`, `12.3 µs`, `2.50 ms`, `1.20 s`.
pub fn ns_text(ns: u64) -> String {
    if ns < 1_000 {
        format!("{ns} ns")
    } else if ns < 1_000_000 {
        format!("{:.1} µs", ns as f64 / 1e3)
    } else if ns < 1_000_000_000 {
        format!("{:.2} ms", ns as f64 / 1e6)
    } else {
        format!("{:.2} s", ns as f64 / 1e9)
    }
}

fn rate_text(r: f64) -> String {
    if r < 1e3 {
        format!("{r:.0}")
    } else if r < 1e6 {
        format!("{:.1}k", r / 1e3)
    } else {
        format!("{:.2}M", r / 1e6)
    }
}

/// `1.04`, or `1.04 [0.97–1.12]` with the spread over two or more rounds.
fn ratio_text(r: Option<f64>, range: Option<[f64; 2]>, rounds: usize) -> String {
    match (r, range) {
        (None, _) => "-".into(),
        (Some(r), Some([lo, hi])) if rounds >= 2 => format!("{r:.2} [{lo:.2}–{hi:.2}]"),
        (Some(r), _) => format!("{r:.2}"),
    }
}

/// Prints the machine, the method and the table to `out`.
pub fn table(
    out: &mut impl Write,
    m: &Machine,
    cpus: Option<(usize, usize)>,
    budget: &str,
    rows: &[Row],
) -> std::io::Result<()> {
    writeln!(out, "ipckit bench")?;
    writeln!(
        out,
        "machine: {}, {} CPUs{}, {}; {}",
        m.cpu,
        m.cores,
        if m.virtual_machine {
            " (virtual machine)"
        } else {
            ""
        },
        m.kernel,
        match cpus {
            Some((a, b)) => format!("parent pinned to CPU {a}, peer to CPU {b}"),
            None => "not pinned (fewer than two CPUs)".into(),
        }
    )?;
    writeln!(
        out,
        "latency: round trip (ping-pong) of one message; throughput: one way, MB/s = 10^6 bytes/s"
    )?;
    writeln!(out, "{budget}")?;
    writeln!(
        out,
        "ratio = ipckit / raw libc twin (> 1.00: ipckit slower): p50 latency; raw msg/s / ipckit msg/s;\n\
         cpu = CPU time of both processes per message (throughput phase; latency phase if none), steady under outside load"
    )?;
    writeln!(out)?;
    let header = [
        "mechanism",
        "size",
        "impl",
        "p50",
        "p99",
        "p99.9",
        "max",
        "MB/s",
        "msg/s",
        "ratio p50",
        "ratio tput",
        "ratio cpu",
        "verified",
    ];
    let mut lines: Vec<[String; 13]> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    for r in rows {
        let dash = || "-".to_string();
        let (p50, p99, p999, max) = match &r.latency_ns {
            Some(l) => (
                ns_text(l.p50),
                ns_text(l.p99),
                ns_text(l.p999),
                ns_text(l.max),
            ),
            None => (dash(), dash(), dash(), dash()),
        };
        let (mb, rate) = match &r.throughput {
            Some(t) => (format!("{:.1}", t.mb_per_s), rate_text(t.msgs_per_s)),
            None => (dash(), dash()),
        };
        let (rp, rt, rc) = match &r.ratio_vs_raw {
            Some(x) => (
                ratio_text(x.p50, x.p50_range, x.rounds),
                ratio_text(x.msgs_per_s, x.msgs_per_s_range, x.rounds),
                ratio_text(x.cpu, x.cpu_range, x.rounds),
            ),
            None => (dash(), dash(), dash()),
        };
        let mut verified = if r.skipped.is_some() {
            "skipped".to_string()
        } else if r.verified {
            "yes".to_string()
        } else {
            "FAILED".to_string()
        };
        let what = format!(
            "{} {} {}",
            r.mechanism,
            size_text(r.size_bytes),
            r.implementation
        );
        if let Some(s) = &r.skipped {
            // The same reason for several sizes or both twins is one note.
            let text = format!("{}: {s}", r.mechanism);
            let n = match notes.iter().position(|n| *n == text) {
                Some(i) => i + 1,
                None => {
                    notes.push(text);
                    notes.len()
                }
            };
            verified.push_str(&format!(" [{n}]"));
        } else if let Some(e) = &r.error {
            notes.push(format!("{what}: {e}"));
            verified.push_str(&format!(" [{}]", notes.len()));
        }
        lines.push([
            r.mechanism.clone(),
            size_text(r.size_bytes),
            r.implementation.to_string(),
            p50,
            p99,
            p999,
            max,
            mb,
            rate,
            rp,
            rt,
            rc,
            verified,
        ]);
    }
    let mut width = header.map(|h| h.chars().count());
    for l in &lines {
        for (w, c) in width.iter_mut().zip(l) {
            *w = (*w).max(c.chars().count());
        }
    }
    let left = |i: usize| i < 3 || i == 12;
    let print = |out: &mut dyn Write, cells: &[String]| -> std::io::Result<()> {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            let pad = width[i].saturating_sub(c.chars().count());
            if left(i) {
                s.push_str(c);
                if i + 1 < cells.len() {
                    s.push_str(&" ".repeat(pad));
                }
            } else {
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            }
        }
        writeln!(out, "{}", s.trim_end())
    };
    print(out, &header.map(String::from))?;
    let rule: Vec<String> = width.iter().map(|w| "-".repeat(*w)).collect();
    print(out, &rule)?;
    let mut prev_mech = String::new();
    for l in &lines {
        if !prev_mech.is_empty() && l[0] != prev_mech {
            writeln!(out)?;
        }
        prev_mech = l[0].clone();
        print(out, l)?;
    }
    let mech_notes: Vec<(&str, &str)> = {
        let mut v: Vec<(&str, &str)> = Vec::new();
        for r in rows {
            if let Some(n) = &r.note {
                if r.skipped.is_none() && !v.iter().any(|(m, _)| *m == r.mechanism) {
                    v.push((&r.mechanism, n));
                }
            }
        }
        v
    };
    if !notes.is_empty() || !mech_notes.is_empty() {
        writeln!(out)?;
    }
    for (i, n) in notes.iter().enumerate() {
        writeln!(out, "[{}] {n}", i + 1)?;
    }
    for (m, n) in mech_notes {
        writeln!(out, "{m}: {n}")?;
    }
    let rounds = rows
        .iter()
        .filter_map(|r| r.ratio_vs_raw.as_ref().map(|x| x.rounds))
        .max()
        .unwrap_or(0);
    writeln!(out)?;
    if rounds >= 2 {
        writeln!(
            out,
            "ratio [a–b]: the lowest and highest of the per-round ratios (round i of ipckit over \
             round i of its raw twin, run back to back), over {rounds} rounds; the figure before it \
             is of all rounds together (latency histograms merged, throughput the best round), \
             so it can fall outside [a–b] when the rounds disagree"
        )?;
    } else {
        writeln!(
            out,
            "ratios from a single round: no spread to show (--rounds 3 or more shows [min–max] per ratio)"
        )?;
    }
    summary(out, rows)
}

/// The closing lines of the table: per size, which mechanism (ipckit rows that verified) had
/// the lowest p50 round trip, the highest throughput and the least CPU per message, with the
/// runner-up, so that a reader learns which to pick.
fn summary(out: &mut impl Write, rows: &[Row]) -> std::io::Result<()> {
    let mine: Vec<&Row> = rows
        .iter()
        .filter(|r| r.implementation == Impl::Ipckit.as_str() && r.verified)
        .collect();
    let mut sizes: Vec<usize> = mine.iter().map(|r| r.size_bytes).collect();
    sizes.sort_unstable();
    sizes.dedup();
    if sizes.is_empty() {
        return Ok(());
    }
    writeln!(out, "which to pick (ipckit rows that verified, this run):")?;
    // The best two of `rows` by `key` (lower is better when `low`), as `name figure`.
    fn best(
        rows: &[&Row],
        low: bool,
        key: impl Fn(&Row) -> Option<f64>,
        text: impl Fn(f64) -> String,
    ) -> Option<String> {
        let mut v: Vec<(f64, &str)> = rows
            .iter()
            .filter_map(|r| {
                key(r)
                    .filter(|k| k.is_finite())
                    .map(|k| (k, r.mechanism.as_str()))
            })
            .collect();
        v.sort_by(|a, b| {
            if low {
                a.0.total_cmp(&b.0)
            } else {
                b.0.total_cmp(&a.0)
            }
        });
        let mut s = format!("{} {}", v.first()?.1, text(v[0].0));
        if let Some((k, m)) = v.get(1) {
            s.push_str(&format!(" (then {m} {})", text(*k)));
        }
        Some(s)
    }
    for size in sizes {
        let at: Vec<&Row> = mine
            .iter()
            .copied()
            .filter(|r| r.size_bytes == size)
            .collect();
        let mut parts = Vec::new();
        if let Some(s) = best(
            &at,
            true,
            |r| r.latency_ns.as_ref().map(|l| l.p50 as f64),
            |v| ns_text(v as u64),
        ) {
            parts.push(format!("lowest p50 round trip {s}"));
        }
        if let Some(s) = best(
            &at,
            false,
            |r| r.throughput.as_ref().map(|t| t.mb_per_s),
            |v| format!("{v:.1} MB/s"),
        ) {
            parts.push(format!("highest throughput {s}"));
        }
        if let Some(s) = best(
            &at,
            true,
            |r| r.cpu_ns_per_msg,
            |v| format!("{} CPU", ns_text(v.round() as u64)),
        ) {
            parts.push(format!("least CPU per message streamed {s}"));
        }
        writeln!(out, "  {}: {}", size_text(size), parts.join("; "))?;
    }
    Ok(())
}

/// The memcpy baseline under the table: `memcpy` bandwidth at [`MEMCPY_SIZE`] measured in
/// this run, and the share of it the `shm-ring` copy-mode rows reach at that size (the
/// target is ≥ 0.6 for ipckit); then the receiver's verification rate at that size
/// (`check_mb_per_s`), which with one copy bounds a copy-mode receiver.
///
/// [`MEMCPY_SIZE`]: crate::measure::MEMCPY_SIZE
pub fn memcpy_note(
    out: &mut impl Write,
    mb_per_s: f64,
    check_mb_per_s: f64,
    rows: &[Row],
) -> std::io::Result<()> {
    let size = crate::measure::MEMCPY_SIZE;
    let mut line = format!(
        "memcpy {}: {mb_per_s:.0} MB/s (one CPU, two {} buffers, best of 5)",
        size_text(size),
        size_text(size)
    );
    for r in rows {
        if !r.mechanism.starts_with("shm-ring") || r.size_bytes != size {
            continue;
        }
        if let Some(t) = &r.throughput {
            line.push_str(&format!(
                "; {} {} {}: {:.0} MB/s = {:.2} of it",
                r.mechanism,
                size_text(size),
                r.implementation,
                t.mb_per_s,
                t.mb_per_s / mb_per_s
            ));
        }
    }
    writeln!(out, "{line}")?;
    let bound = 1.0 / (1.0 / mb_per_s + 1.0 / check_mb_per_s);
    writeln!(
        out,
        "verification {}: {check_mb_per_s:.0} MB/s (sequence number, stamps, checksum of every byte, \
         on the receiving side of every row); one copy plus verification: {bound:.0} MB/s = {:.2} of memcpy",
        size_text(size),
        bound / mb_per_s
    )
}

/// Writes the rows that ran (not the skipped ones) as a JSON array.
pub fn write_json(path: &Path, rows: &[Row]) -> anyhow::Result<()> {
    let ran: Vec<&Row> = rows.iter().filter(|r| r.skipped.is_none()).collect();
    let text = serde_json::to_string_pretty(&ran)?;
    std::fs::write(path, text + "\n").with_context(|| format!("write {}", path.display()))
}

/// Writes the rows that ran as CSV, one flat column per figure.
pub fn write_csv(path: &Path, rows: &[Row]) -> anyhow::Result<()> {
    let mut w =
        csv::Writer::from_path(path).with_context(|| format!("create {}", path.display()))?;
    w.write_record([
        "mechanism",
        "implementation",
        "size_bytes",
        "latency_p50_ns",
        "latency_p99_ns",
        "latency_p999_ns",
        "latency_max_ns",
        "mb_per_s",
        "msgs_per_s",
        "verified",
        "ratio_p50",
        "ratio_msgs_per_s",
        "ratio_cpu",
        "ratio_rounds",
        "ratio_p50_min",
        "ratio_p50_max",
        "ratio_msgs_per_s_min",
        "ratio_msgs_per_s_max",
        "ratio_cpu_min",
        "ratio_cpu_max",
        "cpu_ns_per_round_trip",
        "cpu_ns_per_msg",
        "note",
        "error",
    ])?;
    let opt = |v: Option<String>| v.unwrap_or_default();
    for r in rows.iter().filter(|r| r.skipped.is_none()) {
        let l = r.latency_ns.as_ref();
        let t = r.throughput.as_ref();
        let ratio = r.ratio_vs_raw.as_ref();
        w.write_record([
            r.mechanism.clone(),
            r.implementation.to_string(),
            r.size_bytes.to_string(),
            opt(l.map(|l| l.p50.to_string())),
            opt(l.map(|l| l.p99.to_string())),
            opt(l.map(|l| l.p999.to_string())),
            opt(l.map(|l| l.max.to_string())),
            opt(t.map(|t| format!("{:.3}", t.mb_per_s))),
            opt(t.map(|t| format!("{:.1}", t.msgs_per_s))),
            r.verified.to_string(),
            opt(ratio.and_then(|x| x.p50).map(|v| format!("{v:.4}"))),
            opt(ratio.and_then(|x| x.msgs_per_s).map(|v| format!("{v:.4}"))),
            opt(ratio.and_then(|x| x.cpu).map(|v| format!("{v:.4}"))),
            opt(ratio.map(|x| x.rounds.to_string())),
            opt(ratio
                .and_then(|x| x.p50_range)
                .map(|v| format!("{:.4}", v[0]))),
            opt(ratio
                .and_then(|x| x.p50_range)
                .map(|v| format!("{:.4}", v[1]))),
            opt(ratio
                .and_then(|x| x.msgs_per_s_range)
                .map(|v| format!("{:.4}", v[0]))),
            opt(ratio
                .and_then(|x| x.msgs_per_s_range)
                .map(|v| format!("{:.4}", v[1]))),
            opt(ratio
                .and_then(|x| x.cpu_range)
                .map(|v| format!("{:.4}", v[0]))),
            opt(ratio
                .and_then(|x| x.cpu_range)
                .map(|v| format!("{:.4}", v[1]))),
            opt(r.cpu_ns_per_round_trip.map(|v| format!("{v:.1}"))),
            opt(r.cpu_ns_per_msg.map(|v| format!("{v:.1}"))),
            opt(r.note.clone()),
            opt(r.error.clone()),
        ])?;
    }
    w.flush()
        .with_context(|| format!("write {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_times_read_well() {
        assert_eq!(size_text(64), "64 B");
        assert_eq!(size_text(4096), "4 KiB");
        assert_eq!(size_text(1 << 20), "1 MiB");
        assert_eq!(size_text(1000), "1000 B");
        assert_eq!(ns_text(850), "850 ns");
        assert_eq!(ns_text(12_345), "12.3 µs");
        assert_eq!(ns_text(2_500_000), "2.50 ms");
    }

    #[test]
    fn ratios_show_their_spread_over_rounds() {
        assert_eq!(
            ratio_text(Some(1.04), Some([0.97, 1.12]), 3),
            "1.04 [0.97–1.12]"
        );
        assert_eq!(ratio_text(Some(1.04), Some([1.04, 1.04]), 1), "1.04");
        assert_eq!(ratio_text(None, None, 3), "-");
        assert_eq!(
            spread([Some(2.0), None, Some(1.0), Some(3.0)].into_iter()),
            Some([1.0, 3.0])
        );
        assert_eq!(spread([None].into_iter()), None);
    }
}
