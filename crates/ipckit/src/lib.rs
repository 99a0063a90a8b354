//! # ipckit: every Unix inter-process communication mechanism in one safe library
//!
//! Each module wraps one kernel facility with the names the man pages use, owns its kernel
//! object (closing, unlinking or removing it on drop as documented) and reports failures as
//! one [`Error`] that names the operation, the object and the `errno`.
//!
//! | mechanism | module | between | shape | pick it when |
//! |---|---|---|---|---|
//! | anonymous pipe | [`pipe`] | related processes (inherited fd) | byte stream, one way | a parent talks to a child it starts |
//! | FIFO (named pipe) | [`fifo`] | any processes that can open the path | byte stream, one way | unrelated processes, shell tools (`cat`, `echo`) |
//! | Unix domain socket | [`net::unix`] | any processes on the host | stream, datagram, seqpacket; both ways | a local service with many clients, passing fds, knowing the peer's pid/uid |
//! | TCP | [`net::tcp`] | any hosts | byte stream, both ways | the peer may be on another machine |
//! | System V message queue | [`sysv::msg`] | any processes knowing the key | typed messages | selection by `mtype`, queues that outlive processes |
//! | System V semaphore set | [`sysv::sem`] | any processes knowing the key | counters | atomic operations over several semaphores, `SEM_UNDO` |
//! | System V shared memory | [`sysv::shm`] | any processes knowing the key | bytes | large data without copies |
//! | POSIX message queue | [`posix::mq`] | any processes knowing the name | prioritised messages | priorities, `poll`able queues, `mq_notify` |
//! | POSIX named semaphore | [`posix::sem`] | any processes knowing the name | a counter | a simple cross-process lock or counter |
//! | POSIX shared memory | [`posix::shm`] | any processes knowing the name | bytes | large data without copies, by name |
//! | file-backed map | [`mmap`] | processes mapping the same file | bytes, persisted | data that should also land in a file |
//! | shared-memory ring | [`ring`] | any processes that can connect to its socket | records, one way per ring | the fastest path between two processes: zero-copy, no syscall while both sides spin |
//! | signals | [`signal`] | any process you may signal | a number (and a value) | notification, not data |
//!
//! [`channel`] puts one message API ([`channel::Sender`], [`channel::Receiver`]) over the
//! transports that carry messages, addressed by strings such as `unix:/run/app.sock` or
//! `tcp:127.0.0.1:9000`.
//! `channel::typed` (feature `serde`, on by default) sends and receives any `Serialize` /
//! `Deserialize` type over those same transports, MessagePack by default (so a Python
//! `msgpack` peer reads and writes the same messages) or postcard between Rust programs.
//!
//! With the `tokio` feature (off by default), `ipckit::tokio` gives the same channels as
//! async ends (`Stream`/`Sink`, cancellation-safe `recv`), `SCM_RIGHTS` fd passing on
//! async Unix sockets and signals as a `Stream` (`SignalStream`).
#![deny(unsafe_code)]

pub mod channel;
mod creation;
mod errno;
pub mod error;
#[macro_use]
mod fd;
pub mod fifo;
pub mod file;
pub mod inspect;
pub mod limits;
pub mod lock;
pub mod mmap;
pub mod named;
pub mod net;
pub mod pipe;
pub mod posix;
pub mod ring;
pub mod signal;
pub mod sysv;
#[cfg(feature = "tokio")]
pub mod tokio;

mod sys;

pub use error::{Errno, Error, ErrorKind, Result};
pub use named::Named;
