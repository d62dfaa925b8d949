#!/usr/bin/env bash
# The tests again under the sanitizers (CI runs this after run-tests.sh,
# which installs what both need):
#  - every unit and integration test, and the fuzz replays, built with
#    AddressSanitizer and UBSan (preset asan: any finding fails the test);
#  - the threaded parts under ThreadSanitizer (preset tsan): the client
#    library's keeper thread against the caller, and the broker's journal
#    writer, history reader, HTTP thread and core loop, through the
#    integration tests that drive them. Debian's libzmq is not built with
#    TSan, so races inside it are suppressed (tests/tsan.supp).
#
#   deploy/run-sanitizer-tests.sh [asan|tsan]    (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-both}

TMPDIR="$(mktemp -d "${TMPDIR:-/tmp}/zonecast-sanitizers.XXXXXX")"
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
export ZONECAST_REQUIRE_PROMTOOL=1 ZONECAST_REQUIRE_CLANG=1 ZONECAST_REQUIRE_SYSTEMD_ANALYZE=1

if [ "$which" = asan ] || [ "$which" = both ]; then
  echo "== AddressSanitizer + UBSan: every test"
  cmake --preset asan >/dev/null
  cmake --build build-asan --parallel "$(nproc)"
  # Leaks are reported at exit and fail the test; a test that kills the
  # broker -9 leaves no report from it. The package test builds a consumer
  # without the sanitizers against the installed library: not here.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --preset asan --parallel "$(nproc)" --label-exclude package
fi

if [ "$which" = tsan ] || [ "$which" = both ]; then
  echo "== ThreadSanitizer: the threaded parts"
  tsan_tests=(acks_test durable_session_test lifecycle_test liveness_test journal_writer_test)
  cmake --preset tsan >/dev/null
  cmake --build build-tsan --parallel "$(nproc)" --target zonecastd zonecast "${tsan_tests[@]}"
  export TSAN_OPTIONS="suppressions=$PWD/tests/tsan.supp halt_on_error=1 second_deadlock_stack=1"
  for test in "${tsan_tests[@]}"; do
    echo "-- $test"
    "./build-tsan/tests/$test" --gtest_brief=1
  done
fi
