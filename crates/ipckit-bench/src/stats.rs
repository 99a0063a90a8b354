//! The figures of a scenario: latency percentiles from an HDR histogram, throughput rates,
//! CPU time, and how rounds merge.

use hdrhistogram::Histogram;

use crate::scenario::Impl;

/// Round-trip latency of one scenario, in nanoseconds.
#[derive(Debug, Clone)]
pub struct Latency {
    /// Every measured round trip.
    pub hist: Histogram<u64>,
    /// Median round trip.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Slowest round trip.
    pub max: u64,
    /// Fastest round trip.
    pub min: u64,
    /// Round trips measured (after the warm-up).
    pub iterations: u64,
    /// CPU time of both processes over the whole phase (warm-up included), nanoseconds.
    pub cpu_ns: u64,
    /// Round trips over the whole phase (warm-up included).
    pub round_trips: u64,
}

impl Latency {
    /// The figures of `hist` (CPU time not yet known).
    pub fn from_hist(hist: Histogram<u64>) -> Latency {
        Latency {
            cpu_ns: 0,
            round_trips: 0,
            p50: hist.value_at_quantile(0.50),
            p99: hist.value_at_quantile(0.99),
            p999: hist.value_at_quantile(0.999),
            max: hist.max(),
            min: hist.min(),
            iterations: hist.len(),
            hist,
        }
    }

    /// Both rounds as one: histograms and CPU time added.
    pub fn merge(mut self, other: &Latency) -> Latency {
        // Both histograms have the same bounds, so adding cannot fail.
        let _ = self.hist.add(&other.hist);
        Latency {
            cpu_ns: self.cpu_ns + other.cpu_ns,
            round_trips: self.round_trips + other.round_trips,
            ..Latency::from_hist(self.hist)
        }
    }

    /// CPU time of both processes per round trip, nanoseconds.
    pub fn cpu_per_round_trip(&self) -> Option<f64> {
        (self.round_trips > 0).then(|| self.cpu_ns as f64 / self.round_trips as f64)
    }
}

/// One-way throughput of one scenario.
#[derive(Debug, Clone)]
pub struct Throughput {
    /// Megabytes (10^6 bytes) of message payload per second.
    pub mb_per_s: f64,
    /// Messages per second.
    pub msgs_per_s: f64,
    /// Messages received and verified.
    pub messages: u64,
    /// CPU time of the sender and the receiver over their loops, nanoseconds (summed over
    /// rounds, like `cpu_messages`).
    pub cpu_ns: u64,
    /// Messages the CPU time was spent on.
    pub cpu_messages: u64,
}

impl Throughput {
    /// CPU time of sender plus receiver per message, nanoseconds.
    pub fn cpu_per_msg(&self) -> Option<f64> {
        (self.cpu_messages > 0).then(|| self.cpu_ns as f64 / self.cpu_messages as f64)
    }
}

/// CPU time this thread has used (`CLOCK_THREAD_CPUTIME_ID`), nanoseconds; 0 if unknown.
pub fn thread_cpu_ns() -> u64 {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID).map_or(0, |t| {
        (t.tv_sec() as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(t.tv_nsec() as u64)
    })
}

/// The headline figures of one round of a scenario, kept so that the report can show how
/// much the ipckit/raw ratios move from round to round.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RoundFigures {
    /// Median round trip, nanoseconds.
    pub p50: Option<u64>,
    /// Messages per second, one way.
    pub msgs_per_s: Option<f64>,
    /// CPU time of both processes per message, nanoseconds (throughput phase, else latency
    /// phase).
    pub cpu_per_msg: Option<f64>,
}

/// The outcome of one (mechanism, size, implementation).
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Mechanism name.
    pub mechanism: &'static str,
    /// ipckit or raw.
    pub imp: Impl,
    /// Message size in bytes.
    pub size: usize,
    /// Latency figures, if measured.
    pub latency: Option<Latency>,
    /// Throughput figures, if measured.
    pub throughput: Option<Throughput>,
    /// Every message arrived, in order, intact.
    pub verified: bool,
    /// Skipped (not run) with this reason: not a failure.
    pub skipped: Option<String>,
    /// What went wrong (a verification mismatch or an error).
    pub error: Option<String>,
    /// A note for the table.
    pub note: Option<String>,
    /// Each round's figures, in the order run, once two or more rounds are merged (empty for
    /// a single round: see [`Outcome::rounds`]).
    pub merged_rounds: Vec<RoundFigures>,
}

impl Outcome {
    /// Nothing measured yet, not verified.
    pub fn new(mechanism: &'static str, imp: Impl, size: usize) -> Outcome {
        Outcome {
            mechanism,
            imp,
            size,
            latency: None,
            throughput: None,
            verified: false,
            skipped: None,
            error: None,
            note: None,
            merged_rounds: Vec::new(),
        }
    }

    /// The figures of each round (one entry for an outcome of a single round; none when it
    /// failed).
    pub fn rounds(&self) -> Vec<RoundFigures> {
        if !self.merged_rounds.is_empty() {
            return self.merged_rounds.clone();
        }
        if !self.verified {
            return Vec::new();
        }
        vec![RoundFigures {
            p50: self.latency.as_ref().map(|l| l.p50),
            msgs_per_s: self.throughput.as_ref().map(|t| t.msgs_per_s),
            cpu_per_msg: self
                .throughput
                .as_ref()
                .and_then(Throughput::cpu_per_msg)
                .or_else(|| self.latency.as_ref().and_then(Latency::cpu_per_round_trip)),
        }]
    }

    /// Skipped with the reason `why`.
    pub fn skipped(mechanism: &'static str, imp: Impl, size: usize, why: String) -> Outcome {
        let mut o = Outcome::new(mechanism, imp, size);
        o.skipped = Some(why);
        o
    }

    /// This outcome and a later round's of the same scenario as one: a failure in either
    /// fails both; latency histograms add up; throughput is the better round's.
    pub fn merge(self, next: Outcome) -> Outcome {
        if !self.verified {
            return self;
        }
        if !next.verified {
            return next;
        }
        let mut merged_rounds = self.rounds();
        merged_rounds.extend(next.rounds());
        let latency = match (self.latency, &next.latency) {
            (Some(a), Some(b)) => Some(a.merge(b)),
            (a, b) => a.or_else(|| b.clone()),
        };
        let throughput = match (self.throughput, next.throughput) {
            (Some(a), Some(b)) => Some(Throughput {
                messages: a.messages + b.messages,
                cpu_ns: a.cpu_ns + b.cpu_ns,
                cpu_messages: a.cpu_messages + b.cpu_messages,
                ..if b.msgs_per_s > a.msgs_per_s { b } else { a }
            }),
            (a, b) => a.or(b),
        };
        Outcome {
            latency,
            throughput,
            merged_rounds,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_round(p50: u64, msgs_per_s: f64) -> Outcome {
        let mut hist = Histogram::new_with_bounds(1, 1_000_000, 3).unwrap();
        hist.record(p50).unwrap();
        let mut o = Outcome::new("pipe", Impl::Ipckit, 64);
        o.verified = true;
        o.latency = Some(Latency::from_hist(hist));
        o.throughput = Some(Throughput {
            mb_per_s: 1.0,
            msgs_per_s,
            messages: 10,
            cpu_ns: 100,
            cpu_messages: 10,
        });
        o
    }

    #[test]
    fn merging_keeps_every_rounds_figures() {
        let a = one_round(1000, 5.0);
        assert_eq!(a.rounds().len(), 1);
        let m = a.merge(one_round(2000, 7.0)).merge(one_round(3000, 6.0));
        let r = m.rounds();
        assert_eq!(r.len(), 3);
        assert_eq!(
            r.iter().map(|f| f.msgs_per_s.unwrap()).collect::<Vec<_>>(),
            [5.0, 7.0, 6.0]
        );
        assert!(r.iter().all(|f| f.cpu_per_msg == Some(10.0)));
        assert!(r[0].p50.unwrap() < r[2].p50.unwrap());
        assert_eq!(m.throughput.unwrap().msgs_per_s, 7.0);
        let failed = Outcome::new("pipe", Impl::Raw, 64);
        assert!(failed.rounds().is_empty());
    }
}
