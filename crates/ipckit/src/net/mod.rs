//! Sockets used for IPC: Unix domain sockets and TCP.

pub mod tcp;
pub mod unix;
