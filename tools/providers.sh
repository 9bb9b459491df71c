#!/usr/bin/env bash
# npm run providers: builds the Terraform providers this project needs from the
# Go module proxy and lays them out as a filesystem mirror, because there is no
# Terraform registry to download them from. Idempotent: a provider already in
# the mirror is not built again.
#
# Writes (all git-ignored):
#   .providers/mirror/registry.terraform.io/<namespace>/<type>/<version>/<os>_<arch>/
#   .providers/terraformrc   terraform CLI config that installs from the mirror only
#
# siderolabs/talos 0.5.0, the version the stacks pin, is not served by the Go
# module proxy here. When `go install` is refused, the nearest served release
# is built from tools/talos-provider (a main of ours around the provider's
# pkg/talos, with pinned go.sum) and mirrored under its own version, as a
# stand-in that tests select with TALOS_PROVIDER_VERSION. It is never mirrored
# under 0.5.0's name.
#
# Exit status: 0 every pinned provider is in the mirror; 3 a pinned provider is
# not served by the Go module proxy (the message names it; a stand-in was
# built); 1 any other failure.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
providers_dir="$root/.providers"
mirror="$providers_dir/mirror"
rc="$providers_dir/terraformrc"
platform="$(go env GOOS)_$(go env GOARCH)"
talos_address="registry.terraform.io/siderolabs/talos"
talos_module="github.com/siderolabs/terraform-provider-talos"
talos_version="0.5.0"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# Path of a provider binary in the unpacked mirror layout terraform reads.
mirror_binary() { # <address> <version>
  echo "$mirror/$1/$2/$platform/terraform-provider-${1##*/}_v$2"
}

# Moves a freshly built binary into the mirror.
install_into_mirror() { # <built binary> <address> <version>
  local target
  target="$(mirror_binary "$2" "$3")"
  mkdir -p "$(dirname "$target")"
  mv "$1" "$target"
  echo "providers: $2 $3 -> $target"
}

# go install <module>@v<version>; status 3 when the proxy does not serve it.
build_from_proxy() { # <address> <version> <module>
  local gobin status=0
  gobin="$(mktemp -d)"
  echo "providers: building $1 $2 from $3@v$2 ..."
  # The checksum database behind the proxy answers 404 for siderolabs modules.
  GOBIN="$gobin" GOFLAGS=-mod=mod GONOSUMDB=github.com/siderolabs CGO_ENABLED=0 \
    go install -trimpath "$3@v$2" >"$log" 2>&1 || status=$?
  if [[ "$status" -eq 0 ]]; then
    install_into_mirror "$gobin/$(basename "$3")" "$1" "$2"
  elif grep -q "403 Forbidden\|not available" "$log"; then
    echo "providers: UNAVAILABLE: the Go module proxy does not serve $3@v$2:" >&2
    grep -m1 "403\|not available" "$log" | sed 's/^/providers:   /' >&2
    status=3
  else
    echo "providers: FAILED to build $3@v$2:" >&2
    sed 's/^/providers:   /' "$log" >&2
    status=1
  fi
  rm -rf "$gobin"
  return "$status"
}

# Builds tools/talos-provider, the provider's library at the version its go.mod pins.
build_talos_stand_in() {
  local dir="$root/tools/talos-provider" version built
  version="$(cd "$dir" && go list -m -f '{{.Version}}' "$talos_module")"
  version="${version#v}"
  if [[ -x "$(mirror_binary "$talos_address" "$version")" ]]; then
    echo "providers: stand-in $talos_address $version already in the mirror"
    return 0
  fi
  echo "providers: building the stand-in $talos_address $version from tools/talos-provider ..."
  built="$(mktemp -d)/terraform-provider-talos"
  if ! (cd "$dir" && GOFLAGS=-mod=readonly CGO_ENABLED=0 go build -trimpath -o "$built" .) >"$log" 2>&1; then
    echo "providers: FAILED to build tools/talos-provider:" >&2
    sed 's/^/providers:   /' "$log" >&2
    return 1
  fi
  install_into_mirror "$built" "$talos_address" "$version"
  rm -rf "$(dirname "$built")"
  echo "providers: STAND-IN: tests run against $talos_address $version (synthesize with TALOS_PROVIDER_VERSION=$version)" >&2
}

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
if [[ -x "$(mirror_binary "$talos_address" "$talos_version")" ]]; then
  echo "providers: $talos_address $talos_version already in the mirror"
else
  build_from_proxy "$talos_address" "$talos_version" "$talos_module" || status=$?
  [[ "$status" -eq 1 ]] && exit 1
  if [[ "$status" -eq 3 ]]; then
    build_talos_stand_in || exit 1
  fi
fi

echo "providers: mirror at $mirror"
echo "providers: point terraform at it with: export TF_CLI_CONFIG_FILE=$rc"
exit "$status"
