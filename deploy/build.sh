#!/usr/bin/env bash
# Configures and builds zonecast into ./build (CMake preset "default").
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset default >/dev/null
cmake --build build --parallel "$(nproc)"
