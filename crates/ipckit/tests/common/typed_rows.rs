//! What the sync (`tests/typed.rs`) and async (`tests/tokio_typed.rs`) typed suites share:
//! one address per transport row, and the peer that sends garbage then a good message.

use std::io::Read;

use ipckit::channel::{self, Address};

use super::reading::{encode, garbage, sample};
use super::{say, unique_key, unique_name, unique_path};

pub fn fifo() -> String {
    format!("fifo:{}", unique_path("tfifo").display())
}
pub fn unix() -> String {
    format!("unix:@{}", unique_name("tus"))
}
pub fn unix_path() -> String {
    format!("unix:{}", unique_path("tus").display())
}
pub fn unix_dgram() -> String {
    format!("unix-dgram:@{}", unique_name("tud"))
}
pub fn unix_seqpacket() -> String {
    format!("unix-seqpacket:@{}", unique_name("tsp"))
}
pub fn tcp() -> String {
    "tcp:127.0.0.1:0".to_string()
}
pub fn sysv_mq() -> String {
    format!("sysv-mq:{}", unique_key())
}
pub fn posix_mq() -> String {
    format!("posix-mq:/{}", unique_name("tmq"))
}
pub fn shm_ring() -> String {
    format!("shm-ring:@{}", unique_name("tring"))
}
pub fn shm_ring_path() -> String {
    format!("shm-ring:{}", unique_path("tring").display())
}

/// Blocks until the test closes this peer's stdin.
pub fn wait_for_stdin_eof() {
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

/// Peer role: sends (as raw messages) one that does not decode in `codec`, `sample(1)` with
/// a byte too many, then `sample(7)`; says "sent" and waits for stdin to close.
pub fn send_garbage(addr: &Address, codec: &str) {
    let mut tx = channel::connect(addr).unwrap();
    tx.send(&garbage(codec).0).unwrap();
    let mut trailing = encode(codec, &sample(1));
    trailing.push(0);
    tx.send(&trailing).unwrap();
    tx.send(&encode(codec, &sample(7))).unwrap();
    say("sent");
    wait_for_stdin_eof();
}
