//! Unix domain sockets between real processes: stream, datagram and seqpacket both ways, on
//! paths and abstract names; fd passing; peer credentials; stale socket files; a gone peer.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::ChildStdout;

use common::{say, unique_name, unique_path, Peer};
use ipckit::net::unix::{
    SocketAddr, UnixDatagram, UnixListener, UnixSeqpacket, UnixSeqpacketListener, UnixStream,
    SCM_MAX_FD,
};
use ipckit::pipe::{pipe, PipeReader};
use ipckit::{ErrorKind, Named};

/// Removes a path on drop, so a failing test leaves no socket file behind.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A path address and its cleanup guard.
fn path_addr(tag: &str) -> (SocketAddr, RemoveOnDrop) {
    let p = unique_path(tag);
    (SocketAddr::path(&p), RemoveOnDrop(p))
}

fn abstract_addr(tag: &str) -> SocketAddr {
    SocketAddr::abstract_name(unique_name(tag))
}

/// Reads a peer's `say` lines one at a time, for handshakes while it runs.
struct Lines(BufReader<ChildStdout>);

impl Lines {
    fn of(peer: &mut Peer) -> Lines {
        Lines(BufReader::new(
            peer.child_mut().stdout.take().expect("peer stdout"),
        ))
    }

    fn next(&mut self) -> String {
        loop {
            let mut line = String::new();
            let n = self.0.read_line(&mut line).expect("read peer stdout");
            assert!(n > 0, "peer ended before saying the next line");
            // libtest may print "test peer ... " ahead of the first line on the same line.
            if let Some(i) = line.find("@@peer ") {
                return line[i + "@@peer ".len()..].trim_end().to_string();
            }
        }
    }
}

fn open_fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn is_fifo(fd: OwnedFd) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::File::from(fd)
        .metadata()
        .is_ok_and(|m| m.file_type().is_fifo())
}

/// The peer-process entry point (see `common::run_peer`).
#[test]
fn peer() {
    common::run_peer(|role, args| {
        let addr = || -> SocketAddr { args[0].parse().expect("address argument") };
        match role {
            "stream-client" => {
                let mut s = UnixStream::connect(&addr()).expect("connect");
                s.write_all(b"ping").expect("write");
                let mut buf = [0u8; 4];
                s.read_exact(&mut buf).expect("read");
                say(String::from_utf8_lossy(&buf));
                let c = s.peer_cred().expect("peer_cred");
                say(format!("server {} {} {}", c.pid, c.uid, c.gid));
            }
            "stream-server" => {
                let l = UnixListener::bind(&addr()).expect("bind");
                say("ready");
                let mut s = l.accept().expect("accept");
                let mut buf = [0u8; 4];
                s.read_exact(&mut buf).expect("read");
                s.write_all(&buf.map(|b| b.to_ascii_uppercase()))
                    .expect("write");
                let c = s.peer_cred().expect("peer_cred");
                say(format!("client {} {} {}", c.pid, c.uid, c.gid));
            }
            "dgram" => {
                let me = UnixDatagram::bind(&args[1].parse().unwrap()).expect("bind");
                me.send_to(b"ping", &addr()).expect("send_to");
                let mut buf = [0u8; 16];
                let (n, from) = me.recv_from(&mut buf).expect("recv_from");
                say(format!(
                    "{} from {from}",
                    String::from_utf8_lossy(&buf[..n])
                ));
            }
            "seqpacket-client" => {
                let s = UnixSeqpacket::connect(&addr()).expect("connect");
                for m in [&b""[..], b"one", b"two"] {
                    s.send(m).expect("send");
                }
                let mut buf = [0u8; 16];
                let n = s.recv(&mut buf).expect("recv");
                say(String::from_utf8_lossy(&buf[..n]));
                let c = s.peer_cred().expect("peer_cred");
                say(format!("server {} {} {}", c.pid, c.uid, c.gid));
            }
            "recv-fd" => {
                let s = UnixSeqpacket::connect(&addr()).expect("connect");
                let mut buf = [0u8; 16];
                let (n, mut fds) = s.recv_fds(&mut buf, 1).expect("recv_fds");
                assert_eq!(&buf[..n], b"fd");
                assert_eq!(fds.len(), 1);
                let fd = fds.pop().unwrap();
                let flags = nix::fcntl::fcntl(&fd, nix::fcntl::FcntlArg::F_GETFD).unwrap();
                say(format!("cloexec {}", flags & libc::FD_CLOEXEC != 0));
                let mut got = String::new();
                PipeReader::from(fd).read_to_string(&mut got).expect("read");
                say(format!("through the fd: {got}"));
            }
            "recv-many" => {
                let s = UnixStream::connect(&addr()).expect("connect");
                let mut buf = [0u8; 4];
                let (n, fds) = s.recv_fds(&mut buf, SCM_MAX_FD).expect("recv_fds");
                let count = fds.len();
                let fifos = fds
                    .into_iter()
                    .filter(|fd| is_fifo(fd.try_clone().unwrap()));
                say(format!("{n} bytes, {count} fds, {} pipes", fifos.count()));
            }
            "recv-truncated" => {
                let s = UnixSeqpacket::connect(&addr()).expect("connect");
                let before = open_fd_count();
                let mut buf = [0u8; 16];
                let err = s.recv_fds(&mut buf, 2).unwrap_err();
                say(format!("{:?}", err.kind()));
                say(format!(
                    "leaked {}",
                    open_fd_count() as isize - before as isize
                ));
                let (n, fds) = s.recv_fds(&mut buf, 2).expect("next message");
                say(format!(
                    "{} {}",
                    String::from_utf8_lossy(&buf[..n]),
                    fds.len()
                ));
            }
            "plain-receive" => {
                let st = UnixStream::connect(&addr()).expect("connect stream");
                let sp = UnixSeqpacket::connect(&args[1].parse().unwrap()).expect("connect seq");
                say("connected");
                let before = open_fd_count();
                let mut buf = [0u8; 4];
                (&st).read_exact(&mut buf).expect("read");
                let mut msg = [0u8; 16];
                let n = sp.recv(&mut msg).expect("recv");
                let leaked = open_fd_count() as isize - before as isize;
                say(format!("leaked {leaked}"));
                let stream = String::from_utf8_lossy(&buf);
                say(format!("{stream} {}", String::from_utf8_lossy(&msg[..n])));
            }
            "bind-and-vanish" => {
                let mut l = UnixListener::bind(&addr()).expect("bind");
                l.persist(); // as if the process died without cleaning up
                say("bound");
            }
            "write-to-gone" => {
                // Kill on SIGPIPE, as a C host would: only MSG_NOSIGNAL keeps us alive.
                let _dfl = ipckit::signal::set_default(ipckit::signal::Signal::PIPE).unwrap();
                let err = match args[1].as_str() {
                    "stream" => {
                        let mut s = UnixStream::connect(&addr()).expect("connect");
                        assert_eq!(s.read(&mut [0u8; 8]).unwrap(), 0, "end of stream");
                        let e = s.write_all(b"anyone?").unwrap_err();
                        assert_eq!(io_errno(&e), Some(libc::EPIPE));
                        ipckit::Error::from_errno(ipckit::Errno::EPIPE, "write", "stream")
                    }
                    "seqpacket" => {
                        let s = UnixSeqpacket::connect(&addr()).expect("connect");
                        let e = s.recv(&mut [0u8; 8]).unwrap_err();
                        assert_eq!(e.kind(), ErrorKind::PeerGone, "{e}");
                        s.send(b"anyone?").unwrap_err()
                    }
                    "dgram" => {
                        let s = UnixDatagram::unbound().unwrap();
                        s.connect(&addr()).expect("connect");
                        say("connected");
                        // The test closes its socket once it reads "connected".
                        let mut stdin = String::new();
                        std::io::stdin().read_line(&mut stdin).unwrap();
                        s.send(b"anyone?").unwrap_err()
                    }
                    other => panic!("kind {other}"),
                };
                say(format!("survived: {:?}", err.kind()));
            }
            other => panic!("unknown peer role {other}"),
        }
    });
}

fn me() -> String {
    format!(
        "{} {} {}",
        std::process::id(),
        nix::unistd::geteuid(),
        nix::unistd::getegid()
    )
}

fn peer_ids(peer: &Peer) -> String {
    format!(
        "{} {} {}",
        peer.pid(),
        nix::unistd::geteuid(),
        nix::unistd::getegid()
    )
}

fn stream_client_in_peer(addr: &SocketAddr) {
    let listener = UnixListener::bind(addr).unwrap();
    let peer = Peer::spawn("stream-client", &[&addr.to_string()]);
    let mut s = listener.accept().unwrap();
    let mut buf = [0u8; 4];
    s.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ping");
    s.write_all(b"pong").unwrap();
    let cred = s.peer_cred().unwrap();
    assert_eq!(
        format!("{} {} {}", cred.pid, cred.uid, cred.gid),
        peer_ids(&peer)
    );
    assert_eq!(
        peer.wait_lines(),
        ["pong".to_string(), format!("server {}", me())]
    );
}

fn stream_server_in_peer(addr: &SocketAddr) {
    let mut peer = Peer::spawn("stream-server", &[&addr.to_string()]);
    let mut lines = Lines::of(&mut peer);
    assert_eq!(lines.next(), "ready");
    let mut s = UnixStream::connect(addr).unwrap();
    s.write_all(b"ping").unwrap();
    let mut buf = [0u8; 4];
    s.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"PING");
    assert_eq!(s.peer_cred().unwrap().pid, peer.pid());
    assert_eq!(lines.next(), format!("client {}", me()));
    assert!(peer.wait().success());
}

#[test]
fn stream_on_a_path_both_ways_with_peer_credentials() {
    let (addr, _rm) = path_addr("stream.sock");
    stream_client_in_peer(&addr);
    assert!(
        !Path::new(&addr.to_string()).exists(),
        "listener removes its file"
    );
    stream_server_in_peer(&addr);
    assert!(!Path::new(&addr.to_string()).exists());
}

#[test]
fn stream_on_an_abstract_name_both_ways() {
    stream_client_in_peer(&abstract_addr("stream"));
    stream_server_in_peer(&abstract_addr("stream"));
}

fn dgram_both_ways(server: SocketAddr, client: SocketAddr) {
    let s = UnixDatagram::bind(&server).unwrap();
    let peer = Peer::spawn("dgram", &[&server.to_string(), &client.to_string()]);
    let mut buf = [0u8; 16];
    let (n, from) = s.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"ping");
    assert_eq!(from, client);
    s.send_to(b"pong", &from).unwrap();
    assert_eq!(peer.wait_lines(), [format!("pong from {server}")]);
}

#[test]
fn datagram_on_paths_both_ways() {
    let (server, _a) = path_addr("dgram-server.sock");
    let (client, _b) = path_addr("dgram-client.sock");
    dgram_both_ways(server, client);
}

#[test]
fn datagram_on_abstract_names_both_ways() {
    dgram_both_ways(abstract_addr("dgram-s"), abstract_addr("dgram-c"));
}

fn seqpacket_both_ways(addr: &SocketAddr) {
    let l = UnixSeqpacketListener::bind(addr).unwrap();
    let peer = Peer::spawn("seqpacket-client", &[&addr.to_string()]);
    let s = l.accept().unwrap();
    let mut buf = [0u8; 16];
    let mut got = Vec::new();
    for _ in 0..3 {
        let n = s.recv(&mut buf).unwrap();
        got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    assert_eq!(got, ["", "one", "two"]); // boundaries kept, the empty message too
    assert_eq!(s.peer_cred().unwrap().pid, peer.pid());
    s.send(b"pong").unwrap();
    assert_eq!(
        peer.wait_lines(),
        ["pong".to_string(), format!("server {}", me())]
    );
    // The peer exited: end of connection, not an empty message.
    assert_eq!(s.recv(&mut buf).unwrap_err().kind(), ErrorKind::PeerGone);
}

#[test]
fn seqpacket_on_a_path_and_an_abstract_name_both_ways() {
    let (addr, _rm) = path_addr("seq.sock");
    seqpacket_both_ways(&addr);
    seqpacket_both_ways(&abstract_addr("seq"));
}

#[test]
fn a_passed_pipe_end_is_readable_in_the_receiving_process() {
    let addr = abstract_addr("fdpass");
    let l = UnixSeqpacketListener::bind(&addr).unwrap();
    let peer = Peer::spawn("recv-fd", &[&addr.to_string()]);
    let s = l.accept().unwrap();
    let (r, mut w) = pipe().unwrap();
    s.send_fds(b"fd", &[r.as_fd()]).unwrap();
    drop(r);
    w.write_all(b"Hello Child Process!").unwrap();
    drop(w);
    assert_eq!(
        peer.wait_lines(),
        ["cloexec true", "through the fd: Hello Child Process!"]
    );
}

#[test]
fn the_kernel_maximum_of_fds_crosses_in_one_message() {
    let addr = abstract_addr("manyfds");
    let l = UnixListener::bind(&addr).unwrap();
    let peer = Peer::spawn("recv-many", &[&addr.to_string()]);
    let s = l.accept().unwrap();
    let (r, _w) = pipe().unwrap();
    let clones: Vec<OwnedFd> = (0..SCM_MAX_FD)
        .map(|_| r.as_fd().try_clone_to_owned().unwrap())
        .collect();
    let fds: Vec<BorrowedFd<'_>> = clones.iter().map(|f| f.as_fd()).collect();
    assert_eq!(s.send_fds(b"many", &fds).unwrap(), 4);
    assert_eq!(
        peer.wait_lines(),
        [format!("4 bytes, {SCM_MAX_FD} fds, {SCM_MAX_FD} pipes")]
    );

    let one_too_many: Vec<BorrowedFd<'_>> = vec![r.as_fd(); SCM_MAX_FD + 1];
    let err = s.send_fds(b"x", &one_too_many).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("SCM_MAX_FD"), "{err}");
}

#[test]
fn truncated_control_data_is_an_error_and_leaks_no_fd() {
    let addr = abstract_addr("ctrunc");
    let l = UnixSeqpacketListener::bind(&addr).unwrap();
    let peer = Peer::spawn("recv-truncated", &[&addr.to_string()]);
    let s = l.accept().unwrap();
    let (r, _w) = pipe().unwrap();
    s.send_fds(b"five", &[r.as_fd(); 5]).unwrap();
    s.send_fds(b"after", &[r.as_fd()]).unwrap();
    assert_eq!(peer.wait_lines(), ["TooLarge", "leaked 0", "after 1"]);
}

#[test]
fn fds_on_an_empty_stream_message_are_refused() {
    let (a, _b) = UnixStream::pair().unwrap();
    let (r, _w) = pipe().unwrap();
    let err = a.send_fds(b"", &[r.as_fd()]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[test]
fn a_stale_socket_file_is_reported_and_can_be_reclaimed() {
    let (addr, _rm) = path_addr("stale.sock");
    let path = addr.to_string();
    assert_eq!(
        Peer::spawn("bind-and-vanish", &[&path]).wait_lines(),
        ["bound"]
    );
    assert!(
        Path::new(&path).exists(),
        "the dead peer left its socket file"
    );

    let err = UnixListener::bind(&addr).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    let text = err.to_string();
    assert!(
        text.contains(&path) && text.contains("EADDRINUSE"),
        "{text}"
    );
    assert!(text.contains("bind_reclaim"), "{text}");
    assert_eq!(
        UnixStream::connect(&addr).unwrap_err().kind(),
        ErrorKind::PeerGone
    );

    let l = UnixListener::bind_reclaim(&addr).unwrap();
    let _c = UnixStream::connect(&addr).unwrap();
    let _s = l.accept().unwrap();

    // A live listener is never reclaimed.
    let err = UnixListener::bind_reclaim(&addr).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    assert!(err.to_string().contains("listening"), "{err}");
    drop(l);
    assert!(!Path::new(&path).exists(), "the listener removed its file");
}

#[test]
fn reclaim_leaves_a_file_that_is_not_a_socket() {
    let (addr, _rm) = path_addr("not-a-socket");
    std::fs::write(addr.to_string(), b"data").unwrap();
    let err = UnixSeqpacketListener::bind_reclaim(&addr).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    assert!(err.to_string().contains("not a socket"), "{err}");
    assert_eq!(std::fs::read(addr.to_string()).unwrap(), b"data");
}

#[test]
fn bound_sockets_are_named_by_their_address() {
    let (addr, _rm) = path_addr("named.sock");
    let path = addr.to_string();
    let mut l = UnixSeqpacketListener::bind(&addr).unwrap();
    assert_eq!(l.name(), path.as_str());
    assert!(l.is_owner());
    l.persist();
    assert!(!l.is_owner());
    drop(l);
    assert!(
        Path::new(&path).exists(),
        "a persisted listener keeps its file"
    );
    // A fork by a concurrent test (spawning its peer) can hold a copy of the dropped
    // listener's fd until its exec closes it (O_CLOEXEC), so the file may briefly look
    // alive to `bind_reclaim`: retry, bounded.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let l = loop {
        match UnixListener::bind_reclaim(&addr) {
            Ok(l) => break l,
            Err(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            Err(e) => panic!("bind_reclaim still refused 10 s after the drop: {e}"),
        }
    };
    l.remove().unwrap();
    assert!(!Path::new(&path).exists(), "remove unlinks the file");

    let d = UnixDatagram::bind(&addr).unwrap();
    assert!(d.is_owner());
    d.remove().unwrap();
    assert!(!Path::new(&path).exists());

    let name = abstract_addr("named");
    let l = UnixListener::bind(&name).unwrap();
    assert_eq!(l.name(), name.to_string().as_str());
    assert!(l.name().starts_with('@'));
    assert!(!l.is_owner(), "an abstract name has no file to remove");
    l.remove().unwrap();
    // A fork by a concurrent test (spawning its peer) can hold a copy of the listening fd
    // until its exec closes it (O_CLOEXEC), so the name may answer briefly: wait, bounded.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match UnixStream::connect(&name) {
            Err(e) => {
                assert_eq!(
                    e.kind(),
                    ErrorKind::PeerGone,
                    "the name went with the socket"
                );
                break;
            }
            Ok(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            Ok(_) => panic!("the abstract name still answers 10 s after remove()"),
        }
    }
}

#[test]
fn socket_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let (addr, _rm) = path_addr("mode.sock");
    let _l = UnixDatagram::bind(&addr).unwrap();
    let mode = std::fs::metadata(addr.to_string())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn writing_to_a_gone_stream_peer_is_peer_gone_without_sigpipe() {
    let addr = abstract_addr("gone-stream");
    let l = UnixListener::bind(&addr).unwrap();
    let peer = Peer::spawn("write-to-gone", &[&addr.to_string(), "stream"]);
    drop(l.accept().unwrap());
    assert_eq!(peer.wait_lines(), ["survived: PeerGone"]);
}

#[test]
fn sending_to_a_gone_seqpacket_peer_is_peer_gone_without_sigpipe() {
    let addr = abstract_addr("gone-seq");
    let l = UnixSeqpacketListener::bind(&addr).unwrap();
    let peer = Peer::spawn("write-to-gone", &[&addr.to_string(), "seqpacket"]);
    drop(l.accept().unwrap());
    assert_eq!(peer.wait_lines(), ["survived: PeerGone"]);
}

#[test]
fn sending_to_a_gone_datagram_peer_is_peer_gone() {
    let addr = abstract_addr("gone-dgram");
    let s = UnixDatagram::bind(&addr).unwrap();
    let mut cmd = Peer::command("write-to-gone", &[&addr.to_string(), "dgram"]);
    cmd.stdin(std::process::Stdio::piped());
    let mut peer = Peer::from_command(cmd);
    let mut stdin = peer.child_mut().stdin.take().unwrap();
    let mut lines = Lines::of(&mut peer);
    assert_eq!(lines.next(), "connected");
    drop(s);
    // Another test thread's fork may hold a copy of the socket until its exec: the socket is
    // gone once its abstract name can be bound again.
    let _rebound = loop {
        match UnixDatagram::bind(&addr) {
            Ok(again) => break again,
            Err(e) if e.kind() == ErrorKind::AlreadyExists => std::thread::yield_now(),
            Err(e) => panic!("{e}"),
        }
    };
    stdin.write_all(b"go\n").unwrap();
    assert_eq!(lines.next(), "survived: PeerGone");
    assert!(peer.wait().success());
}

#[test]
fn a_datagram_longer_than_the_buffer_is_too_large_not_truncated() {
    let (a, b) = UnixDatagram::pair().unwrap();
    a.send(&[1u8; 100]).unwrap();
    a.send(b"next").unwrap();
    assert_eq!(b.peek_len().unwrap(), 100);
    let err = b.recv(&mut [0u8; 10]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooLarge);
    assert!(err.to_string().contains("100 bytes"), "{err}");
    let mut buf = [0u8; 10];
    assert_eq!(b.recv(&mut buf).unwrap(), 4);
}

#[test]
fn addresses_parse_and_reject_bad_input() {
    let a: SocketAddr = "@name".parse().unwrap();
    assert_eq!(a, SocketAddr::Abstract(b"name".to_vec()));
    assert_eq!(a.to_string(), "@name");
    assert_eq!(
        SocketAddr::Abstract(b"a\0b".to_vec()).to_string(),
        "@a\\x00b"
    );
    for bad in [
        "",
        "@",
        &format!("/{}", "x".repeat(107)),
        &format!("@{}", "x".repeat(108)),
    ] {
        let err = bad.parse::<SocketAddr>().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
    }
    assert!(format!("@{}", "x".repeat(107))
        .parse::<SocketAddr>()
        .is_ok());
    let err = UnixStream::connect(&"/nonexistent-dir/x.sock".parse().unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(
        err.to_string()
            .starts_with("connect /nonexistent-dir/x.sock: ENOENT"),
        "{err}"
    );
}

#[test]
fn local_addr_of_an_abstract_listener_is_that_name() {
    let addr = abstract_addr("local");
    let l = UnixSeqpacketListener::bind(&addr).unwrap();
    assert_eq!(l.local_addr().unwrap(), addr);
    let taken = UnixSeqpacketListener::bind(&addr).unwrap_err();
    assert_eq!(taken.kind(), ErrorKind::AlreadyExists);
}

#[test]
fn a_vectored_write_sends_header_and_payload_together() {
    use std::io::IoSlice;
    let (mut a, mut b) = UnixStream::pair().unwrap();
    let n = a
        .write_vectored(&[IoSlice::new(&3u32.to_le_bytes()), IoSlice::new(b"abc")])
        .unwrap();
    assert_eq!(n, 7);
    let mut buf = [0u8; 7];
    b.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"\x03\0\0\0abc");
    drop(b);
    // A child that another test thread is forking may hold a copy of `b` until it execs;
    // the reader is gone once that copy closes too, and from then on every write fails.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let err = loop {
        match a.write_vectored(&[IoSlice::new(b"x")]) {
            Err(e) => break e,
            Ok(_) if std::time::Instant::now() < deadline => std::thread::yield_now(),
            Ok(_) => panic!("writes still succeed 10 s after the reader was dropped"),
        }
    };
    assert_eq!(io_errno(&err), Some(libc::EPIPE));
}

#[test]
fn seqpacket_peek_len_tells_empty_messages_from_the_end() {
    let (a, b) = UnixSeqpacket::pair().unwrap();
    let (r, _w) = pipe().unwrap();
    a.send(b"").unwrap();
    a.send_fds(b"", &[r.as_fd()]).unwrap(); // an empty message with an fd, received plainly
    a.send(&[5u8; 300]).unwrap();
    drop(a);
    let mut buf = [0u8; 512];
    assert_eq!(b.peek_len().unwrap(), 0);
    assert_eq!(b.recv(&mut buf).unwrap(), 0);
    assert_eq!(b.recv(&mut buf).unwrap(), 0);
    assert_eq!(b.peek_len().unwrap(), 300);
    assert_eq!(b.recv(&mut buf).unwrap(), 300);
    assert_eq!(b.peek_len().unwrap_err().kind(), ErrorKind::PeerGone);
    assert_eq!(b.recv(&mut buf).unwrap_err().kind(), ErrorKind::PeerGone);
}

#[test]
fn fds_sent_to_a_plain_receive_are_closed_not_leaked() {
    let stream_addr = abstract_addr("plain-stream");
    let seq_addr = abstract_addr("plain-seq");
    let ls = UnixListener::bind(&stream_addr).unwrap();
    let lq = UnixSeqpacketListener::bind(&seq_addr).unwrap();
    let mut peer = Peer::spawn(
        "plain-receive",
        &[&stream_addr.to_string(), &seq_addr.to_string()],
    );
    let st = ls.accept().unwrap();
    let sq = lq.accept().unwrap();
    let mut lines = Lines::of(&mut peer);
    assert_eq!(lines.next(), "connected");
    let (r, _w) = pipe().unwrap();
    st.send_fds(b"data", &[r.as_fd(); 3]).unwrap();
    sq.send_fds(b"seq", &[r.as_fd(); 3]).unwrap();
    assert_eq!(lines.next(), "leaked 0");
    assert_eq!(lines.next(), "data seq");
    assert!(peer.wait().success());
}

/// The errno in an `io::Error` from ipckit: the raw OS error, or the errno of the
/// [`ipckit::Error`] inside (which names the operation and the object).
fn io_errno(e: &std::io::Error) -> Option<i32> {
    e.raw_os_error().or_else(|| {
        e.get_ref()
            .and_then(|i| i.downcast_ref::<ipckit::Error>())
            .and_then(|i| i.errno())
            .map(|n| n.raw())
    })
}
