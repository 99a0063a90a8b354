//! The parent's measurement loops: latency (ping-pong with the peer's echo, into an HDR
//! histogram after a warm-up) and throughput (streaming, then the peer's count and time).

use std::time::Instant;

use anyhow::Context as _;
use hdrhistogram::Histogram;

use crate::common::end_marker;
use crate::plan::Budget;
use crate::protocol::ThroughputReport;
use crate::scenario::Endpoint;
use crate::stats::{thread_cpu_ns, Latency, Throughput};
use crate::verify::Pattern;

/// Why a phase did not give figures.
pub enum Failure {
    /// The data was wrong: lost, reordered or corrupted.
    Mismatch(String),
    /// The mechanism failed.
    Error(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Error(e)
    }
}

/// Parent side of the latency phase: ping-pong, then the end marker.
///
/// # Errors
/// An echo that differs from what was sent ([`Failure::Mismatch`]) or a mechanism error.
pub fn latency(ep: &mut dyn Endpoint, p: &Pattern, b: &Budget) -> Result<Latency, Failure> {
    // 1 ns to 100 s at 3 significant digits; anything slower is clamped to 100 s.
    let mut hist = Histogram::<u64>::new_with_bounds(1, 100_000_000_000, 3)
        .map_err(|e| anyhow::anyhow!("histogram: {e}"))?;
    let mut msg = p.buffer();
    let mut echo = Vec::with_capacity(p.size());
    let mut seq = 0u64;
    let start = Instant::now();
    let mut measuring_since = None;
    loop {
        let now = Instant::now();
        let measured = match measuring_since {
            None if seq >= b.warmup_max || now.duration_since(start) >= b.warmup => {
                measuring_since = Some(now);
                true
            }
            None => false,
            Some(since) => {
                if hist.len() >= b.latency_max
                    || (!hist.is_empty() && now.duration_since(since) >= b.latency)
                {
                    break;
                }
                true
            }
        };
        p.stamp(seq, &mut msg);
        let t0 = Instant::now();
        ep.send(&msg)?;
        ep.recv(&mut echo)?;
        let dt = t0.elapsed();
        if let Err(m) = p.check(seq, &echo) {
            return Err(Failure::Mismatch(format!("echo: {m}")));
        }
        if measured {
            hist.saturating_record(dt.as_nanos().clamp(1, u64::MAX as u128) as u64);
        }
        seq += 1;
    }
    ep.send(end_marker(p.size()))?;
    Ok(Latency::from_hist(hist))
}

/// What the parent sent in the throughput phase.
pub struct Sent {
    /// Messages sent (the end marker aside).
    pub messages: u64,
    /// CPU time of the send loop, nanoseconds.
    pub cpu_ns: u64,
}

/// Parent side of the throughput phase: stream for the budget, then the end marker.
///
/// # Errors
/// A mechanism error.
pub fn stream(ep: &mut dyn Endpoint, p: &Pattern, b: &Budget) -> anyhow::Result<Sent> {
    let mut msg = p.buffer();
    let cpu0 = thread_cpu_ns();
    let start = Instant::now();
    let mut seq = 0u64;
    while seq < b.throughput_max && (seq < 2 || start.elapsed() < b.throughput) {
        p.stamp(seq, &mut msg);
        ep.send(&msg).context("send")?;
        seq += 1;
    }
    ep.send(end_marker(p.size())).context("send end marker")?;
    Ok(Sent {
        messages: seq,
        cpu_ns: thread_cpu_ns().saturating_sub(cpu0),
    })
}

/// The throughput figures of `size`-byte messages from what was sent and what the peer
/// reported; `Err` is why the phase failed (a verification failure, a lost message).
pub fn throughput(
    sent: &Sent,
    peer: &ThroughputReport,
    size: usize,
) -> (Throughput, Option<String>) {
    let error = match &peer.failure {
        Some(why) => Some(format!("throughput: {why}")),
        None if peer.count != sent.messages => Some(format!(
            "throughput: sent {} messages, the peer verified {}",
            sent.messages, peer.count
        )),
        None => None,
    };
    // Intervals between the first and the last arrival: count - 1 messages in `nanos`.
    let secs = (peer.nanos.max(1) as f64) / 1e9;
    let per_s = (peer.count.saturating_sub(1)) as f64 / secs;
    let t = Throughput {
        mb_per_s: per_s * size as f64 / 1e6,
        msgs_per_s: per_s,
        messages: peer.count,
        cpu_ns: sent.cpu_ns + peer.cpu_ns,
        cpu_messages: peer.count,
    };
    (t, error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(count: u64, failure: Option<&str>) -> ThroughputReport {
        ThroughputReport {
            count,
            nanos: 1_000_000_000,
            cpu_ns: 10,
            failure: failure.map(String::from),
        }
    }

    #[test]
    fn throughput_counts_intervals_and_flags_losses() {
        let sent = Sent {
            messages: 101,
            cpu_ns: 5,
        };
        let (t, err) = throughput(&sent, &report(101, None), 1000);
        assert!(err.is_none());
        assert_eq!(t.msgs_per_s, 100.0);
        assert_eq!(t.mb_per_s, 0.1);
        assert_eq!(t.cpu_ns, 15);
        let (_, err) = throughput(&sent, &report(100, None), 1000);
        assert_eq!(
            err.as_deref(),
            Some("throughput: sent 101 messages, the peer verified 100")
        );
        let (_, err) = throughput(&sent, &report(101, Some("seq 2 bad")), 1000);
        assert_eq!(err.as_deref(), Some("throughput: seq 2 bad"));
    }
}
