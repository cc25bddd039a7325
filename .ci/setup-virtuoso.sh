#!/usr/bin/env bash
# Installs Virtuoso Open Source (Debian package virtuoso-opensource) for the distributed federation test.
# Idempotent: returns at once when virtuoso-t is already there. The package's own service is never started.
set -euo pipefail

if command -v virtuoso-t >/dev/null 2>&1 && command -v isql-vt >/dev/null 2>&1; then
  echo "setup-virtuoso: virtuoso-opensource already installed"
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "setup-virtuoso: installing virtuoso-opensource needs root (no sudo found)" >&2
    exit 1
  fi
fi

echo "setup-virtuoso: installing virtuoso-opensource"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update
# policy-rc.d keeps the package from starting its system-wide service (the deployment runs its own instance).
"${SUDO[@]}" apt-get install -y --no-install-recommends virtuoso-opensource
