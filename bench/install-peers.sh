#!/usr/bin/env bash
# Installs the peer brokers the side-by-side benchmark compares zonecast with,
# from Debian 12's own packages: nats-server (with JetStream), mosquitto and
# libmosquitto-dev (for bench/mosquitto_bench). Idempotent: installs only what
# is missing. The Debian mosquitto and nats-server packages would start
# system-wide services; the benchmark starts its own brokers on free loopback
# ports, so the install forbids service starts.
set -euo pipefail
exec "$(dirname "$0")/../deploy/install-packages.sh" --no-services install-peers \
  nats-server mosquitto libmosquitto-dev pkg-config
