//! Kill-at-random harness (issue 10): for every channel transport, a peer process is killed
//! with `SIGKILL` at a chosen or random point, and the surviving side must end cleanly.
//!
//! # What a trial does
//! Each trial picks a direction (the peer is the sender, or the receiver) and a kill point:
//!
//! - `before`: the peer stops itself (`SIGSTOP`) before it connects or listens;
//! - `between`: the peer has completed `k` messages (0..8), then stops;
//! - `inside` (byte streams only): killed sender: after `k` messages the peer writes a frame
//!   header and part of its payload (or part of the header) with a plain `write(2)` on the
//!   sender's fd; killed receiver: the peer reads `k` frames and part of the next one through
//!   a raw receiver;
//! - `blocked`: killed sender: the peer floods until its send blocks on the full socket or
//!   queue (the survivor reads nothing until the kill); killed receiver: the peer takes `k`
//!   messages and stops, the survivor fills the transport until its send would block;
//! - `random`: the peer floods (or drains) and is killed after a random delay (0..25 ms from
//!   its start, so some kills land before it connected, most in the middle of its traffic).
//!
//! The test process (the survivor) sends the `SIGKILL` itself, from a watcher thread, when the
//! point is reached (the peer is stopped, the survivor is blocked, the peer's progress stalled,
//! or the delay passed), then reaps the peer and notes the instant of the kill. Every wait of
//! the survivor has a timeout; no call blocks without one.
//!
//! # What "completed" means
//! The peer counts in a shared counter (an atomic in a file mapped `MAP_SHARED` by both
//! processes, so counting costs no syscall and survives the kill) each message whose
//! `send` (or `recv`) returned. For a queue (`sysv-mq:`, `posix-mq:`) a completed send is in
//! the queue; for a socket or FIFO it is in the kernel buffer of the connection; a completed
//! receive is in the receiver's hands. The kill can fall between the return and the count,
//! so the survivor may see one message more than counted, never fewer, never twice.
//!
//! # Assertions, per trial
//! - The survivor's next call returns within 1 s of the kill with `PeerGone`,
//!   `UnexpectedEof` (a stream cut inside a frame) or `TimedOut`. `TimedOut` is what a side
//!   that cannot see the death gets: a receiver on a connectionless transport (`unix-dgram:`,
//!   the queues), a listener nobody connected to, and a sender into a queue the survivor owns.
//!   A side with a connection must get `PeerGone`/`UnexpectedEof`, never `TimedOut`.
//! - Killed sender: the survivor received messages 0, 1, ... n-1, each exactly once and
//!   whole, with `counted <= n <= counted + 1` (`n == k` where the peer stopped itself).
//! - Killed receiver: the peer saw 0, 1, ... in order (it checks); for queues the survivor
//!   then drains the queue and gets exactly the messages the peer did not take: nothing lost.
//!   For sockets and FIFOs what sat in the dead receiver's buffer went with it (counted as
//!   "unread at death").
//! - No fd leaked in the survivor (`/proc/self/fd` before and after), no kernel object left
//!   (socket file or FIFO removed, abstract name gone from `/proc/net/unix`, queue removed),
//!   and the peer died of `SIGKILL`, not of a panic.
//!
//! # Who owns what
//! When the sender is killed, the survivor listens (it creates the FIFO, socket file, TCP
//! port or queue and must remove it). When the receiver is killed, the survivor owns the
//! FIFO and the queues (the peer opens them), while a socket peer listens on an abstract
//! name (`unix*:@NAME`) or a port the survivor picked, which the kernel frees when it dies.
//! A FIFO's read end in the survivor is opened once, before the writer comes (as
//! `Listener::accept` does, without its wait, which would close the read end on a timeout
//! and give a writer that opened it meanwhile `EPIPE`). A survivor's send waits with
//! `poll(POLLOUT)` (`msgctl(IPC_STAT)` for `sysv-mq:`) before each message, so it never
//! blocks without a timeout. TCP trials use 4 KiB socket buffers and System V queues a
//! 1 KiB `msg_qbytes`, so that a flood blocks after tens to hundreds of messages.
//!
//! # The summary line
//! `trials`, then how the survivor's last call ended (`PeerGone`, `UnexpectedEof`,
//! `TimedOut`), `delivered` (messages a receiver got), `lost` (0: a trial that loses a
//! completed message fails), `in-flight-to-killed` (queue messages the killed receiver took
//! before it could count them) and `unread-at-death` (completed sends to a killed socket or
//! FIFO receiver that were still in its buffer).
//!
//! The trials of one transport run one after the other, and the transports one at a time
//! (a lock), so that the fd count of this process is not disturbed by another test.
//! `IPCKIT_KILL_TRIALS` sets the trials per transport (default 200), `IPCKIT_KILL_SEED` the
//! seed (printed by each test, with a summary line of counts, on stderr).

mod common;

#[path = "common/kill.rs"]
mod kill;
#[path = "common/kill_peer.rs"]
mod kill_peer;
#[path = "common/kill_victim.rs"]
mod kill_victim;

use kill::{run_transport, Transport};

/// The peer-process entry point (see `common::run_peer`). Its self-check opens pipes, so it
/// takes the trials' lock: a trial counts the process's fds.
#[test]
fn peer() {
    let _serial = kill::serial();
    common::run_peer(kill_peer::peer_main);
}

/// One `#[test]` per transport, so a failure names it.
macro_rules! kill_at_random {
    ($($name:ident => $transport:expr,)*) => {
        $(
            #[test]
            fn $name() {
                run_transport($transport);
            }
        )*
    };
}

kill_at_random! {
    fifo => Transport::Fifo,
    unix => Transport::Unix,
    unix_dgram => Transport::UnixDgram,
    unix_seqpacket => Transport::UnixSeqpacket,
    tcp => Transport::Tcp,
    sysv_mq => Transport::SysvMq,
    posix_mq => Transport::PosixMq,
}
