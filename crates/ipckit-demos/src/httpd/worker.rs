//! A worker process: one poll loop (mio, edge-triggered epoll) over the shared listening
//! socket and every connection it accepted, so an idle or slow peer only ever holds its own
//! connection, never the worker. Commands from the master arrive on the unix seqpacket
//! socket that is this process's stdin; a thread blocks on it and wakes the loop.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{ErrorKind as IoKind, Read, Write};
use std::net::{Shutdown, TcpListener};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ipckit::net::unix::UnixSeqpacket;
use ipckit::signal::Signal;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token, Waker};

use super::http::{self, DateCache, Method, Parsed, Persist, Status};
use super::scoreboard::{now_us, Scoreboard, Slot, State};
use super::{Command, WorkerArgs};

const LISTENER: Token = Token(usize::MAX - 1);
const WAKER: Token = Token(usize::MAX - 2);
/// A file up to this size is read whole and sent with its head in one write.
const INLINE_FILE: u64 = 256 * 1024;
/// Chunk for larger files.
const CHUNK: usize = 64 * 1024;
/// Requests answered on one connection per wake-up before the others get their turn.
const FAIR_TURNS: u32 = 16;
/// While draining, a connection idle this long is closed (one with a request in flight
/// never is, until `--grace` runs out and the master kills the worker).
const DRAIN_IDLE: Duration = Duration::from_secs(1);
/// How long a closing connection may linger, discarding input, after its last response.
const LINGER: Duration = Duration::from_secs(1);

/// What the control thread saw.
const CMD_NONE: u8 = 0;
const CMD_DRAIN: u8 = 1;
const CMD_MASTER_GONE: u8 = 2;

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Phase {
    /// No request bytes buffered, nothing to write.
    Idle,
    /// Part of a request head buffered.
    Reading,
    /// A response being written.
    Writing,
    /// Last response written, write side shut down; discarding input until EOF.
    Lingering,
}

struct Conn {
    sock: TcpStream,
    inbuf: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    file: Option<(File, u64)>,
    close_after: bool,
    phase: Phase,
    since: Instant,
    /// The last read came back short: the socket had nothing more then, so the next read
    /// waits for the next readiness event (edge-triggered epoll reports new data again).
    drained: bool,
}

struct Worker<'a> {
    args: &'a WorkerArgs,
    root: PathBuf,
    slot: Slot<'a>,
    board: &'a Scoreboard,
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    open: usize,
    again: VecDeque<usize>,
    date: DateCache,
    draining: bool,
    /// Accepting stopped at `--max-connections` with clients possibly left in the backlog
    /// (edge-triggered: no new event comes for them); retried once a connection closes.
    accept_pending: bool,
    served: u64,
    file_buf: Vec<u8>,
}

/// Runs one worker until it has drained (exit 0) or failed (exit 1).
pub(crate) fn run(args: &WorkerArgs) -> i32 {
    match serve(args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("prefork-httpd worker {}: {e}", std::process::id());
            1
        }
    }
}

fn serve(args: &WorkerArgs) -> std::io::Result<()> {
    // Ctrl-C in a terminal signals the whole process group: only the master acts on it, and
    // tells the workers. SIGHUP likewise.
    let _int = ipckit::signal::ignore(Signal::INT)?;
    let _hup = ipckit::signal::ignore(Signal::HUP)?;
    // The master's blocked set came across exec: unblock everything (before the control
    // thread starts, which would inherit it), so SIGTERM from an operator still works.
    let _mask = ipckit::signal::set_mask(&ipckit::signal::SignalSet::empty())?;
    let ctl = UnixSeqpacket::from(std::io::stdin().as_fd().try_clone_to_owned()?);
    ctl.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut buf = [0u8; 16];
    let (_, mut fds) = ctl.recv_fds(&mut buf, 1)?;
    let listen_fd = fds
        .pop()
        .ok_or_else(|| std::io::Error::other("the master sent no listening socket"))?;
    ctl.set_read_timeout(None)?;
    let listener = TcpListener::from(listen_fd);
    listener.set_nonblocking(true)?;
    let mut listener = Some(mio::net::TcpListener::from_std(listener));

    let board = Scoreboard::open(&args.scoreboard)?;
    if args.slot >= board.slots() {
        return Err(std::io::Error::other("slot beyond the scoreboard"));
    }
    let slot = board.slot(args.slot);
    slot.set_state(State::Idle);

    let mut poll = Poll::new()?;
    let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
    let command = Arc::new(AtomicU8::new(CMD_NONE));
    {
        let (waker, command) = (waker.clone(), command.clone());
        std::thread::spawn(move || control(ctl, &command, &waker));
    }
    if let Some(l) = listener.as_mut() {
        poll.registry().register(l, LISTENER, Interest::READABLE)?;
    }

    let mut w = Worker {
        args,
        root: std::fs::canonicalize(&args.root)?,
        slot,
        board: &board,
        conns: Vec::new(),
        free: Vec::new(),
        open: 0,
        again: VecDeque::new(),
        date: DateCache::default(),
        draining: false,
        accept_pending: false,
        served: 0,
        file_buf: Vec::new(),
    };
    let mut events = Events::with_capacity(256);
    let mut drain_deadline: Option<Instant> = None;
    let mut last_sweep = Instant::now();
    loop {
        let timeout = if w.again.is_empty() {
            Duration::from_millis(250)
        } else {
            Duration::ZERO
        };
        w.slot.set_state(if w.draining {
            State::Closing
        } else if w.open == 0 {
            State::Idle
        } else {
            State::KeepAlive
        });
        if let Err(e) = poll.poll(&mut events, Some(timeout)) {
            if e.kind() != IoKind::Interrupted {
                return Err(e);
            }
        }
        let mut accept = false;
        for ev in events.iter() {
            match ev.token() {
                LISTENER => accept = true,
                WAKER => {}
                Token(i) => {
                    if let Some(c) = w.conns.get_mut(i).and_then(Option::as_mut) {
                        c.drained = false;
                    }
                    w.drive(i)
                }
            }
        }
        for _ in 0..w.again.len() {
            if let Some(i) = w.again.pop_front() {
                w.drive(i);
            }
        }
        match command.swap(CMD_NONE, Ordering::AcqRel) {
            CMD_NONE => {}
            c => {
                if c == CMD_MASTER_GONE {
                    // The master is gone (kill -9?): nobody else will remove the segment.
                    Scoreboard::unlink_name(&args.scoreboard);
                }
                if drain_deadline.is_none() {
                    drain_deadline = Some(Instant::now() + args.grace);
                }
                w.draining = true;
            }
        }
        if !w.draining && args.max_requests > 0 && w.served >= args.max_requests {
            w.draining = true;
            drain_deadline = Some(Instant::now() + args.grace);
        }
        if w.draining {
            if let Some(mut l) = listener.take() {
                let _ = poll.registry().deregister(&mut l);
            }
            accept = false;
        }
        if accept || (w.accept_pending && w.open < args.max_connections) {
            if let Some(l) = listener.as_ref() {
                w.accept(l, &poll);
            }
        }
        let now = Instant::now();
        if w.draining || now.duration_since(last_sweep) >= Duration::from_millis(250) {
            last_sweep = now;
            w.sweep(now);
        }
        if w.draining && (w.open == 0 || drain_deadline.is_some_and(|d| now >= d)) {
            w.slot.set_state(State::Closing);
            w.slot.connections.store(0, Ordering::Release);
            return Ok(());
        }
    }
}

/// The control thread: the master's commands, and its hang-up when it dies.
fn control(ctl: UnixSeqpacket, command: &AtomicU8, waker: &Waker) {
    let mut buf = [0u8; 64];
    loop {
        let c = match ctl.recv(&mut buf) {
            Ok(n) => match Command::parse(&buf[..n]) {
                Some(_) => CMD_DRAIN,
                None => continue,
            },
            Err(e) if e.kind() == ipckit::ErrorKind::WouldBlock => continue,
            Err(_) => CMD_MASTER_GONE,
        };
        command.store(c, Ordering::Release);
        let _ = waker.wake();
        if c == CMD_MASTER_GONE {
            return;
        }
    }
}

impl Worker<'_> {
    fn accept(&mut self, l: &mio::net::TcpListener, poll: &Poll) {
        loop {
            if self.open >= self.args.max_connections {
                // Leave the rest in the shared backlog for the other workers.
                self.accept_pending = true;
                return;
            }
            match l.accept() {
                Ok((mut sock, _)) => {
                    let _ = sock.set_nodelay(true);
                    let i = self.free.pop().unwrap_or_else(|| {
                        self.conns.push(None);
                        self.conns.len() - 1
                    });
                    if poll
                        .registry()
                        .register(&mut sock, Token(i), Interest::READABLE | Interest::WRITABLE)
                        .is_err()
                    {
                        self.free.push(i);
                        continue;
                    }
                    self.conns[i] = Some(Conn {
                        sock,
                        inbuf: Vec::with_capacity(1024),
                        out: Vec::with_capacity(1024),
                        out_pos: 0,
                        file: None,
                        close_after: false,
                        phase: Phase::Idle,
                        since: Instant::now(),
                        drained: false,
                    });
                    self.open += 1;
                    self.slot
                        .connections
                        .store(self.open as u32, Ordering::Release);
                    // Data may already be there: edge-triggered epoll reports it anyway
                    // on registration, but do not rely on it.
                    self.again.push_back(i);
                }
                Err(e) if e.kind() == IoKind::WouldBlock => {
                    self.accept_pending = false;
                    return;
                }
                Err(e) if e.kind() == IoKind::Interrupted => continue,
                Err(e) if e.kind() == IoKind::ConnectionAborted => continue,
                // EMFILE and the like: try again on the next turn of the loop.
                Err(_) => {
                    self.accept_pending = true;
                    return;
                }
            }
        }
    }

    fn close(&mut self, i: usize) {
        if let Some(c) = self.conns.get_mut(i).and_then(Option::take) {
            drop(c);
            self.free.push(i);
            self.open -= 1;
            self.slot
                .connections
                .store(self.open as u32, Ordering::Release);
        }
    }

    /// Closes connections idle or stuck past their timeouts.
    fn sweep(&mut self, now: Instant) {
        for i in 0..self.conns.len() {
            let Some(c) = self.conns[i].as_ref() else {
                continue;
            };
            let age = now.duration_since(c.since);
            let expired = match c.phase {
                Phase::Idle if self.draining => age >= DRAIN_IDLE.min(self.args.keepalive),
                Phase::Idle => age >= self.args.keepalive,
                Phase::Reading | Phase::Writing => age >= self.args.request_timeout,
                Phase::Lingering => age >= LINGER,
            };
            if expired {
                self.close(i);
            }
        }
    }

    /// Makes all the progress connection `i` allows without blocking.
    fn drive(&mut self, i: usize) {
        let mut turns = 0;
        loop {
            let Some(c) = self.conns.get_mut(i).and_then(Option::as_mut) else {
                return;
            };
            match c.phase {
                Phase::Writing => match flush(c, &mut self.file_buf, self.slot.bytes) {
                    Ok(true) => {
                        self.slot.request_start.store(0, Ordering::Release);
                        if c.close_after {
                            let _ = c.sock.shutdown(Shutdown::Write);
                            c.phase = Phase::Lingering;
                            c.since = Instant::now();
                        } else {
                            c.phase = if c.inbuf.is_empty() {
                                Phase::Idle
                            } else {
                                Phase::Reading
                            };
                            c.since = Instant::now();
                        }
                    }
                    Ok(false) => return,
                    Err(()) => return self.close(i),
                },
                Phase::Lingering => {
                    let mut sink = [0u8; 4096];
                    loop {
                        match c.sock.read(&mut sink) {
                            Ok(0) => return self.close(i),
                            Ok(_) => continue,
                            Err(e) if e.kind() == IoKind::WouldBlock => return,
                            Err(e) if e.kind() == IoKind::Interrupted => continue,
                            Err(_) => return self.close(i),
                        }
                    }
                }
                Phase::Idle | Phase::Reading => {
                    if !c.inbuf.is_empty() {
                        match http::parse(&c.inbuf) {
                            Parsed::Partial => {}
                            parsed => {
                                turns += 1;
                                if turns > FAIR_TURNS {
                                    self.again.push_back(i);
                                    return;
                                }
                                self.respond(i, parsed);
                                continue;
                            }
                        }
                    }
                    // Need more bytes.
                    let c = self.conns[i].as_mut().expect("checked above");
                    if c.inbuf.len() >= http::MAX_HEAD {
                        // parse() reports this as 413; not reached.
                        return self.close(i);
                    }
                    if c.drained {
                        return;
                    }
                    let old = c.inbuf.len();
                    let room = (http::MAX_HEAD + 1 - old).min(4096);
                    c.inbuf.resize(old + room, 0);
                    match c.sock.read(&mut c.inbuf[old..]) {
                        Ok(0) => {
                            c.inbuf.truncate(old);
                            return self.close(i);
                        }
                        Ok(n) => {
                            c.inbuf.truncate(old + n);
                            c.drained = n < room;
                            if c.phase == Phase::Idle {
                                c.phase = Phase::Reading;
                                c.since = Instant::now();
                                self.slot.set_state(State::Reading);
                            }
                        }
                        Err(e) => {
                            c.inbuf.truncate(old);
                            match e.kind() {
                                IoKind::WouldBlock => return,
                                IoKind::Interrupted => continue,
                                _ => return self.close(i),
                            }
                        }
                    }
                }
            }
        }
    }

    /// Builds the answer to the head at the start of connection `i`'s buffer.
    fn respond(&mut self, i: usize, parsed: Parsed) {
        self.slot.request_start.store(now_us(), Ordering::Release);
        self.slot.set_state(State::Writing);
        let draining = self.draining;
        let c = self.conns[i].as_mut().expect("live connection");
        c.out.clear();
        c.out_pos = 0;
        c.file = None;
        let date = self.date.now();
        let (status, close) = match parsed {
            Parsed::Partial => unreachable!("respond is called with a complete head"),
            Parsed::Broken(status) => {
                c.inbuf.clear();
                error_response(&mut c.out, status, false, date);
                (status, true)
            }
            Parsed::Complete {
                len,
                request,
                has_body,
                head_method,
            } => {
                c.inbuf.drain(..len);
                match request {
                    Err(status) => {
                        let close = has_body || status.closes() || draining;
                        let persist = if close { Persist::Close } else { Persist::Keep };
                        error_response_with(&mut c.out, status, head_method, persist, date);
                        (status, close)
                    }
                    Ok(req) => {
                        let close = has_body || !req.keep_alive || draining;
                        let persist = if close {
                            Persist::Close
                        } else if req.http10 {
                            Persist::Keep10
                        } else {
                            Persist::Keep
                        };
                        let st = serve_target(
                            c,
                            &self.root,
                            self.board,
                            &req.target,
                            req.method,
                            persist,
                            date,
                            &mut self.file_buf,
                        );
                        (st, close)
                    }
                }
            }
        };
        let _ = status;
        c.close_after = close;
        if close {
            c.inbuf.clear();
        }
        c.phase = Phase::Writing;
        c.since = Instant::now();
        self.served += 1;
        self.slot.requests.fetch_add(1, Ordering::AcqRel);
    }
}

/// Fills `c.out` (and `c.file`) with the answer for `target`; returns its status.
#[allow(clippy::too_many_arguments)]
fn serve_target(
    c: &mut Conn,
    root: &std::path::Path,
    board: &Scoreboard,
    target: &str,
    method: Method,
    persist: Persist,
    date: &str,
    file_buf: &mut Vec<u8>,
) -> Status {
    let (path, query) = http::split_target(target);
    let head_only = method == Method::Head;
    if path == "/server-status" {
        let (body, ctype) = if query.is_some_and(|q| q.split('&').any(|p| p == "json")) {
            (board.to_json(), "application/json")
        } else {
            (board.to_html(), "text/html; charset=utf-8")
        };
        http::write_head(
            &mut c.out,
            Status::Ok,
            ctype,
            body.len() as u64,
            persist,
            date,
        );
        if !head_only {
            c.out.extend_from_slice(body.as_bytes());
        }
        return Status::Ok;
    }
    let opened = http::resolve(root, path).and_then(|r| {
        use std::os::unix::fs::MetadataExt;
        let f = File::open(&r.path).map_err(|e| match e.kind() {
            IoKind::PermissionDenied => Status::Forbidden,
            _ => Status::NotFound,
        })?;
        let m = f.metadata().map_err(|_| Status::NotFound)?;
        if r.identity.is_some_and(|id| id != (m.dev(), m.ino())) {
            // Replaced (by a symlink?) between the check and the open.
            return Err(Status::NotFound);
        }
        if m.is_dir() {
            return Err(Status::Forbidden);
        }
        Ok((r.path, f, m.len()))
    });
    match opened {
        Err(status) => {
            error_response_with(&mut c.out, status, head_only, persist, date);
            status
        }
        Ok((p, mut f, len)) => {
            http::write_head(
                &mut c.out,
                Status::Ok,
                http::content_type(&p),
                len,
                persist,
                date,
            );
            if head_only || len == 0 {
                return Status::Ok;
            }
            if len <= INLINE_FILE {
                let start = c.out.len();
                c.out.resize(start + len as usize, 0);
                if f.read_exact(&mut c.out[start..]).is_err() {
                    // Shrank under us: the head is already promised; drop the connection.
                    c.out.truncate(start);
                    c.file = Some((f, 0));
                }
            } else {
                file_buf.clear();
                c.file = Some((f, len));
            }
            Status::Ok
        }
    }
}

fn error_response(out: &mut Vec<u8>, status: Status, head_only: bool, date: &str) {
    error_response_with(out, status, head_only, Persist::Close, date);
}

fn error_response_with(
    out: &mut Vec<u8>,
    status: Status,
    head_only: bool,
    persist: Persist,
    date: &str,
) {
    let body = http::error_body(status);
    http::write_head(
        out,
        status,
        "text/html; charset=utf-8",
        body.len() as u64,
        persist,
        date,
    );
    if !head_only {
        out.extend_from_slice(body.as_bytes());
    }
}

/// Writes what is pending; `Ok(true)` once the whole response is out, `Ok(false)` if the
/// socket is full, `Err` if the connection is unusable.
fn flush(c: &mut Conn, chunk: &mut Vec<u8>, sent: &AtomicU64) -> Result<bool, ()> {
    loop {
        while c.out_pos < c.out.len() {
            match c.sock.write(&c.out[c.out_pos..]) {
                Ok(0) => return Err(()),
                Ok(n) => {
                    c.out_pos += n;
                    sent.fetch_add(n as u64, Ordering::AcqRel);
                }
                Err(e) if e.kind() == IoKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == IoKind::Interrupted => {}
                Err(_) => return Err(()),
            }
        }
        match c.file.as_mut() {
            None => return Ok(true),
            // A file that shrank while being sent: the promised length cannot be kept.
            Some((_, 0)) => return Err(()),
            Some((f, left)) => {
                chunk.resize(CHUNK.min(*left as usize), 0);
                match f.read(chunk) {
                    Ok(0) | Err(_) => return Err(()),
                    Ok(n) => {
                        *left -= n as u64;
                        c.out.clear();
                        c.out.extend_from_slice(&chunk[..n]);
                        c.out_pos = 0;
                        if *left == 0 {
                            c.file = None;
                        }
                    }
                }
            }
        }
    }
}
