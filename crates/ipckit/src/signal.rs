//! Signals: the signal table, sending (`kill`, `sigqueue`), dispositions, masks, `signalfd`.
