//! `prefork-httpd`: the study notes' multi-process web server, whose workers exchange
//! control and status with a master through ipckit.
//!
//! # Processes
//! - The **master** binds the listening TCP socket, creates the scoreboard (POSIX shared
//!   memory `/ipckit-httpd-<master pid>`, see below), blocks `SIGTERM`, `SIGINT`, `SIGHUP`,
//!   `SIGCHLD` and `SIGUSR1` and reads them from an [`ipckit::signal::SignalFd`], and
//!   starts `--workers N` workers by re-executing its own binary (`std::process::Command`:
//!   fork and exec, never a fork that goes on running Rust code).
//! - Each **worker** gets a unix seqpacket socket ([`ipckit::net::unix::UnixSeqpacket`])
//!   as its stdin. The master sends the listening socket over it (`SCM_RIGHTS`,
//!   [`UnixSeqpacket::send_fds`](ipckit::net::unix::UnixSeqpacket::send_fds)), then its
//!   commands (`stop`, `reload`: both mean "finish what is in flight, accept nothing new,
//!   exit"). Its hang-up tells the worker that the master died, even by `kill -9`.
//! - All workers `accept` on the one shared socket; the kernel hands each connection to one.
//!
//! # One worker, many connections
//! A worker runs one poll loop (mio over edge-triggered epoll) over the listening socket and
//! every connection it accepted (up to `--max-connections`, default 512; beyond that it
//! leaves new connections in the backlog for the other workers). So a slow or idle peer
//! holds only its own connection, never a worker: a connection idle between requests is
//! closed after `--keepalive-timeout` (default 5 s), one that has not sent a whole request
//! head, or does not take its response, within `--request-timeout` (default 10 s) is
//! closed too. The limit is honest: `workers × max-connections` open connections at once.
//!
//! # Control
//! - `SIGTERM`/`SIGINT`: the master tells every worker to stop; each answers the requests
//!   it has (with `Connection: close`), closes connections idle for 1 s (not at once: a
//!   request may be on its way; HTTP's close race) and exits. Workers still
//!   running after `--grace SECS` (default 10) are killed. The master then removes the
//!   scoreboard and exits 0.
//! - `SIGHUP`: a new generation of workers starts (new slots), then the old ones drain as
//!   for a stop, within `--grace`.
//! - `SIGCHLD`: a worker that died is reaped, logged on stderr, its slot reset, and a new
//!   one started in its slot at once (after 0.5 s if it died within 0.2 s of its start, so
//!   a worker that cannot start does not spin). `--max-requests-per-child N` retires a
//!   worker after N requests the same way (it drains, exits 0, is replaced).
//! - `SIGUSR1`: the master prints the scoreboard on stderr.
//!
//! # Nothing left in `/dev/shm`
//! The master removes the segment when it exits. If the master is killed with `SIGKILL`,
//! its workers see the command socket hang up, unlink the segment's name at once (their
//! mappings stay valid), drain within `--grace` and exit. As a last resort a starting
//! master removes segments named `/ipckit-httpd-<pid>` whose pid no longer exists.
//!
//! # HTTP
//! HTTP/1.1 (and 1.0) `GET` and `HEAD` of static files under `--root`, parsed with
//! httparse; keep-alive and pipelining; 400 (malformed, no `Host` in 1.1), 403 (a path that
//! would leave the root: `..`, `%2e%2e`, a symlink pointing out; a directory without
//! `index.html`), 404, 405 (with `Allow: GET, HEAD`), 413 (request head over 8 KiB), 505
//! (not HTTP/1.x). `/server-status` renders the scoreboard as HTML, `/server-status?json`
//! as JSON.

mod http;
mod master;
mod scoreboard;
mod worker;

use std::path::PathBuf;
use std::time::Duration;

/// The master's settings (the command line).
#[derive(Debug, Clone)]
pub struct Config {
    /// `HOST:PORT` to bind; port 0 picks a free one (printed on stdout's first line).
    pub listen: String,
    /// Worker processes.
    pub workers: usize,
    /// The directory served.
    pub root: PathBuf,
    /// Requests after which a worker is retired and replaced; 0: never.
    pub max_requests_per_child: u64,
    /// How long workers may take to finish in-flight requests on stop or reload.
    pub grace: Duration,
    /// How long a connection may stay idle between requests.
    pub keepalive: Duration,
    /// How long a request head may take to arrive, and a response to be taken.
    pub request_timeout: Duration,
    /// Connections one worker holds at once.
    pub max_connections: usize,
}

/// What a worker is told on its command line by the master.
#[derive(Debug, Clone)]
pub struct WorkerArgs {
    /// Its scoreboard slot.
    pub slot: usize,
    /// Its generation (1, then one more per reload).
    pub generation: u64,
    /// The scoreboard's name (`/ipckit-httpd-<master pid>`).
    pub scoreboard: String,
    /// The directory served.
    pub root: PathBuf,
    /// Requests before it retires; 0: never.
    pub max_requests: u64,
    /// Time to drain once told to stop.
    pub grace: Duration,
    /// Idle keep-alive timeout.
    pub keepalive: Duration,
    /// Request head / response timeout.
    pub request_timeout: Duration,
    /// Connections held at once.
    pub max_connections: usize,
}

/// A command from the master to a worker, one seqpacket message each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Stop,
    Reload,
}

impl Command {
    fn as_bytes(self) -> &'static [u8] {
        match self {
            Command::Stop => b"stop",
            Command::Reload => b"reload",
        }
    }

    fn parse(b: &[u8]) -> Option<Command> {
        match b {
            b"stop" => Some(Command::Stop),
            b"reload" => Some(Command::Reload),
            _ => None,
        }
    }
}

/// Runs the master until it is stopped (`SIGTERM`, `SIGINT`); returns the exit code.
///
/// # Errors
/// If the socket cannot be bound, the root is not a directory, or the scoreboard cannot be
/// created.
pub fn run_master(cfg: &Config) -> std::io::Result<i32> {
    master::run(cfg)
}

/// Runs a worker (the master re-executes the binary with the hidden worker arguments, the
/// command socket as stdin); returns the exit code: 0 once drained, 1 on an error.
pub fn run_worker(args: &WorkerArgs) -> i32 {
    worker::run(args)
}
