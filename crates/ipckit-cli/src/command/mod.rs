//! One module per verb: `ipckit ls` is `ls.rs`, and so on. Each parses nothing but its own
//! flags and presents what the library returns. What several verbs share lives outside this
//! directory, in `crate::present` (tables, times, owners) and `crate::parse` (argument
//! values), neither of which imports a verb; `main` dispatches to the verbs, so no module here
//! imports `cli` or `main` back.

pub mod bridge;
pub mod completions;
pub mod dump;
pub mod ipcmk;
pub mod ipcrm;
pub mod ipcs;
pub mod limits;
pub mod ls;
pub mod man;
pub mod mk;
pub mod recv;
pub mod rm;
pub mod send;
pub mod signal;
