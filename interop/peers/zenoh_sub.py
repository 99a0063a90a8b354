"""The Python peer of interop/tests/zenoh_python.rs: eclipse-zenoh (PyPI, the 1.10 line
that talks to zenoh 1.10 in Rust) subscribes to what `ipckit send zenoh:KEY` publishes.

    python3 zenoh_sub.py KEY COUNT [LISTEN_ENDPOINT]

Opens a zenoh session in peer mode (default configuration: multicast scouting finds ipckit
on this machine; with LISTEN_ENDPOINT, e.g. tcp/127.0.0.1:17447, it also listens there for
an `ipckit send --zenoh-connect`), declares a subscriber on KEY, prints `ready`, then prints
each of COUNT samples as one line: its length, its payload in hex and its key, then
`done`; `timeout` and exit status 1 if they have not all come within 60 s.
"""

import json
import sys
import time

import zenoh


def main():
    key, count = sys.argv[1], int(sys.argv[2])
    conf = zenoh.Config()
    # No shared-memory transport: it would leave a segment in /dev/shm (one per run).
    conf.insert_json5("transport/shared_memory/enabled", "false")
    if len(sys.argv) > 3:
        conf.insert_json5("listen/endpoints", json.dumps([sys.argv[3]]))
    with zenoh.open(conf) as session:
        sub = session.declare_subscriber(key)
        print("ready", flush=True)
        deadline = time.monotonic() + 60
        for _ in range(count):
            sample = sub.try_recv()
            while sample is None:
                if time.monotonic() > deadline:
                    print("timeout", flush=True)
                    sys.exit(1)
                time.sleep(0.005)
                sample = sub.try_recv()
            payload = sample.payload.to_bytes()
            print(len(payload), payload.hex(), str(sample.key_expr), flush=True)
        print("done", flush=True)


main()
