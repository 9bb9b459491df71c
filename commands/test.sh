#!/usr/bin/env bash
# npm test [-- <jest options>]: the unit tier first (it needs nothing built, and
# fails fast), then sets up what the other tiers need (npm run setup: a no-op
# when done, on the machine's network), then type-checks, lints and runs those
# tiers in a loopback-only network namespace (testing/loopback-only.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# npm run test:unit is this script with --unit-only: the unit tier alone.
command="test"
if [[ "${1:-}" == "--unit-only" ]]; then
  command="test:unit"
  shift
fi
if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
  exec node -r esbuild-register commands/help.ts "$command"
fi
if [[ "$command" == "test:unit" ]]; then
  exec node_modules/.bin/jest --selectProjects unit "$@"
fi
node_modules/.bin/jest --selectProjects unit --passWithNoTests "$@"
setup_status=0
node -r esbuild-register commands/setup.ts || setup_status=$?
if [[ "$setup_status" -ne 0 ]]; then
  echo "npm test: npm run setup failed ($setup_status); the tiers that need it will say what is missing" >&2
  [[ "${CI:-}" == "true" ]] && exit "$setup_status"
fi
exec testing/loopback-only.sh bash -c 'npm run --silent lint && node_modules/.bin/jest --selectProjects tiers "$@"' jest "$@"
