//! TCP for IPC use (`tcp(7)`): `TCP_NODELAY` and message framing over `std::net`.
