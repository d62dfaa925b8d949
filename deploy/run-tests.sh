#!/usr/bin/env bash
# Quick start, command 2 (and what CI runs): install what is missing, build,
# and run every test (unit, integration against the real zonecastd, fuzz replay).
set -euo pipefail
cd "$(dirname "$0")/.."
./deploy/install-deps.sh
./deploy/build.sh
# Every temporary file and directory the tests make goes below one folder
# that is removed afterwards.
TMPDIR="$(mktemp -d "${TMPDIR:-/tmp}/zonecast-tests.XXXXXX")"
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
# promtool is installed above: its checks must run, not skip.
export ZONECAST_REQUIRE_PROMTOOL=1
ctest --preset default --parallel "$(nproc)"
