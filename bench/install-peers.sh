#!/usr/bin/env bash
# Installs the peer brokers the side-by-side benchmark compares zonecast with,
# from Debian 12's own packages: nats-server (with JetStream), mosquitto and
# libmosquitto-dev (for bench/mosquitto_bench). Idempotent: installs only what
# is missing, and does not touch the network when everything is there.
# The Debian mosquitto and nats-server packages would start system-wide
# services; the benchmark does not use them (it starts its own brokers on free
# loopback ports), so the install runs with a policy-rc.d that forbids service
# starts (unless the machine already has a policy-rc.d of its own).
set -euo pipefail

packages=(nats-server mosquitto libmosquitto-dev pkg-config)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-peers: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-peers: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-peers: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# policy-rc.d exit 101 keeps Debian's maintainer scripts from starting the
# system-wide mosquitto / nats services (which would listen beyond loopback).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  created_policy=1
fi
status=0
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" || status=$?
if [ "$created_policy" -eq 1 ]; then $sudo rm -f "$policy"; fi
exit "$status"
