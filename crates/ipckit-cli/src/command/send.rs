//! `ipckit send ADDR [MESSAGE...]`: send messages (or stdin) to a channel address.

use std::io::{BufRead, Read, Write};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use std::os::unix::ffi::OsStrExt as _;

use anyhow::Context as _;
use ipckit::channel::{self, Address, ChannelOptions, DEFAULT_MAX_MESSAGE};

use crate::parse::{parse_address, parse_secs};
use crate::present::address_help;

/// Flags of `ipckit send`.
#[derive(Debug, clap::Args)]
#[command(after_help = address_help())]
pub struct SendArgs {
    /// Where to send (the forms are listed below). Sockets are connected to (start
    /// `ipckit recv` first, or give --wait-for-peer); a FIFO must exist, and opening it waits
    /// for a reader (bounded by --timeout); a POSIX queue must exist (`ipckit recv` or
    /// `ipckit mk --posix-mq` makes it).
    #[arg(value_name = "ADDR", value_parser = parse_address)]
    pub address: Address,
    /// Messages to send, one message each, in order. Without any, stdin is read: one
    /// message per line (without its newline). An argument that is not UTF-8 is sent as its
    /// bytes, unchanged.
    #[arg(value_name = "MESSAGE")]
    pub messages: Vec<std::ffi::OsString>,
    /// No framing: stdin is passed on as a plain byte stream (each MESSAGE is written
    /// followed by a newline), so `cat`, socat or nc can read it on the other side. On
    /// datagram and seqpacket sockets every chunk read from stdin (at most 64 KiB) is one
    /// message.
    #[arg(long)]
    pub raw: bool,
    /// The largest message to send, in bytes; a longer one is an error and nothing of it is
    /// sent.
    #[arg(long, value_name = "BYTES", value_parser = crate::parse::parse_size, default_value_t = DEFAULT_MAX_MESSAGE)]
    pub max_message: usize,
    /// sysv-mq only: send every message with this type (mtype >= 1), in place of the
    /// address's (1 unless given as sysv-mq:KEY:MTYPE; a receiver without a type takes any).
    #[arg(long = "type", value_name = "T")]
    pub mtype: Option<i64>,
    /// posix-mq only: the priority of every message sent (0 up to MQ_PRIO_MAX - 1, 32767 on
    /// Linux; higher is received first).
    #[arg(long, short = 'p', value_name = "P", default_value_t = 0)]
    pub priority: u32,
    /// Fail (exit status 1, naming the address) if connecting or opening, or any one send,
    /// takes longer than SECS seconds (fractions allowed): a full queue, a FIFO nobody reads,
    /// a socket whose receiver does not read.
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub timeout: Option<Duration>,
    /// Retry connecting while nobody listens yet (no socket file or queue, connection
    /// refused), for up to SECS seconds: a script can start `ipckit recv ... &` and send at
    /// once without racing it.
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub wait_for_peer: Option<Duration>,
    /// The zenoh endpoints (zenoh: addresses).
    #[command(flatten)]
    pub zenoh: crate::command::bridge::ZenohArgs,
}

/// `send --timeout`: a thread that ends the process (status 1, after saying what did not
/// finish in time) when the step under way (connecting, one send) outlasts the timeout.
/// Every transport's blocking step is bounded this way, without a timed variant of each.
#[derive(Clone)]
struct Watchdog {
    step: Arc<Mutex<Option<(Instant, String)>>>,
}

impl Watchdog {
    /// Starts the watching thread; `None` without a timeout.
    fn start(timeout: Option<Duration>, address: &Address) -> Option<Watchdog> {
        let timeout = timeout?;
        let dog = Watchdog {
            step: Arc::new(Mutex::new(None)),
        };
        let step = Arc::clone(&dog.step);
        let address = address.to_string();
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_millis(10).min(timeout));
            let late = match &*step.lock().unwrap_or_else(|e| e.into_inner()) {
                Some((since, what)) if since.elapsed() >= timeout => Some(what.clone()),
                _ => None,
            };
            if let Some(what) = late {
                eprintln!(
                    "ipckit: send {address}: timed out: {what} did not finish within {}",
                    crate::present::duration_text(timeout)
                );
                std::process::exit(1);
            }
        });
        Some(dog)
    }

    /// A step begins (`None`: nothing is under way).
    fn step(dog: &Option<Watchdog>, what: Option<&str>) {
        if let Some(d) = dog {
            *d.step.lock().unwrap_or_else(|e| e.into_inner()) =
                what.map(|w| (Instant::now(), w.to_string()));
        }
    }
}

/// Runs `open` until it succeeds, or fails otherwise than "nobody listens yet", or `wait`
/// is over.
fn retry_connect<T>(
    wait: Option<Duration>,
    mut open: impl FnMut() -> ipckit::Result<T>,
) -> ipckit::Result<T> {
    let until = wait.map(|w| Instant::now() + w);
    loop {
        match open() {
            Err(e)
                if matches!(
                    e.kind(),
                    ipckit::ErrorKind::NotFound | ipckit::ErrorKind::PeerGone
                ) && until.is_some_and(|u| Instant::now() < u) =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            r => return r,
        }
    }
}

/// Runs `ipckit send`.
pub fn run(mut args: SendArgs) -> anyhow::Result<ExitCode> {
    if let Some(t) = args.mtype {
        match &mut args.address {
            Address::SysvMq { mtype, .. } if t >= 1 => *mtype = Some(t),
            Address::SysvMq { .. } => anyhow::bail!("send --type {t}: a message type is >= 1"),
            other => anyhow::bail!(
                "send --type: only for sysv-mq addresses, not {}",
                other.scheme()
            ),
        }
    }
    let addr = &args.address;
    crate::parse::reject_directory(addr)?;
    if args.priority != 0 && (args.raw || !matches!(addr, Address::PosixMq(_))) {
        anyhow::bail!(
            "--priority applies to posix-mq addresses without --raw only, not {}{}",
            addr.scheme(),
            if args.raw { " --raw" } else { "" }
        );
    }
    let dog = Watchdog::start(args.timeout, addr);
    // A FIFO's open waits for a reader as long as it takes: --timeout (the watchdog) bounds
    // it, with the same message as every other step, not the library's default.
    let open = ChannelOptions::new().with_connect_timeout(Duration::MAX);
    Watchdog::step(&dog, Some("connecting"));
    if args.raw {
        let mut tx = retry_connect(args.wait_for_peer, || {
            channel::connect_raw_with(addr, &open)
        })?;
        Watchdog::step(&dog, None);
        if args.messages.is_empty() {
            let mut stdin = std::io::stdin().lock();
            let mut buf = vec![0u8; 64 << 10];
            loop {
                let n = match stdin.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e).context("read stdin"),
                };
                Watchdog::step(&dog, Some("a write"));
                tx.write_all(&buf[..n])?;
                Watchdog::step(&dog, None);
            }
        } else {
            for m in &args.messages {
                let mut line = Vec::with_capacity(m.len() + 1);
                line.extend_from_slice(m.as_bytes());
                line.push(b'\n');
                Watchdog::step(&dog, Some("a write"));
                tx.write_all(&line)?;
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let opts = args.zenoh.apply(open.with_max_message(args.max_message));
    let mut tx = retry_connect(args.wait_for_peer, || match addr {
        Address::PosixMq(name) if args.priority != 0 => {
            PrioritySender::open(name, args.priority, args.max_message).map(Out::Priority)
        }
        _ => channel::connect_with(addr, &opts).map(Out::Channel),
    })?;
    Watchdog::step(&dog, None);
    if args.messages.is_empty() {
        let mut stdin = std::io::stdin().lock();
        let mut line = Vec::new();
        loop {
            line.clear();
            if stdin.read_until(b'\n', &mut line).context("read stdin")? == 0 {
                break;
            }
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            Watchdog::step(&dog, Some("a send"));
            tx.send(&line)?;
            Watchdog::step(&dog, None);
        }
    } else {
        for m in &args.messages {
            Watchdog::step(&dog, Some("a send"));
            tx.send(m.as_bytes())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `ipckit send posix-mq:/NAME --priority P`: sends every message with priority `P`.
pub struct PrioritySender {
    q: ipckit::posix::mq::MessageQueue,
    priority: u32,
    max: usize,
}

impl PrioritySender {
    /// Opens the existing queue `name` write-only.
    pub fn open(name: &str, priority: u32, max: usize) -> ipckit::Result<PrioritySender> {
        let q = ipckit::posix::mq::MessageQueue::builder(name)
            .write_only()
            .open()?;
        let max = max.min(q.msgsize());
        Ok(PrioritySender { q, priority, max })
    }

    /// Sends `msg` with the priority; `TooLarge` above the maximum (nothing sent).
    fn send(&mut self, msg: &[u8]) -> ipckit::Result<()> {
        if msg.len() > self.max {
            return Err(
                ipckit::Error::new(ipckit::ErrorKind::TooLarge, "mq_send", self.q.name())
                    .with_detail(format!(
                        "message of {} bytes exceeds the maximum of {} bytes",
                        msg.len(),
                        self.max
                    )),
            );
        }
        self.q.send(msg, self.priority)
    }
}

/// Where `send` sends: a channel, or a POSIX queue with a priority.
enum Out {
    Channel(channel::Sender),
    Priority(PrioritySender),
}

impl Out {
    fn send(&mut self, msg: &[u8]) -> ipckit::Result<()> {
        match self {
            Out::Channel(tx) => tx.send(msg),
            Out::Priority(tx) => tx.send(msg),
        }
    }
}
