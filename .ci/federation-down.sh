#!/usr/bin/env bash
# Stops what .ci/federation-up.sh WORKDIR started (by the process ids it recorded), then removes nothing else.
set -uo pipefail
WORK="${1:?usage: .ci/federation-down.sh WORKDIR}"
[ -f "$WORK/pids" ] || exit 0
while read -r pid name; do
  [ -n "${pid:-}" ] || continue
  kill -TERM "$pid" 2>/dev/null && echo "federation-down: stopped $name ($pid)"
done < "$WORK/pids"
sleep 1
while read -r pid name; do
  [ -n "${pid:-}" ] || continue
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
done < "$WORK/pids"
: > "$WORK/pids"
