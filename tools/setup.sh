#!/usr/bin/env bash
# npm run setup: everything the project builds, once (each step is a no-op
# when its output is there):
#   - the pinned Terraform providers, built from their release sources, and
#     their mirror (tools/providers.ts)
#   - Talos' machine-configuration schema that synth checks patches against
#     (tools/talos-config-schema.sh)
#   - the Talos node simulator the end-to-end tests deploy to (tools/talos-sim.sh)
# Exit status: that of tools/providers.ts when it is 3 (a provider has no
# release source and the Go module proxy refuses it), else 0, or 1 on failure.
set -euo pipefail
tools="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

providers_status=0
node -r esbuild-register "$tools/providers.ts" || providers_status=$?
if [[ "$providers_status" -ne 0 && "$providers_status" -ne 3 ]]; then
  exit "$providers_status"
fi
"$tools/talos-config-schema.sh"
"$tools/talos-sim.sh"
exit "$providers_status"
