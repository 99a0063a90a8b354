//! Unix domain sockets (`unix(7)`): stream, datagram and seqpacket; fd passing, peer credentials.
