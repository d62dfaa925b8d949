#!/usr/bin/env bash
# Restart time: does starting zonecastd get slower, or its journal larger,
# with every restart? A broker restarted by systemd (Restart=on-failure) in a
# crash loop must come back as fast the hundredth time as the first.
#
#   bench/restart-time.sh                               # builds build-release; 100 restarts
#   bench/restart-time.sh --no-build --restarts 30 --alerts 20000
#   bench/restart-time.sh --no-build --zonecastd /path/to/older/zonecastd   # the same for another build
#
# Fills a fresh data directory with --alerts alerts (route_bench, one zone,
# one terminal, so the dedup window and a durable session are full), then
# restarts the broker --restarts times: each time from spawn until its ready
# file appears (recovery included), stopping it with SIGTERM, or with SIGKILL
# every other time with --kill. Prints each restart's ready time and journal
# size, then the median of restarts 1-5 and of the last five, their ratio,
# and how much the journal grew. See bench/README.md, "Restart time".
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/restart-time.sh [options]
  --restarts N     restarts to time (default 100)
  --alerts N       alerts stored before the first restart (default 100000)
  --kill           stop every other run with SIGKILL instead of SIGTERM
  --zonecastd P    the broker to measure (default build-release's)
  --out DIR        keep the per-restart table and the broker logs in DIR
  --no-build       do not (re)build build-release
  -h, --help       this text
Exits non-zero if the broker does not start or the fill fails.
EOF
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
build="$repo/build-release"
restarts=100 alerts=100000 kill_every_other=0 zonecastd="" out="" do_build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --restarts) restarts="$2"; shift 2 ;;
    --alerts) alerts="$2"; shift 2 ;;
    --kill) kill_every_other=1; shift ;;
    --zonecastd) zonecastd="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --no-build) do_build=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "restart-time: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

if [ "$do_build" = 1 ]; then
  log "building build-release"
  cmake --preset release >/dev/null
  cmake --build --preset release -j"$(nproc)" --target zonecastd route_bench >/dev/null
fi
[ -n "$zonecastd" ] || zonecastd="$build/broker/zonecastd"
[ -x "$zonecastd" ] || { echo "restart-time: no zonecastd at $zonecastd" >&2; exit 1; }

keep_results() {
  cp "$root/restarts.txt" "$out/" 2>/dev/null || true
  cp "$root"/logs/* "$out/" 2>/dev/null || true
}
start_run restart-time
data="$root/data"
port="$(free_port)"

# start_broker LOG: starts zonecastd on $data (its pid in $broker_pid) and
# waits (up to 60 s) for its ready file; sets $ready_ms to how long that took.
start_broker() {
  rm -f "$root/ready"
  local t0 t1
  t0=$(date +%s%N)
  "$zonecastd" --listen "tcp://127.0.0.1:$port" --http 127.0.0.1:0 --data_dir "$data" --fsync=batch \
    --log_level warning --ready_file "$root/ready" >"$1" 2>&1 &
  broker_pid=$!
  for _ in $(seq 12000); do
    grep -q '^zmq=' "$root/ready" 2>/dev/null && break
    kill -0 "$broker_pid" 2>/dev/null || { log "zonecastd exited: $(tail -3 "$1")"; exit 1; }
    sleep 0.005
  done
  grep -q '^zmq=' "$root/ready" 2>/dev/null || { log "zonecastd not ready in 60 s"; exit 1; }
  t1=$(date +%s%N)
  ready_ms=$(((t1 - t0) / 1000000))
}

journal_bytes() { du -sb "$data/journal" | cut -f1; }

log "filling: $alerts alerts"
start_broker "$root/logs/fill.log"
timeout 300 "$build/bench/route_bench" --broker "tcp://127.0.0.1:$port" --zones 1 \
  --terminals_per_zone 1 --alerts "$alerts" --window 256 --body_bytes 256 \
  >"$root/logs/fill-route_bench.txt" 2>&1 || { log "fill failed: $(tail -1 "$root/logs/fill-route_bench.txt")"; exit 1; }
stop_broker
bytes_before=$(journal_bytes)
log "journal after the fill: $bytes_before bytes"

echo "restart ready_ms journal_bytes" >"$root/restarts.txt"
for n in $(seq "$restarts"); do
  start_broker "$root/logs/restart.log"
  ms=$ready_ms
  if [ "$kill_every_other" = 1 ] && [ $((n % 2)) = 0 ]; then
    kill -KILL "$broker_pid"
    wait "$broker_pid" 2>/dev/null || true
    broker_pid=""
  else
    stop_broker
  fi
  echo "$n $ms $(journal_bytes)" >>"$root/restarts.txt"
  [ $((n % 10)) = 0 ] && log "restart $n/$restarts: ready in $ms ms, journal $(journal_bytes) bytes"
done

cat "$root/restarts.txt"
awk -v before="$bytes_before" -v n="$restarts" '
  function median(list,   a, k, i, j, t) {
    k = split(list, a, " ")
    for (i = 2; i <= k; ++i) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; --j) {
      t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
    }
    return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
  }
  NR == 1 { next }
  $1 <= 5 { first = first " " $2 }
  $1 > n - 5 { last = last " " $2 }
  { bytes = $3 }
  END {
    f = median(first); l = median(last)
    printf "ready time: median of restarts 1-5 %.0f ms, of the last five %.0f ms, ratio %.2f\n", f, l, (f > 0 ? l / f : 0)
    printf "journal: %d bytes after the fill, %d after %d restarts (%+d)\n", before, bytes, n, bytes - before
  }' "$root/restarts.txt"
