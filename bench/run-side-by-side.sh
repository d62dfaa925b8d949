#!/usr/bin/env bash
# Side-by-side benchmark: zonecast (zonecastd --fsync=batch and --fsync=never)
# against NATS (nats-server 2.9, core and JetStream) and Mosquitto 2.0, all on
# this machine, in one run, on loopback (127.0.0.1) only. See bench/README.md.
#
#   bench/install-peers.sh               # nats-server, mosquitto, libmosquitto-dev
#   bench/run-side-by-side.sh            # 5 rounds x 200,000 messages (< 10 minutes)
#   bench/run-side-by-side.sh --quick    # 2 rounds x 20,000 messages, a smoke test
#
# Every measurement gets a fresh broker process with a fresh temp data
# directory; the systems' order is rotated every round so that a slow patch
# of the (shared, noisy) machine does not always land on the same system.
# The table reports medians, min/max, and the median of the per-round ratios
# to zonecast. Every process started here is stopped, and every temp dir
# removed, on exit, error or interrupt.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/run-side-by-side.sh [options]
  --rounds R          measurements per system and scenario (default 5)
  --messages N        messages per measurement (default 200000)
  --window W          publishes outstanding at most, every system (default 256)
  --body-bytes B      payload size (default 256)
  --records N         records for recovery_bench (default 1000000)
  --quick             2 rounds, 20000 messages, 100000 recovery records
  --wait-quiet SECS   first wait up to SECS for the 1-minute load average to
                      drop below 1.5 (default 0: do not wait)
  --no-build          do not (re)build build-release
  --out DIR           also keep results.tsv, table.md and the run logs in DIR
EOF
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
build="$repo/build-release"
rounds=5 messages=200000 window=256 body=256 records=1000000 wait_quiet=0 do_build=1 out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --messages) messages="$2"; shift 2 ;;
    --window) window="$2"; shift 2 ;;
    --body-bytes) body="$2"; shift 2 ;;
    --records) records="$2"; shift 2 ;;
    --quick) rounds=2 messages=20000 records=100000; shift ;;
    --wait-quiet) wait_quiet="$2"; shift 2 ;;
    --no-build) do_build=0; shift ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run-side-by-side: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

# ---------------------------------------------------------------- clean-up
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
keep_results() {
  cp -r "$root/logs" "$out/" 2>/dev/null || true
  cp "$root/results.tsv" "$root/table.md" "$out/" 2>/dev/null || true
}
start_run sbs
results="$root/results.tsv"
: >"$results"


# ------------------------------------------------------------------ build
if [ "$do_build" -eq 1 ]; then
  log "building the release preset in $build"
  (cd "$repo" && { [ -f "$build/build.ninja" ] || cmake --preset release >/dev/null; } &&
    cmake --build build-release -j2 >"$root/logs/build.log" 2>&1) ||
    { tail -30 "$root/logs/build.log" >&2; echo "run-side-by-side: build failed" >&2; exit 1; }
fi
for t in broker/zonecastd bench/route_bench bench/recovery_bench bench/nats_bench bench/fsync_probe; do
  [ -x "$build/$t" ] || { echo "run-side-by-side: $build/$t missing (build first)" >&2; exit 1; }
done

systems_a=(zc-batch zc-never)   # scenario A: publish + ack, no subscriber
systems_b=(zc-batch zc-never)   # scenario B: publish -> one subscriber
if command -v nats-server >/dev/null; then
  systems_a+=(nats-js); systems_b+=(nats-core nats-js nats-js-ack)
else
  log "nats-server not installed (bench/install-peers.sh): NATS is skipped"
fi
if command -v mosquitto >/dev/null && [ -x "$build/bench/mosquitto_bench" ]; then
  systems_a+=(mosquitto); systems_b+=(mosquitto)
else
  log "mosquitto or mosquitto_bench missing (bench/install-peers.sh, rebuild): Mosquitto is skipped"
fi

# ---------------------------------------------------------- quiet machine
wait_for_quiet 1.5 "$wait_quiet"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"

# --------------------------------------------------------------- brokers
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_broker SYSTEM DIR: starts a fresh broker for SYSTEM with its data in
# DIR, sets broker_pid and port, returns once it accepts connections.
start_broker() {
  local system="$1" dir="$2"
  mkdir -p "$dir"
  port="$(free_port)"
  case "$system" in
    zc-batch|zc-never)
      "$build/broker/zonecastd" --listen "tcp://127.0.0.1:$port" --http "127.0.0.1:$(free_port)" \
        --data_dir "$dir/data" --fsync="${system#zc-}" --log_level warning \
        --ready_file "$dir/ready" >"$dir/broker.log" 2>&1 &
      ;;
    nats-*)
      nats-server -js -sd "$dir/js" -a 127.0.0.1 -p "$port" >"$dir/broker.log" 2>&1 &
      ;;
    mosquitto)
      mkdir -p "$dir/mq"
      # Run as root, mosquitto drops to the 'mosquitto' user: let it reach
      # its persistence directory.
      if [ "$(id -u)" -eq 0 ] && id mosquitto >/dev/null 2>&1; then
        chmod 711 "$root" "$dir"
        chown mosquitto "$dir/mq"
      fi
      cat >"$dir/mosquitto.conf" <<EOF
listener $port 127.0.0.1
allow_anonymous true
set_tcp_nodelay true
persistence true
persistence_location $dir/mq/
autosave_interval 1
max_inflight_messages $window
max_queued_messages 0
log_dest stderr
log_type error
log_type warning
EOF
      mosquitto -c "$dir/mosquitto.conf" >"$dir/broker.log" 2>&1 &
      ;;
  esac
  broker_pid=$!
  for _ in $(seq 100); do
    kill -0 "$broker_pid" 2>/dev/null || { cat "$dir/broker.log" >&2; return 1; }
    if port_open "$port"; then
      case "$system" in zc-*) [ -s "$dir/ready" ] && return 0 ;; *) return 0 ;; esac
    fi
    sleep 0.1
  done
  echo "run-side-by-side: $system did not start" >&2
  return 1
}

# ---------------------------------------------------------------- drivers
# run_one ROUND SCENARIO SYSTEM: one measurement, appended to results.tsv as
# "round scenario system metric value" lines.
run_one() {
  local round="$1" scenario="$2" system="$3"
  local dir="$root/run/$round-$scenario-$system"
  local outf="$root/logs/$round-$scenario-$system.out"
  local cmd=()
  case "$scenario/$system" in
    A/zc-*) cmd=("$build/bench/route_bench" --zones 1 --terminals_per_zone 0) ;;
    B/zc-*) cmd=("$build/bench/route_bench" --zones 1 --terminals_per_zone 1) ;;
    A/nats-js) cmd=("$build/bench/nats_bench" --mode js) ;;
    B/nats-js) cmd=("$build/bench/nats_bench" --mode js --subscribe) ;;
    B/nats-js-ack) cmd=("$build/bench/nats_bench" --mode js --consumer) ;;
    B/nats-core) cmd=("$build/bench/nats_bench" --mode core) ;;
    A/mosquitto) cmd=("$build/bench/mosquitto_bench") ;;
    B/mosquitto) cmd=("$build/bench/mosquitto_bench" --subscribe) ;;
  esac
  if ! start_broker "$system" "$dir"; then
    log "round $round $scenario $system: broker failed to start"
    stop_broker
    echo "$round $scenario $system failed 1" >>"$results"
    return 0
  fi
  case "$system" in
    zc-*) cmd+=(--broker "tcp://127.0.0.1:$port" --alerts "$messages") ;;
    *) cmd+=(--port "$port" --messages "$messages" --timeout_s 110) ;;
  esac
  cmd+=(--window "$window" --body_bytes "$body")
  local rc=0
  timeout 120 "${cmd[@]}" >"$outf" 2>&1 || rc=$?
  stop_broker
  cp "$dir/broker.log" "$root/logs/$round-$scenario-$system.broker.log" 2>/dev/null || true
  rm -rf "$dir"
  if [ "$rc" -ne 0 ]; then
    log "round $round $scenario $system: FAILED (exit $rc): $(tail -3 "$outf" | tr '\n' ' ')"
    echo "$round $scenario $system failed 1" >>"$results"
    return 0
  fi
  # Normalize both output formats to metric=value pairs.
  local kv
  case "$system" in
    zc-*)
      kv="$(awk '/^published\+acked:/ { printf "acked_per_s=%s delivered_per_s=%s ", $2, $5 }
                 /latency us:/ { for (i = 1; i <= NF; ++i) { split($i, f, "=");
                   if (f[1] == "p50") printf "p50_us=%s ", f[2];
                   if (f[1] == "p99") printf "p99_us=%s ", f[2] } }' "$outf")"
      ;;
    *) kv="$(grep '^RESULT' "$outf" | cut -d' ' -f2-)" ;;
  esac
  local pair
  for pair in $kv; do
    case "$scenario/${pair%%=*}" in
      A/acked_per_s|B/delivered_per_s|B/p50_us|B/p99_us)
        echo "$round $scenario $system ${pair%%=*} ${pair#*=}" >>"$results" ;;
    esac
  done
  log "round $round $scenario $system: $kv"
}

# ----------------------------------------------------------------- header
{
  echo "# zonecast side by side — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r)"
  echo "- $("$build/bench/fsync_probe" --dir "$root" --count 200)"
  echo "- zonecast $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$repo" diff --quiet HEAD -- broker clients 2>/dev/null || echo ' (with local changes)'); $(nats-server --version 2>/dev/null || echo 'nats-server absent'); $({ mosquitto -h 2>/dev/null || true; } | head -1)"
  echo "- $rounds rounds x $messages messages of $body B, window $window, systems rotated each round"
} >"$root/header.md"
cat "$root/header.md" >&2

# ----------------------------------------------------------------- rounds
rotate() {  # rotate BY ITEMS...: the items rotated left by BY
  local by="$1"; shift
  local n=$#; local items=("$@") i
  for ((i = 0; i < n; ++i)); do echo "${items[$(((i + by) % n))]}"; done
}
started=$(date +%s)
for ((round = 1; round <= rounds; ++round)); do
  for s in $(rotate "$round" "${systems_a[@]}"); do run_one "$round" A "$s"; done
  for s in $(rotate "$round" "${systems_b[@]}"); do run_one "$round" B "$s"; done
done

# --------------------------------------------------------------- recovery
log "recovery_bench --records $records"
recovery_out="$root/logs/recovery.out"
if timeout 300 "$build/bench/recovery_bench" --records "$records" --runs 3 --body_bytes "$body" \
  --dir "$root/recovery" >"$recovery_out" 2>&1; then
  cat "$recovery_out" >&2
else
  log "recovery_bench FAILED: $(tail -3 "$recovery_out" | tr '\n' ' ')"
fi
rm -rf "$root/recovery"
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"
elapsed=$(($(date +%s) - started))

# ------------------------------------------------------------------ table
table() {
  cat "$root/header.md"
  echo "- load average (1/5/15 min): $load_start at start, $load_end at end; $elapsed s of measurement"
  echo
  echo "Medians over the rounds (min-max in brackets). Ratios are the median of the"
  echo "per-round ratios system/zonecast (same round, so machine drift cancels);"
  echo "a ratio above 1 means higher than zonecast: better for rates, worse for latencies."
  echo
  awk -v order="zc-batch zc-never nats-core nats-js nats-js-ack mosquitto" '
    function median(list,   a, n, i, j, t) {
      n = split(list, a, " ")
      for (i = 2; i <= n; ++i) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; --j) {
        t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
      if (n == 0) return ""
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function minmax(list,   a, n, i, lo, hi) {
      n = split(list, a, " "); lo = hi = a[1]
      for (i = 2; i <= n; ++i) { if (a[i] + 0 < lo + 0) lo = a[i]; if (a[i] + 0 > hi + 0) hi = a[i] }
      return fmt(lo) "-" fmt(hi)
    }
    function fmt(v) { return v >= 1000 ? sprintf("%d", v + 0.5) : sprintf("%.1f", v) }
    function ratio(s, m, ref,   r, list, x) {
      list = ""
      for (r in rounds) if ((r, sc, s, m) in val && (r, sc, ref, m) in val && val[r, sc, ref, m] > 0) {
        x = val[r, sc, s, m] / val[r, sc, ref, m]; list = list " " x }
      return list == "" ? "-" : sprintf("%.2f", median(list))
    }
    $4 == "failed" { failed[$2, $3]++; seen[$2, $3] = 1; next }
    { val[$1, $2, $3, $4] = $5; vals[$2, $3, $4] = vals[$2, $3, $4] " " $5; rounds[$1] = 1
      seen[$2, $3] = 1 }
    END {
      ns = split(order, sys, " ")
      title["A"] = "A. publish + ack, no subscriber (acks/s)"
      title["B"] = "B. publish -> one subscriber on the same topic"
      metrics["A"] = "acked_per_s"; metrics["B"] = "delivered_per_s p50_us p99_us"
      split("A B", scen, " ")
      for (k = 1; k <= 2; ++k) {
        sc = scen[k]
        printf "**%s**\n\n", title[sc]
        printf "| system | metric | median | [min-max] | ÷ zc-batch | ÷ zc-never | runs ok |\n"
        printf "|---|---|---:|---:|---:|---:|---:|\n"
        nm = split(metrics[sc], ms, " ")
        for (i = 1; i <= ns; ++i) {
          s = sys[i]
          if (!((sc, s) in seen)) continue
          for (j = 1; j <= nm; ++j) {
            m = ms[j]; list = vals[sc, s, m]
            n = split(list, tmp, " ")
            if (n == 0) { printf "| %s | %s | failed | | | | 0 (%d failed) |\n", s, m, failed[sc, s]; continue }
            printf "| %s | %s | %s | [%s] | %s | %s | %d%s |\n", s, m, fmt(median(list)), minmax(list),
              ratio(s, m, "zc-batch"), ratio(s, m, "zc-never"), n,
              failed[sc, s] ? sprintf(" (%d failed)", failed[sc, s]) : ""
          }
        }
        printf "\n"
      }
    }' "$results"
  echo "**C. zonecast journal recovery** (recovery_bench --records $records --runs 3)"
  echo
  echo '```'
  grep -E '^(wrote|run|broker start-up)' "$recovery_out" 2>/dev/null || echo "recovery_bench failed"
  echo '```'
}
table >"$root/table.md"
echo
cat "$root/table.md"
