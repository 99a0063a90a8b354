//! System V semaphore sets (`semget`, `semop`, `semtimedop`, `semctl`).
