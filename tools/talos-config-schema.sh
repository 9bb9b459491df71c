#!/usr/bin/env bash
# Copies the Talos machine-configuration JSON schema out of Talos' own Go module
# (github.com/siderolabs/talos/pkg/machinery, config/schemas/config.schema.json)
# into .build/talos/, where synth checks every patch against it. The version is
# the machinery that siderolabs/talos 0.5.0 builds machine configurations with.
# Idempotent.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
module="github.com/siderolabs/talos/pkg/machinery"
version="v1.7.0"
target="$root/.build/talos/config.schema.json"

if [[ -f "$target" ]] && grep -q "\"https://talos.dev/v1.7/schemas/config.schema.json\"" "$target"; then
  echo "talos-config-schema: $target is there"
  exit 0
fi
# The checksum database behind the proxy answers 404 for siderolabs modules.
dir="$(cd "$root" && GOFLAGS=-mod=mod GONOSUMDB=github.com/siderolabs go mod download -json "$module@$version" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
if [[ -z "$dir" || ! -f "$dir/config/schemas/config.schema.json" ]]; then
  echo "talos-config-schema: FAILED to download $module@$version" >&2
  exit 1
fi
mkdir -p "$(dirname "$target")"
cp "$dir/config/schemas/config.schema.json" "$target"
chmod 644 "$target"
echo "talos-config-schema: $module@$version -> $target"
