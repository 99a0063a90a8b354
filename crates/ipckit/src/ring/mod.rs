//! A shared-memory ring between two processes: single producer, single consumer,
//! variable-length records, zero copy, futex sleep, crash-proof.
//!
//! The fastest path between two processes on one host. Each direction is one `memfd_create`
//! mapping (no name in `/dev/shm` or anywhere: a crash leaves nothing behind), sealed
//! `F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL` before the peer sees it, so the peer can never
//! shrink it under us (which would make our accesses fault with `SIGBUS`). The rings travel
//! over a Unix seqpacket socket with `SCM_RIGHTS`; the socket stays open for the connection
//! and its hang-up is how a side learns that the peer died.
//!
//! ```
//! use ipckit::ring;
//! let addr: ipckit::net::unix::SocketAddr = format!("@ipckit-doc-ring-{}", std::process::id()).parse()?;
//! let listener = ring::listen(&addr)?;
//! let client = std::thread::spawn(move || -> ipckit::Result<Vec<u8>> {
//!     let mut conn = ring::connect(&addr)?;
//!     conn.sender().send(b"ping")?;
//!     let mut buf = Vec::new();
//!     conn.receiver().recv(&mut buf)?;
//!     Ok(buf)
//! });
//! let mut conn = listener.accept()?;
//! // Zero copy: borrow the record in place, answer by writing in place.
//! let len = {
//!     let rec = conn.receiver().recv_ref()?;
//!     assert_eq!(&*rec, b"ping");
//!     rec.len()
//! };
//! let mut grant = conn.sender().reserve(len)?;
//! grant.copy_from_slice(b"pong");
//! grant.commit();
//! assert_eq!(client.join().unwrap()?, b"pong");
//! # Ok::<(), ipckit::Error>(())
//! ```
//!
//! # Layout
//! One ring (one direction) is a mapping of `512 + capacity` bytes:
//!
//! | offset | written by | content |
//! |---|---|---|
//! | 0 | the creator, before sealing | header: magic `IPCKRING`, version 3, line size 128, capacity, data offset 512 |
//! | 128 | producer | producer index (tail): bytes ever published, a multiple of 8 |
//! | 256 | consumer | consumer index (head): bytes ever released, a multiple of 8 |
//! | 384 | both, rarely | flags: consumer waits, producer waits (each: bit 0 sleeping on the futex, bit 1 parked on the doorbell), producer closed, consumer closed |
//! | 512 | producer, then consumer | data area: `capacity` bytes, a power of two (4 KiB..1 GiB, default 1 MiB) |
//!
//! The control words sit 128 bytes apart, not 64, so that the adjacent-line prefetcher of
//! x86 (which fetches 128-byte pairs) never couples the producer's line with the consumer's.
//! The flags have their own line because both sides read them on every publish but write
//! them only when going to sleep. Each side keeps its own index privately (the shared copy is
//! write-only for it) and caches the other's, re-reading it only when the cached value says
//! the ring is full (producer) or empty (consumer).
//!
//! A record is an 8-byte little-endian length word, the payload, and padding to 8 bytes, all
//! contiguous in the data area. A record that would cross the end of the data area is
//! preceded by a skip marker (length word `u64::MAX`) that turns the rest of the area into
//! padding; the marker is published on its own, so any record up to
//! [`Sender::max_message`] (half the capacity) always fits once the consumer catches up.
//!
//! # Zero copy, and why lending slices over shared memory is sound
//! [`Sender::reserve`] returns a [`Grant`], `&mut [u8]` in the data area; [`Grant::commit`]
//! publishes it. [`Receiver::recv_ref`] returns a [`Record`], `&[u8]` in the data area;
//! dropping it releases the space. [`Sender::send`] and [`Receiver::recv`] copy through these.
//!
//! Proof sketch. Call the bytes `[head, tail)` of the index space (modulo the capacity)
//! *published* and the rest *free*. (1) The producer writes only free bytes: a grant is
//! handed out after `wait_space` Acquire-loaded a head showing that `[tail, tail + size)`
//! is free, and the consumer had finished reading those bytes before its Release store of
//! that head. (2) The consumer reads only published bytes: a record is lent after an Acquire
//! load of a tail covering it, and the producer's writes to it happened before its Release
//! store of that tail. (3) Ownership passes only through these Release/Acquire pairs, and
//! an index only grows, so between hand-offs each byte has one owner; on our side a `Grant`
//! holds `&mut Sender` and a `Record` holds `&mut Receiver`, so at most one slice of ours
//! exists over any byte, and it ends before the index that hands the bytes over is
//! published. Hence, with a peer that follows the protocol, a lent `&mut [u8]` is never
//! read or written by anyone else and a lent `&[u8]` is never written while it lives:
//! exactly Rust's aliasing rules.
//!
//! Which accesses are atomic: the indices, the flags, the length words (and skip markers) and
//! the header are read and written only as `AtomicU64` (the indices with Release/Acquire, the
//! rest Relaxed, ordered by those; the waiter flags additionally by the fences described
//! under *Waiting*), and each such value is loaded once into a local and
//! validated before use, so no check can be raced after it passed (no double fetch). The
//! payload bytes are plain memory: written by `copy_from_slice` or the caller through the
//! grant, read by the caller through the record.
//!
//! # What a peer that breaks the protocol can and cannot do
//! It shares the mapping and may write any byte at any time. It **can** make us read
//! garbage: if it writes a payload while we hold a [`Record`] over it, that is a data race on
//! plain bytes, which ipckit treats as opaque (it never branches, indexes or allocates on
//! payload bytes); the caller sees arbitrary values, as from any untrusted input. It can
//! also lie in the control words, which ipckit detects: every index is checked to be a
//! multiple of 8, to never decrease, and to stay within one capacity of ours; every length
//! word is checked against the maximum and the published range and the data area; a failed
//! check returns [`ErrorKind::InvalidData`](crate::ErrorKind::InvalidData) and leaves that
//! half broken (every later call fails the same way). It **cannot** make us access memory
//! outside the mapping (positions are masked and checked, the size is sealed), allocate more
//! than [`Receiver::max_message`] (the copy API grows the caller's buffer to a validated
//! length), panic, or wait past a timeout (every sleep is a bounded futex wait, re-checked
//! against the deadline; a peer that sets flags or wakes us spuriously only costs syscalls).
//! Scribbling over the header after the handshake has no effect: it is read once, at accept.
//!
//! # Waiting
//! A blocked call first spins, polling the peer's index, for a window
//! ([`DEFAULT_SPIN`], 50 µs, settable with [`ConnectBuilder::spin`] /
//! [`ListenerBuilder::spin`]), lengthened by 0.5 ns per byte of the message at hand (the
//! last record received, or the space a send waits for), at most 1 ms more: a peer still
//! copying a large message is waited for by polling, not with two futex calls (at 1 MiB that
//! took the round trip from 1.35–1.53× the busy-spinning raw twin's to 0.93–1.05×). A window
//! of zero always sleeps. Then it sets its waiter flag, fences, re-checks the index and
//! sleeps with `FUTEX_WAIT` on the value it saw; the other side publishes its index, fences
//! and calls `FUTEX_WAKE` only if the flag is set, so a send to a spinning peer makes no
//! syscall and a wake-up is never lost: of the two SeqCst fences, the later one orders its
//! side's load after the other side's store (a Dekker pair; see `wait.rs`).
//!
//! A full fence on every publish would cost a store-buffer drain per message, which waits
//! for the ownership transfer of every line just written. Where both processes could
//! register for `membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED)` (told each other in the
//! handshake), the fence is made asymmetric: the publisher's becomes a compiler fence, and
//! the sleeper, before its re-check, calls `membarrier`, which runs a full barrier on every
//! CPU running the publisher's threads before it returns: whether that barrier lands before
//! or after the publisher's index store, one side sees the other's write. The cost moves to
//! the side that is about to sleep anyway (about 1 µs here). Sleeps last at most
//! [`DEFAULT_CHECK_INTERVAL`] (20 ms, settable) between checks of the peer's socket
//! (`poll` for `POLLHUP`) and its "closed" flag: a dead or departed peer gives
//! [`ErrorKind::PeerGone`](crate::ErrorKind::PeerGone), after every record it committed has
//! been received.
//!
//! # Doorbells: waiting from an event loop
//! The doorbell is the connection's socket: a publisher rings a waiting peer by sending it
//! one byte (`send(MSG_DONTWAIT | MSG_NOSIGNAL)`, which never blocks, whatever the peer
//! does: it cannot touch our end's file description, and a full queue is `EAGAIN`, ignored
//! because the waiter's socket is then readable anyway). "Data available" is rung by the
//! producer for a consumer that waits, "space available" by the consumer for a producer
//! that waits; both go over the one socket, so a byte may wake either parked end of a side
//! (a spurious wake-up re-checks). A side waits on the socket instead of the futex only
//! when it is *parked asynchronously* (`ipckit::tokio::ring`, feature `tokio`, or a
//! `channel::Select`), which it says with its own bit in its waiter word; a publisher rings
//! only when it sees that bit, so the synchronous fast path (no waiter: one load of a zero
//! word) is unchanged, and sync and async ends mix freely. A woken end drains the socket
//! (bounded) before it re-checks, so level- and edge-triggered waits both work. The
//! no-lost-wake-up argument is the futex path's, and is spelled out in `park.rs`. A peer
//! can only ring, set bits, flood the socket or close: at worst spurious wake-ups.
//!
//! Layout and handshake version 3 (the hello carries the two memfds only); version 2
//! passed four eventfd doorbells, which a hostile peer sharing their file descriptions
//! could make blocking, and is refused with `InvalidData` naming both versions.
//!
//! # References
//! <https://man7.org/linux/man-pages/man2/memfd_create.2.html>,
//! <https://man7.org/linux/man-pages/man2/fcntl.2.html> (file seals),
//! <https://man7.org/linux/man-pages/man2/futex.2.html>,
//! <https://man7.org/linux/man-pages/man2/send.2.html> (`MSG_DONTWAIT`),
//! <https://man7.org/linux/man-pages/man7/unix.7.html> (`SCM_RIGHTS`, `SO_PEERCRED`)
#![allow(unsafe_code)]

mod conn;
#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
mod park;
#[cfg(feature = "pod")]
mod pod;
mod receiver;
mod sender;
mod shm;
mod sys;
mod wait;

#[cfg(feature = "pod")]
pub use bytemuck::{Pod, Zeroable};
pub(crate) use conn::Handshake;
pub use conn::{
    connect, listen, ConnectBuilder, Connection, Listener, ListenerBuilder, DEFAULT_CAPACITY,
    HANDSHAKE_TIMEOUT,
};
#[cfg(feature = "tokio")]
pub(crate) use park::register_readable;
#[cfg(feature = "pod")]
pub use pod::PodRecord;
pub use receiver::{Receiver, Record};
pub use sender::{Grant, Sender};
pub use shm::{MAX_CAPACITY, MIN_CAPACITY};
pub use wait::{DEFAULT_CHECK_INTERVAL, DEFAULT_SPIN};
