#!/usr/bin/env bash
# `npm test`: set up (dependencies, engine, images), then every test: unit and integration
# on the real engine and lab. Writes .vitest-report.json for the CI's count line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prepare.sh
bash scripts/test-deps.sh
exec npx vitest run --reporter=default --reporter=json --outputFile.json=.vitest-report.json "$@"
