#!/usr/bin/env bash
# npm run setup: everything the project builds from the Go module proxy, once
# (each step is a no-op when its output is there):
#   - the Terraform providers and their mirror (tools/providers.sh)
#   - Talos' machine-configuration schema that synth checks patches against
#     (tools/talos-config-schema.sh)
#   - the Talos node simulator the end-to-end tests deploy to (tools/talos-sim.sh)
# Exit status: that of tools/providers.sh when it is 3 (a pinned provider is
# not served; a stand-in was built), else 0, or 1 on failure.
set -euo pipefail
tools="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

providers_status=0
"$tools/providers.sh" || providers_status=$?
if [[ "$providers_status" -ne 0 && "$providers_status" -ne 3 ]]; then
  exit "$providers_status"
fi
"$tools/talos-config-schema.sh"
"$tools/talos-sim.sh"
exit "$providers_status"
