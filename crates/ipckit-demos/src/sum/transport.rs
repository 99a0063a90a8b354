//! Both ends of each mechanism: the master's collector (creates the IPC objects, receives the
//! reports, removes the objects) and the worker's one report.
//!
//! Layout of the shared-memory mechanisms: one 32-byte slot per worker holding the encoded
//! [`Report`]; the worker writes bytes 8..32, then stores the 8-byte magic at the start of
//! the slot with a release store, then posts the semaphore. The master waits on the
//! semaphore, then loads each slot's magic with an acquire load before reading the rest.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use ipckit::channel::{self, Address, FramedReceiver, FramedSender, Listener, Receiver};
use ipckit::fifo::{FifoReader, FifoWriter};
use ipckit::mmap::MappedBytes;
use ipckit::pipe::{PipeReader, PipeWriter};
use ipckit::posix::sem::UnnamedSemaphore;
use ipckit::signal::{MaskGuard, Origin, Signal, SignalFd, SignalSet};
use ipckit::sysv::key::Key;
use ipckit::sysv::sem::{SemOp, SemaphoreSet};
use ipckit::{posix, sysv, ErrorKind, Named};

use super::supervise::Workers;
use super::{Fail, Mech, Report};

/// The fd a `pipe` worker finds its write end on.
const PIPE_FD: i32 = 3;
/// Where the slots start in the POSIX segment (the semaphore sits at 0).
const POSIX_SLOTS: usize = 64;

/// The magic word as the slot's first 8 bytes read as a little-endian u64.
fn magic_word() -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(
        &Report {
            index: 0,
            pid: 0,
            partial: 0,
        }
        .encode()[..8],
    );
    u64::from_le_bytes(b)
}

/// A name no other run uses: the pid and the clock.
fn unique(tag: &str) -> String {
    format!(
        "ipckit-psum-{}-{:08x}{tag}",
        std::process::id(),
        clock_nanos()
    )
}

/// The nanoseconds of the wall clock's current second.
fn clock_nanos() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos())
}

/// What a poll of the collector gave.
pub(crate) enum Polled {
    /// Reports (possibly none: nothing arrived within the slice).
    Reports(Vec<Report>),
    /// A stream ended without a report; the worker's index if the stream was its own.
    Closed(Option<usize>),
}

fn nothing() -> Result<Polled, Fail> {
    Ok(Polled::Reports(Vec::new()))
}

fn decode(buf: &[u8], mech: Mech) -> Result<Report, Fail> {
    Report::decode(buf).ok_or_else(|| {
        Fail::run(format!(
            "a message of {} bytes via {mech} is not a worker's report",
            buf.len()
        ))
    })
}

/// The master's end of a mechanism.
pub(crate) struct Collector {
    mech: Mech,
    kind: Kind,
    /// What this run created, as `KIND NAME` (`posix-shm /x`, `sysv-sem 12`, `path /tmp/x`).
    objects: Vec<String>,
    buf: Vec<u8>,
}

enum Kind {
    Pipes(Vec<Option<FramedReceiver<PipeReader>>>),
    /// unix, tcp, shm-ring: a connection per worker.
    Connections {
        listener: Listener,
        current: Option<Receiver>,
    },
    /// fifo, sysv-mq, posix-mq: one stream or queue for all.
    Shared {
        listener: Option<Listener>,
        rx: Option<Receiver>,
        fifo_keeper: Option<(FifoReader, FifoWriter)>,
        sysv_queue: Option<sysv::msg::MessageQueue>,
        posix_queue: Option<String>,
        /// `file`: the spool, which outlives its listener (it is durable): removed here.
        spool: Option<PathBuf>,
    },
    SysvShm {
        seg: Option<sysv::shm::SharedMemory>,
        att: Option<sysv::shm::Attachment>,
        sems: Option<SemaphoreSet>,
        seen: Vec<bool>,
    },
    PosixShm {
        shm: Option<posix::shm::SharedMemory>,
        seen: Vec<bool>,
    },
    Signal {
        fd: SignalFd,
        _mask: MaskGuard,
    },
}

impl Collector {
    /// Creates the mechanism's objects for `n` workers; returns the collector and the
    /// endpoint string the workers get.
    pub(crate) fn setup(mech: Mech, n: usize) -> Result<(Collector, String), Fail> {
        let mut objects = Vec::new();
        let (kind, endpoint) = match mech {
            Mech::Pipe => (Kind::Pipes(Vec::with_capacity(n)), PIPE_FD.to_string()),
            Mech::Unix | Mech::Tcp | Mech::ShmRing => {
                let addr: Address = match mech {
                    Mech::Unix => {
                        let path = std::env::temp_dir().join(unique(".sock"));
                        objects.push(format!("path {}", path.display()));
                        Address::Unix(channel::SocketAddr::path(path))
                    }
                    Mech::Tcp => "tcp:127.0.0.1:0".parse()?,
                    _ => Address::ShmRing(channel::SocketAddr::abstract_name(unique(""))),
                };
                let listener = channel::listen(&addr)?;
                let endpoint = listener.address().to_string();
                if mech != Mech::Unix {
                    objects.push(format!("address {endpoint}")); // nothing in a file system
                }
                let current = None;
                (Kind::Connections { listener, current }, endpoint)
            }
            Mech::Fifo | Mech::SysvMq | Mech::PosixMq | Mech::File => {
                Collector::shared(mech, &mut objects)?
            }
            Mech::SysvShm => {
                let seg =
                    sysv::shm::SharedMemory::builder(Key::PRIVATE, n * Report::LEN).create_new()?;
                objects.push(format!("sysv-shm {}", seg.id()));
                // On an error here `seg` is dropped, which removes it.
                let sems = SemaphoreSet::builder(Key::PRIVATE, 1).create_new()?;
                objects.push(format!("sysv-sem {}", sems.id()));
                let att = seg.attach()?;
                let endpoint = format!("{}:{}", seg.id(), sems.id());
                let kind = Kind::SysvShm {
                    seg: Some(seg),
                    att: Some(att),
                    sems: Some(sems),
                    seen: vec![false; n],
                };
                (kind, endpoint)
            }
            Mech::PosixShm => {
                let name = format!("/{}", unique(""));
                let shm = posix::shm::SharedMemory::builder(&name)
                    .size(POSIX_SLOTS + n * Report::LEN)
                    .create_new()?;
                objects.push(format!("posix-shm {name}"));
                UnnamedSemaphore::init(&shm, 0, 0)?;
                let kind = Kind::PosixShm {
                    shm: Some(shm),
                    seen: vec![false; n],
                };
                (kind, name)
            }
            Mech::Signal => {
                let set = SignalSet::from(Signal::rtmin());
                let mask = ipckit::signal::block(&set)?;
                let fd = SignalFd::new(&set)?;
                let kind = Kind::Signal { fd, _mask: mask };
                (kind, Signal::rtmin().to_string())
            }
        };
        let collector = Collector {
            mech,
            kind,
            objects,
            buf: Vec::new(),
        };
        Ok((collector, endpoint))
    }

    fn shared(mech: Mech, objects: &mut Vec<String>) -> Result<(Kind, String), Fail> {
        let mut fifo_keeper = None;
        let mut sysv_queue = None;
        let mut posix_queue = None;
        let mut spool = None;
        let addr: Address = match mech {
            Mech::Fifo => {
                let path: PathBuf = std::env::temp_dir().join(unique(".fifo"));
                objects.push(format!("path {}", path.display()));
                Address::Fifo(path)
            }
            Mech::SysvMq => {
                // A key nobody uses, the queue created here (create_new: never someone
                // else's), then opened by the channel listener.
                let mut tries = 0;
                let queue = loop {
                    let seed = (u64::from(std::process::id()) * 0x9e37_79b9)
                        ^ u64::from(clock_nanos())
                        ^ (tries << 20);
                    let key = Key::new(((seed & 0x3fff_ffff) as i32).max(1));
                    match sysv::msg::MessageQueue::builder(key).create_new() {
                        Err(e) if e.kind() == ErrorKind::AlreadyExists && tries < 16 => {
                            tries += 1;
                        }
                        other => break other?,
                    }
                };
                objects.push(format!("sysv-mq {}", queue.id()));
                let addr = format!("sysv-mq:{}", queue.key().raw()).parse()?;
                sysv_queue = Some(queue);
                addr
            }
            Mech::File => {
                let path: PathBuf = std::env::temp_dir().join(unique(".spool"));
                objects.push(format!("path {}", path.display()));
                objects.push(format!(
                    "path {}",
                    ipckit::file::position_path(&path).display()
                ));
                spool = Some(path.clone());
                Address::File(path)
            }
            _ => {
                let name = format!("/{}", unique(""));
                objects.push(format!("posix-mq {name}"));
                posix_queue = Some(name.clone());
                Address::PosixMq(name)
            }
        };
        let listener = channel::listen(&addr)?;
        if let Address::Fifo(path) = &addr {
            // Our own reader and writer keep the FIFO's buffer alive between workers: the
            // stream never ends while one worker closed and the next has not opened yet.
            let r = FifoReader::open_nonblocking(path)?;
            let w = FifoWriter::open(path)?;
            fifo_keeper = Some((r, w));
        }
        let kind = Kind::Shared {
            listener: Some(listener),
            rx: None,
            fifo_keeper,
            sysv_queue,
            posix_queue,
            spool,
        };
        Ok((kind, addr.to_string()))
    }

    /// What this run created (`KIND NAME`).
    pub(crate) fn objects(&self) -> &[String] {
        &self.objects
    }

    /// Prepares the command that starts the next worker (the pipe mechanism hands it its
    /// own pipe's write end as fd 3; every other fd is close-on-exec).
    pub(crate) fn prepare(&mut self, cmd: &mut ipckit::pipe::Spawner) -> Result<(), Fail> {
        if let Kind::Pipes(readers) = &mut self.kind {
            let (r, w) = ipckit::pipe::pipe()?;
            w.inherit_as(cmd, PIPE_FD)?;
            readers.push(Some(FramedReceiver::new(r)));
        }
        Ok(())
    }

    /// Waits up to `slice` for reports.
    pub(crate) fn poll(&mut self, slice: Duration, workers: &Workers) -> Result<Polled, Fail> {
        let mech = self.mech;
        let buf = &mut self.buf;
        match &mut self.kind {
            Kind::Pipes(readers) => {
                // Every pending pipe without waiting, then a wait on the first one: an idle
                // poll means no pipe had a report.
                let pending: Vec<usize> = (0..readers.len())
                    .filter(|&i| readers[i].is_some())
                    .collect();
                for (k, &i) in pending.iter().enumerate() {
                    let rx = readers[i].as_mut().expect("pending");
                    let got = if k + 1 == pending.len() {
                        rx.recv_timeout(buf, slice)
                    } else {
                        rx.try_recv(buf)
                    };
                    match got {
                        Ok(_) => {
                            readers[i] = None;
                            return Ok(Polled::Reports(vec![decode(buf, mech)?]));
                        }
                        Err(e)
                            if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) => {}
                        Err(e)
                            if matches!(
                                e.kind(),
                                ErrorKind::PeerGone | ErrorKind::UnexpectedEof
                            ) =>
                        {
                            readers[i] = None;
                            return Ok(Polled::Closed(Some(i)));
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                nothing()
            }
            Kind::Connections { listener, current } => {
                if current.is_none() {
                    match listener.accept_timeout(slice) {
                        Ok(rx) => *current = Some(rx),
                        Err(e) if e.kind() == ErrorKind::TimedOut => return nothing(),
                        Err(e) => return Err(e.into()),
                    }
                }
                let rx = current.as_mut().expect("set above");
                match rx.recv_timeout(buf, slice) {
                    Ok(_) => {
                        *current = None;
                        Ok(Polled::Reports(vec![decode(buf, mech)?]))
                    }
                    Err(e) if e.kind() == ErrorKind::TimedOut => nothing(),
                    Err(e)
                        if matches!(e.kind(), ErrorKind::PeerGone | ErrorKind::UnexpectedEof) =>
                    {
                        *current = None;
                        Ok(Polled::Closed(None))
                    }
                    Err(e) => Err(e.into()),
                }
            }
            Kind::Shared { listener, rx, .. } => {
                if rx.is_none() {
                    let l = listener.as_mut().expect("open until close");
                    match l.accept_timeout(slice) {
                        Ok(r) => *rx = Some(r),
                        Err(e) if e.kind() == ErrorKind::TimedOut => return nothing(),
                        Err(e) => return Err(e.into()),
                    }
                }
                let r = rx.as_mut().expect("set above");
                match r.recv_timeout(buf, slice) {
                    Ok(_) => Ok(Polled::Reports(vec![decode(buf, mech)?])),
                    Err(e) if e.kind() == ErrorKind::TimedOut => nothing(),
                    Err(e) => Err(e.into()),
                }
            }
            Kind::SysvShm {
                att, sems, seen, ..
            } => {
                let sems = sems.as_ref().expect("open until close");
                match sems.op_timeout(&[SemOp::wait(0)], slice) {
                    Ok(()) => scan(att.as_ref().expect("open until close"), 0, seen, mech),
                    Err(e) if e.kind() == ErrorKind::TimedOut => nothing(),
                    Err(e) => Err(e.into()),
                }
            }
            Kind::PosixShm { shm, seen } => {
                let shm = shm.as_ref().expect("open until close");
                match UnnamedSemaphore::at(shm, 0)?.wait_timeout(slice) {
                    Ok(()) => scan(shm, POSIX_SLOTS, seen, mech),
                    Err(e) if e.kind() == ErrorKind::TimedOut => nothing(),
                    Err(e) => Err(e.into()),
                }
            }
            Kind::Signal { fd, .. } => match fd.recv_timeout(slice) {
                Ok(info) if info.origin() == Origin::Queue => {
                    let pid = info.sender_pid();
                    let Some(index) = workers.index_of_pid(pid) else {
                        return nothing(); // someone else's sigqueue: not a report
                    };
                    let partial = u128::try_from(info.value()).map_err(|_| {
                        Fail::run(format!(
                            "worker {index} (pid {pid}) sent a negative value via signal"
                        ))
                    })?;
                    Ok(Polled::Reports(vec![Report {
                        index: index as u32,
                        pid,
                        partial,
                    }]))
                }
                Ok(_) => nothing(),
                Err(e) if e.kind() == ErrorKind::TimedOut => nothing(),
                Err(e) => Err(e.into()),
            },
        }
    }

    /// Removes everything this run created, whatever it still holds (after a failure a
    /// queue may hold reports nobody will read). Each removal is reported if `verbose`.
    pub(crate) fn close(self, verbose: bool) -> Result<(), Fail> {
        let mut errors: Vec<String> = Vec::new();
        let mut note = |r: ipckit::Result<()>| {
            if let Err(e) = r {
                errors.push(e.to_string());
            }
        };
        match self.kind {
            Kind::Pipes(_) => {}
            Kind::Signal { fd, _mask } => {
                // The workers are gone: take every report still queued, so none is
                // delivered (and kills us, SIGRTMIN's default action) once the mask is
                // restored.
                let mut rest = Vec::new();
                while fd.try_recv_many(&mut rest).is_ok_and(|k| k > 0) {
                    rest.clear();
                }
                drop(fd);
                drop(_mask);
            }
            Kind::Connections { listener, current } => {
                drop(current);
                drop(listener); // removes the socket file
            }
            Kind::Shared {
                listener,
                rx,
                fifo_keeper,
                sysv_queue,
                posix_queue,
                spool,
            } => {
                drop(rx);
                drop(fifo_keeper);
                if let Some(l) = listener {
                    note(l.close().map(|_| ())); // the FIFO; a POSIX queue if empty
                }
                if let Some(q) = sysv_queue {
                    note(q.remove());
                }
                if let Some(name) = posix_queue {
                    match posix::mq::MessageQueue::unlink(&name) {
                        Err(e) if e.kind() == ErrorKind::NotFound => {}
                        r => note(r),
                    }
                }
                if let Some(path) = spool {
                    // The spool and its position file (every report in it was read, or
                    // the run failed and is reported anyway).
                    match ipckit::file::remove(&path) {
                        Err(e) if e.kind() == ErrorKind::NotFound => {}
                        r => note(r),
                    }
                }
            }
            Kind::SysvShm { seg, att, sems, .. } => {
                drop(att);
                if let Some(s) = sems {
                    note(s.remove());
                }
                if let Some(s) = seg {
                    note(s.remove());
                }
            }
            Kind::PosixShm { shm, .. } => {
                if let Some(s) = shm {
                    note(s.remove());
                }
            }
        }
        if verbose {
            for o in &self.objects {
                eprintln!("parallel-sum: removed {o}");
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Fail::run(format!(
                "cleaning up after {}: {}",
                self.mech,
                errors.join("; ")
            )))
        }
    }
}

/// The newly completed slots of a shared-memory segment.
fn scan<M: MappedBytes>(
    map: &M,
    base: usize,
    seen: &mut [bool],
    mech: Mech,
) -> Result<Polled, Fail> {
    let mut out = Vec::new();
    for (i, s) in seen.iter_mut().enumerate() {
        if *s {
            continue;
        }
        let off = base + i * Report::LEN;
        if map.atomic_u64(off)?.load(Ordering::Acquire) != magic_word() {
            continue;
        }
        let mut slot = [0u8; Report::LEN];
        map.read(off, &mut slot)?;
        let r = decode(&slot, mech)?;
        if r.index as usize != i {
            return Err(Fail::run(format!(
                "slot {i} via {mech} holds a report for worker {}",
                r.index
            )));
        }
        *s = true;
        out.push(r);
    }
    Ok(Polled::Reports(out))
}

fn write_slot<M: MappedBytes>(map: &M, base: usize, r: &Report) -> ipckit::Result<()> {
    let off = base + r.index as usize * Report::LEN;
    map.write(off + 8, &r.encode()[8..])?;
    map.atomic_u64(off)?.store(magic_word(), Ordering::Release);
    Ok(())
}

/// The worker's side: sends `r` through `mech` to `endpoint` (the master is `master`).
pub(crate) fn send(mech: Mech, endpoint: &str, master: u32, r: &Report) -> Result<(), Fail> {
    let msg = r.encode();
    match mech {
        Mech::Pipe => {
            let fd: i32 = endpoint
                .parse()
                .map_err(|_| Fail::usage(format!("bad pipe fd `{endpoint}`")))?;
            FramedSender::new(PipeWriter::from_inherited(fd)?).send(&msg)?;
        }
        Mech::Fifo
        | Mech::Unix
        | Mech::Tcp
        | Mech::SysvMq
        | Mech::PosixMq
        | Mech::ShmRing
        | Mech::File => {
            let addr: Address = endpoint.parse()?;
            channel::connect(&addr)?.send(&msg)?;
        }
        Mech::SysvShm => {
            let (shm, sem) = endpoint
                .split_once(':')
                .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
                .ok_or_else(|| Fail::usage(format!("bad sysv-shm endpoint `{endpoint}`")))?;
            let seg = sysv::shm::SharedMemory::from_id(shm)?;
            write_slot(&seg.attach()?, 0, r)?;
            SemaphoreSet::from_id(sem)?.op(&[SemOp::post(0)])?;
        }
        Mech::PosixShm => {
            let shm = posix::shm::SharedMemory::builder(endpoint).open()?;
            write_slot(&shm, POSIX_SLOTS, r)?;
            UnnamedSemaphore::at(&shm, 0)?.post()?;
        }
        Mech::Signal => {
            let value = i32::try_from(r.partial).map_err(|_| {
                Fail::usage(format!("partial sum {} does not fit in an int", r.partial))
            })?;
            ipckit::signal::queue(master, Signal::rtmin(), value)?;
        }
    }
    Ok(())
}
