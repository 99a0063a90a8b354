//! Plain-old-data over the shared-memory ring between two processes: a `#[repr(C)]` struct
//! of `u64`, `f64` and `[u8; 16]` written into the ring in place and read where it lies, no
//! serialization.
//!
//! Run `cargo run -p ipckit --example ring_pod`: the process listens, re-executes itself as
//! the producer (`ring_pod produce ADDR`), receives 1000 ticks by reference and checks them.
//!
//! The struct derives `bytemuck::Pod` (bytemuck's `derive` feature checks at compile time
//! that it has no padding and only `Pod` fields). Without the derive macro the same promise
//! is `unsafe impl bytemuck::Zeroable for Tick {}` and `unsafe impl bytemuck::Pod for Tick {}`
//! (see `ipckit::ring`'s docs on `send_pod` for what that promise is).

use ipckit::net::unix::SocketAddr;
use ipckit::ring;

/// One market tick: 8 + 8 + 16 = 32 bytes, no padding, 8-aligned.
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Zeroable, bytemuck::Pod)]
#[repr(C)]
struct Tick {
    seq: u64,
    price: f64,
    symbol: [u8; 16],
}

const COUNT: u64 = 1000;

fn tick(seq: u64) -> Tick {
    let mut symbol = [0u8; 16];
    symbol[..6].copy_from_slice(b"IPCKIT");
    Tick {
        seq,
        price: 100.0 + seq as f64 / 4.0,
        symbol,
    }
}

fn produce(addr: &SocketAddr) -> ipckit::Result<()> {
    let mut conn = ring::connect(addr)?;
    for seq in 0..COUNT {
        conn.sender().send_pod(&tick(seq))?;
    }
    // Wait for the consumer's acknowledgement before the connection goes.
    let ack: u64 = conn.receiver().recv_pod()?;
    assert_eq!(ack, COUNT);
    Ok(())
}

fn consume(listener: &ring::Listener) -> ipckit::Result<f64> {
    let mut conn = listener.accept()?;
    let mut sum = 0.0;
    for seq in 0..COUNT {
        // In place: `t` is a `&Tick` inside the ring until it is dropped.
        let t = conn.receiver().recv_pod_ref::<Tick>()?;
        assert_eq!(*t, tick(seq));
        sum += t.price;
    }
    conn.sender().send_pod(&COUNT)?;
    Ok(sum)
}

fn main() -> ipckit::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 3 && args[1] == "produce" {
        return produce(&args[2].parse()?);
    }
    let addr: SocketAddr = format!("@ipckit-example-ring-pod-{}", std::process::id()).parse()?;
    let listener = ring::listen(&addr)?;
    let mut child = std::process::Command::new(std::env::current_exe().expect("current_exe"))
        .args(["produce", &addr.to_string()])
        .spawn()
        .expect("spawn the producer");
    let consumed = consume(&listener);
    let status = child.wait().expect("wait");
    let sum = consumed?;
    assert!(status.success());
    println!(
        "received {COUNT} ticks of {} bytes in place, price sum {sum}",
        std::mem::size_of::<Tick>()
    );
    Ok(())
}
