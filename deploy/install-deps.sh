#!/usr/bin/env bash
# Installs what zonecast needs to build, run and test on Debian 12, from
# Debian's own packages. Idempotent: installs only what is missing, and does
# not touch the network when everything is there.
set -euo pipefail
exec "$(dirname "$0")/install-packages.sh" install-deps \
  g++ cmake ninja-build pkg-config git ca-certificates tzdata \
  libzmq3-dev cppzmq-dev libsodium-dev \
  libprotobuf-dev protobuf-compiler \
  libabsl-dev libboost-dev \
  libgtest-dev libgmock-dev
