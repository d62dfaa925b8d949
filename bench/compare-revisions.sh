#!/usr/bin/env bash
# Before/after benchmark of zonecast itself: the broker, client library and
# driver of a base revision against those of the working tree, on the
# zonecast workloads of run-side-by-side.sh, in one run on this machine, on
# loopback only. See bench/README.md.
#
#   bench/compare-revisions.sh --base 74136be          # 5 rounds x 200,000 alerts
#   bench/compare-revisions.sh --base HEAD~3 --quick   # 2 rounds x 20,000, a smoke test
#
# Workloads (route_bench, one zone, window 256, 256 B bodies):
#   A  publish + durable PubAck, no subscriber      (--fsync=batch and never)
#   B  publish -> one terminal, RECEIVED acks       (--fsync=batch and never)
# Each revision is built with the release preset (base: in a git worktree
# under the temp dir). Every measurement gets a fresh broker and data dir;
# within a round the two revisions run in alternating order, so a slow
# patch of a shared machine does not always land on the same one. The table
# reports medians, min-max, and the median of the per-round ratios
# after / base. Everything started is stopped, and the temp dir removed, on
# exit, error or interrupt.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/compare-revisions.sh --base REV [options]
  --base REV          the revision to compare the working tree with (required)
  --rounds R          measurements per revision and workload (default 5)
  --messages N        alerts per measurement (default 200000)
  --quick             2 rounds, 20000 alerts
  --wait-quiet SECS   first wait up to SECS for the 1-minute load average to
                      drop below 1.5 (default 0: do not wait)
  --no-build          use build-release as it is for the working tree
  --out DIR           also keep results.tsv, table.md and the run logs in DIR
EOF
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
base="" rounds=5 messages=200000 wait_quiet=0 do_build=1 out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --messages) messages="$2"; shift 2 ;;
    --quick) rounds=2 messages=20000; shift ;;
    --wait-quiet) wait_quiet="$2"; shift 2 ;;
    --no-build) do_build=0; shift ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare-revisions: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
[ -n "$base" ] || { echo "compare-revisions: --base REV is required" >&2; usage >&2; exit 2; }
base_commit="$(git -C "$repo" rev-parse --verify "$base^{commit}")" ||
  { echo "compare-revisions: no such revision '$base'" >&2; exit 2; }

# shellcheck source=bench/lib.sh
source "$here/lib.sh"
keep_results() {
  cp -r "$root/logs" "$out/" 2>/dev/null || true
  cp "$root/results.tsv" "$root/table.md" "$out/" 2>/dev/null || true
}
extra_cleanup() { git -C "$repo" worktree remove --force "$root/base-src" >/dev/null 2>&1 || true; }
start_run cmp
results="$root/results.tsv"
: >"$results"

# ------------------------------------------------------------------ build
# build_release SRC BUILD_DIR LABEL: the release preset's broker and driver.
build_release() {
  local src="$1" dir="$2" label="$3"
  log "building $label (release) in $dir"
  (cmake -S "$src" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DZONECAST_BUILD_TESTS=OFF \
     >"$root/logs/build-$label.log" 2>&1 &&
   cmake --build "$dir" -j2 --target zonecastd route_bench >>"$root/logs/build-$label.log" 2>&1) ||
    { tail -30 "$root/logs/build-$label.log" >&2; echo "compare-revisions: build failed" >&2; exit 1; }
}
git -C "$repo" worktree add --detach "$root/base-src" "$base_commit" >/dev/null 2>&1
build_release "$root/base-src" "$root/base-build" "base"
[ "$do_build" -eq 0 ] || build_release "$repo" "$repo/build-release" "after"
declare -A bin_dir=([base]="$root/base-build" [after]="$repo/build-release")
for rev in base after; do
  for t in broker/zonecastd bench/route_bench; do
    [ -x "${bin_dir[$rev]}/$t" ] || { echo "compare-revisions: ${bin_dir[$rev]}/$t missing" >&2; exit 1; }
  done
done

wait_for_quiet 1.5 "$wait_quiet"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"

# --------------------------------------------------------------- brokers

# run_one ROUND REV WORKLOAD FSYNC: one measurement, appended to results.tsv.
run_one() {
  local round="$1" rev="$2" workload="$3" fsync="$4"
  local name="$round-$rev-$workload-$fsync"
  broker_args=(--http "127.0.0.1:$(free_port)" --fsync="$fsync")
  driver_args=()
  route_bench_run "${bin_dir[$rev]}" "$root/run/$name" "$root/logs/$name.out" "$round" "$rev" \
    "$workload-$fsync" "$messages"
}

# ------------------------------------------------------------------- runs
for round in $(seq "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then order=(base after); else order=(after base); fi
  for workload in A B; do
    for fsync in batch never; do
      for rev in "${order[@]}"; do
        run_one "$round" "$rev" "$workload" "$fsync"
      done
    done
  done
  log "round $round of $rounds done"
done
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"

# ------------------------------------------------------------------ table
{
  echo "base $(git -C "$repo" rev-parse --short "$base_commit") vs working tree" \
       "$(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff HEAD --quiet || echo '+changes');" \
       "$rounds rounds x $messages alerts; load average $load_start at start, $load_end at end."
  echo "Medians over the rounds [min-max]; after/base is the median of the per-round ratios."
  echo
  echo "| workload | metric | base | after | after/base | runs ok (base, after) |"
  echo "|---|---|---|---|---|---|"
  ratio_table "$results" "$rounds" base after
} >"$root/table.md"
cat "$root/table.md"
