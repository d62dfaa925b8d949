#!/usr/bin/env bash
# The Jincheng night in one command: a real zonecastd, the center with
# several operators, 10 patrol groups of 10 terminals, a probe, officers who
# accept after human-like delays or never answer, terminals dropping off the
# mobile network, one kill -9 of the broker in the middle; then a report
# (text, and HTML with gnuplot's plots) with every alert accounted for.
# See bench/README.md, "The Jincheng night".
#
#   bench/jincheng-night.sh                       # 10 simulated minutes at 10x: about 70 s
#   bench/jincheng-night.sh --seed 7 --out /tmp/night
#   bench/jincheng-night.sh --minutes 60 --speed 20
#
# Installs what it needs from Debian (the build's packages and gnuplot-nox)
# when missing, builds the release
# broker and the driver (bench/jincheng_night.cc), and passes its options
# on. Exit 0 when every P1 was accepted or escalated within its deadline
# + 1 s and every alert is accounted for; 1 otherwise; 2 on bad options.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
out="$repo/build-release/jincheng-night"
build="$repo/build-release"
do_build=1
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --no-build) do_build=0; shift ;;
    -h|--help)
      cat <<'USAGE'
usage: bench/jincheng-night.sh [--out DIR] [--build DIR] [--no-build] [driver options]
  --out DIR      the report, the samples and the broker's data and log
                 (default build-release/jincheng-night)
  --build DIR    where the release binaries are built (default build-release)
  --no-build     use DIR as it is
driver options (jincheng_night --help): --seed N, --minutes M, --speed S,
  --units N, --operators N, --incident_every_s S, --kill_at F,
  --silent_share F, --drop_every_s S, --p1_units N
USAGE
      exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done

"$repo/deploy/install-packages.sh" jincheng-night gnuplot-nox >&2
if [ "$do_build" = 1 ]; then
  "$repo/deploy/install-deps.sh" >&2
  echo "jincheng-night: building the release broker and the driver" >&2
  (cd "$repo" && cmake --preset release >/dev/null &&
    cmake --build --preset release -j"$(nproc)" --target zonecastd jincheng_night >/dev/null)
fi
for bin in broker/zonecastd bench/jincheng_night; do
  [ -x "$build/$bin" ] || { echo "jincheng-night: no $build/$bin (build it, or see --build)" >&2; exit 1; }
done
ulimit -n "$(ulimit -Hn)"
exec "$build/bench/jincheng_night" --zonecastd "$build/broker/zonecastd" \
  --zones "$repo/deploy/zones/jincheng.json" --out "$out" "${args[@]}"
