//! Async ends for tokio (feature `tokio`).
//!
//! - [`ring`]: the shared-memory ring, waiting through an eventfd doorbell agreed at the
//!   handshake, so that the synchronous fast path is unchanged.
pub mod ring;
