//! System V IPC (`sysvipc(7)`): keys, message queues, semaphore sets, shared memory.

pub mod key;
pub mod msg;
pub mod sem;
pub mod shm;
