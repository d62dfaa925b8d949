#!/usr/bin/env bash
# Installs the Debian packages given that are missing, and nothing else; does
# not touch the network when all are there. Shared by install-deps.sh (the
# build) and bench/install-peers.sh (the benchmark's peer brokers).
#
#   deploy/install-packages.sh [--no-services] LABEL PACKAGE...
#
# --no-services: install with a policy-rc.d that forbids starting services,
# so packages that ship daemons (mosquitto, nats-server) do not start
# system-wide ones (unless the machine already has a policy-rc.d of its own).
set -euo pipefail

no_services=0
if [ "${1:-}" = "--no-services" ]; then
  no_services=1
  shift
fi
label="$1"
shift
packages=("$@")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "$label: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "$label: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "$label: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ "$no_services" -eq 1 ] && [ ! -e "$policy" ]; then
  # exit 101 keeps Debian's maintainer scripts from starting services.
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  created_policy=1
fi
status=0
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" || status=$?
if [ "$created_policy" -eq 1 ]; then $sudo rm -f "$policy"; fi
exit "$status"
