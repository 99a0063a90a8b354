//! An echo server over FIFOs: one well-known request FIFO, one reply FIFO per client.
//!
//! The classic design from `fifo(7)` and *The Linux Programming Interface*: the server
//! creates the request FIFO and reads requests from it; each client creates its own reply
//! FIFO named after its pid, writes one request line `PID TEXT` (shorter than `PIPE_BUF`,
//! so requests from concurrent clients never interleave), and reads the answer from its
//! reply FIFO. The server keeps a write end of the request FIFO open itself, so that it
//! does not see end of stream each time the last client closes.
//!
//! Without arguments the program runs a demo: it starts the server and three clients as
//! separate processes (itself again), waits for the clients, then stops the server with a
//! `0 QUIT` request. Every FIFO is removed by the process that created it.
//!
//! Run: `cargo run -p ipckit --example fifo_echo`
//! (or `fifo_echo server DIR` and `fifo_echo client DIR TEXT` in separate terminals).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ipckit::fifo::{Fifo, FifoReader, FifoWriter};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The well-known request FIFO in `dir`.
fn request_path(dir: &Path) -> PathBuf {
    dir.join("requests")
}

/// The reply FIFO of client `pid` in `dir`.
fn reply_path(dir: &Path, pid: u32) -> PathBuf {
    dir.join(format!("reply-{pid}"))
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("server") => {
            let dir = PathBuf::from(&args[2]);
            let fifo = Fifo::create_new(request_path(&dir))?;
            println!("server: listening on {}", fifo.path().display());
            serve(&dir, &fifo)
        }
        Some("client") => client(Path::new(&args[2]), &args[3..].join(" ")),
        _ => demo(),
    }
}

fn demo() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("ipckit-fifo-echo-{}", std::process::id()));
    std::fs::create_dir(&dir)?;
    let result = run_demo(&dir);
    std::fs::remove_dir(&dir)?;
    result
}

fn run_demo(dir: &Path) -> Result<()> {
    let exe = std::env::current_exe()?;
    let mut server = Command::new(&exe)
        .arg("server")
        .arg(dir)
        .stdout(Stdio::piped())
        .spawn()?;
    // The server says it is listening once its FIFO exists.
    let mut server_out = BufReader::new(server.stdout.take().ok_or("server stdout")?);
    let mut line = String::new();
    server_out.read_line(&mut line)?;
    print!("{line}");

    let clients: Vec<_> = ["hello", "echo me", "bye"]
        .iter()
        .map(|text| Command::new(&exe).arg("client").arg(dir).arg(text).spawn())
        .collect::<std::io::Result<_>>()?;
    for mut c in clients {
        let status = c.wait()?;
        if !status.success() {
            return Err(format!("client failed: {status}").into());
        }
    }
    // Stop the server.
    FifoWriter::open(request_path(dir))?.write_all(b"0 QUIT\n")?;
    let mut rest = String::new();
    server_out.read_to_string(&mut rest)?;
    print!("{rest}");
    let status = server.wait()?;
    if !status.success() {
        return Err(format!("server failed: {status}").into());
    }
    Ok(())
}

fn serve(dir: &Path, fifo: &Fifo) -> Result<()> {
    // Open the read end without waiting, then hold a write end ourselves: the reader then
    // never sees end of stream between clients, and blocks until the next request.
    let reader = fifo.open_reader_nonblocking()?;
    let _keep_open = fifo.open_writer()?;
    reader.set_nonblocking(false)?;
    let mut requests = BufReader::new(reader);
    let mut line = String::new();
    loop {
        line.clear();
        if requests.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let Some((pid, text)) = line.trim_end().split_once(' ') else {
            eprintln!("server: malformed request {line:?}");
            continue;
        };
        if pid == "0" && text == "QUIT" {
            println!("server: quit");
            return Ok(());
        }
        let Ok(pid) = pid.parse::<u32>() else {
            eprintln!("server: malformed pid in {line:?}");
            continue;
        };
        // A client that vanished must not stop the server: report and go on.
        match FifoWriter::open_nonblocking(reply_path(dir, pid)) {
            Ok(mut reply) => {
                reply.set_nonblocking(false)?;
                if let Err(e) = writeln!(reply, "{text}") {
                    eprintln!("server: reply to {pid}: {e}");
                }
                println!("server: echoed {} bytes to client {pid}", text.len());
            }
            Err(e) => eprintln!("server: client {pid}: {e}"),
        }
    }
}

fn client(dir: &Path, text: &str) -> Result<()> {
    let pid = std::process::id();
    // Our reply FIFO, removed when `reply_fifo` drops.
    let reply_fifo = Fifo::create_new(reply_path(dir, pid))?;
    // Open our read end before asking, so the server's reply finds a reader.
    let reader = FifoReader::open_nonblocking(reply_fifo.path())?;
    let request = format!("{pid} {text}\n");
    assert!(
        request.len() <= 4096,
        "a request must fit in PIPE_BUF to stay atomic"
    );
    FifoWriter::open(request_path(dir))?.write_all(request.as_bytes())?;
    // Wait until the server has opened the reply FIFO (data or its close shows up), then
    // read in blocking mode until it closes. (Reading before any writer came would report
    // end of stream at once.)
    let mut reader = reader;
    wait_readable(&reader)?;
    reader.set_nonblocking(false)?;
    let mut reply = String::new();
    reader.read_to_string(&mut reply)?;
    println!(
        "client {pid}: sent {text:?}, got back {:?}",
        reply.trim_end()
    );
    Ok(())
}

/// Waits until the reply FIFO has data or its writer came and went (`poll`; before any
/// writer opened it, Linux reports neither).
fn wait_readable(reader: &FifoReader) -> Result<()> {
    use std::os::fd::AsFd;
    let mut fds = [nix::poll::PollFd::new(
        reader.as_fd(),
        nix::poll::PollFlags::POLLIN,
    )];
    nix::poll::poll(&mut fds, nix::poll::PollTimeout::NONE)?;
    Ok(())
}
