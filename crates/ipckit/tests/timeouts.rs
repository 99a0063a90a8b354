//! Any `Duration` is a valid timeout, up to `Duration::MAX` (issue 8 point 9).
//!
//! Every timed call of the library is called here with [`Duration::MAX`] in a state where it
//! returns at once (a message already waiting, a semaphore already posted, a signal already
//! pending), and must return the right value: not panic on an `Instant` overflow, and not
//! fail with `EINVAL`/`EDOM` from a `timespec`, `timeval` or poll timeout that overflowed.
//!
//! The channel calls are generated per transport (`<transport>::recv_and_accept`,
//! `<transport>::raw_accept_and_read`), so a failure names its transport.

mod common;

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::Duration;

use common::{run_peer, say, unique_key, unique_name, unique_path, Peer};
use ipckit::channel::{self, Address, FramedReceiver, FramedSender};
use ipckit::signal::{self, Catcher, Signal, SignalFd, SignalSet};

const MAX: Duration = Duration::MAX;

/// The peer-process entry point (see `common::run_peer`).
#[test]
fn peer() {
    run_peer(|role, _args| match role {
        // Started with SIGUSR1 blocked in every thread: each signal raised stays pending
        // until the timed call takes it.
        "signals" => {
            let usr1 = SignalSet::from(Signal::USR1);
            let me = std::process::id();

            signal::kill(me, Signal::USR1).unwrap();
            let info = signal::wait(&usr1, Some(MAX)).unwrap();
            say(format!("sigtimedwait {}", info.signal()));

            let fd = SignalFd::new(&usr1).unwrap();
            signal::kill(me, Signal::USR1).unwrap();
            let info = fd.recv_timeout(MAX).unwrap();
            say(format!("signalfd {}", info.signal()));
            drop(fd);

            let catcher = Catcher::new([Signal::USR1]).unwrap();
            signal::kill(me, Signal::USR1).unwrap();
            // Delivered to this thread, the one that unblocks it.
            let _open = signal::unblock(&usr1).unwrap();
            let info = catcher.recv_timeout(MAX).unwrap();
            say(format!("catcher {}", info.signal()));
        }
        other => panic!("unknown peer role {other}"),
    });
}

#[test]
fn signal_waits() {
    let usr1 = SignalSet::from(Signal::USR1);
    let peer = {
        // The peer inherits the mask in all its threads.
        let _mask = signal::block(&usr1).unwrap();
        Peer::spawn("signals", &[])
    };
    assert_eq!(
        peer.wait_lines(),
        [
            "sigtimedwait SIGUSR1",
            "signalfd SIGUSR1",
            "catcher SIGUSR1"
        ]
    );
}

#[test]
fn framed_receiver_recv_timeout() {
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    FramedSender::new(a).send(b"framed").unwrap();
    let mut rx = FramedReceiver::new(b);
    let mut buf = Vec::new();
    assert_eq!(rx.recv_timeout(&mut buf, MAX).unwrap(), 6);
    assert_eq!(buf, b"framed");
}

#[test]
fn sysv_msg_timed_send_and_receive() {
    use ipckit::sysv::key::Key;
    use ipckit::sysv::msg::{MessageQueue, RecvFlags, Selector, Wait};
    let q = MessageQueue::builder(Key::PRIVATE).create_new().unwrap();
    q.send_timeout(3, b"one", MAX).unwrap();
    let m = q.recv_timeout(Selector::Any, MAX).unwrap();
    assert_eq!((m.mtype, m.data.as_slice()), (3, &b"one"[..]));
    q.send(4, b"two").unwrap();
    let mut buf = Vec::new();
    let t = q
        .recv_with(
            Selector::Exactly(4),
            &mut buf,
            64,
            RecvFlags::EMPTY,
            Wait::Timeout(MAX),
        )
        .unwrap();
    assert_eq!((t, buf.as_slice()), (4, &b"two"[..]));
}

#[test]
fn sysv_sem_semtimedop() {
    use ipckit::sysv::key::Key;
    use ipckit::sysv::sem::{SemOp, SemaphoreSet};
    let set = SemaphoreSet::builder(Key::PRIVATE, 1)
        .values(&[2])
        .init_timeout(MAX)
        .create_new()
        .unwrap();
    set.op_timeout(&[SemOp::wait(0)], MAX).unwrap();
    let guard = set.acquire_timeout(0, MAX).unwrap();
    drop(guard);
    set.op_timeout(&[SemOp::post(0)], MAX).unwrap();
    // Opening an initialised set waits (init_timeout) for nothing.
    let key = unique_key();
    let owner = SemaphoreSet::builder(Key::from(key), 1)
        .values(&[1])
        .create_new()
        .unwrap();
    let other = SemaphoreSet::builder(Key::from(key), 1)
        .init_timeout(MAX)
        .open()
        .unwrap();
    assert_eq!(other.id(), owner.id());
}

#[test]
fn posix_mq_timed_send_and_receive() {
    use ipckit::posix::mq::MessageQueue;
    let name = format!("/{}", unique_name("tmq"));
    let q = MessageQueue::builder(&name).create_new().unwrap();
    q.send_timeout(b"hello", 7, MAX).unwrap();
    let mut buf = Vec::new();
    assert_eq!(q.recv_timeout(&mut buf, MAX).unwrap(), (5, 7));
    assert_eq!(buf, b"hello");
}

#[test]
fn posix_sem_timed_waits() {
    use ipckit::posix::sem::{Semaphore, UnnamedSemaphore};
    use ipckit::posix::shm::SharedMemory;
    let name = format!("/{}", unique_name("tsem"));
    let s = Semaphore::builder(&name).value(1).create_new().unwrap();
    s.wait_timeout(MAX).unwrap();
    assert_eq!(s.value().unwrap(), 0);

    let shm_name = format!("/{}", unique_name("tshm"));
    let shm = SharedMemory::builder(&shm_name)
        .size(4096)
        .create_new()
        .unwrap();
    let u = UnnamedSemaphore::init(&shm, 0, 1).unwrap();
    u.wait_timeout(MAX).unwrap();
    assert_eq!(u.value().unwrap(), 0);
}

#[test]
fn unix_socket_read_and_write_timeouts() {
    use ipckit::net::unix::UnixStream;
    let (mut a, mut b) = UnixStream::pair().unwrap();
    a.set_write_timeout(Some(MAX)).unwrap();
    b.set_read_timeout(Some(MAX)).unwrap();
    a.write_all(b"ping").unwrap();
    let mut got = [0u8; 4];
    b.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"ping");
}

/// A sender thread for `addr`: connects (raw or framed), sends `msg`, reports, and keeps
/// the connection open until told to finish.
fn sender(addr: &Address, raw: bool, msg: &'static [u8]) -> (mpsc::Receiver<()>, mpsc::Sender<()>) {
    let (sent_tx, sent_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let addr = addr.clone();
    std::thread::spawn(move || {
        if raw {
            let mut tx = channel::connect_raw(&addr).unwrap();
            tx.write_all(msg).unwrap();
            sent_tx.send(()).unwrap();
            let _ = done_rx.recv();
        } else {
            let mut tx = channel::connect(&addr).unwrap();
            tx.send(msg).unwrap();
            sent_tx.send(()).unwrap();
            let _ = done_rx.recv();
        }
    });
    (sent_rx, done_tx)
}

/// `accept_timeout(MAX)` with a sender there, then `recv_timeout(MAX)` with its message
/// waiting.
fn recv_and_accept(addr: Address) {
    let mut listener = channel::listen(&addr).unwrap();
    let (sent, done) = sender(listener.address(), false, b"framed or not");
    let mut rx = listener.accept_timeout(MAX).unwrap();
    sent.recv().unwrap();
    let mut buf = Vec::new();
    assert_eq!(rx.recv_timeout(&mut buf, MAX).unwrap(), 13, "{addr}");
    assert_eq!(buf, b"framed or not", "{addr}");
    done.send(()).unwrap();
}

/// `accept_raw_timeout(MAX)` with a sender there, then `read_timeout(MAX)` with its bytes
/// waiting.
fn raw_accept_and_read(addr: Address) {
    let mut listener = channel::listen(&addr).unwrap();
    let (sent, done) = sender(listener.address(), true, b"raw");
    let mut rx = listener.accept_raw_timeout(MAX).unwrap();
    sent.recv().unwrap();
    let mut got = [0u8; 16];
    assert_eq!(rx.read_timeout(&mut got, MAX).unwrap(), 3, "{addr}");
    assert_eq!(&got[..3], b"raw", "{addr}");
    done.send(()).unwrap();
}

/// One module per transport: `<transport>::recv_and_accept`, `<transport>::raw_accept_and_read`.
macro_rules! per_transport {
    ($($transport:ident => $address:expr,)*) => {$(
        mod $transport {
            // What the address expression calls (not every one calls something).
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn recv_and_accept() {
                super::recv_and_accept($address.parse().unwrap());
            }

            #[test]
            fn raw_accept_and_read() {
                super::raw_accept_and_read($address.parse().unwrap());
            }
        }
    )*};
}

per_transport! {
    fifo => format!("fifo:{}", unique_path("tfifo").display()),
    unix => format!("unix:@{}", unique_name("tus")),
    unix_dgram => format!("unix-dgram:@{}", unique_name("tud")),
    unix_seqpacket => format!("unix-seqpacket:@{}", unique_name("tsp")),
    tcp => "tcp:127.0.0.1:0".to_string(),
    sysv_mq => format!("sysv-mq:{}", unique_key()),
    posix_mq => format!("posix-mq:/{}", unique_name("tmq")),
}
