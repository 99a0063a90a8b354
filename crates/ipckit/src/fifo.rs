//! FIFOs, or named pipes (`mkfifo`): a one-way byte stream opened by path.
