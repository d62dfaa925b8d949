#!/usr/bin/env bash
# The wall under load: a release zonecastd with the Jincheng zones and
# outlines, 1,000 wire terminals (one soak_terminals process) each sending a
# radio POSITION about every 3 s while walking its zone, 100 open alerts at
# places in the zones and one more every second, and the wall open in
# headless Chromium (bench/wall_load.py) measuring frame gaps, long tasks,
# the page's own main-thread time and how fast a clicked alert's timeline
# shows. See bench/README.md, "The wall under load".
#
#   bench/wall-load.sh [--units 1000] [--alerts 100] [--seconds 10] [--no-build]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

units=1000 alerts=100 seconds=10 do_build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --units) units="$2"; shift 2 ;;
    --alerts) alerts="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --no-build) do_build=0; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "wall-load: unknown option $1" >&2; exit 2 ;;
  esac
done

build="$repo/build-release"
"$repo/deploy/install-packages.sh" wall-load chromium chromium-driver python3-selenium
if [ "$do_build" = 1 ]; then
  log "building build-release"
  (cd "$repo" && cmake --preset release >/dev/null &&
    cmake --build --preset release -j"$(nproc)" --target zonecastd zonecast soak_terminals >/dev/null)
fi

start_run wall-load
keep_results() { :; }
extra_cleanup() { [ -n "${terminals_pid:-}" ] && kill -TERM "$terminals_pid" 2>/dev/null; true; }
token="$(head -c 18 /dev/urandom | base64 | tr -dc 'a-zA-Z0-9')"
echo "$token" >"$root/token"
port=$(free_port)
"$build/broker/zonecastd" --listen "tcp://127.0.0.1:$port" --http 127.0.0.1:0 \
  --http_token_file "$root/token" --zones "$repo/deploy/zones/jincheng.json" \
  --data_dir "$root/data" --ready_file "$root/ready" >"$root/logs/broker.log" 2>&1 &
broker_pid=$!
for _ in $(seq 100); do grep -q '^zmq=' "$root/ready" 2>/dev/null && break; sleep 0.1; done
http=$(sed -n 's/^http=//p' "$root/ready")
broker="tcp://127.0.0.1:$port"
log "broker on $broker, wall on http://$http/wall"

log "connecting $units terminals, each reporting its position about every 3 s"
nice -n 10 "$build/bench/soak_terminals" --wire --broker "$broker" --terminals "$units" \
  --position_every_ms 3000 --duration_s 600 >"$root/logs/terminals.log" 2>&1 &
terminals_pid=$!

# An alert at a place inside zone z (0..9) of the outlines' 2 x 5 grid.
publish() {
  local n="$1" z=$(( $1 % 10 ))
  local lat lon
  lat=$(awk -v z="$z" -v r="$RANDOM" 'BEGIN {printf "%.5f", (z < 5 ? 35.515 : 35.485) - 0.006 - r / 32768 * 0.018}')
  lon=$(awk -v z="$z" -v r="$RANDOM" 'BEGIN {printf "%.5f", 112.80 + 0.02 * (z % 5) + 0.004 + r / 32768 * 0.012}')
  "$build/clients/zonecast" publish --broker "$broker" --topic "alert.jincheng.z$(printf %02d $((z + 1)))" \
    --priority P4 --title "Routine check $n" --lat "$lat" --lon "$lon" --id "load-$n" >/dev/null
}
log "publishing $alerts open alerts"
for n in $(seq "$alerts"); do publish "$n"; done
( n=$alerts; while sleep 1; do n=$((n + 1)); publish "$n" || exit 0; done ) &
publisher_pid=$!
extra_cleanup() {
  kill -TERM "$publisher_pid" "$terminals_pid" 2>/dev/null || true
}

/usr/bin/python3 "$here/wall_load.py" "http://$http/wall#token=$token" --units "$units" \
  --alerts "$alerts" --seconds "$seconds"
