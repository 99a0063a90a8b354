//! The shared-memory slot layouts both twins use: one slot per direction in one mapping.

/// `posix-shm` / `mmap-file` slot: offset of the `full` semaphore (`sem_t`, pshared).
pub const SLOT_FULL: usize = 0;
/// Offset of the `empty` semaphore in a slot.
pub const SLOT_EMPTY: usize = 32;
/// Offset of the `u64` message length in a slot.
pub const SLOT_LEN: usize = 64;
/// Offset of the message bytes in a slot.
pub const SLOT_DATA: usize = 128;

/// Bytes of one `posix-shm` / `mmap-file` slot carrying messages up to `size` bytes (a
/// multiple of 64).
pub fn slot_len(size: usize) -> usize {
    (SLOT_DATA + size).div_ceil(64) * 64
}

/// Offset of the `u64` length in a `sysv-shm` slot; the data follows at [`SHM_DATA`].
pub const SHM_LEN: usize = 0;
/// Offset of the message bytes in a `sysv-shm` slot.
pub const SHM_DATA: usize = 64;
/// Semaphores of the `sysv-shm` hand-off set: slot `s` (0 parent to peer, 1 back) has `full`
/// at `2 * s` (initially 0) and `empty` at `2 * s + 1` (initially 1).
pub const SEM_VALUES: [u16; 4] = [0, 1, 0, 1];

/// Bytes of one `sysv-shm` slot for `size`-byte messages (a multiple of 64).
pub fn shm_slot_len(size: usize) -> usize {
    (SHM_DATA + size).div_ceil(64) * 64
}
