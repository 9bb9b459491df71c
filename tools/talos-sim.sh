#!/usr/bin/env bash
# Builds the Talos node simulator (tools/talos-sim) into .build/bin/talos-sim,
# from the Go module proxy with the sums pinned in its go.sum.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/tools/talos-sim"
GOFLAGS=-mod=readonly CGO_ENABLED=0 go build -trimpath -o "$root/.build/bin/talos-sim" .
echo "talos-sim: $root/.build/bin/talos-sim"
