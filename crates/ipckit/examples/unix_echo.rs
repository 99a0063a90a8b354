//! An echo server and client over a Unix stream socket.
//!
//! Without arguments the program is the server: it binds a socket file in the temp
//! directory, starts itself again as the client (`unix_echo client PATH`), and echoes every
//! line the client sends until the client closes. It also shows who connected
//! (`SO_PEERCRED`). The socket file is removed when the listener is dropped.
//!
//! Run: `cargo run -p ipckit --example unix_echo`
//! (or `unix_echo server PATH` and `unix_echo client PATH` in two terminals; `PATH` may be
//! `@name` for an abstract address).

use std::io::{BufRead, BufReader, Write};
use std::process::Command;

use ipckit::net::unix::{SocketAddr, UnixListener, UnixStream};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("client") => client(&args[2].parse()?),
        Some("server") => {
            let addr: SocketAddr = args[2].parse()?;
            serve(&UnixListener::bind(&addr)?, 1)
        }
        _ => {
            let path = std::env::temp_dir().join(format!("unix_echo-{}.sock", std::process::id()));
            let addr = SocketAddr::path(&path);
            let listener = UnixListener::bind(&addr)?;
            let mut child = Command::new(std::env::current_exe()?)
                .args(["client", &addr.to_string()])
                .spawn()?;
            serve(&listener, 1)?;
            let status = child.wait()?;
            if !status.success() {
                return Err(format!("client failed: {status}").into());
            }
            Ok(())
        }
    }
}

fn serve(listener: &UnixListener, clients: usize) -> Result<()> {
    let mut out = std::io::stdout().lock();
    for _ in 0..clients {
        let conn = listener.accept()?;
        let cred = conn.peer_cred()?;
        writeln!(
            out,
            "server: client pid {} uid {} gid {} connected",
            cred.pid, cred.uid, cred.gid
        )?;
        let mut lines = BufReader::new(&conn);
        let mut line = String::new();
        while lines.read_line(&mut line)? > 0 {
            (&conn).write_all(line.as_bytes())?;
            line.clear();
        }
        writeln!(out, "server: client closed")?;
    }
    Ok(())
}

fn client(addr: &SocketAddr) -> Result<()> {
    let conn = UnixStream::connect(addr)?;
    let mut replies = BufReader::new(&conn);
    let mut out = std::io::stdout().lock();
    for msg in ["hello", "echo", "bye"] {
        (&conn).write_all(format!("{msg}\n").as_bytes())?;
        let mut reply = String::new();
        replies.read_line(&mut reply)?;
        writeln!(out, "client: sent {msg:?}, got back {:?}", reply.trim_end())?;
    }
    Ok(())
}
