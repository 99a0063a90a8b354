//! What every benchmark message carries so that loss, reordering and corruption are caught.
//!
//! A message of `size` bytes is laid out as:
//!
//! | bytes | content |
//! |---|---|
//! | `0..min(size, 8)` | the sequence number, little-endian (its low bytes when `size < 8`) |
//! | `8..16` (when `size >= 16`) | checksum of bytes `16..size` |
//! | `8..size` (when `8 < size < 16`) | low bytes of `mix(seq)` |
//! | `16..size` | a payload from a PRNG seeded by the size, with one `mix(seq, k)` word stamped every 4 KiB |
//!
//! The checksum is a Fletcher-style sum in eight lanes over the payload's little-endian 8-byte
//! words (the tail padded with zeros): word `i` goes to lane `i % 8`, each lane keeps `a += w`
//! and `b += a` per 64-byte chunk (wrapping), and the sixteen lane values are hashed into one
//! `u64`. Any change of a single word changes its lane's `a`, words moved within a lane
//! change its `b`, and the loop runs at memory speed (no multiply per word). A sender updates
//! the lanes for the stamped words without a pass over the payload. The receiver checks the sequence number, every stamp, and recomputes the checksum
//! over every byte. Stamps tie the payload to its sequence number, so a payload from another
//! message under a correct header is caught too.

/// Distance in payload words between two seq-dependent stamps (4 KiB).
const STAMP_EVERY_WORDS: usize = 512;
/// First byte of the payload.
const PAYLOAD: usize = 16;

/// A mismatch found in a received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch(pub String);

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// SplitMix64: a cheap, well-mixed PRNG step.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Words per checksum chunk (one per lane).
const LANES: usize = 8;

/// The per-lane sums `(a, b)` of a payload.
type Lanes = ([u64; LANES], [u64; LANES]);

fn lanes(payload: &[u8]) -> Lanes {
    let mut a = [0u64; LANES];
    let mut b = [0u64; LANES];
    let mut add = |chunk: &[u8]| {
        for l in 0..LANES {
            let w = u64::from_le_bytes(chunk[l * 8..l * 8 + 8].try_into().expect("8 bytes"));
            a[l] = a[l].wrapping_add(w);
            b[l] = b[l].wrapping_add(a[l]);
        }
    };
    let mut chunks = payload.chunks_exact(LANES * 8);
    for c in &mut chunks {
        add(c);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut last = [0u8; LANES * 8];
        last[..rest.len()].copy_from_slice(rest);
        add(&last);
    }
    (a, b)
}

/// Hashes the lane sums into the checksum.
fn fold((a, b): &Lanes) -> u64 {
    let mut h = 0x1BAD_5EED_u64;
    for l in 0..LANES {
        h = mix(h ^ a[l]);
        h = mix(h ^ b[l]);
    }
    h
}

/// The value stamped in stamp slot `k` (payload word `i`) of message `seq`, cut to the bytes
/// the payload has at that word.
fn stamp(seq: u64, k: usize, i: usize, payload_len: usize) -> u64 {
    let v = mix(seq ^ ((k as u64) << 48) ^ 0x5EED);
    let avail = (payload_len - i * 8).min(8);
    if avail == 8 {
        v
    } else {
        v & ((1u64 << (8 * avail)) - 1)
    }
}

fn word_at(b: &[u8], i: usize) -> u64 {
    let start = i * 8;
    let end = (start + 8).min(b.len());
    let mut w = [0u8; 8];
    w[..end - start].copy_from_slice(&b[start..end]);
    u64::from_le_bytes(w)
}

fn put_word(b: &mut [u8], i: usize, v: u64) {
    let start = i * 8;
    let end = (start + 8).min(b.len());
    b[start..end].copy_from_slice(&v.to_le_bytes()[..end - start]);
}

/// The checksum of a payload (see the module docs).
pub fn checksum(payload: &[u8]) -> u64 {
    fold(&lanes(payload))
}

/// The expected content of every message of one size.
#[derive(Debug, Clone)]
pub struct Pattern {
    size: usize,
    /// The payload before stamping (bytes `16..size`).
    base: Vec<u8>,
    /// Lane sums of `base`.
    base_lanes: Lanes,
    /// Number of 64-byte chunks of the payload (the last one padded).
    chunks: usize,
    /// Payload word index of each stamp slot.
    slots: Vec<usize>,
}

impl Pattern {
    /// The pattern of `size`-byte messages.
    pub fn new(size: usize) -> Pattern {
        let plen = size.saturating_sub(PAYLOAD);
        let mut base = vec![0u8; plen];
        let mut s = mix(size as u64);
        for chunk in base.chunks_mut(8) {
            s = mix(s);
            chunk.copy_from_slice(&s.to_le_bytes()[..chunk.len()]);
        }
        let words = plen.div_ceil(8);
        let slots: Vec<usize> = (0..words).step_by(STAMP_EVERY_WORDS).collect();
        let base_lanes = lanes(&base);
        Pattern {
            size,
            chunks: plen.div_ceil(LANES * 8),
            base,
            base_lanes,
            slots,
        }
    }

    /// Message size in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// A buffer holding message 0; [`Pattern::stamp`] turns it into any other message.
    pub fn buffer(&self) -> Vec<u8> {
        let mut b = vec![0u8; self.size];
        if self.size > PAYLOAD {
            b[PAYLOAD..].copy_from_slice(&self.base);
        }
        self.stamp(0, &mut b);
        b
    }

    /// Writes all of message `seq` into `out` (exactly [`Pattern::size`] bytes, any prior
    /// content): the payload copied from the pattern, then the header and stamps. What a
    /// zero-copy sender does in place.
    pub fn fill(&self, seq: u64, out: &mut [u8]) {
        if self.size > PAYLOAD {
            out[PAYLOAD..].copy_from_slice(&self.base);
        }
        self.stamp(seq, out);
    }

    /// Makes `buf` (from [`Pattern::buffer`]) message `seq`: writes the header and stamps,
    /// touching a few words per 4 KiB only.
    pub fn stamp(&self, seq: u64, buf: &mut [u8]) {
        debug_assert_eq!(buf.len(), self.size);
        let h = self.size.min(8);
        buf[..h].copy_from_slice(&seq.to_le_bytes()[..h]);
        if self.size >= PAYLOAD {
            let payload = &mut buf[PAYLOAD..];
            let (mut a, mut b) = self.base_lanes;
            for (k, &i) in self.slots.iter().enumerate() {
                let old = word_at(&self.base, i);
                let new = stamp(seq, k, i, self.base.len());
                put_word(payload, i, new);
                // Word i sits in lane i % 8 of chunk i / 8: its change adds to that lane's
                // `a` once and to its `b` once per chunk from there to the end.
                let delta = new.wrapping_sub(old);
                let (l, c) = (i % LANES, i / LANES);
                a[l] = a[l].wrapping_add(delta);
                b[l] = b[l].wrapping_add(delta.wrapping_mul((self.chunks - c) as u64));
            }
            buf[8..16].copy_from_slice(&fold(&(a, b)).to_le_bytes());
        } else if self.size > 8 {
            let m = mix(seq).to_le_bytes();
            buf[8..].copy_from_slice(&m[..self.size - 8]);
        }
    }

    /// Checks that `msg` is exactly message `seq`.
    ///
    /// # Errors
    /// A [`Mismatch`] naming what differs: the length, the sequence number (a lost or
    /// reordered message), a stamp or the checksum (corruption).
    pub fn check(&self, seq: u64, msg: &[u8]) -> Result<(), Mismatch> {
        if msg.len() != self.size {
            return Err(Mismatch(format!(
                "message {seq}: length {} instead of {}",
                msg.len(),
                self.size
            )));
        }
        let h = self.size.min(8);
        let mut got = [0u8; 8];
        got[..h].copy_from_slice(&msg[..h]);
        let got = u64::from_le_bytes(got);
        let want = if h == 8 {
            seq
        } else {
            seq & ((1u64 << (8 * h)) - 1)
        };
        if got != want {
            return Err(Mismatch(format!(
                "expected message {seq}, got sequence number {got} (lost or reordered)"
            )));
        }
        if self.size >= PAYLOAD {
            let payload = &msg[PAYLOAD..];
            for (k, &i) in self.slots.iter().enumerate() {
                if word_at(payload, i) != stamp(seq, k, i, payload.len()) {
                    return Err(Mismatch(format!(
                        "message {seq}: payload stamp at byte {} does not belong to it (corrupted)",
                        PAYLOAD + i * 8
                    )));
                }
            }
            let sum = u64::from_le_bytes(msg[8..16].try_into().expect("8 bytes"));
            if checksum(payload) != sum {
                return Err(Mismatch(format!(
                    "message {seq}: checksum mismatch (corrupted)"
                )));
            }
        } else if self.size > 8 {
            let m = mix(seq).to_le_bytes();
            if msg[8..] != m[..self.size - 8] {
                return Err(Mismatch(format!("message {seq}: tail bytes corrupted")));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZES: [usize; 10] = [1, 3, 8, 9, 15, 16, 17, 64, 4096 + 5, 70_000];

    #[test]
    fn stamped_messages_check_and_other_seqs_fail() {
        for size in SIZES {
            let p = Pattern::new(size);
            let mut b = p.buffer();
            for seq in [0u64, 1, 2, 255, 256, 1 << 40] {
                p.stamp(seq, &mut b);
                assert_eq!(p.check(seq, &b), Ok(()), "size {size} seq {seq}");
                // A lost message (seq + 1 expected) or a reordered one (seq - 1 expected).
                assert!(p.check(seq + 1, &b).is_err(), "size {size} seq {seq}");
                if seq > 0 {
                    assert!(p.check(seq - 1, &b).is_err(), "size {size} seq {seq}");
                }
            }
        }
    }

    #[test]
    fn fill_writes_the_same_message_over_any_content() {
        for size in SIZES {
            let p = Pattern::new(size);
            let mut b = p.buffer();
            p.stamp(42, &mut b);
            let mut out = vec![0xA5u8; size];
            p.fill(42, &mut out);
            assert_eq!(out, b, "size {size}");
        }
    }

    #[test]
    fn stamping_matches_a_full_checksum() {
        let p = Pattern::new(70_000);
        let mut b = p.buffer();
        p.stamp(12345, &mut b);
        let sum = u64::from_le_bytes(b[8..16].try_into().unwrap());
        assert_eq!(sum, checksum(&b[16..]));
    }

    #[test]
    fn every_single_byte_corruption_is_caught() {
        for size in SIZES {
            let p = Pattern::new(size);
            let mut b = p.buffer();
            p.stamp(7, &mut b);
            let step = (size / 257).max(1);
            for at in (0..size).step_by(step) {
                for flip in [1u8, 0x80, 0xff] {
                    b[at] ^= flip;
                    assert!(p.check(7, &b).is_err(), "size {size} byte {at} ^ {flip:#x}");
                    b[at] ^= flip;
                }
            }
            assert_eq!(p.check(7, &b), Ok(()));
        }
    }

    #[test]
    fn words_moved_within_a_message_are_caught() {
        let p = Pattern::new(100_000);
        let mut b = p.buffer();
        p.stamp(3, &mut b);
        // Swap two different 8-byte words: same lane in different chunks, then different
        // lanes, then two neighbouring bytes.
        for (x, y) in [(16 + 8, 16 + 8 + 64 * 5), (16 + 8, 16 + 24), (100, 101)] {
            let mut c = b.clone();
            for k in 0..8 {
                c.swap(x + k, y + k);
            }
            if x + 1 == y {
                c = b.clone();
                c.swap(x, y);
            }
            assert_ne!(c, b, "the swap changed nothing at {x}/{y}");
            assert!(p.check(3, &c).is_err(), "swap at {x}/{y}");
        }
    }

    #[test]
    fn a_payload_under_another_header_or_a_wrong_length_is_caught() {
        let p = Pattern::new(10_000);
        let mut a = p.buffer();
        let mut b = p.buffer();
        p.stamp(1, &mut a);
        p.stamp(2, &mut b);
        // Header (seq and checksum) of message 1 over the payload of message 2.
        b[..16].copy_from_slice(&a[..16]);
        assert!(p.check(1, &b).is_err());
        assert!(p.check(1, &a[..9_999]).is_err());
    }
}
