//! The kill-at-random harness: the survivor's side of each trial, the trial plans and the
//! per-transport driver (see `tests/kill_at_random.rs` for what it asserts).

use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ipckit::channel::{self, Address, FramedReceiver, FramedSender, Receiver, Sender};
use ipckit::fifo::{Fifo, FifoWriter};
use ipckit::mmap::MappedFile;
use ipckit::{Error, ErrorKind};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{setsockopt, sockopt};

use crate::common::{unique_key, unique_name, unique_path};
pub use crate::kill_peer::Transport;
use crate::kill_peer::{
    frame, index_of, message, Counter, BAD, COUNTER_LEN, PROGRESS, READY, TCP_BUF,
};
use crate::kill_victim::{Trigger, Victim};

/// How long a side that cannot see the death waits before it says `TimedOut` (kept short:
/// every connectionless trial pays it once).
const T_ABSENT: Duration = Duration::from_millis(20);
/// How long a side with a connection may take to see the death: the 1 s of the issue.
const T_DEAD: Duration = Duration::from_secs(1);

/// `msg_qbytes` of the System V queues (the default, 16 KiB, holds ~900 small messages).
const SYSV_QBYTES: u64 = 1024;

// ---------------------------------------------------------------------------------------
// The survivor.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Before,
    Between,
    Inside,
    Blocked,
    Random,
}

/// How the survivor's next call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    PeerGone,
    UnexpectedEof,
    TimedOut,
}

/// Where the survivor was when it saw the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Accepting or connecting: no connection was made.
    Connect,
    /// Sending or receiving on a connection.
    Transfer,
}

fn classify(e: &Error) -> Option<End> {
    match e.kind() {
        ErrorKind::PeerGone => Some(End::PeerGone),
        ErrorKind::UnexpectedEof => Some(End::UnexpectedEof),
        ErrorKind::TimedOut => Some(End::TimedOut),
        _ => None,
    }
}

/// The receiving end the survivor reads.
enum Rx {
    Chan(Receiver),
    /// A FIFO's read end, opened once before the writer (see `survive_receiving`).
    Fifo(FramedReceiver<OwnedFd>),
}

impl Rx {
    fn recv_timeout(&mut self, buf: &mut Vec<u8>, t: Duration) -> ipckit::Result<usize> {
        match self {
            Rx::Chan(r) => r.recv_timeout(buf, t),
            Rx::Fifo(r) => r.recv_timeout(buf, t),
        }
    }
}

/// The sending end the survivor writes.
enum Tx {
    Chan(Sender),
    /// A FIFO's write end opened without blocking (`ENXIO` while no reader).
    Fifo(FramedSender<OwnedFd>),
}

impl Tx {
    fn send(&mut self, m: &[u8]) -> ipckit::Result<()> {
        match self {
            Tx::Chan(s) => s.send(m),
            Tx::Fifo(s) => s.send(m),
        }
    }
    fn fd(&self) -> Option<BorrowedFd<'_>> {
        match self {
            Tx::Chan(s) => s.as_fd_opt(),
            Tx::Fifo(s) => Some(s.as_fd()),
        }
    }
}

/// The kernel object of a trial, checked to be gone afterwards.
enum Object {
    Path(PathBuf),
    Abstract(String),
    TcpPort(u16),
    SysvKey(i32),
    PosixMq(String),
}

impl Object {
    fn is_gone(&self) -> Result<(), String> {
        let left = match self {
            Object::Path(p) => std::fs::symlink_metadata(p).is_ok(),
            Object::Abstract(name) => std::fs::read_to_string("/proc/net/unix")
                .unwrap_or_default()
                .lines()
                .any(|l| l.ends_with(&format!(" @{name}"))),
            Object::TcpPort(port) => std::net::TcpStream::connect_timeout(
                &([127, 0, 0, 1], *port).into(),
                Duration::from_millis(100),
            )
            .is_ok(),
            Object::SysvKey(k) => {
                ipckit::sysv::msg::MessageQueue::builder(ipckit::sysv::key::Key::new(*k))
                    .open()
                    .is_ok()
            }
            Object::PosixMq(name) => ipckit::posix::mq::MessageQueue::builder(name)
                .open()
                .is_ok(),
        };
        if left {
            Err(format!("kernel object left behind: {}", self.describe()))
        } else {
            Ok(())
        }
    }
    fn describe(&self) -> String {
        match self {
            Object::Path(p) => p.display().to_string(),
            Object::Abstract(n) => format!("@{n}"),
            Object::TcpPort(p) => format!("127.0.0.1:{p}"),
            Object::SysvKey(k) => format!("sysv key {k:#x}"),
            Object::PosixMq(n) => n.clone(),
        }
    }
}

/// The survivor's System V queue, limited to `SYSV_QBYTES` so that a flood fills it fast.
fn small_sysv_queue(obj: &Object) -> Option<ipckit::sysv::msg::MessageQueue> {
    let Object::SysvKey(k) = obj else {
        return None;
    };
    let q = ipckit::sysv::msg::MessageQueue::builder(ipckit::sysv::key::Key::new(*k))
        .open()
        .expect("open the survivor's queue");
    q.set_qbytes(SYSV_QBYTES)
        .expect("msgctl IPC_SET msg_qbytes");
    Some(q)
}

/// A free TCP port on 127.0.0.1 (bound and released; the peer binds it again).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// Open fds of this process.
fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

/// Waits up to `wait` until `tx` could take `len` bytes without blocking.
fn writable(
    tx: &Tx,
    sysv: Option<&ipckit::sysv::msg::MessageQueue>,
    len: usize,
    wait: Duration,
) -> bool {
    if let Some(q) = sysv {
        let until = Instant::now() + wait;
        loop {
            let st = q.stat().expect("msgctl IPC_STAT");
            if st.qnum < st.qbytes && st.cbytes + len as u64 + 8 <= st.qbytes {
                return true;
            }
            if Instant::now() >= until {
                return false;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    let fd = tx.fd().expect("fd");
    let ms = wait.as_millis().min(1000) as u16;
    let mut fds = [PollFd::new(fd, PollFlags::POLLOUT)];
    poll(&mut fds, PollTimeout::from(ms)).expect("poll") > 0
}

/// What one trial saw.
#[derive(Debug)]
struct Seen {
    end: End,
    /// Messages the survivor got (killed sender) or that reached a receiver (killed receiver).
    delivered: u64,
    /// Killed receiver, queue: taken by the peer, which died before counting it.
    in_flight: u64,
    /// Killed receiver, socket or FIFO: completed sends the dead receiver never read.
    unread: u64,
}

/// One trial's plan.
#[derive(Clone, Debug)]
struct Plan {
    killed_sender: bool,
    mode: Mode,
    k: u32,
    cut: usize,
    delay: Duration,
}

impl Plan {
    fn peer_mode(&self) -> &'static str {
        match self.mode {
            Mode::Before => "before",
            Mode::Between => "between",
            Mode::Inside => "inside",
            // Killed sender: flood until blocked; killed receiver: take k, then stop.
            Mode::Blocked if self.killed_sender => "flood",
            Mode::Blocked => "between",
            Mode::Random => "flood",
        }
    }

    fn trigger(&self, blocked: &Arc<AtomicBool>) -> Trigger {
        match self.mode {
            Mode::Before | Mode::Between | Mode::Inside => Trigger::Stopped,
            Mode::Blocked if self.killed_sender => Trigger::Stall,
            Mode::Blocked => Trigger::StoppedAndBlocked(Arc::clone(blocked)),
            Mode::Random => Trigger::After(self.delay),
        }
    }
}

/// The address of a trial and the object to check afterwards. The survivor listens (and
/// owns the object) when the sender is killed, and for queues and FIFOs always; a killed
/// receiver of a socket listens on an abstract name (or a port), which dies with it.
fn trial_address(t: Transport, survivor_listens: bool) -> (Address, Object) {
    let name = unique_name("kill");
    let (s, obj) = match t {
        Transport::Fifo => {
            let p = unique_path("kill");
            (format!("fifo:{}", p.display()), Object::Path(p))
        }
        Transport::Unix | Transport::UnixDgram | Transport::UnixSeqpacket if survivor_listens => {
            let p = unique_path("kill");
            (format!("{}:{}", t.scheme(), p.display()), Object::Path(p))
        }
        Transport::Unix | Transport::UnixDgram | Transport::UnixSeqpacket => {
            (format!("{}:@{name}", t.scheme()), Object::Abstract(name))
        }
        Transport::Tcp if survivor_listens => ("tcp:127.0.0.1:0".into(), Object::TcpPort(0)),
        Transport::Tcp => {
            let port = free_port();
            (format!("tcp:127.0.0.1:{port}"), Object::TcpPort(port))
        }
        Transport::SysvMq => {
            let k = unique_key();
            (format!("sysv-mq:{k}"), Object::SysvKey(k))
        }
        Transport::PosixMq => (
            format!("posix-mq:/{name}"),
            Object::PosixMq(format!("/{name}")),
        ),
    };
    (s.parse().expect("address"), obj)
}

/// The end of a trial: which `End`, at which stage, and whether it came in time.
fn check_end(
    t: Transport,
    plan: &Plan,
    end: End,
    stage: Stage,
    killed_at: Instant,
    at: Instant,
) -> Result<(), String> {
    let took = at.saturating_duration_since(killed_at);
    if took > T_DEAD + Duration::from_millis(50) {
        return Err(format!("{end:?} came {took:?} after the kill (limit 1 s)"));
    }
    let sees = if plan.killed_sender {
        t.receiver_sees_death()
    } else {
        t.sender_sees_death()
    };
    match end {
        End::UnexpectedEof if !t.is_stream() || !plan.killed_sender => {
            return Err("UnexpectedEof where no frame can be cut".into())
        }
        End::TimedOut if sees && stage == Stage::Transfer => {
            return Err(format!(
                "TimedOut on a connection: the death was not seen within {T_DEAD:?}"
            ))
        }
        End::PeerGone if !sees => return Err("PeerGone where death cannot be seen".into()),
        _ => {}
    }
    let want = match (plan.mode, plan.killed_sender) {
        (Mode::Before, true) => Some(End::TimedOut),
        (Mode::Inside, true) => Some(End::UnexpectedEof),
        (Mode::Between, true) if sees => Some(End::PeerGone),
        (Mode::Before | Mode::Between | Mode::Inside, _) if !sees => Some(End::TimedOut),
        (Mode::Before | Mode::Between | Mode::Inside, false) => Some(End::PeerGone),
        _ => None,
    };
    match want {
        Some(w) if w != end => Err(format!("expected {w:?}, got {end:?} at {stage:?}")),
        _ => Ok(()),
    }
}

/// Killed sender: the survivor listens, the peer sends; the survivor then reads until the
/// end and checks what it got.
fn survive_receiving(t: Transport, plan: &Plan, counter: &Arc<Counter>) -> Result<Seen, String> {
    let (addr, mut obj) = trial_address(t, true);
    let mut listener = channel::listen(&addr).map_err(|e| format!("listen {addr}: {e}"))?;
    if let Some(fd) = listener.as_fd_opt() {
        if t == Transport::Tcp {
            setsockopt(&fd, sockopt::RcvBuf, &TCP_BUF).expect("SO_RCVBUF");
        }
    }
    let sysv = small_sysv_queue(&obj);
    let addr = listener.address().clone();
    if let Address::Tcp { port, .. } = &addr {
        obj = Object::TcpPort(*port);
    }
    // A FIFO's read end is opened once, before the writer comes: `accept_timeout` would close
    // its read end when it times out, and a writer that opened the FIFO meanwhile would then
    // get EPIPE on its next write.
    let mut fifo_rx = match &addr {
        Address::Fifo(p) => {
            let r = Fifo::open(p)
                .and_then(|f| f.open_reader_nonblocking())
                .expect("FIFO read end");
            Some(Rx::Fifo(FramedReceiver::new(OwnedFd::from(r))))
        }
        _ => None,
    };
    let blocked = Arc::new(AtomicBool::new(false));
    let (k, cut) = (plan.k.to_string(), plan.cut.to_string());
    let path = counter.map.path().display().to_string();
    let args = [addr.to_string(), plan.peer_mode().into(), path, k, cut];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let victim = Victim::spawn("send", &args, plan.trigger(&blocked), Arc::clone(counter));

    let tmo = if t.receiver_sees_death() {
        T_DEAD
    } else {
        T_ABSENT
    };
    let mut got: Vec<u32> = Vec::new();
    let mut buf = Vec::new();
    let rx_is_fifo = fifo_rx.is_some();
    let result = (|| -> Result<(End, Stage, Instant), String> {
        let mut rx = match fifo_rx.take() {
            Some(rx) => rx,
            None => loop {
                match listener.accept_timeout(victim.slice(T_ABSENT)) {
                    Ok(rx) => break Rx::Chan(rx),
                    Err(e) if e.kind() == ErrorKind::TimedOut && !victim.expired(T_ABSENT) => {}
                    Err(e) => {
                        let end = classify(&e).ok_or_else(|| format!("accept: {e}"))?;
                        return Ok((end, Stage::Connect, Instant::now()));
                    }
                }
            },
        };
        if plan.mode == Mode::Blocked {
            victim.wait_killed();
        }
        // A FIFO's read end exists before any writer: until one opened it (the peer says so
        // once `connect` returned), no end can be seen, as on a listener.
        let no_writer = || rx_is_fifo && counter.get(READY) == 0;
        loop {
            let tmo = if no_writer() { T_ABSENT } else { tmo };
            match rx.recv_timeout(&mut buf, victim.slice(tmo)) {
                Ok(_) => {
                    let want = got.len() as u32;
                    match index_of(&buf) {
                        Some(i) if i == want => got.push(i),
                        other => {
                            return Err(format!(
                                "message {want} expected, got {other:?} ({} bytes)",
                                buf.len()
                            ))
                        }
                    }
                }
                Err(e) if e.kind() == ErrorKind::TimedOut && !victim.expired(tmo) => {}
                Err(e) => {
                    let end = classify(&e).ok_or_else(|| format!("recv: {e}"))?;
                    let stage = if t.receiver_sees_death() && !no_writer() {
                        Stage::Transfer
                    } else {
                        Stage::Connect
                    };
                    return Ok((end, stage, Instant::now()));
                }
            }
        }
    })();
    let result = match result {
        Ok((end, stage, _)) if victim.killed_at().is_none() => Err(format!(
            "the survivor got {end:?} at {stage:?} while the peer was alive"
        )),
        r => r,
    };
    if result.is_err() {
        victim.abort();
    }
    let killed_at = victim.wait_killed();
    let finished = victim.finish();
    let (end, stage, at) = result?;
    finished?;
    drop(listener);
    drop(sysv);
    check_end(t, plan, end, stage, killed_at, at)?;
    let counted = counter.get(PROGRESS) as usize;
    let n = got.len();
    if n < counted || n > counted + 1 {
        return Err(format!(
            "peer completed {counted} sends, survivor received {n} (lost {})",
            counted.saturating_sub(n)
        ));
    }
    if matches!(plan.mode, Mode::Between | Mode::Inside) && n != plan.k as usize {
        return Err(format!(
            "peer stopped after {} messages, survivor received {n}",
            plan.k
        ));
    }
    obj.is_gone()?;
    Ok(Seen {
        end,
        delivered: n as u64,
        in_flight: 0,
        unread: 0,
    })
}

/// Killed receiver: the peer receives, the survivor sends until its send fails or times out;
/// a queue is then drained by the survivor, which must find exactly what the peer did not take.
fn survive_sending(t: Transport, plan: &Plan, counter: &Arc<Counter>) -> Result<Seen, String> {
    let survivor_listens = t.is_queue() || t == Transport::Fifo;
    let (addr, obj) = trial_address(t, false);
    let mut listener = if survivor_listens {
        Some(channel::listen(&addr).map_err(|e| format!("listen {addr}: {e}"))?)
    } else {
        None
    };
    let sysv = small_sysv_queue(&obj);
    let blocked = Arc::new(AtomicBool::new(false));
    let (k, cut) = (plan.k.to_string(), plan.cut.to_string());
    let path = counter.map.path().display().to_string();
    let args = [addr.to_string(), plan.peer_mode().into(), path, k, cut];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let victim = Victim::spawn("recv", &args, plan.trigger(&blocked), Arc::clone(counter));

    let tmo = if t.sender_sees_death() {
        T_DEAD
    } else {
        T_ABSENT
    };
    let mut sent = 0u32;
    let result = (|| -> Result<(End, Stage, Instant), String> {
        // Wait until the peer listens, or is dead.
        while counter.get(READY) == 0 && victim.killed_at().is_none() {
            victim.guard();
            std::thread::sleep(Duration::from_micros(200));
        }
        let mut tx = loop {
            let r = match &addr {
                Address::Fifo(p) => FifoWriter::open_nonblocking(p)
                    .map(|w| Tx::Fifo(FramedSender::new(OwnedFd::from(w)))),
                _ => channel::connect(&addr).map(Tx::Chan),
            };
            match r {
                Ok(tx) => break tx,
                // A FIFO without reader yet: the peer opens it in its accept.
                Err(e)
                    if e.kind() == ErrorKind::PeerGone
                        && matches!(addr, Address::Fifo(_))
                        && victim.killed_at().is_none() =>
                {
                    std::thread::sleep(Duration::from_micros(200));
                }
                Err(e) => {
                    let end = classify(&e).ok_or_else(|| format!("connect: {e}"))?;
                    return Ok((end, Stage::Connect, Instant::now()));
                }
            }
        };
        if t == Transport::Tcp {
            setsockopt(&tx.fd().expect("fd"), sockopt::SndBuf, &TCP_BUF).expect("SO_SNDBUF");
        }
        loop {
            if victim.expired(tmo) {
                return Ok((End::TimedOut, Stage::Transfer, Instant::now()));
            }
            let m = message(sent);
            let wait = victim.slice(tmo).min(Duration::from_millis(2));
            if writable(&tx, sysv.as_ref(), m.len(), wait) {
                match tx.send(&m) {
                    Ok(()) => sent += 1,
                    Err(e) => {
                        let end = classify(&e).ok_or_else(|| format!("send: {e}"))?;
                        return Ok((end, Stage::Transfer, Instant::now()));
                    }
                }
            } else if victim.stopped() {
                blocked.store(true, Ordering::Release);
            }
        }
    })();
    let result = match result {
        Ok((end, stage, _)) if victim.killed_at().is_none() => Err(format!(
            "the survivor got {end:?} at {stage:?} while the peer was alive"
        )),
        r => r,
    };
    if result.is_err() {
        victim.abort();
    }
    let killed_at = victim.wait_killed();
    let finished = victim.finish();
    let (end, stage, at) = result?;
    finished?;
    check_end(t, plan, end, stage, killed_at, at)?;
    let taken = counter.get(PROGRESS);
    if counter.get(BAD) != 0 {
        return Err(format!(
            "the peer received message {} out of order",
            counter.get(BAD) - 1
        ));
    }
    if taken > sent {
        return Err(format!(
            "the peer received {taken} messages, the survivor sent {sent}"
        ));
    }
    let mut seen = Seen {
        end,
        delivered: u64::from(taken),
        in_flight: 0,
        unread: 0,
    };
    if t.is_queue() {
        // What the peer did not take is still in the queue, in order.
        let mut rx = listener
            .as_mut()
            .expect("queue listener")
            .accept()
            .map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        let mut rest = Vec::new();
        loop {
            match rx.try_recv(&mut buf) {
                Ok(_) => rest.push(index_of(&buf).ok_or("garbage in the queue")?),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => return Err(format!("drain: {e}")),
            }
        }
        let first = rest.first().copied().unwrap_or(sent);
        if (first != taken && first != taken + 1) || rest.iter().copied().ne(first..sent) {
            return Err(format!(
                "peer took {taken}, survivor sent {sent}, queue holds {:?}..",
                rest.first()
            ));
        }
        seen.in_flight = u64::from(first - taken);
        seen.delivered += rest.len() as u64;
    } else {
        seen.unread = u64::from(sent - taken);
    }
    drop(listener);
    drop(sysv);
    obj.is_gone()?;
    Ok(seen)
}

// ---------------------------------------------------------------------------------------
// The driver.

/// splitmix64: a seeded RNG, enough for picking trial plans.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn plan(t: Transport, trial: u32, rng: &mut Rng) -> Plan {
    let killed_sender = trial % 2 == 0;
    let modes: &[Mode] = if t.is_stream() {
        &[
            Mode::Before,
            Mode::Between,
            Mode::Inside,
            Mode::Blocked,
            Mode::Random,
            Mode::Random,
        ]
    } else {
        &[
            Mode::Before,
            Mode::Between,
            Mode::Blocked,
            Mode::Random,
            Mode::Random,
        ]
    };
    let mode = modes[rng.below(modes.len() as u64) as usize];
    let k = rng.below(8) as u32;
    // 1..frame length - 1: inside the header (below 4) or inside the payload.
    let cut = 1 + rng.below(frame(k).len() as u64 - 1) as usize;
    let delay = Duration::from_micros(rng.below(25_000));
    Plan {
        killed_sender,
        mode,
        k,
        cut,
        delay,
    }
}

/// Removes the counter file however the test ends (a failed trial panics).
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// One lock for all transports: the fd count of the process must not move under a trial.
static SERIAL: Mutex<()> = Mutex::new(());

/// Holds the lock of the trials: for any other test of the binary that opens fds (the `peer`
/// self-check), so that it does not run under a trial's fd count.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Default)]
struct Tally {
    trials: u64,
    peer_gone: u64,
    unexpected_eof: u64,
    timed_out: u64,
    delivered: u64,
    in_flight: u64,
    unread: u64,
}

/// Runs the trials of one transport and prints its summary line.
pub fn run_transport(t: Transport) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let trials: u32 = std::env::var("IPCKIT_KILL_TRIALS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let seed: u64 = std::env::var("IPCKIT_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    let mut rng = Rng(seed ^ (t as u64).wrapping_mul(0x1000_0000_01b3));
    let path = unique_path("kill-counter");
    let _remove = RemoveOnDrop(path.clone());
    let counter = Arc::new(Counter {
        map: MappedFile::builder(&path)
            .len(COUNTER_LEN)
            .create_new()
            .expect("counter file"),
    });
    let started = Instant::now();
    let mut tally = Tally::default();
    for trial in 0..trials {
        let plan = plan(t, trial, &mut rng);
        for slot in [PROGRESS, READY, BAD] {
            counter.set(slot, 0);
        }
        let fds = fd_count();
        let r = if plan.killed_sender {
            survive_receiving(t, &plan, &counter)
        } else {
            survive_sending(t, &plan, &counter)
        };
        let r = r.and_then(|seen| {
            let now = fd_count();
            if now != fds {
                return Err(format!("fd leak: {fds} fds before the trial, {now} after"));
            }
            Ok(seen)
        });
        match r {
            Ok(seen) => {
                tally.trials += 1;
                match seen.end {
                    End::PeerGone => tally.peer_gone += 1,
                    End::UnexpectedEof => tally.unexpected_eof += 1,
                    End::TimedOut => tally.timed_out += 1,
                }
                tally.delivered += seen.delivered;
                tally.in_flight += seen.in_flight;
                tally.unread += seen.unread;
            }
            Err(e) => {
                panic!(
                    "{}: trial {trial} failed: {e}\n  plan {plan:?}\n  reproduce: IPCKIT_KILL_SEED={seed} IPCKIT_KILL_TRIALS={}",
                    t.scheme(),
                    trial + 1
                );
            }
        }
    }
    drop(counter);
    let line = format!(
        "kill_at_random {:<15} trials {:>4}  PeerGone {:>4}  UnexpectedEof {:>4}  TimedOut {:>4}  delivered {:>6}  lost 0  in-flight-to-killed {:>3}  unread-at-death {:>6}  seed {seed}  {:.1?}",
        t.scheme(),
        tally.trials,
        tally.peer_gone,
        tally.unexpected_eof,
        tally.timed_out,
        tally.delivered,
        tally.in_flight,
        tally.unread,
        started.elapsed(),
    );
    // Straight to fd 2: libtest captures print!/eprint!, not the stderr handle.
    let _ = writeln!(std::io::stderr(), "{line}");
}
