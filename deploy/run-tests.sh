#!/usr/bin/env bash
# Quick start, command 2 (and what CI runs): install what is missing, build,
# and run every test (unit, integration against the real zonecastd, fuzz replay).
set -euo pipefail
cd "$(dirname "$0")/.."
./deploy/install-deps.sh
# promtool, which the tests use to check the /metrics text and
# deploy/monitoring/, comes in Debian's prometheus package together with the
# Prometheus server; --no-services keeps the install from starting that. The
# broker itself does not need it, so run-broker.sh does not install it.
# clang runs the thread-safety analysis over the files that hold a mutex
# (the build itself uses g++).
# systemd-analyze (Debian's systemd package) checks the shipped unit.
# The wall's test drives Debian's headless Chromium with Selenium.
./deploy/install-packages.sh --no-services install-test-deps prometheus clang systemd \
  chromium chromium-driver python3-selenium
# The analysis and the unit check must run, not skip for want of a tool.
export ZONECAST_REQUIRE_CLANG=1 ZONECAST_REQUIRE_SYSTEMD_ANALYZE=1 ZONECAST_REQUIRE_BROWSER=1
./deploy/build.sh
# Every temporary file and directory the tests make goes below one folder
# that is removed afterwards.
TMPDIR="$(mktemp -d "${TMPDIR:-/tmp}/zonecast-tests.XXXXXX")"
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
# promtool is installed above: its checks must run, not skip.
export ZONECAST_REQUIRE_PROMTOOL=1
ctest --preset default --parallel "$(nproc)"
