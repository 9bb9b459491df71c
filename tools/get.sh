#!/usr/bin/env bash
# npm run get [-- <output dir>]: regenerates the provider bindings (.gen/) with
# cdktf's own `cdktf get`, offline, from the siderolabs/talos 0.5.0 binary that
# `npm run providers` builds into the local mirror from its release source
# (done first, a no-op when it is there).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-.gen}"
cd "$root"
export CHECKPOINT_DISABLE=1

version="$(node -p 'require("./cdktf.json").terraformProviders[0].split("@")[1]')"
platform="$(go env GOOS)_$(go env GOARCH)"
binary=".providers/mirror/registry.terraform.io/siderolabs/talos/$version/$platform/terraform-provider-talos_v$version"
node -r esbuild-register tools/setup.ts providers
if [[ ! -x "$binary" ]]; then
  echo "get: siderolabs/talos $version is not in the provider mirror ($binary); run npm run providers first" >&2
  exit 1
fi
echo "get: reading the schema of siderolabs/talos $version from $binary"
# Installs from the mirror only: nothing may reach for a registry.
export TF_CLI_CONFIG_FILE="$root/.providers/terraformrc"
exec "$root/node_modules/.bin/cdktf" get --force --output "$out"
