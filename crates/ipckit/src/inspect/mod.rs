//! Listing of kernel IPC objects (System V from `/proc/sysvipc`, POSIX from `/dev/shm` and
//! the mqueue filesystem) and their limits, as typed rows, with lookups by id.
//!
//! `ipckit ls` and `ipckit limits` are these functions and a presentation. What needs the
//! kernel beyond reading files (the page size, the calling thread's mounts, `mount(2)`) goes
//! through the platform seam (`sys::inspect`); `/proc/sys` values through one reader.

pub mod posix;
pub mod sysv;
