#!/usr/bin/env bash
# Checks deploy/systemd/zonecastd.service as an operator's tools would:
# `systemd-analyze verify` must be silent and `systemd-analyze security`
# must rate its exposure below 3.0. The unit's ExecStart points at the
# installed binary; the check points it at the one just built.
# Usage: check_unit.sh UNIT_FILE ZONECASTD
set -euo pipefail
unit=$1 zonecastd=$2
if ! command -v systemd-analyze > /dev/null; then
  if [ "${ZONECAST_REQUIRE_SYSTEMD_ANALYZE:-0}" = 1 ]; then
    echo "systemd-analyze is missing (Debian package systemd)" >&2
    exit 1
  fi
  echo "systemd-analyze is missing: skipped"
  exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|/usr/local/bin/zonecastd|$zonecastd|" "$unit" > "$dir/zonecastd.service"
out=$(systemd-analyze verify "$dir/zonecastd.service" 2>&1) || { echo "$out"; exit 1; }
if [ -n "$out" ]; then
  echo "systemd-analyze verify is not silent:"
  echo "$out"
  exit 1
fi
# --threshold is in tenths: 30 = an exposure of 3.0.
if ! systemd-analyze security --offline=true --threshold=30 "$dir/zonecastd.service"; then
  echo "exposure of the unit is 3.0 or more" >&2
  exit 1
fi
echo "unit verified; exposure below 3.0"
