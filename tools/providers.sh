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
# The pinned releases, siderolabs/talos 0.5.0 and hashicorp/null 3.2.4 (the
# one @cdktf/provider-null 11.0.1 binds), are not served by the Go module
# proxy here. When `go install` is refused, a stand-in is built from the
# nearest served release of the same provider code, through a main of ours
# with pinned go.sum (tools/talos-provider, tools/null-provider), and mirrored
# under its own version, never under the pinned one's name. Tests select the
# stand-ins with TALOS_PROVIDER_VERSION and NULL_PROVIDER_VERSION.
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
  # The checksum database behind the proxy answers 404 for these providers' modules.
  GOBIN="$gobin" GOFLAGS=-mod=mod GONOSUMDB=github.com/siderolabs,github.com/terraform-providers CGO_ENABLED=0 \
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

# Builds a stand-in from tools/<dir>: the provider's code at the version its go.mod pins.
build_stand_in() { # <address> <tools dir> <module>
  local dir="$root/tools/$2" version built
  version="$(cd "$dir" && go list -m -f '{{.Version}}' "$3")"
  version="${version#v}"
  if [[ -x "$(mirror_binary "$1" "$version")" ]]; then
    echo "providers: stand-in $1 $version already in the mirror"
    return 0
  fi
  echo "providers: building the stand-in $1 $version from tools/$2 ..."
  built="$(mktemp -d)/terraform-provider-${1##*/}"
  if ! (cd "$dir" && GOFLAGS=-mod=readonly CGO_ENABLED=0 go build -trimpath -o "$built" .) >"$log" 2>&1; then
    echo "providers: FAILED to build tools/$2:" >&2
    sed 's/^/providers:   /' "$log" >&2
    return 1
  fi
  install_into_mirror "$built" "$1" "$version"
  rm -rf "$(dirname "$built")"
  echo "providers: STAND-IN: tests run against $1 $version" >&2
}

# The pinned release when the proxy serves it, else the stand-in.
provide() { # <address> <pinned version> <module> <stand-in tools dir>
  local status=0
  if [[ -x "$(mirror_binary "$1" "$2")" ]]; then
    echo "providers: $1 $2 already in the mirror"
    return 0
  fi
  build_from_proxy "$1" "$2" "$3" || status=$?
  if [[ "$status" -eq 3 ]]; then
    build_stand_in "$1" "$4" "$3" || return 1
  fi
  return "$status"
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
for provider in \
  "registry.terraform.io/siderolabs/talos 0.5.0 github.com/siderolabs/terraform-provider-talos talos-provider" \
  "registry.terraform.io/hashicorp/null 3.2.4 github.com/terraform-providers/terraform-provider-null null-provider"; do
  provider_status=0
  # shellcheck disable=SC2086 # the entry is four words on purpose
  provide $provider || provider_status=$?
  [[ "$provider_status" -eq 1 ]] && exit 1
  [[ "$provider_status" -eq 3 ]] && status=3
done

echo "providers: mirror at $mirror"
echo "providers: point terraform at it with: export TF_CLI_CONFIG_FILE=$rc"
exit "$status"
