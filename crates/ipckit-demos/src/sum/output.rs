//! The result, for people (a table) or for machines (`--json`).

use std::time::Duration;

use serde_json::json;

use super::{Mech, Report, Share};

/// What a successful run found.
pub(crate) struct Outcome<'a> {
    pub(crate) mech: Mech,
    pub(crate) to: u64,
    pub(crate) reports: &'a [(Share, Report)],
    pub(crate) total: u128,
    pub(crate) expected: u128,
    pub(crate) wall: Duration,
    pub(crate) objects: &'a [String],
}

/// `812 µs`, `3.41 ms`, `12.302 s`.
pub(crate) fn human(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.3} s")
    } else if s >= 1e-3 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{:.0} µs", s * 1e6)
    }
}

pub(crate) fn print(o: &Outcome<'_>, as_json: bool) {
    let ok = o.total == o.expected;
    if as_json {
        let workers: Vec<_> = o
            .reports
            .iter()
            .map(|(s, r)| {
                json!({
                    "index": r.index, "pid": r.pid, "from": s.from, "to": s.to,
                    "partial": r.partial,
                })
            })
            .collect();
        let v = json!({
            "via": o.mech.name(), "to": o.to, "workers": workers, "total": o.total,
            "expected": o.expected, "ok": ok, "wall_seconds": o.wall.as_secs_f64(),
            "objects": o.objects,
        });
        println!("{v}");
        return;
    }
    println!(
        "sum of 1..={} with {} workers via {}",
        o.to,
        o.reports.len(),
        o.mech
    );
    let w = o.reports.iter().map(|(s, _)| s.to_string().len()).max().unwrap_or(0).max(7);
    println!("{:>6}  {:>8}  {:<w$}  partial sum", "worker", "pid", "numbers");
    for (s, r) in o.reports {
        println!(
            "{:>6}  {:>8}  {:<w$}  {}",
            r.index,
            r.pid,
            s.to_string(),
            r.partial
        );
    }
    println!("total {}", o.total);
    println!(
        "check {} = M(M+1)/2: {}",
        o.expected,
        if ok { "ok" } else { "WRONG" }
    );
    println!("wall time {}", human(o.wall));
}
