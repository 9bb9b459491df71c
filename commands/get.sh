#!/usr/bin/env bash
# npm run get [-- <output dir>]: regenerates the provider bindings (.gen/) with
# cdktf's own `cdktf get`, from siderolabs/talos 0.5.0 as setup finds it
# (setup/provider-source.ts): offline from the binary `npm run providers` builds
# into the local mirror from its release source, else as terraform installs it
# (the registry, or your terraform configuration).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
case "${1:-}" in
  -h | --help) exec node -r esbuild-register commands/help.ts get ;;
  -*)
    echo "get: unknown option $1; npm run get -- --help" >&2
    exit 2
    ;;
esac
if [[ $# -gt 1 ]]; then
  echo "get: unexpected argument $2; npm run get -- --help" >&2
  exit 2
fi
out="${1:-.gen}"
export CHECKPOINT_DISABLE=1

version="$(node -p 'require("./cdktf.json").terraformProviders[0].split("@")[1]')"
platform="$(go env GOOS)_$(go env GOARCH)"
binary=".providers/mirror/registry.terraform.io/siderolabs/talos/$version/$platform/terraform-provider-talos_v$version"
node -r esbuild-register commands/setup.ts providers
if [[ -x "$binary" ]]; then
  echo "get: reading the schema of siderolabs/talos $version from $binary"
  # Installs from the mirror only: nothing may reach for a registry.
  export TF_CLI_CONFIG_FILE="$root/.providers/terraformrc"
else
  echo "get: reading the schema of siderolabs/talos $version as terraform installs it (the registry, or your terraform configuration)"
  # A TF_CLI_CONFIG_FILE that names no file would keep terraform from reading any configuration.
  if [[ -n "${TF_CLI_CONFIG_FILE:-}" && ! -f "$TF_CLI_CONFIG_FILE" ]]; then unset TF_CLI_CONFIG_FILE; fi
fi
exec "$root/node_modules/.bin/cdktf" get --force --output "$out"
