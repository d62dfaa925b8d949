#!/usr/bin/env bash
# Configures and builds zonecast into ./build (CMake preset "default").
# Arguments name the targets to build (e.g. zonecastd zonecast); none: all.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset default >/dev/null
targets=()
for target in "$@"; do targets+=(--target "$target"); done
cmake --build build --parallel "$(nproc)" "${targets[@]}"
