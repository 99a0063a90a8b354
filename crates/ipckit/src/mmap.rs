//! File-backed shared memory maps (`mmap` with `MAP_SHARED`, `msync`).
