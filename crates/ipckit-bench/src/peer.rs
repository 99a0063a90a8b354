//! The peer's main: read the plan from the control pipe, open the peer's side of the
//! mechanism, echo the latency phase, receive and verify the throughput phase, and report
//! each phase over the control pipe.

use std::io::BufReader;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context as _};

use crate::args::PeerArgs;
use crate::common::is_end;
use crate::plan::pin;
use crate::protocol::{self, Fault, FromPeer, ThroughputReport, ToPeer};
use crate::stats::thread_cpu_ns;
use crate::verify::Pattern;

/// Runs the hidden peer subcommand: the peer side of one scenario, whose plan arrives on
/// stdin as a [`ToPeer::Plan`].
///
/// # Errors
/// A malformed plan, a failed setup, or a mechanism error (a verification failure is not an
/// error: it is reported to the parent).
pub fn peer_main(_args: PeerArgs) -> anyhow::Result<ExitCode> {
    // Die with the parent, whatever happens to it.
    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
        .context("prctl PR_SET_PDEATHSIG")?;
    let mut control = BufReader::new(std::io::stdin().lock());
    let plan = match protocol::recv::<ToPeer>(&mut control)? {
        Some(ToPeer::Plan(plan)) => plan,
        None => bail!("no plan on the control pipe (stdin): this subcommand is started by `bench`"),
    };
    if let Some(cpu) = plan.cpu {
        pin(cpu).context("sched_setaffinity (pinning the bench peer)")?;
    }
    let m = plan.mech.mechanism();
    let case = plan.case();
    let fault = plan.fault;
    if fault == Some(Fault::Exit) {
        bail!("exiting before setup (--fault exit)");
    }
    let mut ep = m
        .scenario(case.imp)
        .peer(&case, &plan.args)
        .context("peer setup")?;
    let mut out = std::io::stdout().lock();
    protocol::send(&mut out, &FromPeer::Ready)?;
    let size = case.size;
    // Latency: echo until the end marker. With a fault, the peer corrupts its 3rd echo.
    let mut buf = Vec::with_capacity(size);
    let mut echoed = 0u64;
    let cpu0 = thread_cpu_ns();
    loop {
        ep.recv(&mut buf).context("latency recv")?;
        if is_end(&buf, size) {
            break;
        }
        echoed += 1;
        if fault == Some(Fault::CorruptEcho) && echoed == 3 {
            let at = buf.len() / 2;
            buf[at] ^= 0x01;
        }
        ep.send(&buf).context("latency echo")?;
    }
    let latency = FromPeer::Latency {
        round_trips: echoed,
        cpu_ns: thread_cpu_ns().saturating_sub(cpu0),
    };
    protocol::send(&mut out, &latency)?;
    // Throughput: receive and verify until the end marker. With a fault, the peer corrupts
    // or drops its 3rd message.
    let p = Pattern::new(size);
    let mut count = 0u64;
    let mut first = None;
    let mut last = Instant::now();
    let mut failure: Option<String> = None;
    let cpu0 = thread_cpu_ns();
    loop {
        ep.recv(&mut buf).context("throughput recv")?;
        let now = Instant::now();
        if is_end(&buf, size) {
            break;
        }
        first.get_or_insert(now);
        last = now;
        if fault == Some(Fault::DropStream) && count == 2 {
            // Pretend this message never arrived: the next one is out of sequence.
            continue;
        }
        if fault == Some(Fault::CorruptStream) && count == 2 {
            let at = buf.len() - 1;
            buf[at] ^= 0x80;
        }
        if failure.is_none() {
            if let Err(e) = p.check(count, &buf) {
                failure = Some(e.0.replace('\n', " "));
            }
        }
        count += 1;
    }
    let cpu_ns = thread_cpu_ns().saturating_sub(cpu0);
    let nanos = first.map_or(0, |f| last.duration_since(f).as_nanos() as u64);
    let report = ThroughputReport {
        count,
        nanos,
        cpu_ns,
        failure,
    };
    protocol::send(&mut out, &FromPeer::Throughput(report))?;
    Ok(ExitCode::SUCCESS)
}
