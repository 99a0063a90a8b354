//! The `signal` row's encoding, shared by both twins: the value of each signal is the
//! message's sequence number; the receiver rebuilds the message from it (a signal carries
//! one `int`).

use crate::verify::Pattern;

/// Offset from `SIGRTMIN` of the signal both sides use.
pub const RT_OFFSET: i32 = 4;
/// The value of the end-of-phase marker.
pub const END: i32 = -1;
/// The value of the peer's first signal, by which the parent learns its pid.
pub const HELLO: i32 = -2;
/// Largest message size measured: the message is rebuilt from the 4-byte value, so large
/// sizes would only measure a memcpy.
pub const MAX_SIZE: usize = 64;

/// The signal number: `SIGRTMIN + RT_OFFSET`.
pub fn signo() -> i32 {
    libc::SIGRTMIN() + RT_OFFSET
}

/// The size check of the row: at most [`MAX_SIZE`] bytes.
pub fn check(size: usize) -> Result<(), String> {
    if size > MAX_SIZE {
        return Err(format!(
            "a signal carries one int: measured only up to {MAX_SIZE} B"
        ));
    }
    Ok(())
}

/// The value carrying `msg`: its sequence number, or [`END`] for the end marker.
pub fn encode(msg: &[u8], size: usize) -> i32 {
    if msg.len() != size {
        return END;
    }
    let h = size.min(8);
    let mut b = [0u8; 8];
    b[..h].copy_from_slice(&msg[..h]);
    (u64::from_le_bytes(b) & 0x7fff_ffff) as i32
}

/// Rebuilds messages from signal values.
pub struct Rebuild {
    size: usize,
    pattern: Pattern,
    template: Vec<u8>,
}

impl Rebuild {
    /// For `size`-byte messages.
    pub fn new(size: usize) -> Rebuild {
        let pattern = Pattern::new(size);
        let template = pattern.buffer();
        Rebuild {
            size,
            pattern,
            template,
        }
    }

    /// The message size.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Rebuilds the message `value` stands for into `buf`.
    ///
    /// # Errors
    /// A negative value other than [`END`].
    pub fn decode(&self, value: i32, buf: &mut Vec<u8>) -> anyhow::Result<()> {
        buf.clear();
        if value == END {
            buf.extend_from_slice(super::end_marker(self.pattern.size()));
            return Ok(());
        }
        anyhow::ensure!(value >= 0, "unexpected signal value {value}");
        buf.extend_from_slice(&self.template);
        self.pattern.stamp(value as u64, buf);
        Ok(())
    }
}
