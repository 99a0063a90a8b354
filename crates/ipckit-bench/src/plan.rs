//! The plan of a run: the budget of each phase, the CPUs to pin to, the private directory.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;

use crate::args::Args;

/// How long and how many per phase.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Rounds per scenario.
    pub rounds: u32,
    /// Latency warm-up time (per round).
    pub warmup: Duration,
    /// Latency warm-up cap in round trips (per round).
    pub warmup_max: u64,
    /// Latency time budget.
    pub latency: Duration,
    /// Latency cap in round trips.
    pub latency_max: u64,
    /// Throughput time budget.
    pub throughput: Duration,
    /// Throughput cap in messages.
    pub throughput_max: u64,
}

impl Budget {
    /// The budget the flags ask for.
    pub fn from_args(a: &Args) -> Budget {
        let mut b = if a.quick {
            Budget {
                rounds: 1,
                warmup: Duration::from_millis(2),
                warmup_max: 20,
                latency: Duration::from_millis(15),
                latency_max: 300,
                throughput: Duration::from_millis(15),
                throughput_max: 300,
            }
        } else {
            Budget {
                rounds: 3,
                warmup: Duration::from_millis(10),
                warmup_max: 1_000,
                latency: Duration::from_millis(120),
                latency_max: 200_000,
                throughput: Duration::from_millis(150),
                throughput_max: 2_000_000,
            }
        };
        if let Some(ms) = a.duration {
            b.latency = Duration::from_millis(ms);
            b.throughput = Duration::from_millis(ms);
        }
        if let Some(n) = a.iterations {
            b.latency_max = n.max(1);
            b.throughput_max = n.max(2);
        }
        if let Some(r) = a.rounds {
            b.rounds = r;
        }
        b
    }

    /// The budget of one round: the time and caps divided among the rounds (the warm-up is
    /// per round).
    pub fn per_round(&self) -> Budget {
        let r = self.rounds.max(1);
        Budget {
            rounds: 1,
            warmup: self.warmup,
            warmup_max: self.warmup_max,
            latency: self.latency / r,
            latency_max: (self.latency_max / u64::from(r)).max(1),
            throughput: self.throughput / r,
            throughput_max: (self.throughput_max / u64::from(r)).max(2),
        }
    }

    /// How long a scenario may take before the watchdog declares it hung.
    pub fn hang_limit(&self) -> Duration {
        Duration::from_secs(20) + 4 * (self.warmup + self.latency + self.throughput)
    }

    /// The method line of the report.
    pub fn text(&self) -> String {
        let r = self.per_round();
        format!(
            "method: {} round(s) per scenario, each with a fresh peer, ipckit and raw alternating; latency merged over the rounds, throughput the best round\n\
             each round: latency warm-up {} ms, then up to {} ms or {} round trips; throughput up to {} ms or {} messages",
            self.rounds,
            r.warmup.as_millis(),
            r.latency.as_millis(),
            r.latency_max,
            r.throughput.as_millis(),
            r.throughput_max
        )
    }
}

/// The first two CPUs this process may run on: (parent, peer); `None` with fewer than two.
pub fn pick_cpus() -> Option<(usize, usize)> {
    let set = nix::sched::sched_getaffinity(nix::unistd::Pid::from_raw(0)).ok()?;
    let mut it = (0..nix::sched::CpuSet::count()).filter(|&i| set.is_set(i).unwrap_or(false));
    Some((it.next()?, it.next()?))
}

/// Pins the calling thread (and what it starts afterwards) to `cpu`.
///
/// # Errors
/// `sched_setaffinity` failed.
pub fn pin(cpu: usize) -> nix::Result<()> {
    let mut set = nix::sched::CpuSet::new();
    set.set(cpu)?;
    nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(0), &set)
}

/// The run's private directory for paths (FIFOs, socket files), removed on drop.
pub struct RunDir {
    /// `$TMPDIR/ipckit-bench-PID`, mode 0700.
    pub path: PathBuf,
}

impl RunDir {
    /// Creates it.
    ///
    /// # Errors
    /// `mkdir` failed (e.g. it exists).
    pub fn create() -> anyhow::Result<RunDir> {
        use std::os::unix::fs::DirBuilderExt;
        let path = std::env::temp_dir().join(format!("ipckit-bench-{}", std::process::id()));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .with_context(|| format!("mkdir {}", path.display()))?;
        Ok(RunDir { path })
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
