//! One tokio server serving many clients at once over `unix:@…` and `shm-ring:@…` side by
//! side: each accepted receiver gets its own task, whatever its transport (the ring's waits
//! on its doorbell, the connection's socket, the others' on their fds, all through `epoll`
//! on one thread); a client sends a few messages and the server echoes their lengths on
//! stdout. Run: `cargo run -p ipckit --features tokio --example async_echo`.
//!
//! Clients here are tasks in the same process to keep the example short; any process
//! (`ipckit send`, another program) can connect to the printed address the same way.

use ipckit::channel::Address;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addrs: Vec<Address> = vec![
        format!("unix:@ipckit-async-echo-{}", std::process::id()).parse()?,
        // A ring connect completes when the server accepts it (the handshake verifies the
        // rings), which the server task does meanwhile.
        format!("shm-ring:@ipckit-async-echo-ring-{}", std::process::id()).parse()?,
    ];
    let mut servers = tokio::task::JoinSet::new();
    for addr in &addrs {
        let mut listener = ipckit::tokio::listen(addr)?;
        println!("listening on {}", listener.address());
        let scheme = addr.scheme();
        servers.spawn(async move {
            let mut served = tokio::task::JoinSet::new();
            for _ in 0..3 {
                let mut rx = listener.accept().await?;
                served.spawn(async move {
                    // Each client's own task: an idle or slow one delays no other.
                    let mut buf = Vec::new();
                    let mut n = 0;
                    loop {
                        match rx.recv(&mut buf).await {
                            Ok(len) => {
                                let text = String::from_utf8_lossy(&buf);
                                println!("{scheme}: got {len} bytes: {text}");
                                n += 1;
                            }
                            Err(e) if e.kind() == ipckit::ErrorKind::PeerGone => break,
                            Err(e) => return Err(e),
                        }
                    }
                    Ok::<usize, ipckit::Error>(n)
                });
            }
            let mut total = 0;
            while let Some(r) = served.join_next().await {
                total += r.expect("client task")?;
            }
            Ok::<_, ipckit::Error>((scheme, total))
        });
    }
    for addr in &addrs {
        for c in 0..3 {
            let mut tx = ipckit::tokio::connect(addr).await?;
            tokio::spawn(async move {
                for m in 0..2 {
                    tx.send(format!("client {c} message {m}").as_bytes())
                        .await?;
                }
                Ok::<(), ipckit::Error>(())
            });
        }
    }
    while let Some(r) = servers.join_next().await {
        let (scheme, total) = r.expect("server task")?;
        println!("{scheme} server done: {total} messages");
    }
    Ok(())
}
