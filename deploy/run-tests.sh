#!/usr/bin/env bash
# Quick start, command 2 (and what CI runs): install what is missing, build,
# and run every test (unit, integration against the real zonecastd, fuzz replay).
set -euo pipefail
cd "$(dirname "$0")/.."
./deploy/install-deps.sh
./deploy/build.sh
ctest --preset default --parallel "$(nproc)"
