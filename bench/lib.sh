# shellcheck shell=bash
# Shell helpers shared by the benchmark scripts (sourced, not run):
# run-side-by-side.sh, compare-revisions.sh, curve-cost.sh, scrape-overhead.sh,
# restart-time.sh and soak.sh.

# log MESSAGE...: a time-stamped line on stderr.
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# stop_broker: SIGTERM the broker in $broker_pid, SIGKILL after 5 s, reap it
# and clear broker_pid. A no-op when none runs.
stop_broker() {
  [ -n "$broker_pid" ] || return 0
  if kill -0 "$broker_pid" 2>/dev/null; then
    kill -TERM "$broker_pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$broker_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$broker_pid" 2>/dev/null || true
  fi
  wait "$broker_pid" 2>/dev/null || true
  broker_pid=""
}

# wait_for_quiet LOAD SECONDS: waits (up to SECONDS, checking every 15 s)
# until the 1-minute load average is below LOAD. A shared machine's other
# work would otherwise be measured too.
wait_for_quiet() {
  local below="$1" max="$2" waited=0
  [ "$max" -gt 0 ] || return 0
  while awk -v limit="$below" '{exit !($1 >= limit)}' /proc/loadavg && [ "$waited" -lt "$max" ]; do
    log "load average $(cut -d' ' -f1-3 /proc/loadavg): waiting for < $below ($waited/$max s)"
    sleep 15
    waited=$((waited + 15))
  done
}

# free_port: a TCP port on 127.0.0.1 that no socket uses now. Drawn below
# the kernel's ephemeral range, where thousands of client connections (the
# soak's terminals, and those still closing) take their local ports.
free_port() {
  local p low
  low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  while :; do
    p=$((10000 + RANDOM % (low - 10000)))
    [ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ] && { echo "$p"; return; }
  done
}

# start_run NAME: makes $root (a temp dir, with $root/logs) and arms the
# clean-up for exit, error or interrupt: stop the broker, let the script's
# keep_results copy what it keeps into $out (when --out was given), run its
# extra_cleanup if it has one, remove $root, exit with the script's status.
start_run() {
  root="$(mktemp -d "${TMPDIR:-/var/tmp}/zonecast-$1-XXXXXX")"
  broker_pid=""
  mkdir -p "$root/logs"
  trap finish_run EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

finish_run() {
  local status=$?
  trap - EXIT INT TERM
  stop_broker
  if [ -n "${out:-}" ] && [ -d "$root" ]; then
    mkdir -p "$out"
    keep_results
  fi
  if declare -F extra_cleanup >/dev/null; then extra_cleanup; fi
  rm -rf "$root"
  exit "$status"
}

# route_bench_run BIN DIR OUT ROUND LABEL WORKLOAD MESSAGES: one measurement
# of a side-by-side run. Starts BIN's zonecastd on a free port with its data
# in DIR and the extra flags of the array broker_args, runs BIN's
# route_bench (one zone, window 256, 256 B bodies; workload A...: no
# subscriber, B...: one terminal) with the extra flags of driver_args and
# its output in OUT, stops the broker, and appends "ROUND LABEL WORKLOAD
# METRIC VALUE" lines to $results (a "failed" line if the driver failed).
route_bench_run() {
  local bin="$1" dir="$2" out_file="$3" round="$4" label="$5" workload="$6" messages="$7" port
  mkdir -p "$dir"
  port="$(free_port)"
  "$bin/broker/zonecastd" --listen "tcp://127.0.0.1:$port" --data_dir "$dir/data" \
    --log_level warning --ready_file "$dir/ready" "${broker_args[@]}" >"$dir/broker.log" 2>&1 &
  broker_pid=$!
  for _ in $(seq 100); do
    grep -q '^zmq=' "$dir/ready" 2>/dev/null && break
    sleep 0.1
  done
  local terminals=0 rc=0
  [ "${workload:0:1}" = B ] && terminals=1
  timeout 120 "$bin/bench/route_bench" --broker "tcp://127.0.0.1:$port" --zones 1 \
    --terminals_per_zone "$terminals" --alerts "$messages" --window 256 --body_bytes 256 \
    "${driver_args[@]}" >"$out_file" 2>&1 || rc=$?
  stop_broker
  if [ "$rc" -ne 0 ]; then
    log "round $round $label $workload: failed (exit $rc): $(tail -1 "$out_file")"
    echo "$round $label $workload failed 1" >>"$results"
    return 0
  fi
  awk -v r="$round" -v l="$label" -v w="$workload" '
    /^published\+acked:/ { print r, l, w, "acked_per_s", $2; print r, l, w, "delivered_per_s", $5 }
    /^publish->terminal latency us:/ {
      for (i = 4; i <= NF; ++i) { split($i, kv, "="); print r, l, w, kv[1] "_us", kv[2] }
    }' "$out_file" >>"$results"
  rm -rf "$dir"
}

# ratio_table RESULTS ROUNDS A B: the markdown rows (sorted) of a side-by-side
# run whose RESULTS lines are "ROUND LABEL WORKLOAD METRIC VALUE" (or
# "ROUND LABEL WORKLOAD failed 1"), LABEL being A or B: per workload and
# metric the medians [min-max] of A and of B, the median of the per-round
# ratios B/A, and how many runs of each succeeded.
ratio_table() {
  awk -v rounds="$2" -v A="$3" -v B="$4" '
    function median(list,   a, n, i, j, t) {
      n = split(list, a, " ")
      for (i = 2; i <= n; ++i) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; --j) {
        t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
      }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function minmax(list,   a, n, i, lo, hi) {
      n = split(list, a, " "); lo = a[1]; hi = a[1]
      for (i = 2; i <= n; ++i) { if (a[i] + 0 < lo + 0) lo = a[i]; if (a[i] + 0 > hi + 0) hi = a[i] }
      return sprintf("%.0f-%.0f", lo, hi)
    }
    $4 == "failed" { failed[$2 " " $3]++; next }
    {
      key = $3 " " $4; seen[key] = 1
      vals[$2 " " key] = vals[$2 " " key] " " $5
      value[$1 " " $2 " " key] = $5
      ok[$2 " " $3 " " $1] = 1
    }
    END {
      for (key in seen) {
        split(key, k, " ")
        ratios = ""
        for (r = 1; r <= rounds; ++r) {
          b = value[r " " A " " key]; a = value[r " " B " " key]
          if (b != "" && a != "" && b + 0 > 0) ratios = ratios " " a / b
        }
        nb = 0; na = 0
        for (r = 1; r <= rounds; ++r) { nb += ok[A " " k[1] " " r]; na += ok[B " " k[1] " " r] }
        printf "| %s | %s | %.0f [%s] | %.0f [%s] | %s | %d, %d |\n", k[1], k[2],
               median(vals[A " " key]), minmax(vals[A " " key]),
               median(vals[B " " key]), minmax(vals[B " " key]),
               ratios == "" ? "-" : sprintf("%.3f", median(ratios)), nb, na
      }
    }' "$1" | sort
}
