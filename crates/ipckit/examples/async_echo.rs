//! One tokio server serving many clients at once over `unix:@…`: each accepted receiver
//! gets its own task; a client sends a few messages and the server echoes their lengths
//! on stdout. Run: `cargo run -p ipckit --features tokio --example async_echo`.
//!
//! Clients here are tasks in the same process to keep the example short; any process
//! (`ipckit send`, another program) can connect to the printed address the same way.

use ipckit::channel::Address;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addrs: Vec<Address> = vec![
        format!("unix:@ipckit-async-echo-{}", std::process::id()).parse()?,
        // shm-ring: the lead adds `shm-ring:@ipckit-async-echo-ring-{pid}` here once the
        // ring's async ends land (src/tokio/ring.rs); the server code below is unchanged.
    ];
    let mut servers = tokio::task::JoinSet::new();
    for addr in &addrs {
        let mut listener = ipckit::tokio::listen(addr)?;
        println!("listening on {}", listener.address());
        servers.spawn(async move {
            let mut served = tokio::task::JoinSet::new();
            for _ in 0..3 {
                let mut rx = listener.accept().await?;
                served.spawn(async move {
                    let mut buf = Vec::new();
                    let mut n = 0;
                    loop {
                        match rx.recv(&mut buf).await {
                            Ok(len) => {
                                println!("got {len} bytes: {}", String::from_utf8_lossy(&buf));
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
            Ok::<usize, ipckit::Error>(total)
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
        println!("server done: {} messages", r.expect("server task")?);
    }
    Ok(())
}
