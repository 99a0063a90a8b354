//! `ipckit send`/`recv` over `shm-ring:`, through the real binary: messages arrive whole and
//! in order, the socket file goes with the receiver, and nothing is left in /dev/shm (the
//! rings are memfds).

use ipckit_testkit::{assert_ok, ipckit, ipckit_with_stdin, tmp, unique, Running};

/// The names in /dev/shm, to show a ring leaves none.
fn dev_shm() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir("/dev/shm")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn send_and_recv_over_a_ring_by_path_and_by_abstract_name() {
    let path = tmp("ring-cli");
    let before = dev_shm();
    for addr in [
        format!("shm-ring:{}", path.display()),
        format!("shm-ring:@{}", unique("ring-cli")),
    ] {
        let recv = Running::recv(&[&addr, "--count", "3"]);
        let o = ipckit(&["send", recv.recv_address(), "one", "two words", ""]);
        assert_ok(&o);
        assert_eq!(recv.output(), b"one\ntwo words\n\n", "{addr}");
    }
    assert!(!path.exists(), "recv left {} behind", path.display());
    assert_eq!(dev_shm(), before, "a ring must leave nothing in /dev/shm");
}

#[test]
fn send_from_stdin_and_a_refused_connect_names_the_address_and_errno() {
    let addr = format!("shm-ring:@{}", unique("ring-big"));
    let recv = Running::recv(&[&addr, "--count", "2"]);
    let o = ipckit_with_stdin(&["send", recv.recv_address()], b"alpha\nbeta\n");
    assert_ok(&o);
    assert_eq!(recv.output(), b"alpha\nbeta\n");
    // With nobody listening the error names the address and the errno.
    let o = ipckit(&["send", &addr, "x"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&addr) && err.contains("ECONNREFUSED"), "{err}");
}

#[test]
fn an_idle_ring_sender_does_not_delay_another() {
    use std::process::Stdio;
    let addr = format!("shm-ring:@{}", unique("ring-idle"));
    let recv = Running::recv(&[&addr, "--count", "1", "--timeout", "10"]);
    // Connected (its send reads stdin line by line) and silent until we close its stdin.
    let mut idle = ipckit_testkit::command()
        .args(["send", recv.recv_address()])
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn the idle sender");
    std::thread::sleep(std::time::Duration::from_millis(200));
    let o = ipckit(&["send", recv.recv_address(), "through"]);
    assert_ok(&o);
    assert_eq!(recv.output(), b"through\n");
    drop(idle.stdin.take());
    let _ = idle.wait();
}

#[test]
fn a_connector_that_never_handshakes_does_not_hold_up_an_open_connection() {
    use std::io::Write;
    use std::process::Stdio;
    let name = unique("ring-stall");
    let addr = format!("shm-ring:@{name}");
    // --timeout 3: recv gives up after 3 s without a message, so a loop stuck for the ring
    // handshake's 5 s behind the stalled connector fails this test.
    let mut recv = Running::recv(&[&addr, "--count", "2", "--timeout", "3"]);
    let mut live = ipckit_testkit::command()
        .args(["send", recv.recv_address()])
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn the live sender");
    let mut input = live.stdin.take().expect("stdin");
    writeln!(input, "before").unwrap();
    // The live connection is open once its first message is out.
    assert_eq!(recv.read_stdout(7), b"before\n");
    // Connects to the ring's socket and never sends the handshake.
    let stalled = ipckit::net::unix::UnixSeqpacket::connect(
        &ipckit::net::unix::SocketAddr::abstract_name(&name),
    )
    .expect("connect to the ring listener");
    std::thread::sleep(std::time::Duration::from_millis(200));
    writeln!(input, "after").unwrap();
    drop(input);
    assert_eq!(recv.output(), b"after\n");
    assert!(live.wait().unwrap().success());
    drop(stalled);
}

#[test]
fn a_connector_that_never_handshakes_does_not_hold_up_a_new_connection() {
    let name = unique("ring-stall-new");
    let addr = format!("shm-ring:@{name}");
    // --timeout 3: below the ring handshake's 5 s, so a recv that waits for the stalled
    // connector's handshake before it accepts the next connection fails this test.
    let recv = Running::recv(&[&addr, "--count", "1", "--timeout", "3"]);
    let stalled = ipckit::net::unix::UnixSeqpacket::connect(
        &ipckit::net::unix::SocketAddr::abstract_name(&name),
    )
    .expect("connect to the ring listener");
    std::thread::sleep(std::time::Duration::from_millis(200));
    let o = ipckit(&["send", recv.recv_address(), "next"]);
    assert_ok(&o);
    assert_eq!(recv.output(), b"next\n");
    drop(stalled);
}
