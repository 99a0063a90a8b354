//! Listing of kernel IPC objects (System V from `/proc/sysvipc`, POSIX from `/dev/shm` and the mqueue filesystem) and their limits.

pub mod posix;
pub mod sysv;
