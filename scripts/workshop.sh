#!/usr/bin/env bash
# `npm run workshop`: set up (dependencies, engine, images), bring up the lab and run the
# instructor's demo of every chapter on it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prepare.sh
exec node bin/devcoin-workshop demo --fresh "$@"
