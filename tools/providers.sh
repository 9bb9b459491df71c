#!/usr/bin/env bash
# npm run providers: builds the Terraform providers this project needs from the
# Go module proxy and lays them out as a filesystem mirror, because there is no
# Terraform registry to download them from. Idempotent: a provider already in
# the mirror is not built again.
#
# Writes (all git-ignored):
#   .providers/mirror/registry.terraform.io/<namespace>/<type>/<version>/linux_amd64/
#   .providers/terraformrc   terraform CLI config that installs from the mirror only
#
# Exit status: 0 all providers are in the mirror; 3 some provider's module is
# not served by the Go module proxy (the message says which; the others were
# built); 1 any other failure.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
providers_dir="$root/.providers"
mirror="$providers_dir/mirror"
rc="$providers_dir/terraformrc"
platform="$(go env GOOS)_$(go env GOARCH)"

# <registry address> <version> <Go module> <lookup-only sumdb exemption>
# The checksum database behind the proxy answers 404 for the siderolabs
# modules, so they are fetched without it; their checksums still pin go.sum.
providers=(
  "registry.terraform.io/siderolabs/talos 0.5.0 github.com/siderolabs/terraform-provider-talos github.com/siderolabs"
)

mkdir -p "$mirror"
cat >"$rc" <<EOF
# Written by npm run providers. Installs providers from the local mirror only.
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/*/*"]
  }
}
EOF

status=0
for entry in "${providers[@]}"; do
  read -r address version module nosumdb <<<"$entry"
  type="${address##*/}"
  dir="$mirror/$address/$version/$platform"
  binary="$dir/terraform-provider-${type}_v$version"
  if [[ -x "$binary" ]]; then
    echo "providers: $address $version already in the mirror"
    continue
  fi
  echo "providers: building $address $version from $module@v$version ..."
  gobin="$(mktemp -d)"
  log="$(mktemp)"
  if GOBIN="$gobin" GOFLAGS=-mod=mod GONOSUMDB="$nosumdb" CGO_ENABLED=0 \
    go install -trimpath "$module@v$version" >"$log" 2>&1; then
    mkdir -p "$dir"
    mv "$gobin/$(basename "$module")" "$binary"
    echo "providers: $address $version -> $binary"
  elif grep -q "403 Forbidden\|not available" "$log"; then
    echo "providers: UNAVAILABLE: the Go module proxy does not serve $module@v$version:" >&2
    grep -m1 "403\|not available" "$log" | sed 's/^/providers:   /' >&2
    status=3
  else
    echo "providers: FAILED to build $module@v$version:" >&2
    sed 's/^/providers:   /' "$log" >&2
    rm -rf "$gobin" "$log"
    exit 1
  fi
  rm -rf "$gobin" "$log"
done

echo "providers: mirror at $mirror"
echo "providers: point terraform at it with: export TF_CLI_CONFIG_FILE=$rc"
exit "$status"
