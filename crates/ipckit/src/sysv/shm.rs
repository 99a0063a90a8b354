//! System V shared memory (`shmget`, `shmat`, `shmdt`, `shmctl`).
