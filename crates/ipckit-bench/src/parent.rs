//! The parent's side of one scenario: start the peer (this program re-executed), hand it the
//! plan, connect, run both phases and collect the peer's reports into an [`Outcome`].

use std::io::BufReader;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use anyhow::{bail, Context as _};

use crate::measure::{self, Failure};
use crate::plan::Budget;
use crate::protocol::{self, Fault, FromPeer, PeerPlan, ThroughputReport, ToPeer, PEER_SUBCOMMAND};
use crate::registry::Mech;
use crate::scenario::{Case, CommandHook};
use crate::stats::{thread_cpu_ns, Outcome};
use crate::verify::Pattern;
use crate::watchdog::Watchdog;

/// The peer process of one scenario and its control pipes.
struct PeerProc {
    child: Child,
    out: BufReader<ChildStdout>,
    stderr: std::path::PathBuf,
}

impl PeerProc {
    /// The peer's next message; an error if it ended or said something malformed.
    fn recv(&mut self) -> anyhow::Result<FromPeer> {
        match protocol::recv(&mut self.out).context("reading the peer's report")? {
            Some(m) => Ok(m),
            None => bail!("the peer ended early: {}", self.stderr_text()),
        }
    }

    fn stderr_text(&self) -> String {
        let s = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        let s = s.trim();
        if s.is_empty() {
            "(nothing on stderr)".into()
        } else {
            s.to_string()
        }
    }

    /// Waits for the peer; an error if it failed.
    fn finish(mut self) -> anyhow::Result<()> {
        let st = self.child.wait().context("waitpid (bench peer)")?;
        let _ = std::fs::remove_file(&self.stderr);
        if !st.success() {
            bail!("the peer failed ({st})");
        }
        Ok(())
    }

    fn kill(mut self) -> String {
        let text = self.stderr_text();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.stderr);
        text
    }
}

/// What the parent knows of the peer to start.
struct Spawn<'a> {
    mech: Mech,
    case: &'a Case,
    cpu: Option<usize>,
    fault: Option<Fault>,
}

fn spawn_peer(
    s: &Spawn<'_>,
    setup_args: Vec<String>,
    inherit: &[std::os::fd::OwnedFd],
    hook: Option<CommandHook>,
) -> anyhow::Result<PeerProc> {
    use nix::fcntl::{fcntl, FcntlArg, FdFlag};
    for fd in inherit {
        fcntl(fd, FcntlArg::F_SETFD(FdFlag::empty())).context("fcntl F_SETFD (hand-over fd)")?;
    }
    let exe = std::env::current_exe().context("current_exe (to start the bench peer)")?;
    let stderr_path = s.case.path("peer-stderr");
    let stderr = std::fs::File::create(&stderr_path)
        .with_context(|| format!("create {}", stderr_path.display()))?;
    let mut cmd = Command::new(exe);
    cmd.arg(PEER_SUBCOMMAND);
    let mut args = setup_args;
    if let Some(hook) = hook {
        args.extend(hook(&mut cmd).context("handing objects to the peer")?);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr);
    let mut child = cmd.spawn().context("spawn the bench peer")?;
    let out = BufReader::new(child.stdout.take().context("peer stdout")?);
    let mut stdin: ChildStdin = child.stdin.take().context("peer stdin")?;
    let plan = PeerPlan {
        mech: s.mech,
        imp: s.case.imp,
        size: s.case.size,
        dir: s.case.dir.clone(),
        id: s.case.id,
        parent: s.case.parent,
        cpu: s.cpu,
        fault: s.fault,
        args,
    };
    let peer = PeerProc {
        child,
        out,
        stderr: stderr_path,
    };
    // The peer may have died already (a fault, a bad plan): its stderr says why.
    if let Err(e) = protocol::send(&mut stdin, &ToPeer::Plan(plan)) {
        let said = peer.stderr_text();
        let _ = peer.kill();
        return Err(e.context(format!("sending the plan; peer said: {said}")));
    }
    Ok(peer)
}

/// Runs one scenario: `mech` implemented by `case.imp` with `case.size`-byte messages.
pub fn run_scenario(
    mech: Mech,
    case: &Case,
    budget: &Budget,
    peer_cpu: Option<usize>,
    fault: Option<Fault>,
    watchdog: &Watchdog,
) -> Outcome {
    let m = mech.mechanism();
    let mut o = Outcome::new(m.name, case.imp, case.size);
    let setup = match m.scenario(case.imp).setup(case) {
        Ok(s) => s,
        Err(e) => {
            o.error = Some(format!("setup: {e:#}"));
            return o;
        }
    };
    let spawn = Spawn {
        mech,
        case,
        cpu: peer_cpu,
        fault,
    };
    let peer = spawn_peer(&spawn, setup.args, &setup.inherit, setup.command);
    drop(setup.inherit);
    let mut peer = match peer {
        Ok(p) => p,
        Err(e) => {
            o.error = Some(format!("{e:#}"));
            return o;
        }
    };
    watchdog.arm(
        peer.child.id(),
        format!("{} {} {} B", m.name, case.imp.as_str(), case.size),
        budget.hang_limit(),
        peer.stderr.clone(),
    );
    let result = (|| -> anyhow::Result<()> {
        let mut ep = (setup.connect)().context("connect")?;
        match peer.recv()? {
            FromPeer::Ready => {}
            other => bail!("the peer said {other:?} instead of ready"),
        }
        let pattern = Pattern::new(case.size);
        let cpu0 = thread_cpu_ns();
        match measure::latency(&mut *ep, &pattern, budget) {
            Ok(mut l) => {
                let mine = thread_cpu_ns().saturating_sub(cpu0);
                match peer.recv()? {
                    FromPeer::Latency {
                        round_trips,
                        cpu_ns,
                    } => {
                        l.round_trips = round_trips;
                        l.cpu_ns = mine + cpu_ns;
                    }
                    other => bail!("the peer's report {other:?} is not the latency report"),
                }
                o.latency = Some(l);
            }
            Err(Failure::Mismatch(why)) => {
                o.error = Some(format!("latency: {why}"));
                return Ok(());
            }
            Err(Failure::Error(e)) => return Err(e.context("latency")),
        }
        if m.has_throughput {
            let sent = measure::stream(&mut *ep, &pattern, budget)?;
            let report: ThroughputReport = match peer.recv()? {
                FromPeer::Throughput(r) => r,
                other => bail!("the peer's report {other:?} is not the throughput report"),
            };
            let (t, error) = measure::throughput(&sent, &report, case.size);
            if o.error.is_none() {
                o.error = error;
            }
            o.throughput = Some(t);
        } else {
            ep.send(crate::common::end_marker(case.size))
                .context("send end marker")?;
        }
        drop(ep);
        Ok(())
    })();
    match result {
        Ok(()) if o.error.is_none() => match peer.finish() {
            Ok(()) => o.verified = true,
            Err(e) => o.error = Some(format!("{e:#}")),
        },
        Ok(()) => {
            peer.kill();
        }
        Err(e) => {
            let said = peer.kill();
            o.error = Some(format!("{e:#}; peer said: {said}"));
        }
    }
    watchdog.disarm();
    if !o.verified {
        o.latency = None;
        o.throughput = None;
    }
    o
}
