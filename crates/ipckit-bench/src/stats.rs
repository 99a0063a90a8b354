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
        }
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
            ..self
        }
    }
}
