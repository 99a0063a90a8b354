//! Listing of kernel IPC objects (System V from `/proc/sysvipc`, POSIX from `/dev/shm` and
//! the mqueue filesystem) and their limits, as typed rows, with lookups by id; and the
//! leftovers of killed processes: stale Unix socket files ([`stale_sockets`]) and System V
//! segments whose creator is dead ([`sysv::stale_segments`]).
//!
//! `ipckit ls` and `ipckit limits` are these functions and a presentation. What needs the
//! kernel beyond reading files (the page size, the calling thread's mounts, `mount(2)`,
//! probing a socket, whether a pid lives) goes through the platform seam (`sys::inspect`);
//! `/proc/sys` values through one reader.

pub mod posix;
pub mod sysv;
mod unix;

pub use unix::{is_stale_socket, remove_stale_socket, stale_sockets};
