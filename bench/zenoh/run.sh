#!/usr/bin/env bash
# Latency and throughput through `ipckit bridge` over zenoh on this machine, beside direct
# tcp:, as ratios. The same two programs (interop/examples/zenoh_pingpong.rs) run both ways:
#
#   direct:  client --tcp:127.0.0.1:P1--> echo --tcp:127.0.0.1:P2--> client
#   bridged: client --unix--> bridge --zenoh:K/ping--> bridge --unix--> echo
#            echo --unix--> bridge --zenoh:K/pong--> bridge --unix--> client
#
#   both-ways: client --unix--> bridge X --zenoh:K--> bridge Y --unix--> echo, and back
#            through the same two bridges (`--both-ways --back`, one zenoh key)
#
# (bridged: each direction through two bridges, four bridge processes; both-ways: two
# bridge processes, each carrying both directions; zenoh peers found by scouting on
# loopback). Release builds unless PROFILE=debug; prints one JSON line per run and the ratios.
#   bench/zenoh/run.sh [ROUNDS [SIZE [STREAM]]]     (default 2000 64 20000)
#   PROFILE=debug bench/zenoh/run.sh               (the debug build: quicker to build)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-2000} SIZE=${2:-64} STREAM=${3:-20000} PROFILE=${PROFILE:-release}
flag=--release; [ "$PROFILE" = release ] || flag=
cargo build -q $flag -p ipckit-cli --features zenoh
cargo build -q $flag -p ipckit-interop --example zenoh_pingpong
BIN=target/$PROFILE/ipckit PP=target/$PROFILE/examples/zenoh_pingpong
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
tag="ipckit-zb-$$"

# direct tcp:
P1=$((30000 + $$ % 10000)) P2=$((P1 + 1))
$PP echo "tcp:127.0.0.1:$P1" "tcp:127.0.0.1:$P2" 2>/dev/null & pids+=($!)
direct=$($PP client "tcp:127.0.0.1:$P1" "tcp:127.0.0.1:$P2" "$ROUNDS" "$SIZE" "$STREAM")
echo "direct tcp:      $direct"
cleanup; pids=()

# through bridges over zenoh
$BIN bridge "zenoh:$tag/ping" "unix:@$tag-echo-in" 2>/dev/null & pids+=($!)
$BIN bridge "zenoh:$tag/pong" "unix:@$tag-client-in" 2>/dev/null & pids+=($!)
$BIN bridge "unix:@$tag-c-out" "zenoh:$tag/ping" 2>/dev/null & pids+=($!)
$BIN bridge "unix:@$tag-e-out" "zenoh:$tag/pong" 2>/dev/null & pids+=($!)
$PP echo "unix:@$tag-echo-in" "unix:@$tag-e-out" 2>/dev/null & pids+=($!)
sleep 1
bridged=$($PP client "unix:@$tag-c-out" "unix:@$tag-client-in" "$ROUNDS" "$SIZE" "$STREAM")
echo "bridged zenoh:   $bridged"
cleanup; pids=()

# through two bridges, each both ways
$BIN bridge "zenoh:$tag/rpc" "unix:@$tag-echo-in" --both-ways --back "unix:@$tag-e-out" 2>/dev/null & pids+=($!)
$BIN bridge "unix:@$tag-c-out" "zenoh:$tag/rpc" --both-ways --back "unix:@$tag-client-in" 2>/dev/null & pids+=($!)
$PP echo "unix:@$tag-echo-in" "unix:@$tag-e-out" 2>/dev/null & pids+=($!)
sleep 1
both=$($PP client "unix:@$tag-c-out" "unix:@$tag-client-in" "$ROUNDS" "$SIZE" "$STREAM")
echo "both-ways zenoh: $both"

python3 - "$direct" "$bridged" "$both" <<'PY'
import json, sys
d, b, w = (json.loads(a) for a in sys.argv[1:4])
for name, x in (("bridged", b), ("both-ways", w)):
    print(f"latency p50: {name}/direct = {x['p50_us']/d['p50_us']:.1f}x "
          f"({x['p50_us']:.0f} us vs {d['p50_us']:.0f} us); p99 {x['p99_us']/d['p99_us']:.1f}x")
    print(f"throughput: {name}/direct = {x['msgs_per_s']/d['msgs_per_s']:.2f} "
          f"({x['msgs_per_s']:.0f} vs {d['msgs_per_s']:.0f} msg/s of {d['size']} B)")
PY
