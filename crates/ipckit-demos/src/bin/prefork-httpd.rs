//! `prefork-httpd`: a preforking static-file web server whose workers report to the master
//! through a shared-memory scoreboard (see `ipckit_demos::httpd`).
//!
//! ```text
//! prefork-httpd --root ./site --workers 4 --listen 127.0.0.1:8080
//! curl http://127.0.0.1:8080/server-status?json
//! kill -HUP <master>   # new generation;  kill -USR1 <master>  # scoreboard on stderr
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use ipckit_demos::httpd::{Config, WorkerArgs};

/// A preforking HTTP/1.1 static-file server on ipckit: a master, N worker processes sharing
/// its listening socket, a scoreboard in POSIX shared memory (/server-status).
#[derive(Debug, Parser)]
#[command(name = "prefork-httpd", version)]
struct Cli {
    /// Address to listen on (port 0: any free port; the address is printed on stdout).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Worker processes.
    #[arg(long, default_value_t = 4)]
    workers: usize,
    /// Directory to serve.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Retire (and replace) a worker after this many requests; 0: never.
    #[arg(long, default_value_t = 0)]
    max_requests_per_child: u64,
    /// Seconds workers get to finish in-flight requests on SIGTERM/SIGINT/SIGHUP.
    #[arg(long, default_value_t = 10.0, value_parser = secs)]
    grace: f64,
    /// Seconds an idle keep-alive connection is kept.
    #[arg(long, default_value_t = 5.0, value_parser = secs)]
    keepalive_timeout: f64,
    /// Seconds a request head may take to arrive (and a response to be taken).
    #[arg(long, default_value_t = 10.0, value_parser = secs)]
    request_timeout: f64,
    /// Connections each worker holds at once.
    #[arg(long, default_value_t = 512)]
    max_connections: usize,
    #[arg(long, hide = true)]
    worker_slot: Option<usize>,
    #[arg(long, hide = true, default_value_t = 0)]
    worker_generation: u64,
    #[arg(long, hide = true, default_value = "")]
    worker_scoreboard: String,
}

fn secs(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if v.is_finite() && (0.0..=86_400.0).contains(&v) {
        Ok(v)
    } else {
        Err("seconds between 0 and 86400".into())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let d = Duration::from_secs_f64;
    if let Some(slot) = cli.worker_slot {
        let args = WorkerArgs {
            slot,
            generation: cli.worker_generation,
            scoreboard: cli.worker_scoreboard,
            root: cli.root,
            max_requests: cli.max_requests_per_child,
            grace: d(cli.grace),
            keepalive: d(cli.keepalive_timeout),
            request_timeout: d(cli.request_timeout),
            max_connections: cli.max_connections.max(1),
        };
        return ExitCode::from(ipckit_demos::httpd::run_worker(&args) as u8);
    }
    let cfg = Config {
        listen: cli.listen,
        workers: cli.workers,
        root: cli.root,
        max_requests_per_child: cli.max_requests_per_child,
        grace: d(cli.grace),
        keepalive: d(cli.keepalive_timeout),
        request_timeout: d(cli.request_timeout),
        max_connections: cli.max_connections.max(1),
    };
    match ipckit_demos::httpd::run_master(&cfg) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("prefork-httpd: {e}");
            ExitCode::FAILURE
        }
    }
}
