//! What the `shm-ring` rows share: the ring capacity, the size check, and the record layout
//! the raw twin copies from `ipckit::ring` (so that both write and read the same bytes).
//!
//! One ring (one direction) is a mapping of [`DATA`] + [`CAPACITY`] bytes: the producer
//! index at [`OFF_TAIL`], the consumer index at [`OFF_HEAD`], the waiter flags at
//! [`OFF_FLAGS`] (each on its own 128-byte pair of lines), then the data area. A record is an
//! 8-byte little-endian length word, the payload and padding to 8 bytes; a record that would
//! cross the end of the data area is preceded by a skip marker ([`SKIP`]).

/// Capacity of each direction's ring in bytes (4 MiB): a 1 MiB message fits with room for
/// three more in flight (the largest message is half the capacity).
pub const CAPACITY: usize = 4 << 20;
/// Offset of the producer index (bytes ever published, a multiple of 8).
pub const OFF_TAIL: usize = 128;
/// Offset of the consumer index (bytes ever released, a multiple of 8).
pub const OFF_HEAD: usize = 256;
/// Offset of the flags line: +0 the consumer sleeps, +8 the producer sleeps.
pub const OFF_FLAGS: usize = 384;
/// Offset of the data area.
pub const DATA: usize = 512;
/// The length word of a skip marker: the rest of the data area is padding.
pub const SKIP: u64 = u64::MAX;

/// Bytes a record of `len` payload bytes occupies: the length word and the padded payload.
pub fn record_size(len: u64) -> u64 {
    8 + ((len + 7) & !7)
}

/// The size check of the `shm-ring` rows: up to half the capacity.
pub fn check_size(size: usize) -> Result<(), String> {
    if size > CAPACITY / 2 {
        return Err(format!(
            "above the ring's largest message ({} bytes)",
            CAPACITY / 2
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_padded_to_eight() {
        assert_eq!(record_size(0), 8);
        assert_eq!(record_size(1), 16);
        assert_eq!(record_size(64), 72);
        assert!(check_size(1 << 20).is_ok());
        assert!(check_size(CAPACITY).is_err());
    }
}
