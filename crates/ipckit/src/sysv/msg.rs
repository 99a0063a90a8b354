//! System V message queues (`msgget`, `msgsnd`, `msgrcv`, `msgctl`).
