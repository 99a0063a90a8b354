//! `ipckit recv ADDR`: receive messages at a channel address and print them.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context as _};
use ipckit::channel::{self, Address, ChannelOptions, DEFAULT_MAX_MESSAGE};
use ipckit::signal::{Signal, SignalSet};
use ipckit::sysv::key::KeySpec;
use ipckit::sysv::msg::{MessageQueue, RecvFlags, Selector, Wait};
use ipckit::ErrorKind;
use ipckit::Named;

use super::send::{address_help, parse_address};

/// Flags of `ipckit recv`.
#[derive(Debug, clap::Args)]
#[command(after_help = address_help())]
pub struct RecvArgs {
    /// Where to receive (the forms are listed below): sockets are bound (and listened on), a
    /// FIFO is created if missing.
    /// A socket file or FIFO created here is removed on exit (also on SIGINT, SIGTERM and
    /// SIGHUP). The address actually used is printed on stderr once ready
    /// (`tcp:127.0.0.1:0` shows the port picked).
    #[arg(value_name = "ADDR", value_parser = parse_address)]
    pub address: Address,
    /// Stop after N messages, taking senders one after the other. Without it, stop when the
    /// first sender is gone (a datagram socket has no end: it receives until killed or
    /// --timeout).
    #[arg(long, short = 'n', value_name = "N")]
    pub count: Option<u64>,
    /// Fail (exit status 1) if no sender or message comes within SECS seconds (fractions
    /// allowed), counted afresh for each message.
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub timeout: Option<Duration>,
    /// No framing: write the bytes as they come (a byte stream from `cat`, socat or nc), or
    /// each datagram/record's bytes without adding a newline.
    #[arg(long)]
    pub raw: bool,
    /// The largest message accepted, in bytes; a longer one is an error before anything is
    /// allocated.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_MESSAGE)]
    pub max_message: usize,
    /// sysv-mq only: which messages to take (msgrcv's msgtyp): T > 0 exactly type T; -T the
    /// lowest type <= T first; 0 any type. Default: the address's type (1 unless given as
    /// sysv-mq:KEY:MTYPE).
    #[arg(
        long = "type",
        value_name = "T",
        allow_negative_numbers = true,
        conflicts_with = "except"
    )]
    pub mtype: Option<i64>,
    /// sysv-mq only: take the first message whose type is not T (MSG_EXCEPT).
    #[arg(long, value_name = "T")]
    pub except: Option<i64>,
    /// sysv-mq: print each message's type before it, as `TYPE<TAB>MESSAGE`; posix-mq: its
    /// priority, as `PRIORITY<TAB>MESSAGE` (messages arrive highest priority first).
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

fn parse_secs(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(secs).map_err(|_| format!("{s:?} is not a duration"))
}

/// The signals that end `recv` after it removed its file.
fn ending_signals() -> SignalSet {
    [Signal::INT, Signal::TERM, Signal::HUP]
        .into_iter()
        .collect()
}

/// Blocks the ending signals in this (the only) thread, before anything is created: one
/// arriving from then on stays pending until [`remove_on_signal`] takes it.
fn block_ending_signals() -> anyhow::Result<()> {
    // Stays blocked for the rest of the process: the guard is never dropped.
    std::mem::forget(ipckit::signal::block(&ending_signals())?);
    Ok(())
}

/// Starts a thread that takes an ending signal, removes `path` (or unlinks the POSIX queue
/// `queue`) and exits with status 128 + the signal number (130 for SIGINT, 143 for SIGTERM).
fn remove_on_signal(path: Option<PathBuf>, queue: Option<String>) -> anyhow::Result<()> {
    on_signal(move || {
        if let Some(p) = &path {
            let _ = std::fs::remove_file(p);
        }
        if let Some(q) = &queue {
            let _ = ipckit::posix::mq::MessageQueue::unlink(q);
        }
    })
}

/// Starts a thread that takes an ending signal, runs `cleanup` and exits with status
/// 128 + the signal number.
fn on_signal(cleanup: impl FnOnce() + Send + 'static) -> anyhow::Result<()> {
    let set = ending_signals();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let code = match ipckit::signal::wait(&set, None) {
                Ok(info) => 128 + info.signal().as_raw(),
                Err(_) => 1,
            };
            cleanup();
            std::process::exit(code);
        })
        .context("spawn the signal thread")?;
    Ok(())
}

/// Runs `ipckit recv`.
pub fn run(args: RecvArgs) -> anyhow::Result<ExitCode> {
    if let Address::SysvMq { key, mtype } = &args.address {
        return recv_sysv(&args, key, *mtype);
    }
    if args.mtype.is_some() || args.except.is_some() {
        bail!(
            "recv --type and --except are only for sysv-mq addresses, not {}",
            args.address.scheme()
        );
    }
    if args.raw && args.count.is_some() && args.address.is_byte_stream() {
        bail!(
            "--count does not apply with --raw on {}: a raw byte stream has no messages to count",
            args.address.scheme()
        );
    }
    if args.verbose && !matches!(args.address, Address::PosixMq(_)) {
        // Before listening, so nothing is created for nothing.
        bail!(
            "-v applies to sysv-mq (types) and posix-mq (priorities) addresses only, not {}",
            args.address.scheme()
        );
    }
    let opts = ChannelOptions::new().with_max_message(args.max_message);
    block_ending_signals()?;
    let mut listener = channel::listen_with(&args.address, &opts)?;
    remove_on_signal(
        listener.created_path().map(PathBuf::from),
        listener.created_queue().map(String::from),
    )?;
    eprintln!("ipckit recv: listening on {}", listener.address());
    if args.verbose {
        let Address::PosixMq(name) = &args.address else {
            unreachable!("checked before listening");
        };
        // The listener keeps the queue (and removes it at the end if it created it); a
        // second descriptor receives, so each message's priority is known.
        let q = ipckit::posix::mq::MessageQueue::builder(name)
            .read_only()
            .open()?;
        return recv_with_priorities(&q, args.count, args.timeout, args.max_message);
    }

    let mut out = std::io::stdout().lock();
    let timeout = args.timeout;
    let timed_out = |what: &str| {
        anyhow::anyhow!(
            "recv {}: timed out: no {what} within {:?}",
            args.address,
            timeout.unwrap_or_default()
        )
    };

    if args.raw && args.address.is_byte_stream() {
        let accepted = match timeout {
            None => listener.accept_raw(),
            Some(t) => listener.accept_raw_timeout(t),
        };
        let mut rx = accepted.map_err(|e| match e.kind() {
            ErrorKind::TimedOut => timed_out("sender"),
            _ => e.into(),
        })?;
        let mut buf = vec![0u8; 64 << 10];
        loop {
            // Duration::MAX: no limit.
            let n = match rx.read_timeout(&mut buf, timeout.unwrap_or(Duration::MAX)) {
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::TimedOut => return Err(timed_out("data")),
                Err(e) => return Err(e.into()),
            };
            if n == 0 {
                return Ok(ExitCode::SUCCESS);
            }
            out.write_all(&buf[..n])?;
            out.flush()?;
        }
    }

    let mut received = 0u64;
    let mut buf = Vec::new();
    loop {
        let accepted = match timeout {
            None => listener.accept(),
            Some(t) => listener.accept_timeout(t),
        };
        let mut rx = accepted.map_err(|e| match e.kind() {
            ErrorKind::TimedOut => timed_out("sender"),
            _ => e.into(),
        })?;
        loop {
            if args.count.is_some_and(|n| received >= n) {
                return Ok(ExitCode::SUCCESS);
            }
            let r = match timeout {
                None => rx.recv(&mut buf),
                Some(t) => rx.recv_timeout(&mut buf, t),
            };
            match r {
                Ok(_) => {
                    received += 1;
                    out.write_all(&buf)?;
                    if !args.raw {
                        out.write_all(b"\n")?;
                    }
                    out.flush()?;
                }
                Err(e) if e.kind() == ErrorKind::PeerGone => break,
                Err(e) if e.kind() == ErrorKind::TimedOut => return Err(timed_out("message")),
                Err(e) => return Err(e.into()),
            }
        }
        if args.count.is_none() {
            return Ok(ExitCode::SUCCESS);
        }
    }
}

/// `recv sysv-mq:KEY` with msgrcv's selectors: the queue is opened (created with mode 0600
/// if missing, and then removed on exit, also on SIGINT/SIGTERM/SIGHUP). A queue has no
/// end: without --count it receives until killed or --timeout.
fn recv_sysv(args: &RecvArgs, key: &KeySpec, mtype: i64) -> anyhow::Result<ExitCode> {
    let sel = match (args.except, args.mtype) {
        (Some(t), _) if t >= 1 => Selector::Except(t),
        (Some(t), _) => bail!("recv --except {t}: a message type is >= 1"),
        (None, Some(t)) => Selector::from_msgtyp(t),
        (None, None) => Selector::Exactly(mtype),
    };
    block_ending_signals()?;
    let queue = MessageQueue::builder(key.resolve()?).open_or_create()?;
    let (id, created) = (queue.id(), queue.is_owner());
    on_signal(move || {
        if created {
            let _ = MessageQueue::from_id(id).and_then(MessageQueue::remove);
        }
    })?;
    eprintln!(
        "ipckit recv: listening on {} (queue id {id}, {sel})",
        args.address
    );
    let msgmax = ipckit::inspect::sysv::limits().map_or(8192, |l| l.msgmax as usize);
    let max = args.max_message.min(msgmax);
    let mut out = std::io::stdout().lock();
    let mut buf = Vec::new();
    let mut received = 0u64;
    while args.count.is_none_or(|n| received < n) {
        let wait = args.timeout.map_or(Wait::Block, Wait::Timeout);
        let t = match queue.recv_with(sel, &mut buf, max, RecvFlags::EMPTY, wait) {
            Ok(t) => t,
            Err(e) if e.kind() == ErrorKind::TimedOut => bail!(
                "recv {}: timed out: no message within {:?}",
                args.address,
                args.timeout.unwrap_or_default()
            ),
            Err(e) => return Err(e.into()),
        };
        received += 1;
        if args.verbose {
            write!(out, "{t}\t")?;
        }
        out.write_all(&buf)?;
        if !args.raw {
            out.write_all(b"\n")?;
        }
        out.flush()?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `ipckit recv posix-mq:/NAME -v`: prints `PRIORITY<TAB>MESSAGE` for each message until
/// `count` messages (forever without), failing when none arrives within `timeout`.
pub fn recv_with_priorities(
    q: &ipckit::posix::mq::MessageQueue,
    count: Option<u64>,
    timeout: Option<std::time::Duration>,
    max: usize,
) -> anyhow::Result<std::process::ExitCode> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let mut buf = Vec::new();
    let mut received = 0u64;
    while count.is_none_or(|n| received < n) {
        let (n, prio) = match timeout {
            None => q.recv(&mut buf)?,
            Some(t) => match q.recv_timeout(&mut buf, t) {
                Err(e) if e.kind() == ErrorKind::TimedOut => anyhow::bail!(
                    "recv posix-mq:{}: timed out: no message within {t:?}",
                    q.name()
                ),
                r => r?,
            },
        };
        if n > max {
            anyhow::bail!(
                "recv posix-mq:{}: message of {n} bytes exceeds the maximum of {max} bytes",
                q.name()
            );
        }
        received += 1;
        write!(out, "{prio}\t")?;
        out.write_all(&buf)?;
        out.write_all(b"\n")?;
        out.flush()?;
    }
    Ok(std::process::ExitCode::SUCCESS)
}
