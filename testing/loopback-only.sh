#!/usr/bin/env bash
# testing/loopback-only.sh <command> [args...]: runs the command in a network
# namespace that has nothing but the loopback interface, so that no test, real
# client (the provider, talosctl, kubectl) or mistake can reach any address
# outside 127.0.0.0/8, whatever endpoint a configuration names.
#
# As root it uses `unshare -n`; otherwise unprivileged user namespaces
# (`unshare -rn`), where the machine allows them. Where neither works it says so
# in one line and runs the command on the machine's network, unless CI=true:
# then it fails. The command sees LOOPBACK_ONLY: "net" (unshare -n), "user+net"
# (unshare -rn), "inherited" (started in such a namespace) or "none", to tell
# how another shell can enter its namespace (nsenter --target <its pid>).
set -euo pipefail

ip_command() {
  local candidate
  for candidate in ip /usr/sbin/ip /sbin/ip; do
    if command -v "$candidate" >/dev/null 2>&1; then
      "$candidate" "$@"
      return
    fi
  done
  echo "loopback-only: the ip command (Debian package iproute2) is missing" >&2
  return 1
}

# The interfaces of this process's network namespace (/proc/net is per namespace; /sys is not).
interfaces() { awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' /proc/net/dev; }

if [[ "$(interfaces)" == "lo" ]]; then
  if ! ip_command -o link show lo | grep -q '[<,]UP[,>]'; then
    ip_command link set lo up
  fi
  export LOOPBACK_ONLY="${LOOPBACK_ONLY:-inherited}"
  exec "$@"
fi

self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
if [[ "$(id -u)" -eq 0 ]] && unshare -n true 2>/dev/null; then
  LOOPBACK_ONLY=net exec unshare -n -- "$self" "$@"
fi
if unshare -rn true 2>/dev/null; then
  LOOPBACK_ONLY=user+net exec unshare -rn -- "$self" "$@"
fi
if [[ "${CI:-}" == "true" ]]; then
  echo "loopback-only: cannot make a loopback-only network namespace (neither root nor unprivileged user namespaces), and CI=true requires one" >&2
  exit 1
fi
echo "loopback-only: cannot make a loopback-only network namespace here (neither root nor unprivileged user namespaces); running on the machine's network" >&2
LOOPBACK_ONLY=none exec "$@"
