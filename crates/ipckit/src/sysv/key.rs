//! System V IPC keys (`ftok(3)`, `IPC_PRIVATE`).
