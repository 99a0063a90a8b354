//! The study notes' own scenarios as real programs built on ipckit alone: `parallel-sum`
//! (sum 1..M over N worker processes, the partial sums sent back through any mechanism) and
//! `prefork-httpd` (a preforking static-file web server whose workers report to the master
//! through a shared-memory scoreboard). This library holds what the binaries share.

pub mod httpd;
pub mod sum;
