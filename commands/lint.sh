#!/usr/bin/env bash
# npm run lint: type check (tsc --noEmit) and lint (eslint); its help is in
# operations/script-commands.ts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
case "${1:-}" in
  "") ;;
  -h | --help) exec node -r esbuild-register commands/help.ts lint ;;
  -*)
    echo "lint: unknown option $1; npm run lint -- --help" >&2
    exit 2
    ;;
  *)
    echo "lint: unexpected argument $1; npm run lint -- --help" >&2
    exit 2
    ;;
esac
for program in tsc eslint; do
  if [[ ! -x "node_modules/.bin/$program" ]]; then
    echo "lint: node_modules/.bin/$program is missing: run npm ci" >&2
    exit 1
  fi
done
node_modules/.bin/tsc --noEmit
node_modules/.bin/eslint .
