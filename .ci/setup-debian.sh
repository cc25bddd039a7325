#!/usr/bin/env bash
# Installs the Debian packages the real-client tests need (test/clients/): rdflib + SPARQLWrapper for /usr/bin/python3, roqet.
# Idempotent: returns at once when every package is already installed, so CI reruns stay quick.
set -euo pipefail

PACKAGES=(python3-rdflib python3-sparqlwrapper rasqal-utils)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup-debian: ${PACKAGES[*]} already installed"
  exit 0
fi

# apt-get needs root; CI containers usually run as root, developers get sudo when it is there.
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "setup-debian: installing ${missing[*]} needs root (no sudo found)" >&2
    exit 1
  fi
fi

echo "setup-debian: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update
"${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
