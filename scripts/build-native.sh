#!/usr/bin/env bash
# Builds the native batch UDP receive addon (native/udp_batch.c → native/build/Release/udp_batch.node)
# with node-gyp, against the headers of the Node.js that runs the project (the npm package `node`
# ships them beside its binary, so nothing is downloaded). Run by `npm install`/`npm ci` and by
# scripts/setup.sh when the addon is missing or older than its sources. A machine without a C
# compiler still runs: the flow listeners fall back to node:dgram and log that they did.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

# Beside the binary in an official install; in node_modules/node/node_modules/node-OS-ARCH for the
# npm package `node` (its bin/node is a hard link, so the binary's own path does not lead there).
headers=$(node -p 'const p = require("node:path"), fs = require("node:fs");
  [p.resolve(process.execPath, "../.."), p.resolve("node_modules/node/node_modules", `node-${process.platform}-${process.arch}`)]
    .find((d) => fs.existsSync(p.join(d, "include/node/node_api.h"))) ?? ""')
args=(rebuild --directory=native)
[ -n "$headers" ] && args+=("--nodedir=$headers")

if ! log=$(node-gyp "${args[@]}" 2>&1); then
  printf '%s\n' "$log" | tail -20 >&2
  echo "build-native: the native batch receive addon was not built; flow listeners will use node:dgram" >&2
fi
exit 0
