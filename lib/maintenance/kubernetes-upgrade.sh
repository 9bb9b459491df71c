# Kubernetes upgrade, run by null_resource.kubernetes_upgrade when
# kubernetes_version changes, after any Talos roll: the seed's
# `talosctl upgrade-k8s --to=<version>`, once, through the first control plane.
#
# Environment: KUBERNETES_VERSION, CONTROL_PLANE (address), FIRST_DEPLOY,
# TALOSCONFIG_CONTENT (only ever written to a 0600 file).
set -euo pipefail

if [ "$FIRST_DEPLOY" = true ]; then
  echo "kubernetes upgrade: the cluster was just installed with Kubernetes $KUBERNETES_VERSION; nothing to upgrade"
  exit 0
fi
if ! command -v talosctl >/dev/null 2>&1; then
  echo "kubernetes upgrade: talosctl is not on PATH; install talosctl (https://www.talos.dev/v1.7/talos-guides/install/talosctl/) to upgrade Kubernetes to $KUBERNETES_VERSION, then deploy again" >&2
  exit 1
fi

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT
(umask 077 && printf '%s' "$TALOSCONFIG_CONTENT" >"$workdir/talosconfig")
unset TALOSCONFIG_CONTENT
export TALOSCONFIG="$workdir/talosconfig"

talosctl upgrade-k8s --to="$KUBERNETES_VERSION" --nodes="$CONTROL_PLANE" --endpoints="$CONTROL_PLANE" ||
  { echo "kubernetes upgrade: upgrading Kubernetes to $KUBERNETES_VERSION through node $CONTROL_PLANE failed; deploy again to retry" >&2; exit 1; }
