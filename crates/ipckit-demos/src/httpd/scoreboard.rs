//! The scoreboard, as Apache's: a POSIX shared-memory segment `/ipckit-httpd-<master pid>`
//! with one slot per worker, which each worker writes with atomics (Release) and the master
//! and `/server-status` read (Acquire). Nothing in it is trusted for memory safety: it is
//! reached through [`MappedBytes`] only, and a worker that scribbles garbage shows garbage.
//!
//! Layout (native endian, every field naturally aligned):
//!
//! | offset | header field |
//! |---|---|
//! | 0 | magic `u32` (`IHSB`) |
//! | 4 | version `u32` (1) |
//! | 8 | slots `u32` |
//! | 12 | master pid `u32` |
//! | 16 | current generation `u64` |
//! | 24 | master start, µs since the epoch `u64` |
//!
//! then at `64 + 64 * i` slot `i`: pid `u32` (0: free), state `u32`, generation `u64`,
//! requests `u64`, bytes sent `u64`, start of the current request (µs since the epoch, 0:
//! none) `u64`, worker start (µs) `u64`, open connections `u32`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use ipckit::mmap::MappedBytes;
use ipckit::posix::shm::SharedMemory;
use ipckit::Result;

const MAGIC: u32 = u32::from_le_bytes(*b"IHSB");
const VERSION: u32 = 1;
const HEADER: usize = 64;
const SLOT: usize = 64;

/// The segment's name for the master with pid `pid`.
pub(crate) fn segment_name(pid: u32) -> String {
    format!("/ipckit-httpd-{pid}")
}

/// Microseconds since the epoch.
pub(crate) fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// What a worker is doing, as Apache's scoreboard shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// Slot free.
    Free = 0,
    /// Spawned, not yet serving.
    Starting = 1,
    /// Waiting for a connection, none open.
    Idle = 2,
    /// Reading a request head.
    Reading = 3,
    /// Writing a response.
    Writing = 4,
    /// Waiting on open keep-alive connections.
    KeepAlive = 5,
    /// Draining: finishing in-flight requests before it exits.
    Closing = 6,
}

impl State {
    fn from_u32(v: u32) -> &'static str {
        match v {
            0 => "free",
            1 => "starting",
            2 => "idle",
            3 => "reading",
            4 => "writing",
            5 => "keep-alive",
            6 => "closing",
            _ => "invalid",
        }
    }
}

/// The segment, mapped.
#[derive(Debug)]
pub(crate) struct Scoreboard {
    shm: SharedMemory,
    slots: usize,
}

/// One slot's fields, copied out.
#[derive(Debug, Clone)]
pub(crate) struct SlotView {
    pub(crate) slot: usize,
    pub(crate) pid: u32,
    pub(crate) state: &'static str,
    pub(crate) generation: u64,
    pub(crate) requests: u64,
    pub(crate) bytes: u64,
    pub(crate) request_start_us: u64,
    pub(crate) started_us: u64,
    pub(crate) connections: u32,
}

impl Scoreboard {
    /// Creates the master's segment (removing a stale one of a dead master with the same
    /// pid first), with `slots` free slots.
    pub(crate) fn create(master_pid: u32, slots: usize) -> Result<Scoreboard> {
        let name = segment_name(master_pid);
        let _ = SharedMemory::unlink(&name);
        let shm = SharedMemory::builder(&name)
            .size(HEADER + SLOT * slots)
            .create_new()?;
        shm.atomic_u32(8)?.store(slots as u32, Ordering::Relaxed);
        shm.atomic_u32(12)?.store(master_pid, Ordering::Relaxed);
        shm.atomic_u64(24)?.store(now_us(), Ordering::Relaxed);
        shm.atomic_u32(4)?.store(VERSION, Ordering::Relaxed);
        shm.atomic_u32(0)?.store(MAGIC, Ordering::Release);
        Ok(Scoreboard { shm, slots })
    }

    /// A worker's view of the master's segment.
    pub(crate) fn open(name: &str) -> Result<Scoreboard> {
        let shm = SharedMemory::builder(name).open()?;
        let bad = |what: &str| {
            ipckit::Error::new(ipckit::ErrorKind::InvalidData, "scoreboard", name)
                .with_detail(what.to_string())
        };
        if shm.len() < HEADER || shm.atomic_u32(0)?.load(Ordering::Acquire) != MAGIC {
            return Err(bad("not a prefork-httpd scoreboard"));
        }
        let slots = shm.atomic_u32(8)?.load(Ordering::Relaxed) as usize;
        if HEADER + SLOT * slots > shm.len() {
            return Err(bad("slot count beyond the segment"));
        }
        Ok(Scoreboard { shm, slots })
    }

    /// The segment's name.
    pub(crate) fn name(&self) -> &str {
        self.shm.name()
    }

    /// Number of slots.
    pub(crate) fn slots(&self) -> usize {
        self.slots
    }

    fn u32_at(&self, off: usize) -> &AtomicU32 {
        self.shm
            .atomic_u32(off)
            .expect("offset inside the checked layout")
    }

    fn u64_at(&self, off: usize) -> &AtomicU64 {
        self.shm
            .atomic_u64(off)
            .expect("offset inside the checked layout")
    }

    /// The master's current generation.
    pub(crate) fn generation(&self) -> u64 {
        self.u64_at(16).load(Ordering::Acquire)
    }

    /// Sets the current generation (master).
    pub(crate) fn set_generation(&self, g: u64) {
        self.u64_at(16).store(g, Ordering::Release);
    }

    /// The master's pid as recorded in the header.
    pub(crate) fn master_pid(&self) -> u32 {
        self.u32_at(12).load(Ordering::Relaxed)
    }

    /// Slot `i`'s handles (panics past [`Scoreboard::slots`]).
    pub(crate) fn slot(&self, i: usize) -> Slot<'_> {
        assert!(i < self.slots, "slot {i} of {}", self.slots);
        let b = HEADER + SLOT * i;
        Slot {
            pid: self.u32_at(b),
            state: self.u32_at(b + 4),
            generation: self.u64_at(b + 8),
            requests: self.u64_at(b + 16),
            bytes: self.u64_at(b + 24),
            request_start: self.u64_at(b + 32),
            started: self.u64_at(b + 40),
            connections: self.u32_at(b + 48),
        }
    }

    /// Every slot in use, copied out.
    pub(crate) fn snapshot(&self) -> Vec<SlotView> {
        (0..self.slots)
            .filter_map(|i| {
                let s = self.slot(i);
                let pid = s.pid.load(Ordering::Acquire);
                (pid != 0).then(|| SlotView {
                    slot: i,
                    pid,
                    state: State::from_u32(s.state.load(Ordering::Acquire)),
                    generation: s.generation.load(Ordering::Acquire),
                    requests: s.requests.load(Ordering::Acquire),
                    bytes: s.bytes.load(Ordering::Acquire),
                    request_start_us: s.request_start.load(Ordering::Acquire),
                    started_us: s.started.load(Ordering::Acquire),
                    connections: s.connections.load(Ordering::Acquire),
                })
            })
            .collect()
    }

    /// `/server-status?json`.
    pub(crate) fn to_json(&self) -> String {
        let now = now_us();
        let workers: Vec<serde_json::Value> = self
            .snapshot()
            .into_iter()
            .map(|w| {
                serde_json::json!({
                    "slot": w.slot,
                    "pid": w.pid,
                    "generation": w.generation,
                    "state": w.state,
                    "requests": w.requests,
                    "bytes_sent": w.bytes,
                    "connections": w.connections,
                    "request_started_us": w.request_start_us,
                    "request_age_ms": (w.request_start_us != 0)
                        .then(|| now.saturating_sub(w.request_start_us) / 1000),
                    "uptime_s": now.saturating_sub(w.started_us) / 1_000_000,
                })
            })
            .collect();
        let total_requests: u64 = workers.iter().filter_map(|w| w["requests"].as_u64()).sum();
        let total_bytes: u64 = workers
            .iter()
            .filter_map(|w| w["bytes_sent"].as_u64())
            .sum();
        let v = serde_json::json!({
            "segment": self.name(),
            "master_pid": self.master_pid(),
            "generation": self.generation(),
            "slots": self.slots,
            "workers": workers,
            "total_requests": total_requests,
            "total_bytes_sent": total_bytes,
        });
        let mut s = v.to_string();
        s.push('\n');
        s
    }

    /// `/server-status` as an HTML table.
    pub(crate) fn to_html(&self) -> String {
        let now = now_us();
        let mut s = String::new();
        let _ = write!(
            s,
            "<!DOCTYPE html>\n<html><head><title>prefork-httpd status</title></head><body>\n\
             <h1>prefork-httpd status</h1>\n<p>master pid {}, generation {}, scoreboard {} \
             ({} slots)</p>\n<table border=\"1\">\n<tr><th>slot</th><th>pid</th>\
             <th>generation</th><th>state</th><th>requests</th><th>bytes sent</th>\
             <th>connections</th><th>current request (ms)</th></tr>\n",
            self.master_pid(),
            self.generation(),
            self.name(),
            self.slots
        );
        for w in self.snapshot() {
            let age = if w.request_start_us == 0 {
                "-".to_string()
            } else {
                (now.saturating_sub(w.request_start_us) / 1000).to_string()
            };
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td></tr>",
                w.slot, w.pid, w.generation, w.state, w.requests, w.bytes, w.connections, age
            );
        }
        s.push_str("</table>\n</body></html>\n");
        s
    }

    /// A plain-text table (SIGUSR1).
    pub(crate) fn to_text(&self) -> String {
        let mut s = format!(
            "scoreboard {} (master {}, generation {})\n{:>4} {:>8} {:>4} {:<10} {:>10} {:>12} {:>5}\n",
            self.name(),
            self.master_pid(),
            self.generation(),
            "slot",
            "pid",
            "gen",
            "state",
            "requests",
            "bytes",
            "conns"
        );
        for w in self.snapshot() {
            let _ = writeln!(
                s,
                "{:>4} {:>8} {:>4} {:<10} {:>10} {:>12} {:>5}",
                w.slot, w.pid, w.generation, w.state, w.requests, w.bytes, w.connections
            );
        }
        s
    }

    /// Unlinks the segment's name now (the mapping stays); a worker whose master died does
    /// this so that nothing is left in `/dev/shm`.
    pub(crate) fn unlink_name(name: &str) {
        let _ = SharedMemory::unlink(name);
    }
}

/// One slot's atomics.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot<'a> {
    pub(crate) pid: &'a AtomicU32,
    pub(crate) state: &'a AtomicU32,
    pub(crate) generation: &'a AtomicU64,
    pub(crate) requests: &'a AtomicU64,
    pub(crate) bytes: &'a AtomicU64,
    pub(crate) request_start: &'a AtomicU64,
    pub(crate) started: &'a AtomicU64,
    pub(crate) connections: &'a AtomicU32,
}

impl Slot<'_> {
    /// A worker claims the slot (or the master, as it spawns one).
    pub(crate) fn claim(&self, pid: u32, generation: u64) {
        self.state.store(State::Starting as u32, Ordering::Relaxed);
        self.generation.store(generation, Ordering::Relaxed);
        self.requests.store(0, Ordering::Relaxed);
        self.bytes.store(0, Ordering::Relaxed);
        self.request_start.store(0, Ordering::Relaxed);
        self.connections.store(0, Ordering::Relaxed);
        self.started.store(now_us(), Ordering::Relaxed);
        self.pid.store(pid, Ordering::Release);
    }

    /// Resets the slot to free (the master, after reaping its worker).
    pub(crate) fn reset(&self) {
        self.pid.store(0, Ordering::Release);
        self.state.store(State::Free as u32, Ordering::Relaxed);
        self.generation.store(0, Ordering::Relaxed);
        self.requests.store(0, Ordering::Relaxed);
        self.bytes.store(0, Ordering::Relaxed);
        self.request_start.store(0, Ordering::Relaxed);
        self.started.store(0, Ordering::Relaxed);
        self.connections.store(0, Ordering::Release);
    }

    /// Sets the state.
    pub(crate) fn set_state(&self, s: State) {
        self.state.store(s as u32, Ordering::Release);
    }
}
