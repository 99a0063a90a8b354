//! POSIX semaphores: named (`sem_open`) and unnamed process-shared (`sem_init`).
