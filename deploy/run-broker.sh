#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build, and start zonecastd
# on its embedded defaults (ZeroMQ on tcp://127.0.0.1:7400, journal in
# ./var/zonecast). Extra arguments go to zonecastd. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
./deploy/install-deps.sh
./deploy/build.sh zonecastd zonecast
exec ./build/broker/zonecastd "$@"
