#!/usr/bin/env bash
# npm run get [-- <output dir>]: regenerates the provider bindings (.gen/) with
# cdktf's own `cdktf get`, offline.
#
# - When `npm run providers` put a real siderolabs/talos 0.5.0 into the local
#   mirror, `cdktf get` reads the schema from that binary.
# - Otherwise it reads the provider's 0.5.0 schema from
#   tools/provider-schemas/talos@0.5.0.json (transcribed from the provider's
#   v0.5.0 source; see tools/provider-schemas/README.md), through cdktf's
#   provider schema cache. The generator is the same in both cases.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-.gen}"
cd "$root"
export CHECKPOINT_DISABLE=1

mirror_binary=".providers/mirror/registry.terraform.io/siderolabs/talos/0.5.0/$(go env GOOS 2>/dev/null || echo linux)_$(go env GOARCH 2>/dev/null || echo amd64)/terraform-provider-talos_v0.5.0"
args=(get --force --output "$out")
if [[ -x "$mirror_binary" ]]; then
  echo "get: reading the schema from the provider in the mirror ($mirror_binary)"
  export TF_CLI_CONFIG_FILE="$root/.providers/terraformrc"
else
  echo "get: no siderolabs/talos 0.5.0 in the mirror (npm run providers); reading its schema from tools/provider-schemas/talos@0.5.0.json"
  # cdktf get reads the cache only; nothing may reach for a registry.
  export TF_CLI_CONFIG_FILE=/dev/null
  args+=(--experimental-provider-schema-cache-path "$root/tools/provider-schemas")
fi
exec "$root/node_modules/.bin/cdktf" "${args[@]}"
