#!/usr/bin/env bash
# npm test [-- <jest options>]: type check, lint and the whole test suite, in a
# loopback-only network namespace (tools/loopback-only.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec tools/loopback-only.sh bash -c 'npm run --silent lint && node_modules/.bin/jest "$@"' jest "$@"
