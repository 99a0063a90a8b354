//! The Linux implementation of the platform seam, one file per facility.

pub(crate) mod fd;
pub(crate) mod inotify;
pub(crate) mod inspect;
pub(crate) mod io;
pub(crate) mod lock;
pub(crate) mod pipe;
pub(crate) mod poll;
pub(crate) mod posix;
#[cfg(feature = "tokio")]
pub(crate) mod reactor;
pub(crate) mod region;
pub(crate) mod signal;
pub(crate) mod sysv;
pub(crate) mod unix;
