#!/usr/bin/env bash
# ipckit's shm-ring against iceoryx2, ipc-channel and interprocess, one method for all
# (src/main.rs says which): builds in release, runs ROUNDS rounds (default 4) with the peers in
# ABBA order (forward, reversed, forward, ...), each peer and size in fresh processes, and
# prints the markdown table with each peer's ratio to ipckit-shm-ring.
#   bench/peers/run.sh                       # about 1-2 minutes after the build
#   PEERS_ROUNDS=2 PEERS_BUDGET_MS=100 bench/peers/run.sh   # quicker
#   PEERS_SIZES=64,4096 bench/peers/run.sh
# Every shared-memory object and file the peers create is removed on exit (interrupted too;
# what a SIGKILLed run left goes at the start of the next run):
# iceoryx2 is given its own root directory and /dev/shm prefix for this run.
set -euo pipefail
cd "$(dirname "$0")"
rounds=${PEERS_ROUNDS:-4}
cargo build --release -q
bin=target/release/ipckit-peers
run=ipkpeers$$
export PEERS_IOX_ROOT=/tmp/$run-iox2 PEERS_IOX_PREFIX=${run}_
mkdir -p target
out=${PEERS_CSV:-$PWD/target/peers-$(date -u +%Y%m%dT%H%M%S).csv}
cleanup() {
    rm -rf -- "$PEERS_IOX_ROOT"
    rm -f -- /dev/shm/"$PEERS_IOX_PREFIX"*
}
trap cleanup EXIT
# What an earlier run killed with SIGKILL left (its shell is gone): remove it too.
for f in /dev/shm/ipkpeers*_* /tmp/ipkpeers*-iox2; do
    [ -e "$f" ] || continue
    pid=${f##*ipkpeers}
    pid=${pid%%[_-]*}
    kill -0 "$pid" 2>/dev/null || rm -rf -- "$f"
done
trap 'exit 130' INT TERM
mapfile -t peers < <("$bin" list)
: > "$out"
start=$(date +%s)
for r in $(seq 1 "$rounds"); do
    order=("${peers[@]}")
    if (( r % 2 == 0 )); then
        order=()
        for (( i = ${#peers[@]} - 1; i >= 0; i-- )); do order+=("${peers[i]}"); done
    fi
    for p in "${order[@]}"; do
        echo "round $r/$rounds: $p" >&2
        timeout 120 "$bin" bench "$p" "$r" >> "$out" || echo "$p failed in round $r" >&2
    done
done
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); $(uname -sr); load $(cut -d' ' -f1-3 /proc/loadavg); $rounds rounds in $(( $(date +%s) - start )) s; raw lines in $out"
echo
"$bin" table "$out"
