//! The ipckit implementations: one file per mechanism, each with `pub struct Ipckit`
//! implementing [`Scenario`](crate::scenario::Scenario) with ipckit's public types only, and
//! the `pub const MECHANISM` describing the row (listed in `crate::registry`). The raw twin
//! of each is `crate::raw::<name>::Raw`; what both share lives in `crate::common`. A file
//! here may use `crate::raw` for what is not measured (a size probe, the signal row's hello),
//! never the other way round.

pub mod framed;

#[cfg(feature = "async")]
pub mod async_unix_stream;
pub mod fifo;
pub mod file;
pub mod mmap_file;
pub mod pipe;
pub mod posix_mq;
pub mod posix_shm;
pub mod shm_ring;
pub mod signal;
pub mod sysv_mq;
pub mod sysv_shm;
pub mod tcp;
#[cfg(feature = "typed")]
pub mod typed;
pub mod unix_dgram;
pub mod unix_seqpacket;
pub mod unix_stream;
