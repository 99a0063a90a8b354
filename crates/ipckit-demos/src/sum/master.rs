//! The master: plans the shares, creates the mechanism, starts and watches the workers,
//! collects the reports, removes every object, prints the result.

use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use clap::ValueEnum;
use ipckit::signal::{Catcher, Signal};

use super::cli::{RunArgs, WORKER_ENV};
use super::output::{self, Outcome};
use super::supervise::Workers;
use super::transport::{Collector, Polled};
use super::{expected_total, shares, Fail, Mech, Share};

/// How long one wait lasts before the master looks at its workers and the deadline again.
const SLICE: Duration = Duration::from_millis(50);

pub(crate) fn main(args: RunArgs) -> ExitCode {
    match run(&args) {
        Ok(code) => code,
        Err(f) => {
            eprintln!("parallel-sum: {}", f.msg);
            ExitCode::from(f.code)
        }
    }
}

/// The default timeout: 10 s, plus 20 ns per number of the largest share (a loaded machine
/// adds about 1 ns each).
fn default_timeout(largest: u64) -> Duration {
    Duration::from_secs(10) + Duration::from_nanos(largest.saturating_mul(20))
}

/// Refuses `--via signal` when the largest partial sum does not fit in a sigqueue `int`.
fn check_fits_signal(plan: &[Share]) -> Result<(), Fail> {
    let Some((i, s)) = plan
        .iter()
        .enumerate()
        .max_by_key(|(_, s)| s.expected_sum())
    else {
        return Ok(());
    };
    let sum = s.expected_sum();
    if sum > i32::MAX as u128 {
        return Err(Fail::usage(format!(
            "--via signal sends each partial sum as the int value of a sigqueue(3), at most \
             {}, but the largest partial sum does not fit: worker {i}'s share {s} sums to \
             {sum}. Use more workers, a smaller --to, or another mechanism (nothing was \
             started)",
            i32::MAX
        )));
    }
    Ok(())
}

fn run(args: &RunArgs) -> Result<ExitCode, Fail> {
    let n = args.workers as usize;
    let plan = shares(args.to, n);
    if args.via == Mech::Signal {
        check_fits_signal(&plan)?;
    }
    if args.fault.is_some() && args.fault_worker as usize >= n {
        return Err(Fail::usage(format!(
            "--fault-worker {} but there are {n} workers",
            args.fault_worker
        )));
    }
    let largest = plan.iter().map(Share::len).max().unwrap_or(0);
    let timeout = args.timeout.unwrap_or_else(|| default_timeout(largest));

    // Before any object exists: from here on Ctrl-C is a message to us, not our death.
    let catcher = Catcher::new([Signal::INT, Signal::TERM, Signal::HUP])?;
    let (mut collector, endpoint) = Collector::setup(args.via, n)?;
    if args.verbose {
        for o in collector.objects() {
            eprintln!("parallel-sum: created {o}");
        }
    }
    let objects = collector.objects().to_vec();
    let mut workers = Workers::new(args.via, catcher, timeout);
    let outcome = collect(args, &plan, &endpoint, &mut collector, &mut workers);
    if outcome.is_err() {
        workers.kill_all();
    }
    let closed = collector.close(args.verbose);
    let wall = outcome?;
    closed?;

    let reports: Vec<_> = workers
        .list
        .iter()
        .map(|w| (w.share, w.report.expect("every worker reported")))
        .collect();
    let total: u128 = reports.iter().map(|(_, r)| r.partial).sum();
    let out = Outcome {
        mech: args.via,
        to: args.to,
        reports: &reports,
        total,
        expected: expected_total(args.to),
        wall,
        objects: &objects,
    };
    output::print(&out, args.json);
    if total != out.expected {
        eprintln!(
            "parallel-sum: wrong total via {}: {total}, expected {} = M(M+1)/2",
            args.via, out.expected
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Starts the workers, collects one report from each, reaps them; the wall time runs from
/// the first start to the last report.
fn collect(
    args: &RunArgs,
    plan: &[Share],
    endpoint: &str,
    collector: &mut Collector,
    workers: &mut Workers,
) -> Result<Duration, Fail> {
    let exe = std::env::current_exe().map_err(|e| {
        Fail::run(format!(
            "cannot find my own executable to start workers: {e}"
        ))
    })?;
    let master = std::process::id().to_string();
    let start = Instant::now();
    for (i, share) in plan.iter().enumerate() {
        let mut cmd = Command::new(&exe);
        cmd.env(WORKER_ENV, "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .args(["--index", &i.to_string()])
            .args([
                "--from",
                &share.from.to_string(),
                "--to",
                &share.to.to_string(),
            ])
            .args(["--via", args.via.name(), "--endpoint", endpoint])
            .args(["--master", &master]);
        if let Some(fault) = args.fault.filter(|_| i == args.fault_worker as usize) {
            let name = fault.to_possible_value().expect("no skipped variants");
            cmd.args(["--fault", name.get_name()]);
        }
        // The Spawner closes our copy of a pipe end handed to the worker once it is started.
        let mut spawner = ipckit::pipe::Spawner::new(cmd);
        collector.prepare(&mut spawner)?;
        let child = spawner
            .spawn()
            .map_err(|e| Fail::run(format!("starting worker {i}: {e}")))?;
        if args.verbose {
            eprintln!(
                "parallel-sum: started worker {i} pid {} (numbers {share})",
                child.id()
            );
        }
        workers.push(*share, child);
    }
    let mut idle = false;
    while workers.reported() < plan.len() {
        workers.check(idle)?;
        match collector.poll(SLICE, workers)? {
            Polled::Reports(rs) => {
                idle = rs.is_empty();
                for r in rs {
                    workers.accept(r)?;
                }
            }
            Polled::Closed(index) => return Err(workers.blame_closed(index)),
        }
    }
    let wall = start.elapsed();
    workers.reap_all()?;
    Ok(wall)
}
