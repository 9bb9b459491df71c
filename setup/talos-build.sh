#!/usr/bin/env bash
# Builds the project's Go programs (go) into .build/bin, from the Go
# module proxy with the sums pinned in go.sum:
#   cloudkoffer-talos  the project's Talos tool: validate (at every synth), probe,
#                      bootstrapped (preflight, npm run deploy, the upgrade scripts)
#   cloudkoffer-etcd   checks etcd snapshots as etcd does (npm run backup and restore)
#   talos-sim          the node simulator and the talosctl double (tests, npm start, bench)
#   test-registry      a Terraform provider registry on loopback (tests, bench)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/go"
mkdir -p "$root/.build/bin"
GOFLAGS=-mod=readonly CGO_ENABLED=0 go build -trimpath -o "$root/.build/bin/" ./cmd/...
echo "talos-build: $root/.build/bin/cloudkoffer-talos $root/.build/bin/cloudkoffer-etcd $root/.build/bin/talos-sim $root/.build/bin/test-registry"
