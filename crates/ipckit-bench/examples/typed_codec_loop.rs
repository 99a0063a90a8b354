//! A criterion-free micro loop of what one hop of a typed bench row does besides the
//! transport: fill the sender's reused `Sample` from the harness's bytes, encode it (MessagePack), decode
//! it, write the bytes back. For `perf record` and for the split of the typed row's cost.
//!
//! `cargo run --release -p ipckit-bench --example typed_codec_loop -- [SIZE] [ITERATIONS]`

use std::hint::black_box;
use std::time::Instant;

use ipckit::channel::typed::{self, MsgPack};
use ipckit_bench::mech::typed::Sample;

fn main() {
    let mut args = std::env::args().skip(1);
    let size: usize = args.next().map_or(64, |s| s.parse().expect("SIZE"));
    let n: u32 = args
        .next()
        .map_or(200_000, |s| s.parse().expect("ITERATIONS"));
    let msg: Vec<u8> = (0..size).map(|i| (i * 7) as u8).collect();
    let (mut enc, mut back) = (Vec::new(), Vec::new());
    let mut s = Sample::from_bytes(&[]);
    let (mut t_build, mut t_enc, mut t_dec, mut t_write) = (0u128, 0u128, 0u128, 0u128);
    for _ in 0..n {
        let t0 = Instant::now();
        s.fill_from(black_box(&msg));
        let t1 = Instant::now();
        typed::encode_into::<_, MsgPack>(&s, &mut enc).expect("encode");
        let t2 = Instant::now();
        let got: Sample = typed::decode::<_, MsgPack>(black_box(&enc)).expect("decode");
        let t3 = Instant::now();
        got.write_to(&mut back);
        let t4 = Instant::now();
        t_build += (t1 - t0).as_nanos();
        t_enc += (t2 - t1).as_nanos();
        t_dec += (t3 - t2).as_nanos();
        t_write += (t4 - t3).as_nanos();
    }
    assert_eq!(back, msg);
    let per = |t: u128| t as f64 / f64::from(n);
    println!(
        "{size} B, {} B encoded: build {:.0} ns, encode {:.0} ns, decode {:.0} ns, write back {:.0} ns (per message, mean of {n})",
        enc.len(),
        per(t_build),
        per(t_enc),
        per(t_dec),
        per(t_write)
    );
}
