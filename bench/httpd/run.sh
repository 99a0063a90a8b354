#!/usr/bin/env bash
# prefork-httpd against nginx, in one run: the same file, the same number of worker
# processes, each server on its own loopback port, nginx started here with a config in a
# temporary directory (access log off). Reports requests/s and p99 latency of each and the
# ratio prefork-httpd / nginx (the issue's target: >= 0.7).
#
#   bench/httpd/run.sh                      # wrk -t2 -c64 -d10s, 2 workers each, 1 round
#   WORKERS=4 DURATION=5s ROUNDS=3 FILE_SIZE=16384 bench/httpd/run.sh
#
# Needs wrk and nginx (Debian: apt-get install wrk nginx); builds prefork-httpd --release.
set -euo pipefail
cd "$(dirname "$0")/../.."

WORKERS="${WORKERS:-2}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
DURATION="${DURATION:-10s}"
ROUNDS="${ROUNDS:-1}"
FILE_SIZE="${FILE_SIZE:-4096}"
NGINX="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"

for tool in wrk "$NGINX" curl; do
  command -v "$tool" >/dev/null || { echo "missing: $tool (apt-get install wrk nginx curl)" >&2; exit 2; }
done

cargo build --release -q -p ipckit-demos --bin prefork-httpd
HTTPD="$PWD/target/release/prefork-httpd"

tmp=$(mktemp -d /tmp/ipckit-bench-httpd.XXXXXX)
httpd_pid=""; nginx_pid=""
cleanup() {
  [ -n "$httpd_pid" ] && kill -TERM "$httpd_pid" 2>/dev/null && wait "$httpd_pid" 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill -QUIT "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# nginx's workers run as its unprivileged user (www-data): let them read the root.
chmod 755 "$tmp"
mkdir -p "$tmp/root" "$tmp/nginx"
head -c "$FILE_SIZE" /dev/zero | tr '\0' 'x' > "$tmp/root/index.html"

# A free port for nginx: let the kernel pick one, then hand it over.
nginx_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$tmp/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes $WORKERS;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  keepalive_timeout 5s;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  server {
    listen 127.0.0.1:$nginx_port;
    root $tmp/root;
  }
}
EOF
"$NGINX" -e "$tmp/nginx/error.log" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" &
nginx_pid=$!

"$HTTPD" --listen 127.0.0.1:0 --workers "$WORKERS" --root "$tmp/root" >"$tmp/httpd.addr" 2>"$tmp/httpd.log" &
httpd_pid=$!

for _ in $(seq 100); do
  [ -s "$tmp/httpd.addr" ] && curl -sf -o /dev/null "http://127.0.0.1:$nginx_port/index.html" && break
  sleep 0.1
done
httpd_addr=$(head -1 "$tmp/httpd.addr")
curl -sf -o /dev/null "http://$httpd_addr/index.html"
cmp -s <(curl -s "http://$httpd_addr/index.html") <(curl -s "http://127.0.0.1:$nginx_port/index.html") \
  || { echo "the two servers do not serve the same bytes" >&2; cat "$tmp/nginx/error.log" >&2; exit 1; }

cat > "$tmp/report.lua" <<'EOF'
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.0f %.3f %d %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
end
EOF

run() { # name url -> "rps p99ms socket_errors non2xx"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$tmp/report.lua" "$2" | awk '/^RESULT/ {print $2, $3, $4, $5}'
}

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $WORKERS workers each, $FILE_SIZE-byte file, $(nproc) CPUs, $ROUNDS round(s)"
printf '%-6s %-14s %12s %10s %8s %8s\n' round server "requests/s" "p99 ms" errors non2xx
sum_h=0; sum_n=0
for r in $(seq "$ROUNDS"); do
  read -r h_rps h_p99 h_err h_st < <(run prefork-httpd "http://$httpd_addr/index.html")
  read -r n_rps n_p99 n_err n_st < <(run nginx "http://127.0.0.1:$nginx_port/index.html")
  printf '%-6s %-14s %12s %10s %8s %8s\n' "$r" prefork-httpd "$h_rps" "$h_p99" "$h_err" "$h_st"
  printf '%-6s %-14s %12s %10s %8s %8s\n' "$r" nginx "$n_rps" "$n_p99" "$n_err" "$n_st"
  sum_h=$((sum_h + h_rps)); sum_n=$((sum_n + n_rps))
done
ratio=$(awk -v h="$sum_h" -v n="$sum_n" 'BEGIN { printf "%.2f", h / n }')
echo "prefork-httpd / nginx requests/s: $ratio (target >= 0.70)"
