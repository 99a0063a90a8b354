//! The markdown table from `peers bench` lines: per peer and size, the median over rounds with
//! the range (min–max) in brackets, and the ratio to ipckit-shm-ring taken round by round.

use std::collections::BTreeMap;

use crate::links::PEERS;
use crate::Res;

const BASE: &str = "ipckit-shm-ring";

#[derive(Clone, Copy)]
struct Row {
    p50: f64,
    p99: f64,
    p999: f64,
    mps: f64,
    mbs: f64,
    rtts: f64,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn ns(v: f64) -> String {
    if v < 10_000.0 {
        format!("{v:.0} ns")
    } else if v < 10_000_000.0 {
        format!("{:.1} µs", v / 1e3)
    } else {
        format!("{:.1} ms", v / 1e6)
    }
}

fn rate(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.2} M", v / 1e6)
    } else if v >= 1e4 {
        format!("{:.0} k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

fn size(s: usize) -> String {
    match s {
        s if s >= 1 << 20 && s % (1 << 20) == 0 => format!("{} MiB", s >> 20),
        s if s >= 1 << 10 && s % (1 << 10) == 0 => format!("{} KiB", s >> 10),
        s => format!("{s} B"),
    }
}

/// Median and range of `f` over the rounds, formatted by `fmt`.
fn spread(rows: &[(u32, Row)], f: impl Fn(&Row) -> f64, fmt: impl Fn(f64) -> String) -> String {
    let mut v: Vec<f64> = rows.iter().map(|(_, r)| f(r)).collect();
    let m = median(&mut v);
    if v.len() < 2 {
        return fmt(m);
    }
    format!("{} ({}–{})", fmt(m), fmt(v[0]), fmt(v[v.len() - 1]))
}

/// The ratio base/peer of `f`, per round where both were measured: median (min–max).
fn ratio(rows: &[(u32, Row)], base: &[(u32, Row)], f: impl Fn(&Row) -> f64) -> String {
    let mut v: Vec<f64> = rows
        .iter()
        .filter_map(|(round, r)| {
            base.iter()
                .find(|(b, _)| b == round)
                .map(|(_, b)| f(b) / f(r))
        })
        .collect();
    if v.is_empty() {
        return "–".into();
    }
    let m = median(&mut v);
    if v.len() < 2 {
        return format!("{m:.2}");
    }
    format!("{m:.2} ({:.2}–{:.2})", v[0], v[v.len() - 1])
}

/// Prints the table for the lines in `file`.
pub fn print(file: &str) -> Res<()> {
    let text = std::fs::read_to_string(file)?;
    let mut rows: BTreeMap<(usize, usize), Vec<(u32, Row)>> = BTreeMap::new();
    let mut skips: BTreeMap<(usize, usize), String> = BTreeMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < 5 {
            continue;
        }
        let Some(p) = PEERS.iter().position(|p| *p == f[0]) else {
            continue;
        };
        let (Ok(s), Ok(round)) = (f[1].parse::<usize>(), f[2].parse::<u32>()) else {
            continue;
        };
        if f[3] == "skip" {
            skips.insert((s, p), f[4..].join(","));
            continue;
        }
        let n = |i: usize| {
            f.get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(f64::NAN)
        };
        let r = Row {
            p50: n(3),
            p99: n(4),
            p999: n(5),
            rtts: n(6),
            mps: n(7),
            mbs: n(8),
        };
        rows.entry((s, p)).or_default().push((round, r));
    }
    let rounds = rows.values().map(Vec::len).max().unwrap_or(0);
    println!(
        "| size | peer | RTT p50 | RTT p99 | RTT p99.9 | RTTs | RTT ratio ipckit/peer | one-way msg/s | one-way MB/s | msg/s ratio ipckit/peer |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let sizes: Vec<usize> = {
        let mut s: Vec<usize> = rows.keys().chain(skips.keys()).map(|k| k.0).collect();
        s.dedup();
        s.sort();
        s.dedup();
        s
    };
    for s in sizes {
        let empty = Vec::new();
        let base_idx = PEERS.iter().position(|p| *p == BASE).expect("base peer");
        let base = rows.get(&(s, base_idx)).unwrap_or(&empty);
        for (p, peer) in PEERS.iter().enumerate() {
            if let Some(r) = rows.get(&(s, p)) {
                println!(
                    "| {} | {peer} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    size(s),
                    spread(r, |r| r.p50, ns),
                    spread(r, |r| r.p99, ns),
                    spread(r, |r| r.p999, ns),
                    {
                        let mut v: Vec<f64> = r.iter().map(|(_, r)| r.rtts).collect();
                        format!("{:.0}", median(&mut v))
                    },
                    ratio(r, base, |r| r.p50),
                    spread(r, |r| r.mps, rate),
                    spread(r, |r| r.mbs, |v| format!("{v:.0}")),
                    ratio(r, base, |r| r.mps),
                );
            } else if let Some(why) = skips.get(&(s, p)) {
                println!("| {} | {peer} | skipped: {why} | | | | | | | |", size(s));
            }
        }
    }
    println!();
    println!(
        "Median over {rounds} rounds, (min–max) across rounds; RTTs: timed round trips per \
         round (median). Ratios are ipckit-shm-ring ÷ peer, \
         per round: RTT below 1 and msg/s above 1 mean ipckit-shm-ring is faster."
    );
    Ok(())
}
