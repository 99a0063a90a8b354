//! The libc calls the raw twins are made of: thin wrappers, one syscall each, and the raw
//! endpoints several twins share (a framed byte stream, a message socket, queue pairs, slot
//! mappings).
//!
//! Functions return `std::io::Result` with the OS error of the failing call, wrapped with the
//! call's name by the callers.

pub mod fd;
pub mod msg;
pub mod posix;
pub mod ring;
pub mod signal;
pub mod stream;
pub mod sysv;

pub use fd::*;
pub use msg::RawMsgSocket;
pub use stream::RawStream;
