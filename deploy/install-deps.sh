#!/usr/bin/env bash
# Installs what zonecast needs to build, run and test on Debian 12, from
# Debian's own packages. Idempotent: installs only what is missing, and does
# not touch the network when everything is there.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config git ca-certificates
  libzmq3-dev cppzmq-dev
  libprotobuf-dev protobuf-compiler
  libabsl-dev libboost-dev
  libgtest-dev libgmock-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
