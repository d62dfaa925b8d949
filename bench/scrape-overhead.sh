#!/usr/bin/env bash
# Monitoring overhead: does scraping zonecastd's /metrics every 100 ms slow
# the routing loop? The bar: throughput with the scrapes stays within
# 5% of throughput without them. See bench/README.md, "Monitoring overhead".
#
#   bench/scrape-overhead.sh              # builds build-release, 5 + 5 rounds x 200,000 alerts
#   bench/scrape-overhead.sh --no-build --rounds 3 --alerts 50000   # a quicker look
#
# Each round runs route_bench (10 zones, 1 terminal per zone: delivery,
# RECEIVED acks and latency tracking all active) against a broker, either
# without scraping (A) or with route_bench's scraper GETting /metrics (or
# --path) every --interval-ms during the measured phase (B). It prints every round, the
# medians of A and B, B/A as a percentage, and the scrapes' statistics.
#
# Every round gets a fresh zonecastd with an empty data directory. With one
# broker for all rounds, each round would start from a longer journal, a
# fuller dedup window (200,000 more alert ids per round, kept 10 minutes) and
# more history; rounds would then differ by their position, not only by A/B.
# The order is A B B A A B B A ...: machine noise and slow drifts (other
# builds starting or stopping) fall on A and B alike, and a linear drift
# cancels over each A B B A quartet, which a plain A B A B ... would not do.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/scrape-overhead.sh [options]
  --rounds N          rounds of each of A (no scraping) and B (scraping) (default 5)
  --alerts N          alerts per round (default 200000)
  --interval-ms N     scrape period of B, fixed rate (default 100)
  --path P            what B scrapes (default /metrics; /healthz, which the
                      core loop never sees, is a control for the harness)
  --fsync never|batch zonecastd --fsync (default never: measure the routing
                      loop, not the disk)
  --wait-quiet SECS   first wait up to SECS for the 1-minute load average to
                      drop below 0.5 (default 0: do not wait)
  --out DIR           keep each round's route_bench output, the broker logs
                      and summary.txt in DIR
  --no-build          do not (re)build build-release
  -h, --help          this text
Exits non-zero if a round fails or a B round made no successful scrape.
EOF
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
build="$repo/build-release"
rounds=5 alerts=200000 interval_ms=100 path=/metrics fsync=never wait_quiet=0 out="" do_build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --alerts) alerts="$2"; shift 2 ;;
    --interval-ms) interval_ms="$2"; shift 2 ;;
    --path) path="$2"; shift 2 ;;
    --fsync) fsync="$2"; shift 2 ;;
    --wait-quiet) wait_quiet="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --no-build) do_build=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "scrape-overhead: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
case "$fsync" in never|batch) ;; *) echo "scrape-overhead: --fsync never|batch" >&2; exit 2 ;; esac
case "$path" in /*) ;; *) echo "scrape-overhead: --path must start with /" >&2; exit 2 ;; esac
for n in "$rounds" "$alerts" "$interval_ms" "$wait_quiet"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "scrape-overhead: '$n' is not a number" >&2; exit 2; }
done
if [ "$rounds" -lt 1 ] || [ "$interval_ms" -lt 1 ]; then
  echo "scrape-overhead: --rounds and --interval-ms must be at least 1" >&2
  exit 2
fi

# ---------------------------------------------------------------- clean-up
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
keep_results() { cp -r "$root/logs/." "$out/" 2>/dev/null || true; }
start_run scrape


# ------------------------------------------------------------------ build
if [ "$do_build" -eq 1 ]; then
  log "building zonecastd and route_bench in $build"
  (cd "$repo" && cmake --preset release >/dev/null &&
    ninja -C build-release -j2 route_bench zonecastd >"$root/logs/build.log" 2>&1) ||
    { tail -30 "$root/logs/build.log" >&2; echo "scrape-overhead: build failed" >&2; exit 1; }
fi
for t in broker/zonecastd bench/route_bench; do
  [ -x "$build/$t" ] || { echo "scrape-overhead: $build/$t missing (build first)" >&2; exit 1; }
done

# ---------------------------------------------------------- quiet machine
wait_for_quiet 0.5 "$wait_quiet"

# ----------------------------------------------------------------- broker
# start_broker DIR: a fresh zonecastd on free loopback ports (ZeroMQ and
# HTTP) with its data in DIR; sets broker_pid, zmq_ep and http_ep once the
# ready file names both (the zmq= line appears only after recovery, when
# the broker serves).
start_broker() {
  local dir="$1"
  mkdir -p "$dir"
  "$build/broker/zonecastd" --listen 'tcp://127.0.0.1:*' --http 127.0.0.1:0 \
    --data_dir "$dir/data" --fsync="$fsync" --log_level warning \
    --ready_file "$dir/ready" >"$dir/broker.log" 2>&1 &
  broker_pid=$!
  for _ in $(seq 200); do
    kill -0 "$broker_pid" 2>/dev/null || { cat "$dir/broker.log" >&2; return 1; }
    if grep -q '^zmq=' "$dir/ready" 2>/dev/null; then
      zmq_ep="$(sed -n 's/^zmq=//p' "$dir/ready")"
      http_ep="$(sed -n 's/^http=//p' "$dir/ready")"
      [ -n "$zmq_ep" ] && [ -n "$http_ep" ] && return 0
    fi
    sleep 0.05
  done
  echo "scrape-overhead: zonecastd did not become ready in 10 s" >&2
  return 1
}

# run_round INDEX MODE: one route_bench run against a fresh broker; appends
# "mode alerts_per_s deliveries_per_s [ok failed p50_ms max_ms body_bytes]"
# to results.tsv.
results="$root/results.tsv"
: >"$results"
run_round() {
  local index="$1" mode="$2"
  local name
  name="$(printf '%02d-%s' "$index" "$mode")"
  local dir="$root/run/$name" outf="$root/logs/$name.out"
  start_broker "$dir" || { echo "scrape-overhead: round $name: broker failed" >&2; return 1; }
  local cmd=("$build/bench/route_bench" --broker "$zmq_ep" --alerts "$alerts"
    --terminals_per_zone 1 --zones 10)
  [ "$mode" = B ] &&
    cmd+=(--scrape_url "http://$http_ep$path" --scrape_interval_ms "$interval_ms")
  local rc=0
  timeout 600 "${cmd[@]}" >"$outf" 2>&1 || rc=$?
  stop_broker
  cp "$dir/broker.log" "$root/logs/$name.broker.log" 2>/dev/null || true
  rm -rf "$dir"
  if [ "$rc" -ne 0 ]; then
    echo "scrape-overhead: round $name: route_bench exit $rc: $(tail -3 "$outf" | tr '\n' ' ')" >&2
    return 1
  fi
  # "published+acked: X alerts/s   delivered: Y deliveries/s" and
  # "scrapes: N ok, M failed, p50 X ms, max Y ms, body Z bytes".
  local line
  line="$(awk '/^published\+acked:/ { rate = $2 " " $5 }
               /^scrapes:/ { gsub(",", ""); scr = " " $2 " " $4 " " $7 " " $10 " " $13 }
               END { print rate scr }' "$outf")"
  [ -n "$line" ] || { echo "scrape-overhead: round $name: no result in $outf" >&2; return 1; }
  echo "$mode $line" >>"$results"
  local fields
  read -r -a fields <<<"$line"
  set -- "${fields[@]}"
  if [ "$mode" = B ]; then
    log "round $index B: $1 alerts/s, $2 deliveries/s; scrapes: $3 ok, $4 failed, p50 $5 ms, max $6 ms, body $7 B"
    if [ "${3:-0}" -eq 0 ]; then
      echo "scrape-overhead: round $name scraped nothing: $(grep -v '^publish' "$outf" | tr '\n' ' ')" >&2
      return 1
    fi
    [ "${4:-0}" -eq 0 ] || log "round $index B: $4 scrapes failed (see $name.out)"
  else
    log "round $index A: $1 alerts/s, $2 deliveries/s"
  fi
}

# ----------------------------------------------------------------- header
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
{
  echo "# zonecastd scrape overhead ($path) — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r)"
  echo "- zonecast $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$repo" diff --quiet HEAD -- broker clients bench 2>/dev/null || echo ' (with local changes)'), zonecastd --fsync=$fsync"
  echo "- $rounds rounds each of A (no scraping) and B (GET $path every $interval_ms ms), order A B B A ..., fresh broker per round"
  echo "- route_bench --alerts $alerts --zones 10 --terminals_per_zone 1 (window 256, 256 B bodies)"
} >"$root/header.txt"
cat "$root/header.txt" >&2

started=$(date +%s)
for ((i = 1; i <= rounds; ++i)); do
  if [ $((i % 2)) -eq 1 ]; then order="A B"; else order="B A"; fi
  for mode in $order; do run_round "$i" "$mode"; done
done
elapsed=$(($(date +%s) - started))
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- summary
summary() {
  cat "$root/header.txt"
  echo "- load average (1/5/15 min): $load_start at start, $load_end at end; $elapsed s"
  echo
  awk '
    function median(list,   a, n, i, j, t) {
      n = split(list, a, " ")
      for (i = 2; i <= n; ++i) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; --j) {
        t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function minmax(list,   a, n, i, lo, hi) {
      n = split(list, a, " "); lo = hi = a[1]
      for (i = 2; i <= n; ++i) { if (a[i] + 0 < lo + 0) lo = a[i]; if (a[i] + 0 > hi + 0) hi = a[i] }
      return lo "-" hi
    }
    { n[$1]++; alerts[$1, n[$1]] = $2; deliv[$1, n[$1]] = $3
      la[$1] = la[$1] " " $2; ld[$1] = ld[$1] " " $3
      if ($1 == "B") { ok += $4; failed += $5; p50s = p50s " " $6
                       if ($7 + 0 > maxms) maxms = $7 + 0; body = $8 } }
    END {
      printf "round   A alerts/s  A deliveries/s   B alerts/s  B deliveries/s   B/A deliveries\n"
      for (i = 1; i <= n["A"] || i <= n["B"]; ++i) {
        ratio = "-"
        if (deliv["A", i] > 0 && deliv["B", i] != "") {
          ratio = sprintf("%.1f%%", 100 * deliv["B", i] / deliv["A", i])
          pr = pr " " deliv["B", i] / deliv["A", i]
          pra = pra " " alerts["B", i] / alerts["A", i]
        }
        printf("%5d %12s %15s %12s %15s %16s\n", i, alerts["A", i], deliv["A", i],
          alerts["B", i], deliv["B", i], ratio)
      }
      ma = median(la["A"]); mb = median(la["B"]); da = median(ld["A"]); db = median(ld["B"])
      printf "\n"
      printf "alerts/s      median A %.0f [%s], median B %.0f [%s], B/A %.1f%% (median of round ratios %.1f%%)\n",
        ma, minmax(la["A"]), mb, minmax(la["B"]), 100 * mb / ma, 100 * median(pra)
      printf "deliveries/s  median A %.0f [%s], median B %.0f [%s], B/A %.1f%% (median of round ratios %.1f%%)\n",
        da, minmax(ld["A"]), db, minmax(ld["B"]), 100 * db / da, 100 * median(pr)
      printf "scrapes (B rounds): %d ok, %d failed, p50 %.2f ms (median of the rounds), max %.2f ms, body %d bytes\n",
        ok, failed, median(p50s), maxms, body
      verdict = "NO"
      if (100 * db / da >= 95 && 100 * mb / ma >= 95) verdict = "yes"
      printf("within 5%% (both medians): %s\n", verdict)
    }' "$results"
}
summary >"$root/logs/summary.txt"
echo
cat "$root/logs/summary.txt"
