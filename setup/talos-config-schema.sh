#!/usr/bin/env bash
# Copies the Talos machine-configuration JSON schema out of Talos' own Go module
# (github.com/siderolabs/talos/pkg/machinery, config/schemas/config.schema.json)
# into .build/talos/, where synth checks every patch against it. The version is
# the one go pins in its go.mod (and go.sum): the machinery
# siderolabs/talos 0.5.0 builds machine configurations with. Idempotent.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="$root/.build/talos/config.schema.json"
module="github.com/siderolabs/talos/pkg/machinery"

dir="$(cd "$root/go" && GOFLAGS=-mod=readonly go mod download -json "$module" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
source="$dir/config/schemas/config.schema.json"
if [[ -z "$dir" || ! -f "$source" ]]; then
  echo "talos-config-schema: FAILED to download $module (the version go/go.mod requires)" >&2
  exit 1
fi
if cmp -s "$source" "$target"; then
  # Newer than go.mod again: npm run setup asks no more until the pin changes.
  touch "$target"
  echo "talos-config-schema: $target is up to date"
  exit 0
fi
mkdir -p "$(dirname "$target")"
cp "$source" "$target"
chmod 644 "$target"
echo "talos-config-schema: $source -> $target"
