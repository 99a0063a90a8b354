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
//! The checksum is `sum(word_i * K_i)` over the payload's little-endian 8-byte words (the tail
//! padded with zeros), wrapping, with odd per-position constants `K_i`: any change of a single
//! word changes it, and a sender updates it for the stamped words without a pass over the
//! payload. The receiver checks the sequence number, every stamp, and recomputes the checksum
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

/// The odd weight of payload word `i` in the checksum.
fn weight(i: usize) -> u64 {
    ((i as u64) << 1 | 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1
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

/// The checksum of a payload: `sum(word_i * K_i)`, wrapping.
pub fn checksum(payload: &[u8]) -> u64 {
    let mut chunks = payload.chunks_exact(8);
    let mut acc = 0u64;
    let mut i = 0usize;
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().expect("8-byte chunk"));
        acc = acc.wrapping_add(w.wrapping_mul(weight(i)));
        i += 1;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        acc = acc.wrapping_add(u64::from_le_bytes(w).wrapping_mul(weight(i)));
    }
    acc
}

/// The expected content of every message of one size.
#[derive(Debug, Clone)]
pub struct Pattern {
    size: usize,
    /// The payload before stamping (bytes `16..size`).
    base: Vec<u8>,
    /// Checksum of `base`.
    base_sum: u64,
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
        let base_sum = checksum(&base);
        Pattern {
            size,
            base,
            base_sum,
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

    /// Makes `buf` (from [`Pattern::buffer`]) message `seq`: writes the header and stamps,
    /// touching a few words per 4 KiB only.
    pub fn stamp(&self, seq: u64, buf: &mut [u8]) {
        debug_assert_eq!(buf.len(), self.size);
        let h = self.size.min(8);
        buf[..h].copy_from_slice(&seq.to_le_bytes()[..h]);
        if self.size >= PAYLOAD {
            let payload = &mut buf[PAYLOAD..];
            let mut sum = self.base_sum;
            for (k, &i) in self.slots.iter().enumerate() {
                let old = word_at(&self.base, i);
                let new = stamp(seq, k, i, self.base.len());
                put_word(payload, i, new);
                sum = sum.wrapping_add(new.wrapping_sub(old).wrapping_mul(weight(i)));
            }
            buf[8..16].copy_from_slice(&sum.to_le_bytes());
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
