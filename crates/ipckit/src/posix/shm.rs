//! POSIX shared memory (`shm_open` + `mmap`).
