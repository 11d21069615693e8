#!/usr/bin/env bash
# Shared setup step of `npm test`, `npm run demo` and `npm run bench`: on a fresh Debian machine,
# install the Debian packages in scripts/debian-packages.txt and run `npm ci` when node_modules is
# missing or older than package-lock.json. A fast no-op when everything is in place.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
while read -r pkg; do
  pkg="${pkg%%#*}"; pkg="${pkg//[[:space:]]/}"
  [ -n "$pkg" ] || continue
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done < scripts/debian-packages.txt

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]} (run as root or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Debian package may start its own OVS through init scripts; the lab and the tests run their
# own ovsdb-server/ovs-vswitchd in state dirs and never use the system one.

stamp=node_modules/.ovs-telemetry-lock
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -d node_modules ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund >/dev/null 2>&1 || npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi

# The native batch receive addon (npm ci builds it through the package's install script; this
# catches a checkout whose sources changed since, or a node_modules installed before it existed).
addon=native/build/Release/udp_batch.node
if [ ! -f "$addon" ] || [ native/udp_batch.c -nt "$addon" ] || [ native/binding.gyp -nt "$addon" ]; then
  echo "setup: building native/udp_batch.c"
  bash scripts/build-native.sh
fi
