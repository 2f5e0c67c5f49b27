#!/usr/bin/env bash
# `npm test`: every test, unit first. The unit tests need only the npm dependencies and the
# compiled CLI, so they run first and in parallel (a broken unit shows in a minute); then the set-up
# (engine, images, Redis, Chromium) and the integration tests on the real engine and lab, one file
# at a time. Both phases always run; each writes its report (.vitest-unit.json,
# .vitest-report.json) for the CI's count line. Arguments go to both vitest runs (a file filter).
set -uo pipefail
cd "$(dirname "$0")/.."
set -e
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "test: installing npm dependencies" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
set +e
npx vitest run --project unit --passWithNoTests --reporter=default --reporter=json --outputFile.json=.vitest-unit.json "$@"
unit=$?
set -e
bash scripts/prepare.sh
bash scripts/test-deps.sh
set +e
npx vitest run --project integration --passWithNoTests --reporter=default --reporter=json --outputFile.json=.vitest-report.json "$@"
integration=$?
[ "$unit" -eq 0 ] && [ "$integration" -eq 0 ] && exit 0
echo "test: unit tests exited $unit, integration tests exited $integration" >&2
exit 1
