#!/usr/bin/env bash
# The set-up both quick-start commands share: npm dependencies, a Docker engine, the compiled
# CLI and the workshop images. Each step skips what is already done.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "prepare: installing npm dependencies" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
bash scripts/ensure-engine.sh
npm run --silent build
node bin/devcoin-workshop setup
