//! How a builder gets a named kernel object: DESIGN.md's three creation modes, and the one
//! race-free way to run them that every named object (FIFO, System V, POSIX) shares.

use crate::{Error, ErrorKind, Result};

/// How a builder gets its object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Creation {
    /// Exclusive create (`O_CREAT | O_EXCL`, `IPC_CREAT | IPC_EXCL`, `mkfifo`): fail if it
    /// exists.
    CreateNew,
    /// No create: fail if it does not exist.
    Open,
    /// Create it if missing, otherwise open it.
    OpenOrCreate,
}

/// Runs `open(create)` for `how` and tells whether this call created the object.
///
/// `open(true)` must create exclusively (failing with [`ErrorKind::AlreadyExists`]),
/// `open(false)` must open without creating (failing with [`ErrorKind::NotFound`]).
/// `OpenOrCreate` tries the exclusive create first and falls back to a plain open, retrying
/// while the object appears and vanishes in between, so that exactly one of several racing
/// processes is told it created the object (and only that one removes it on drop).
pub(crate) fn open_with<T>(
    how: Creation,
    mut open: impl FnMut(bool) -> Result<T>,
) -> Result<(T, bool)> {
    match how {
        Creation::CreateNew => open(true).map(|t| (t, true)),
        Creation::Open => open(false).map(|t| (t, false)),
        Creation::OpenOrCreate => {
            // Bounded: each round either succeeds or the object appeared/vanished in between.
            let mut last = Error::new(ErrorKind::Other, "open", "")
                .with_detail("the object kept appearing and disappearing");
            for _ in 0..100 {
                match open(true) {
                    Ok(t) => return Ok((t, true)),
                    Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(e),
                }
                match open(false) {
                    Ok(t) => return Ok((t, false)),
                    Err(e) if e.kind() == ErrorKind::NotFound => last = e,
                    Err(e) => return Err(e),
                }
            }
            Err(last)
        }
    }
}
