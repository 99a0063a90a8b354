//! `ipckit recv ADDR`: receive messages at a channel address and print them.
//!
//! One shape for every transport: the ending signals are blocked and taken by a thread that
//! only records which one came; every wait of the main thread is bounded (at most
//! [`SLICE`]), so it notices the signal, a `--timeout` or a removed queue within that time,
//! and leaves through the one exit of [`run`], where what it created is cleaned up once.
//! Connection-oriented sockets and `shm-ring:` connections are served all at once (one
//! [`Select`] over the listener and every connection), so an idle or hostile sender never
//! delays another.

use std::io::Write;
use std::os::fd::{AsFd, RawFd};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use ipckit::channel::{self, Address, ChannelOptions, FramedReceiver, Select, DEFAULT_MAX_MESSAGE};
use ipckit::fifo::FifoReader;
use ipckit::signal::{Signal, SignalSet};
use ipckit::sysv::key::KeySpec;
use ipckit::sysv::msg::{MessageQueue, RecvFlags, Selector, Wait};
use ipckit::ErrorKind;
use ipckit::Named;

use crate::parse::{parse_address, parse_secs};
use crate::present::address_help;

/// The longest a wait lasts before `recv` looks at signals, its timeout and its queue again.
pub const SLICE: Duration = Duration::from_millis(100);

/// Flags of `ipckit recv`.
#[derive(Debug, clap::Args)]
#[command(after_help = address_help())]
pub struct RecvArgs {
    /// Where to receive (the forms are listed below): sockets are bound (and listened on), a
    /// FIFO or queue is created if missing.
    /// A socket file or FIFO created here is removed on exit (also on SIGINT, SIGTERM and
    /// SIGHUP, exit status 128 + the signal); a queue created here is removed only if empty,
    /// otherwise kept, and stderr says how many messages it holds and how to remove it. The
    /// address actually used is printed on stderr once ready (`tcp:127.0.0.1:0` shows the
    /// port picked).
    #[arg(value_name = "ADDR", value_parser = parse_address)]
    pub address: Address,
    /// Stop after N good messages (0: at once), from any number of senders at once. Without
    /// it, stop when every sender is gone (a datagram socket or a queue has no end: it
    /// receives until killed or --timeout).
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
    /// The largest message accepted, in bytes. A sender whose frame announces more is
    /// disconnected (a longer datagram or queue message is dropped) with a warning, before
    /// anything is allocated; the others go on, and the exit status is 1 at the end.
    #[arg(long, value_name = "BYTES", value_parser = crate::parse::parse_size, default_value_t = DEFAULT_MAX_MESSAGE)]
    pub max_message: usize,
    /// sysv-mq only: which messages to take (msgrcv's msgtyp): T > 0 exactly type T; -T the
    /// lowest type <= T first; 0 any type. Default: the address's type if it has one
    /// (sysv-mq:KEY:MTYPE), otherwise any type (msgtyp 0, oldest first).
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
    /// Once listening, write the address (one line) to file descriptor N and close it, so a
    /// script can wait for it: `ipckit recv ADDR --ready-fd 3 3>&1 >&4 | read -r addr`.
    #[arg(long, value_name = "N", value_parser = crate::ready::parse_fd)]
    pub ready_fd: Option<RawFd>,
    /// unix:PATH and unix-seqpacket:PATH: fail if a socket file exists at PATH even when
    /// nobody listens on it (by default such a stale file, left by a killed process, is
    /// removed and the path bound again).
    #[arg(long)]
    pub no_reclaim: bool,
    /// Also remove on exit what recv did not create: an existing FIFO or queue (even with
    /// messages in it).
    #[arg(long)]
    pub remove_on_exit: bool,
    /// The zenoh endpoints (zenoh: addresses).
    #[command(flatten)]
    pub zenoh: crate::command::bridge::ZenohArgs,
}

/// The signal number the signal thread took, 0 while none came.
static SIGNALLED: AtomicI32 = AtomicI32::new(0);

/// The signals that end `recv` (after its cleanup).
fn ending_signals() -> SignalSet {
    [Signal::INT, Signal::TERM, Signal::HUP]
        .into_iter()
        .collect()
}

/// Blocks the ending signals (in this thread, before anything is created, so every thread
/// started later has them blocked too) and starts the thread that takes them. The first one
/// is only recorded, for the main thread to see within [`SLICE`]; a second one ends the
/// process at once (128 + its number), for a main thread stuck writing its stdout.
fn watch_signals() -> anyhow::Result<()> {
    // Stays blocked for the rest of the process: the guard is never dropped.
    std::mem::forget(ipckit::signal::block(&ending_signals())?);
    let set = ending_signals();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || loop {
            if let Ok(info) = ipckit::signal::wait(&set, None) {
                let n = info.signal().as_raw();
                if SIGNALLED.swap(n, Ordering::SeqCst) != 0 {
                    std::process::exit(128 + n);
                }
            }
        })
        .context("spawn the signal thread")?;
    Ok(())
}

/// The signal that came, if any.
fn signalled() -> Option<i32> {
    match SIGNALLED.load(Ordering::SeqCst) {
        0 => None,
        n => Some(n),
    }
}

/// How a receiving loop ended without an error.
enum End {
    /// --count reached, or every sender gone.
    Done,
    /// An ending signal came.
    Signal(i32),
}

/// What every receiving loop shares: the flags, stdout, the counts and the idle clock.
struct Session<'a> {
    args: &'a RecvArgs,
    out: std::io::StdoutLock<'static>,
    received: u64,
    problems: u64,
    idle_since: Instant,
}

impl<'a> Session<'a> {
    fn new(args: &'a RecvArgs) -> Session<'a> {
        Session {
            args,
            out: std::io::stdout().lock(),
            received: 0,
            problems: 0,
            idle_since: Instant::now(),
        }
    }

    /// Whether --count is reached.
    fn done(&self) -> bool {
        self.args.count.is_some_and(|n| self.received >= n)
    }

    /// A signal that came, or the `--timeout` error if nothing came within it (`what` did
    /// not: a sender, a message).
    fn check(&self, what: &str) -> anyhow::Result<Option<End>> {
        if let Some(n) = signalled() {
            return Ok(Some(End::Signal(n)));
        }
        if let Some(t) = self.args.timeout {
            if self.idle_since.elapsed() >= t {
                bail!(
                    "recv {}: timed out: no {what} within {}",
                    self.args.address,
                    crate::present::duration_text(t)
                );
            }
        }
        Ok(None)
    }

    /// How long the next wait may last: [`SLICE`], or less if the timeout comes first.
    fn slice(&self) -> Duration {
        match self.args.timeout {
            Some(t) => t.saturating_sub(self.idle_since.elapsed()).min(SLICE),
            None => SLICE,
        }
    }

    /// Something arrived: the timeout counts afresh.
    fn activity(&mut self) {
        self.idle_since = Instant::now();
    }

    /// Prints one message (after `prefix`, a type or priority and a tab) and counts it.
    fn print(&mut self, prefix: Option<String>, msg: &[u8]) -> anyhow::Result<()> {
        self.received += 1;
        self.activity();
        if let Some(p) = prefix {
            write!(self.out, "{p}\t")?;
        }
        self.out.write_all(msg)?;
        if !self.args.raw {
            self.out.write_all(b"\n")?;
        }
        self.out.flush()?;
        Ok(())
    }

    /// Reports a problem that does not end `recv` (a bad sender, a dropped message); the
    /// exit status is 1 at the end.
    fn warn(&mut self, what: impl std::fmt::Display) {
        self.problems += 1;
        eprintln!("ipckit recv: warning: {what}");
    }

    /// The exit status: 128 + the signal, 1 after a problem, 0 otherwise.
    fn status(&self, end: &End) -> ExitCode {
        match end {
            End::Signal(n) => ExitCode::from((128 + n) as u8),
            End::Done if self.problems > 0 => {
                eprintln!(
                    "ipckit recv: {} problem(s) on {} (see the warnings above)",
                    self.problems, self.args.address
                );
                ExitCode::FAILURE
            }
            End::Done => ExitCode::SUCCESS,
        }
    }
}

/// Runs `ipckit recv`.
pub fn run(args: RecvArgs) -> anyhow::Result<ExitCode> {
    if args.count == Some(0) {
        return Ok(ExitCode::SUCCESS);
    }
    crate::parse::reject_directory(&args.address)?;
    if !matches!(args.address, Address::SysvMq { .. })
        && (args.mtype.is_some() || args.except.is_some())
    {
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
    if args.verbose && !matches!(args.address, Address::PosixMq(_) | Address::SysvMq { .. }) {
        // Before listening, so nothing is created for nothing.
        bail!(
            "-v applies to sysv-mq (types) and posix-mq (priorities) addresses only, not {}",
            args.address.scheme()
        );
    }
    watch_signals()?;
    match &args.address {
        Address::SysvMq { key, mtype } => recv_sysv(&args, key, *mtype),
        Address::PosixMq(name) => recv_posix(&args, name),
        _ => recv_channel(&args),
    }
}

/// Says on stderr where recv listens, and on `--ready-fd`.
fn ready(args: &RecvArgs, address: &dyn std::fmt::Display, extra: &str) -> anyhow::Result<()> {
    eprintln!("ipckit recv: listening on {address}{extra}");
    crate::ready::notify(args.ready_fd, &address.to_string())
}

/// Removes a stale socket file at `path` (one nobody listens on: connecting is refused), so
/// that binding it again works; leaves anything else alone. Whether it removed one.
fn reclaim(path: &Path) -> bool {
    ipckit::inspect::remove_stale_socket(path).unwrap_or(false)
}

/// Every transport but the queues: through `channel::listen`.
fn recv_channel(args: &RecvArgs) -> anyhow::Result<ExitCode> {
    let reclaimed = match &args.address {
        _ if args.no_reclaim => None,
        Address::Unix(channel::SocketAddr::Path(p)) => reclaim(p).then_some(p),
        Address::UnixSeqpacket(channel::SocketAddr::Path(p)) => reclaim(p).then_some(p),
        _ => None,
    };
    let opts = args
        .zenoh
        .apply(ChannelOptions::new().with_max_message(args.max_message));
    let listener = channel::listen_with(&args.address, &opts)?;
    let existing = match &args.address {
        Address::Fifo(p) if listener.created_path().is_none() => Some(p.clone()),
        _ => None,
    };
    ready(args, listener.address(), "")?;
    if let Some(p) = reclaimed {
        eprintln!(
            "ipckit recv: reclaimed {}: a socket file nobody listened on was there (--no-reclaim to refuse)",
            p.display()
        );
    }
    let mut s = Session::new(args);
    let r = match &args.address {
        Address::Fifo(path) => recv_fifo(&mut s, path),
        Address::UnixDgram(_) | Address::Zenoh { .. } => recv_datagrams(&mut s, listener),
        // A spool has one receiver and no connections: as a datagram socket's queue.
        Address::File(_) if !args.raw => recv_datagrams(&mut s, listener),
        _ if args.raw => recv_raw_stream(&mut s, listener),
        _ => serve(&mut s, listener),
    };
    if args.remove_on_exit {
        if let Some(p) = existing {
            let _ = std::fs::remove_file(p);
        }
    }
    Ok(s.status(&r?))
}

/// `--raw` on `unix:` or `tcp:`: the bytes of one connection as they come.
fn recv_raw_stream(s: &mut Session, mut listener: channel::Listener) -> anyhow::Result<End> {
    let mut rx = loop {
        if let Some(end) = s.check("sender")? {
            return Ok(end);
        }
        match listener.accept_raw_timeout(s.slice()) {
            Ok(rx) => break rx,
            Err(e) if e.kind() == ErrorKind::TimedOut => {}
            Err(e) => return Err(e.into()),
        }
    };
    s.activity();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        if let Some(end) = s.check("data")? {
            return Ok(end);
        }
        let n = match rx.read_timeout(&mut buf, s.slice()) {
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::TimedOut => continue,
            Err(e) => return Err(e.into()),
        };
        if n == 0 {
            return Ok(End::Done);
        }
        s.activity();
        s.out.write_all(&buf[..n])?;
        s.out.flush()?;
    }
}

/// `fifo:PATH`: every writer shares one stream; a read end is kept open until the writers
/// are gone (then, with --count, a new one waits for the next). A bad frame ends that stream
/// with a warning.
fn recv_fifo(s: &mut Session, path: &Path) -> anyhow::Result<End> {
    let name = s.args.address.to_string();
    loop {
        let reader = FifoReader::open_nonblocking(path)?;
        if s.args.raw {
            return recv_raw_fifo(s, reader);
        }
        let mut rx = FramedReceiver::new(reader)
            .with_max_message(s.args.max_message)
            .with_name(&name);
        let mut buf = Vec::new();
        let mut what = "sender";
        loop {
            if s.done() {
                return Ok(End::Done);
            }
            if let Some(end) = s.check(what)? {
                return Ok(end);
            }
            match rx.recv_timeout(&mut buf, s.slice()) {
                Ok(_) => {
                    what = "message";
                    s.print(None, &buf)?;
                }
                Err(e) if e.kind() == ErrorKind::TimedOut => {}
                Err(e) if e.kind() == ErrorKind::PeerGone => break,
                Err(e) => {
                    s.warn(format_args!("closed the stream of {name}: {e}"));
                    break;
                }
            }
        }
        if s.args.count.is_none() {
            return Ok(End::Done);
        }
    }
}

/// `fifo:PATH --raw`: the bytes as they come, until every writer is gone.
fn recv_raw_fifo(s: &mut Session, mut reader: FifoReader) -> anyhow::Result<End> {
    use std::io::Read;
    let mut buf = vec![0u8; 64 << 10];
    loop {
        if let Some(end) = s.check("data")? {
            return Ok(end);
        }
        if !readable(reader.as_fd(), s.slice())? {
            continue;
        }
        let n = match reader.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).with_context(|| format!("read {}", s.args.address)),
        };
        if n == 0 {
            return Ok(End::Done);
        }
        s.activity();
        s.out.write_all(&buf[..n])?;
        s.out.flush()?;
    }
}

/// Whether `fd` is readable (or hung up) within `wait`.
fn readable(fd: std::os::fd::BorrowedFd<'_>, wait: Duration) -> anyhow::Result<bool> {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let ms = u16::try_from(wait.as_millis()).unwrap_or(u16::MAX);
    let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
    match poll(&mut fds, PollTimeout::from(ms)) {
        Ok(n) => Ok(n > 0),
        Err(nix::errno::Errno::EINTR) => Ok(false),
        Err(e) => Err(e).context("poll"),
    }
}

/// `unix-dgram:`: one queue of datagrams from everyone; a datagram above the maximum is
/// dropped with a warning and the next one is received.
fn recv_datagrams(s: &mut Session, mut listener: channel::Listener) -> anyhow::Result<End> {
    let mut rx = listener.accept()?;
    let mut buf = Vec::new();
    loop {
        if s.done() {
            return Ok(End::Done);
        }
        if let Some(end) = s.check("message")? {
            return Ok(end);
        }
        match rx.recv_timeout(&mut buf, s.slice()) {
            Ok(_) => s.print(None, &buf)?,
            Err(e) if e.kind() == ErrorKind::TimedOut => {}
            Err(e) if e.kind() == ErrorKind::TooLarge => s.warn(format_args!("dropped: {e}")),
            // A spool frame that fails its CRC was skipped; the next one follows.
            Err(e) if e.kind() == ErrorKind::InvalidData && e.to_string().contains("(skipped)") => {
                s.warn(format_args!("dropped: {e}"))
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// `unix:`, `unix-seqpacket:`, `tcp:`, `shm-ring:`: every connection at once, through
/// [`channel::Select`]. A connection whose sender breaks the protocol (a frame above the
/// maximum, a stream ending inside a message, a corrupt ring) is closed with a warning naming
/// it; the others go on. A `shm-ring:` connector that has not sent its handshake yet waits
/// inside the set, so it delays nobody either (after 5 s it is dropped with a warning).
fn serve(s: &mut Session, listener: channel::Listener) -> anyhow::Result<End> {
    let name = s.args.address.to_string();
    let mut sel = Select::new();
    let server = sel.insert_listener(listener)?;
    let (mut accepted, mut open) = (0u64, 0u64);
    let mut buf = Vec::new();
    loop {
        if s.done() || (s.args.count.is_none() && accepted > 0 && open == 0) {
            return Ok(End::Done);
        }
        if let Some(end) = s.check(if open == 0 { "sender" } else { "message" })? {
            return Ok(end);
        }
        let ev = match sel.wait(Some(s.slice())) {
            Ok(ev) => ev,
            Err(e) if e.kind() == ErrorKind::TimedOut => continue,
            Err(e) => return Err(e.into()),
        };
        if ev.token == server {
            match sel.accept(server) {
                Ok(_) => {
                    accepted += 1;
                    open += 1;
                    s.activity();
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => s.warn(format_args!("accept on {name}: {e}")),
            }
            continue;
        }
        // Everything this connection has whole (a frame read ahead is not in the socket
        // any more, so poll would not say it is there).
        while !s.done() {
            match sel.try_recv(ev.token, &mut buf) {
                Ok(_) => s.print(None, &buf)?,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => {
                    if e.kind() != ErrorKind::PeerGone {
                        s.warn(format_args!(
                            "closed connection {} to {name}: {e}",
                            ev.token
                        ));
                    }
                    sel.remove(ev.token);
                    open -= 1;
                    break;
                }
            }
        }
    }
}

/// What happens to a queue recv opened, once it ends.
fn queue_end(s: &Session, created: bool, left: Option<u64>, remove_hint: &str) -> bool {
    if s.args.remove_on_exit {
        return true;
    }
    if !created {
        return false;
    }
    match left {
        Some(0) | None => true,
        Some(n) => {
            eprintln!(
                "ipckit recv: kept {} (created here): {n} message(s) are still in it; \
                 remove it with `{remove_hint}`",
                s.args.address
            );
            false
        }
    }
}

/// `recv sysv-mq:KEY` with msgrcv's selectors: the queue is opened (created with mode 0600
/// if missing). A queue has no end: without --count it receives until killed or --timeout.
fn recv_sysv(args: &RecvArgs, key: &KeySpec, mtype: Option<i64>) -> anyhow::Result<ExitCode> {
    let sel = match (args.except, args.mtype) {
        (Some(t), _) if t >= 1 => Selector::Except(t),
        (Some(t), _) => bail!("recv --except {t}: a message type is >= 1"),
        (None, Some(t)) => Selector::from_msgtyp(t),
        (None, None) => mtype.map_or(Selector::Any, Selector::Exactly),
    };
    let mut queue = MessageQueue::builder(key.resolve()?).open_or_create()?;
    // Removal is decided at the end (empty or not), never by a drop.
    let created = queue.is_owner();
    queue.persist();
    let id = queue.id();
    ready(args, &args.address, &format!(" (queue id {id}, {sel})"))?;
    let msgmax = ipckit::inspect::sysv::limits().map_or(8192, |l| l.msgmax as usize);
    let max = args.max_message.min(msgmax);
    let mut s = Session::new(args);
    let mut buf = Vec::new();
    let r = loop {
        if s.done() {
            break Ok(End::Done);
        }
        match s.check("message") {
            Ok(Some(end)) => break Ok(end),
            Ok(None) => {}
            Err(e) => break Err(e),
        }
        let wait = Wait::Timeout(s.slice());
        match queue.recv_with(sel, &mut buf, max, RecvFlags::EMPTY, wait) {
            Ok(t) => {
                if let Err(e) = s.print(args.verbose.then(|| t.to_string()), &buf) {
                    break Err(e);
                }
            }
            Err(e) if e.kind() == ErrorKind::TimedOut => {}
            Err(e) if e.kind() == ErrorKind::TooLarge => {
                let mut none = Vec::new();
                let _ = queue.recv_with(sel, &mut none, 0, RecvFlags::NOERROR, Wait::NoWait);
                s.warn(format_args!("dropped a message above {max} bytes: {e}"));
            }
            Err(e)
                if matches!(e.kind(), ErrorKind::NotFound)
                    || e.errno() == Some(ipckit::Errno::EIDRM) =>
            {
                return Err(anyhow::Error::from(e)
                    .context(format!("recv {}: the queue was removed", args.address)));
            }
            Err(e) => break Err(e.into()),
        }
    };
    let left = queue.stat().ok().map(|st| st.qnum);
    let hint = format!("ipckit rm -Q {}", key_text(key, &queue));
    if queue_end(&s, created, left, &hint) {
        let _ = queue.remove();
    }
    Ok(s.status(&r?))
}

/// The key as `ipckit rm -Q` takes it.
fn key_text(key: &KeySpec, queue: &MessageQueue) -> String {
    match key.resolve() {
        Ok(k) => format!("{k}"),
        Err(_) => format!("--id {}", queue.id()),
    }
}

/// `recv posix-mq:/NAME`: the queue is opened read-only (created with mode 0600 and the
/// largest message size if missing); -v prints each message's priority.
fn recv_posix(args: &RecvArgs, name: &str) -> anyhow::Result<ExitCode> {
    use ipckit::posix::mq::{Limits, MessageQueue as PosixQueue};
    let msgsize = Limits::read().msgsize_max.unwrap_or(8192) as usize;
    let mut q = PosixQueue::builder(name)
        .read_only()
        .msgsize(msgsize)
        .open_or_create()?;
    let created = q.is_owner();
    q.persist();
    ready(args, &args.address, "")?;
    let max = args.max_message;
    let mut s = Session::new(args);
    let mut buf = Vec::new();
    let r = loop {
        if s.done() {
            break Ok(End::Done);
        }
        match s.check("message") {
            Ok(Some(end)) => break Ok(end),
            Ok(None) => {}
            Err(e) => break Err(e),
        }
        // Unlinked (`ipckit rm`, or another recv): nobody can send here any more.
        if q.is_unlinked()? {
            return Err(anyhow::anyhow!(
                "recv {}: the queue was removed (unlinked) while waiting",
                args.address
            ));
        }
        match q.recv_timeout(&mut buf, s.slice()) {
            Ok((n, _)) if n > max => s.warn(format_args!(
                "dropped a message of {n} bytes from {}: above the maximum of {max} bytes",
                args.address
            )),
            Ok((_, prio)) => {
                if let Err(e) = s.print(args.verbose.then(|| prio.to_string()), &buf) {
                    break Err(e);
                }
            }
            Err(e) if e.kind() == ErrorKind::TimedOut => {}
            Err(e) => break Err(e.into()),
        }
    };
    let left = q.attr().ok().map(|a| a.curmsgs as u64);
    let hint = format!("ipckit rm --posix-mq {name}");
    if queue_end(&s, created, left, &hint) {
        let _ = PosixQueue::unlink(name);
    }
    Ok(s.status(&r?))
}
