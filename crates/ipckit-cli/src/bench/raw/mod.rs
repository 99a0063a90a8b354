//! The raw twins: every mechanism written straight against `libc`, with no ipckit type.
//!
//! Each ipckit row of the benchmark has a twin here that does the same job the way a C
//! programmer would: one syscall per step, no allocation in the loop, the same framing bytes
//! on the wire for byte streams (a 4-byte little-endian length, then the payload). The ratio
//! ipckit / raw in the report is ipckit's overhead over that baseline.
//!
//! This is the only place in the CLI that may use `unsafe`; every block says why it is sound.
//! Functions return `std::io::Result` with the OS error of the failing call, wrapped with the
//! call's name by the callers.
//!
//! Other mechanisms add a file next to `stream.rs` / `msg.rs` (e.g. `sysv.rs`) for their raw
//! calls, and keep all their `unsafe` there.
#![allow(unsafe_code)]

pub mod fd;
pub mod msg;
pub mod posix;
pub mod signal;
pub mod stream;
pub mod sysv;

pub use fd::*;
pub use msg::RawMsgSocket;
pub use stream::RawStream;
