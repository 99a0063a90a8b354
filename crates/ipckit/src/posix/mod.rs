//! POSIX IPC: message queues (`mq_overview(7)`), named semaphores (`sem_overview(7)`), shared memory (`shm_overview(7)`).

pub mod mq;
pub mod sem;
pub mod shm;
