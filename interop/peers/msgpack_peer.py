"""The Python peer of interop/tests/msgpack.rs: ipckit typed messages read and written with
the `msgpack` package over ipckit's `unix:` stream frames (a 4-byte little-endian length,
then the MessagePack payload).

    python3 msgpack_peer.py LISTEN_NAME CONNECT_NAME COUNT

1. Listens on the abstract Unix socket LISTEN_NAME (ipckit's `unix:@LISTEN_NAME`), prints
   `ready`, accepts one connection and reads COUNT frames; prints each decoded message as
   one line of JSON (sorted keys) for the Rust side to compare field by field.
2. Connects to CONNECT_NAME (ipckit's `unix:@CONNECT_NAME`, a typed::Receiver) and sends
   each message back changed (id + 1000, sensor upper-cased, the keys in reverse order),
   then one message it builds itself; prints `done`.
"""

import json
import socket
import struct
import sys

import msgpack


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        chunk = s.recv(n - len(b))
        if not chunk:
            raise EOFError(f"stream ended after {len(b)} of {n} bytes")
        b += chunk
    return b


def recv_frame(s):
    (n,) = struct.unpack("<I", recv_exact(s, 4))
    return recv_exact(s, n)


def send_frame(s, obj):
    payload = msgpack.packb(obj, use_bin_type=True)
    s.sendall(struct.pack("<I", len(payload)) + payload)


def main():
    listen_name, connect_name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind("\0" + listen_name)
    srv.listen(1)
    srv.settimeout(30)
    print("ready", flush=True)
    conn, _ = srv.accept()
    conn.settimeout(30)
    got = []
    for _ in range(count):
        obj = msgpack.unpackb(recv_frame(conn), raw=False)
        assert isinstance(obj, dict), f"a struct arrives as a map, got {type(obj)}"
        got.append(obj)
        print(json.dumps(obj, sort_keys=True), flush=True)
    conn.close()
    srv.close()

    out = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    out.settimeout(30)
    out.connect("\0" + connect_name)
    for obj in got:
        reply = dict(obj)
        reply["id"] += 1000
        reply["sensor"] = reply["sensor"].upper()
        send_frame(out, {k: reply[k] for k in reversed(list(reply))})
    send_frame(
        out,
        {"note": None, "values": [], "kind": {"Cold": {"below": -40}},
         "sensor": "from-python", "id": 4242},
    )
    out.close()
    print("done", flush=True)


if __name__ == "__main__":
    main()
