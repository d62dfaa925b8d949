#!/usr/bin/env bash
# Soak and chaos: thousands of real patrol terminals, the center's alert
# bursts, and what goes wrong in a night: a stalled disk, the broker killed
# (-9) and every terminal reconnecting at once, lazy readers. Prints
# delivered/expected, heartbeat timeouts, the center's P1 PubAck p99 and
# the broker's peak RSS. See bench/README.md, "Soak".
#
#   bench/soak.sh                          # 10,000 terminals in 10 processes, 5 bursts, chaos on
#   bench/soak.sh --runs 5 --seed 7        # five runs, as the reliability target asks
#   bench/soak.sh --short                  # 200 terminals, 3 bursts, well under a minute (CI)
#
# Seeded: --seed picks when in the run the stall and the kill come. Bounded:
# every wait has a timeout, and --max_minutes ends a run that hangs.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/soak.sh [options]
  --terminals N    terminals in all (default 10000)
  --procs P        terminal processes (default 10)
  --bursts B       bursts of alerts from the center (default 5)
  --burst N        alerts per burst (default 1000)
  --runs R         runs, each with a fresh broker and data (default 1)
  --seed S         seeds the chaos timing (default 1)
  --no-chaos       no stall, no kill: load only
  --stall-s S      how long the disk stalls (default 10)
  --lazy-every K   every K-th terminal reads only every 2 s (default 50; 0: none)
  --floods N       hostile peers flooding bad frames and history requests
                   they never read (default 2; 0: none)
  --no-dispatch    the center on the terminals' endpoint (default: on the
                   broker's --dispatch_listen consoles' endpoint)
  --library        terminals as libzonecast Clients (three threads each; the
                   default speaks the wire protocol, many terminals per thread)
  --short          200 library terminals in 2 processes, 3 bursts of 1000,
                   a 3 s stall (CI)
  --build DIR      where the binaries are (default build-release, built first)
  --no-build       use DIR as it is
  --broker-args A  more zonecastd flags (one string, split on spaces)
  --terminal-args A  more soak_terminals flags (likewise)
  --out DIR        keep the logs and reports of each run in DIR
  --max_minutes M  give up a run after M minutes (default 20)
  -h, --help       this text
Exits 0 when every run delivered every acknowledged alert to every
terminal of its zone with no heartbeat timeout; 1 otherwise; 2 on bad flags.
EOF
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
terminals=10000 procs=10 bursts=5 burst=1000 runs=1 seed=1 chaos=1 stall_s=10 lazy_every=50
build="" do_build=1 out="" max_minutes=20 wire=1 broker_args="" terminal_args="" dispatch=1 floods=2
while [ $# -gt 0 ]; do
  case "$1" in
    --terminals) terminals="$2"; shift 2 ;;
    --procs) procs="$2"; shift 2 ;;
    --bursts) bursts="$2"; shift 2 ;;
    --burst) burst="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --no-chaos) chaos=0; shift ;;
    --no-dispatch) dispatch=0; shift ;;
    --stall-s) stall_s="$2"; shift 2 ;;
    --lazy-every) lazy_every="$2"; shift 2 ;;
    --floods) floods="$2"; shift 2 ;;
    --library) wire=0; shift ;;
    --short) terminals=200 procs=2 bursts=3 burst=1000 stall_s=3 wire=0; shift ;;
    --build) build="$2"; shift 2 ;;
    --no-build) do_build=0; shift ;;
    --broker-args) broker_args="$2"; shift 2 ;;
    --terminal-args) terminal_args="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --max_minutes) max_minutes="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "soak: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

if [ -z "$build" ]; then
  build="$repo/build-release"
  if [ "$do_build" = 1 ]; then
    log "building build-release"
    cmake --preset release >/dev/null
    cmake --build --preset release -j"$(nproc)" \
      --target zonecastd zonecast soak_terminals soak_center zonecast_stall_fsync >/dev/null
  fi
fi
for bin in broker/zonecastd clients/zonecast bench/soak_terminals bench/soak_center; do
  [ -x "$build/$bin" ] || { echo "soak: no $build/$bin (build it, or see --build)" >&2; exit 1; }
done
shim="$build/libzonecast_stall_fsync.so"
if [ "$chaos" = 1 ] && [ ! -f "$shim" ]; then
  echo "soak: no $shim for the disk stall (cmake --build ... --target zonecast_stall_fsync)" >&2
  exit 1
fi
# Every terminal is a connection (and a few descriptors) on both sides; a
# library terminal is also three threads in its process (the library's
# keeper, ZeroMQ's I/O and reaper threads).
ulimit -n "$(ulimit -Hn)"
if [ "$wire" = 0 ] && [ "$(cat /proc/sys/kernel/pid_max)" -lt $((terminals * 3 + 10000)) ]; then
  if [ -w /proc/sys/kernel/pid_max ]; then
    log "raising kernel.pid_max to 4194304 for $terminals terminals' threads"
    echo 4194304 >/proc/sys/kernel/pid_max
  else
    log "kernel.pid_max $(cat /proc/sys/kernel/pid_max) may be too low for $terminals terminals"
  fi
fi

keep_results() { cp -r "$root"/run-* "$out/" 2>/dev/null || true; }
extra_cleanup() {
  for pid in ${terminal_pids:-} ${center_pid:-}; do kill -KILL "$pid" 2>/dev/null || true; done
}
start_run soak
RANDOM=$seed

# start_broker: zonecastd on $port/$http_port with $data; the stall shim
# preloaded (it does nothing while $stall_file is absent).
start_broker() {
  rm -f "$run_dir/ready"
  local preload=""
  [ "$chaos" = 1 ] && preload="$shim"
  local lanes=()
  [ "$dispatch" = 1 ] && lanes=(--dispatch_listen "tcp://127.0.0.1:$dispatch_port")
  LD_PRELOAD="$preload" ZONECAST_STALL_FILE="$stall_file" \
    "$build/broker/zonecastd" --listen "tcp://127.0.0.1:$port" "${lanes[@]}" \
    --http "127.0.0.1:$http_port" \
    --data_dir "$data" --ready_file "$run_dir/ready" --log_level warning \
    --max_sessions $((terminals + 100)) $broker_args >>"$run_dir/broker.log" 2>&1 &
  broker_pid=$!
  for _ in $(seq 600); do
    grep -q '^zmq=' "$run_dir/ready" 2>/dev/null && return 0
    kill -0 "$broker_pid" 2>/dev/null || { log "zonecastd exited: $(tail -3 "$run_dir/broker.log")"; return 1; }
    sleep 0.1
  done
  log "zonecastd not ready in 60 s"
  return 1
}

# stat NAME: a counter or gauge of the running broker (0 if absent).
stat() {
  "$build/clients/zonecast" stats --http "http://127.0.0.1:$http_port" --json 2>/dev/null |
    grep -o "\"$1\":\"\\?[0-9]*" | head -1 | grep -o '[0-9]*$' || echo 0
}

# wait_for_line FILE REGEX DEADLINE: waits until FILE has a line matching
# REGEX, or until $SECONDS reaches DEADLINE (then false).
wait_for_line() {
  until grep -q "$2" "$1" 2>/dev/null; do
    [ "$SECONDS" -lt "$3" ] || { log "no '$2' in $1 in time"; return 1; }
    sleep 0.2
  done
}

# count_floods: adds the running broker's answers to the flooders (and to
# anyone else's bad frames) to the run's totals.
count_floods() {
  bad_frames=$((bad_frames + $(stat protocol_errors)))
  replies_dropped=$((replies_dropped + $(stat replies_dropped) + $(stat errors_unsent)))
  sessions_cut=$((sessions_cut + $(stat sessions_cut_unread_replies)))
}

# peak_rss: the running broker's peak resident set, in KiB.
peak_rss() { awk '/^VmHWM:/ {print $2}' "/proc/$broker_pid/status" 2>/dev/null || echo 0; }

run_once() {
  local run="$1"
  run_dir="$root/run-$run"
  mkdir -p "$run_dir"
  data="$run_dir/data" stall_file="$run_dir/stall"
  port="$(free_port)" http_port="$(free_port)" dispatch_port="$(free_port)"
  local center_endpoint="tcp://127.0.0.1:$port"
  [ "$dispatch" = 1 ] && center_endpoint="tcp://127.0.0.1:$dispatch_port"
  # Sessions a terminal gave up on before their Welcome came (a Hello
  # retried on a fresh socket) are closed unconfirmed, not timed out: no
  # live terminal's; they are counted apart.
  local timeouts=0 unconfirmed=0 rss=0 bad_frames=0 replies_dropped=0 sessions_cut=0 deadline=$((SECONDS + max_minutes * 60))
  start_broker || return 1

  log "run $run: connecting $terminals terminals in $procs processes"
  terminal_pids=""
  local per=$((terminals / procs)) k
  for k in $(seq 0 $((procs - 1))); do
    local count=$per
    [ "$k" = $((procs - 1)) ] && count=$((terminals - per * (procs - 1)))
    # Niced: on one small machine the simulated terminals (separate devices
    # in the field) would otherwise take the CPU the broker under test needs.
    nice -n 10 "$build/bench/soak_terminals" --broker "tcp://127.0.0.1:$port" --terminals "$count" \
      --first_index $((k * per)) --lazy_every "$lazy_every" --report "$run_dir/terminals-$k.txt" \
      --wire="$([ "$wire" = 1 ] && echo true || echo false)" --seed "$seed" $terminal_args \
      >"$run_dir/terminals-$k.log" 2>&1 &
    terminal_pids="$terminal_pids $!"
  done
  for k in $(seq 0 $((procs - 1))); do
    until grep -q '^connected' "$run_dir/terminals-$k.log" 2>/dev/null; do
      [ "$SECONDS" -lt "$deadline" ] || { log "terminals did not connect in time"; return 1; }
      sleep 0.5
    done
  done
  log "run $run: $(cat "$run_dir"/terminals-*.log | grep -h '^connected' | awk '{c += $2} END {print c}') connected; sessions $(stat sessions)"

  "$build/bench/soak_center" --broker "$center_endpoint" --bursts "$bursts" --burst "$burst" \
    --gap_ms 3000 --flooders "$floods" --flood_broker "tcp://127.0.0.1:$port" \
    --report "$run_dir/center.txt" --console_report "$run_dir/console.txt" \
    >"$run_dir/center.log" 2>&1 &
  center_pid=$!

  if [ "$chaos" = 1 ]; then
    # The stall while the second burst is published, the kill as the third
    # begins; the seed moves each by up to a second or two.
    wait_for_line "$run_dir/center.log" '^burst 1:' "$deadline" || return 1
    sleep "$(awk -v r=$((RANDOM % 100)) 'BEGIN {print 2 + r / 100}')"
    log "run $run: disk stalled for $stall_s s"
    : >"$stall_file"
    sleep "$stall_s"
    rm -f "$stall_file"
    log "run $run: disk back; heartbeat timeouts so far $(stat heartbeat_timeouts)"
    wait_for_line "$run_dir/center.log" '^burst 2:' "$deadline" || return 1
    sleep "$(awk -v r=$((RANDOM % 100)) 'BEGIN {print 3 + r / 100}')"
    timeouts=$((timeouts + $(stat heartbeat_timeouts)))
    unconfirmed=$((unconfirmed + $(stat sessions_unconfirmed)))
    count_floods
    rss=$(( $(peak_rss) > rss ? $(peak_rss) : rss ))
    log "run $run: kill -9 of the broker, restart on the same journal"
    kill -KILL "$broker_pid"
    wait "$broker_pid" 2>/dev/null || true
    broker_pid=""
    start_broker || return 1
  fi

  while kill -0 "$center_pid" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || { log "the center did not finish in time"; return 1; }
    sleep 1
  done
  wait "$center_pid" || log "run $run: the center gave up on some alerts (see center.txt)"
  center_pid=""
  # Let it settle: every terminal back (after the kill), then for three
  # seconds running no terminal being replayed, nothing queued and no copy
  # awaiting RECEIVED.
  local connected quiet=0
  connected=$(grep -h '^connected' "$run_dir"/terminals-*.log | awk '{c += $2} END {print c}')
  until [ "$(stat sessions)" -ge "$connected" ]; do
    [ "$SECONDS" -lt "$deadline" ] || { log "terminals did not all come back"; break; }
    sleep 1
  done
  while [ "$quiet" -lt 3 ] && [ "$SECONDS" -lt "$deadline" ]; do
    if [ "$(stat pending_acks)" = 0 ] && [ "$(stat sessions_replaying)" = 0 ] &&
      [ "$(stat queued_messages)" = 0 ]; then
      quiet=$((quiet + 1))
    else
      quiet=0
    fi
    sleep 1
  done
  timeouts=$((timeouts + $(stat heartbeat_timeouts)))
  unconfirmed=$((unconfirmed + $(stat sessions_unconfirmed)))
  count_floods
  rss=$(( $(peak_rss) > rss ? $(peak_rss) : rss ))
  # The broker's own view (PubAck latency per priority from the frame's
  # read, queues, drops), kept beside the run's reports.
  "$build/clients/zonecast" stats --http "http://127.0.0.1:$http_port" >"$run_dir/broker-stats.txt" 2>&1 || true
  kill -TERM $terminal_pids 2>/dev/null || true
  for pid in $terminal_pids; do wait "$pid" 2>/dev/null || true; done
  terminal_pids=""
  stop_broker

  # The flooders' own sessions may time out too (they are read one frame
  # in a round of all peers, and never read): no terminal's, so apart.
  local flood_timeouts
  flood_timeouts=$(grep -c 'unit soak-flood-[0-9]* missed' "$run_dir/broker.log" || true)
  timeouts=$((timeouts - flood_timeouts))

  # delivered/expected: each acknowledged alert, to every connected
  # terminal of its zone.
  local summary
  summary=$(awk '
    FNR == 1 { file++ }
    $1 == "zone" { zone_terminals[$2] += $3 }
    $1 == "alert" { got[$2] += $4 }
    $1 == "lost" { lost += $2 }
    $1 == "published" { if (!($2 in published)) count++; published[$2] = $3 }
    $1 == "failed" { failed++ }
    END {
      for (id in published) { expected += zone_terminals[published[id]]; delivered += got[id] }
      printf "%d %d %d %d %d", delivered, expected, lost, failed, count
    }' "$run_dir"/terminals-*.txt "$run_dir/center.txt")
  read -r delivered expected lost failed published <<<"$summary"
  # P1 PubAck p99 of the first burst (no chaos yet) and over the whole run.
  local p1
  p1="P1 PubAck p99: burst publisher $(grep -o '^burst 1:.*p99_ms=[0-9.]*' "$run_dir/center.log" | grep -o '[0-9.]*$' || echo '?') ms in burst 1 (before any chaos), $(grep -o 'puback P1 .*p99_ms=[0-9.]*' "$run_dir/center.log" | grep -o '[0-9.]*$' || echo '?') ms over the run; lone console $(grep -o 'console P1 .*p99_ms=[0-9.]*' "$run_dir/center.log" | grep -o '[0-9.]*$' || echo '?') ms over the run (stall and restart included)"
  printf 'run %d: delivered %d of %d (%s%%), alerts acknowledged %d, never acknowledged %d, heartbeat timeouts %d (and %d sessions abandoned before their Welcome, closed unconfirmed), session losses seen by terminals %d, %s, floods: %d bad frames answered, %d unread answers dropped, %d sessions cut for unread replies, %d flooder sessions timed out, broker peak RSS %d MiB\n' \
    "$run" "$delivered" "$expected" \
    "$(awk -v d="$delivered" -v e="$expected" 'BEGIN {printf "%.2f", e ? 100 * d / e : 0}')" \
    "$published" "$failed" "$timeouts" "$unconfirmed" "$lost" "$p1" \
    "$bad_frames" "$replies_dropped" "$sessions_cut" "$flood_timeouts" $((rss / 1024)) |
    tee -a "$root/summary.txt"
  [ "$delivered" = "$expected" ] && [ "$expected" -gt 0 ] && [ "$timeouts" = 0 ] && [ "$failed" = 0 ]
}

status=0
for run in $(seq "$runs"); do
  run_once "$run" || status=1
done
cat "$root/summary.txt" 2>/dev/null || true
exit "$status"
