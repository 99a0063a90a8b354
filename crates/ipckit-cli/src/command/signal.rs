//! `ipckit signal`: list the signal table, send a signal (with a value), wait for signals.

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use ipckit::signal::{self, Probe, Signal, SignalFd, SignalSet};

use crate::parse::parse_secs;

/// Flags of `ipckit signal`.
#[derive(Debug, clap::Args)]
pub struct SignalArgs {
    /// What to do with signals.
    #[command(subcommand)]
    pub command: SignalCommand,
}

/// The `ipckit signal` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum SignalCommand {
    /// List the signals of this system (like `kill -l`), or translate one name/number.
    List {
        /// Print a table: number, name, default action (Term, Core, Ign, Stop, Cont) and
        /// description.
        #[arg(long, short = 'L')]
        table: bool,
        /// A signal to translate: a number prints its name, a name prints its number.
        signal: Option<String>,
    },
    /// Send a signal to a process (`kill`), or with a value (`sigqueue`).
    ///
    /// SIG is a name (`TERM`, `SIGUSR1`, `rtmin+3`, `RTMAX-1`, any case) or a number; `0`
    /// sends the null signal, which only checks that PID exists and may be signalled (exit
    /// status 1 if it does not).
    Send {
        /// The target process id (or process group id with --group), 1 to 2147483647.
        #[arg(value_parser = crate::parse::parse_pid)]
        pid: u32,
        /// The signal: name or number; 0 for the null signal.
        #[arg(value_name = "SIG")]
        signal: String,
        /// Send with `sigqueue(3)` carrying this integer (the receiver's `si_value`).
        #[arg(long, short = 'q', value_name = "N", allow_negative_numbers = true)]
        value: Option<i32>,
        /// PID is a process group: signal every member (`killpg`).
        #[arg(long, short = 'g', conflicts_with = "value")]
        group: bool,
    },
    /// Wait for signals and print one line per arrival: signal, sender pid and uid, value.
    ///
    /// The signals are blocked first and read through a signalfd, so none sent after the
    /// readiness line ("waiting for ... (pid N)" on stderr) is lost: real-time signals are
    /// each reported with their value, a standard signal sent again while still pending
    /// counts once (the kernel keeps one). Output lines look like
    /// `SIGRTMIN+1 pid=1234 uid=1000 value=42 origin=sigqueue`.
    Wait {
        /// The signals to wait for (names or numbers); not KILL or STOP.
        #[arg(value_name = "SIG", required = true)]
        signals: Vec<String>,
        /// Stop after this many arrivals (0: never).
        #[arg(long, short = 'n', value_name = "N", default_value_t = 1)]
        count: u64,
        /// Give up after this many seconds in all (decimals allowed), exiting with status 1.
        #[arg(long, short = 't', value_name = "SECS", value_parser = parse_secs)]
        timeout: Option<Duration>,
        /// Once the signals are blocked (none can be lost from then on), write this
        /// process's pid (one line) to file descriptor N and close it, so a script can send
        /// without racing: `ipckit signal wait USR1 --ready-fd 3 3>&1 >&4 | { read -r pid;
        /// ipckit signal send "$pid" USR1; }`.
        #[arg(long, value_name = "N", value_parser = crate::ready::parse_fd)]
        ready_fd: Option<std::os::fd::RawFd>,
    },
}

fn parse_signal(s: &str) -> anyhow::Result<Signal> {
    Ok(s.parse::<Signal>()?)
}

/// Runs `ipckit signal`.
pub fn run(args: SignalArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        SignalCommand::List { table, signal } => list(table, signal.as_deref()),
        SignalCommand::Send {
            pid,
            signal,
            value,
            group,
        } => send(pid, &signal, value, group),
        SignalCommand::Wait {
            signals,
            count,
            timeout,
            ready_fd,
        } => wait(&signals, count, timeout, ready_fd),
    }
}

fn list(table: bool, one: Option<&str>) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    if let Some(s) = one {
        let sig = parse_signal(s)?;
        if s.trim().bytes().all(|b| b.is_ascii_digit()) {
            writeln!(out, "{}", sig.name())?;
        } else {
            writeln!(out, "{}", sig.as_raw())?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if table {
        writeln!(
            out,
            "{:>3}  {:<10} {:<6} DESCRIPTION",
            "NUM", "NAME", "ACTION"
        )?;
        for s in Signal::all() {
            writeln!(
                out,
                "{:>3}  {:<10} {:<6} {}",
                s.as_raw(),
                s.name(),
                s.default_action(),
                s.description()
            )?;
        }
    } else {
        // Names separated by spaces, lines kept under 80 columns, as procps `kill -l`.
        let mut line = String::new();
        for s in Signal::all() {
            let name = s.name();
            if !line.is_empty() && line.len() + 1 + name.len() > 79 {
                writeln!(out, "{line}")?;
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&name);
        }
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn send(pid: u32, sig: &str, value: Option<i32>, group: bool) -> anyhow::Result<ExitCode> {
    if sig.trim() == "0" {
        anyhow::ensure!(
            !group && value.is_none(),
            "the null signal (0) takes neither --group nor --value"
        );
        let answer = signal::probe(pid)?;
        let mut out = std::io::stdout().lock();
        let text = match answer {
            Probe::MaySignal => "exists and may be signalled",
            Probe::NotPermitted => "exists but may not be signalled (EPERM)",
            Probe::NoSuchProcess => "does not exist (ESRCH)",
        };
        writeln!(out, "pid {pid} {text}")?;
        out.flush()?;
        return Ok(if answer.exists() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    let sig = parse_signal(sig)?;
    match (value, group) {
        (Some(v), _) => signal::queue(pid, sig, v)?,
        (None, true) => signal::kill_group(pid, sig)?,
        (None, false) => signal::kill(pid, sig)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn origin_name(o: signal::Origin) -> String {
    use signal::Origin::*;
    match o {
        Kill => "kill".into(),
        Queue => "sigqueue".into(),
        Timer => "timer".into(),
        MessageQueue => "mq_notify".into(),
        Tkill => "tkill".into(),
        Kernel => "kernel".into(),
        Other(c) => format!("code{c}"),
        _ => "other".into(),
    }
}

fn wait(
    names: &[String],
    count: u64,
    timeout: Option<Duration>,
    ready_fd: Option<std::os::fd::RawFd>,
) -> anyhow::Result<ExitCode> {
    let set: SignalSet = names
        .iter()
        .map(|n| parse_signal(n))
        .collect::<anyhow::Result<_>>()?;
    // The CLI is single-threaded here, so blocking in this thread blocks them in the
    // process: from now on they stay pending until read from the signalfd.
    let _mask = signal::block(&set)?;
    let fd = SignalFd::new(&set)?;
    eprintln!("waiting for {set} (pid {})", std::process::id());
    crate::ready::notify(ready_fd, &std::process::id().to_string())?;
    let deadline = timeout.map(|t| Instant::now() + t);
    let mut out = std::io::stdout().lock();
    let mut seen = 0u64;
    while count == 0 || seen < count {
        let info = match deadline {
            None => fd.recv()?,
            Some(d) => match fd.recv_timeout(d.saturating_duration_since(Instant::now())) {
                Err(e) if e.kind() == ipckit::ErrorKind::TimedOut => anyhow::bail!(
                    "signal wait: timed out: no {set} within {}",
                    crate::present::duration_text(timeout.unwrap_or_default())
                ),
                r => r?,
            },
        };
        writeln!(
            out,
            "{} pid={} uid={} value={} origin={}",
            info.signal(),
            info.sender_pid(),
            info.sender_uid(),
            info.value(),
            origin_name(info.origin())
        )?;
        out.flush()?;
        seen += 1;
    }
    Ok(ExitCode::SUCCESS)
}
