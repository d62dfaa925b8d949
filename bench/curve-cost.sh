#!/usr/bin/env bash
# What CURVE costs: the same broker, client library and driver (the working
# tree, release preset) with plain connections and with CURVE (a keys file,
# every frame encrypted and authenticated), side by side in one run on this
# machine, on loopback. See bench/README.md.
#
#   bench/curve-cost.sh                 # 5 rounds x 200,000 alerts
#   bench/curve-cost.sh --quick         # 2 rounds x 20,000, a smoke test
#
# Workloads (route_bench, one zone, window 256, 256 B bodies, --fsync=never
# so that the disk does not hide the CPU the cryptography takes):
#   A  publish + PubAck, no subscriber
#   B  publish -> one terminal, RECEIVED acks
# Every measurement gets a fresh broker and data dir; within a round plain
# and CURVE alternate in order. The table reports medians, min-max and the
# median of the per-round ratios curve / plain.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/curve-cost.sh [options]
  --rounds R          measurements per mode and workload (default 5)
  --messages N        alerts per measurement (default 200000)
  --quick             2 rounds, 20000 alerts
  --wait-quiet SECS   first wait up to SECS for the 1-minute load average to
                      drop below 1.5 (default 0: do not wait)
  --out DIR           also keep results.tsv and table.md in DIR
EOF
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
rounds=5 messages=200000 wait_quiet=0 out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --messages) messages="$2"; shift 2 ;;
    --quick) rounds=2 messages=20000; shift ;;
    --wait-quiet) wait_quiet="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "curve-cost: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

# shellcheck source=bench/lib.sh
source "$here/lib.sh"
keep_results() { cp "$root/results.tsv" "$root/table.md" "$out/" 2>/dev/null || true; }
start_run curve
results="$root/results.tsv"
: >"$results"

log "building the release preset (zonecastd, zonecast, route_bench)"
(cd "$repo" && cmake --preset release >"$root/logs/build.log" 2>&1 &&
 cmake --build --preset release --target zonecastd zonecast route_bench >>"$root/logs/build.log" 2>&1) ||
  { tail -30 "$root/logs/build.log" >&2; echo "curve-cost: build failed" >&2; exit 1; }
bin="$repo/build-release"

# The keys: the broker's, the driver's center and its one terminal, bound in
# a keys file as a deployment would.
keys="$root/keys"
mkdir -p "$keys"
for name in broker bench-center bench-t0; do
  "$bin/clients/zonecast" keygen "$keys/$name" >/dev/null 2>>"$root/logs/keygen.log"
done
public_key() { sed -n 's/.*"public_key": *"\(.*\)".*/\1/p' "$keys/$1.pub"; }
cat >"$keys/keys.json" <<EOF
{"city": "jincheng", "grants": [
  {"public_key": "$(public_key bench-center)", "identity": "bench-center", "role": "CENTER"},
  {"public_key": "$(public_key bench-t0)", "identity": "bench-t0", "role": "TERMINAL",
   "zones": ["z01"]}]}
EOF

wait_for_quiet 1.5 "$wait_quiet"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"

# run_one ROUND MODE WORKLOAD: one measurement, appended to results.tsv.
run_one() {
  local round="$1" mode="$2" workload="$3"
  broker_args=(--http off --fsync=never --audit_log off --center_publish_rate 0)
  driver_args=()
  if [ "$mode" = curve ]; then
    broker_args+=(--keys_file "$keys/keys.json" --key_file "$keys/broker.key")
    driver_args=(--keys_dir "$keys")
  fi
  mkdir -p "$root/logs"
  route_bench_run "$bin" "$root/run/$round-$mode-$workload" "$root/logs/$round-$mode-$workload.out" \
    "$round" "$mode" "$workload" "$messages"
}

for round in $(seq "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then order=(plain curve); else order=(curve plain); fi
  for workload in A B; do
    for mode in "${order[@]}"; do run_one "$round" "$mode" "$workload"; done
  done
  log "round $round of $rounds done"
done
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"

{
  echo "working tree $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff HEAD --quiet || echo '+changes'):" \
       "plain vs CURVE; $rounds rounds x $messages alerts, --fsync=never;" \
       "load average $load_start at start, $load_end at end."
  echo "Medians over the rounds [min-max]; curve/plain is the median of the per-round ratios."
  echo
  echo "| workload | metric | plain | curve | curve/plain | runs ok (plain, curve) |"
  echo "|---|---|---|---|---|---|"
  ratio_table "$results" "$rounds" plain curve
} >"$root/table.md"
cat "$root/table.md"
