//! The result, for people (a table) or for machines (`--json`).

use std::time::Duration;

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
        println!("{}", to_json(o));
        return;
    }
    println!(
        "sum of 1..={} with {} workers via {}",
        o.to,
        o.reports.len(),
        o.mech
    );
    let w = o
        .reports
        .iter()
        .map(|(s, _)| s.to_string().len())
        .max()
        .unwrap_or(0)
        .max(7);
    println!(
        "{:>6}  {:>8}  {:<w$}  partial sum",
        "worker", "pid", "numbers"
    );
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

/// The result as one JSON object. Written by hand because sums above `u64::MAX` (M ≥ about
/// 6·10^9) are JSON numbers that `serde_json` cannot hold without its
/// `arbitrary_precision` feature; every number is printed in full, exact.
fn to_json(o: &Outcome<'_>) -> String {
    let text = |s: &str| serde_json::Value::from(s).to_string();
    let workers: Vec<String> = o
        .reports
        .iter()
        .map(|(s, r)| {
            format!(
                r#"{{"index":{},"pid":{},"from":{},"to":{},"partial":{}}}"#,
                r.index, r.pid, s.from, s.to, r.partial
            )
        })
        .collect();
    let objects: Vec<String> = o.objects.iter().map(|x| text(x)).collect();
    format!(
        r#"{{"via":{},"to":{},"workers":[{}],"total":{},"expected":{},"ok":{},"wall_seconds":{},"objects":[{}]}}"#,
        text(o.mech.name()),
        o.to,
        workers.join(","),
        o.total,
        o.expected,
        o.total == o.expected,
        o.wall.as_secs_f64(),
        objects.join(",")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_holds_sums_above_u64() {
        let share = Share {
            from: 1,
            to: u64::MAX,
        };
        let r = Report {
            index: 0,
            pid: 1,
            partial: u128::MAX,
        };
        let o = Outcome {
            mech: Mech::Unix,
            to: u64::MAX,
            reports: &[(share, r)],
            total: u128::MAX,
            expected: u128::MAX,
            wall: Duration::from_millis(1500),
            objects: &["path /tmp/a \"b\"".to_string()],
        };
        let text = to_json(&o);
        let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(v["objects"][0], "path /tmp/a \"b\"");
        assert_eq!(v["wall_seconds"], 1.5);
        assert!(text.contains(&format!(r#""total":{}"#, u128::MAX)));
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human(Duration::from_micros(812)), "812 µs");
        assert_eq!(human(Duration::from_micros(3410)), "3.41 ms");
        assert_eq!(human(Duration::from_millis(12302)), "12.302 s");
    }
}
