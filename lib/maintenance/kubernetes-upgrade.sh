# shellcheck shell=bash
# Kubernetes upgrade, run by null_resource.kubernetes_upgrade when
# kubernetes_version changes, after any Talos roll: the seed's
# `talosctl upgrade-k8s --to=<version>`, once, through the first control plane.
# A resumed first deploy (the version is the one the cluster was installed
# with) upgrades nothing and needs no talosctl.
#
# Environment: KUBERNETES_VERSION, CONTROL_PLANE (address), FIRST_DEPLOY,
# INSTALLED_VERSION (the Kubernetes version the cluster was installed with,
# when known, else "unrecorded"), TALOSCONFIG_CONTENT (only ever written to a 0600 file).
talosctl_session "kubernetes upgrade" "Kubernetes $KUBERNETES_VERSION"

if [ "$INSTALLED_VERSION" = "$KUBERNETES_VERSION" ]; then
  echo "kubernetes upgrade: the cluster was installed with Kubernetes $KUBERNETES_VERSION; nothing to upgrade"
  exit 0
fi
require_talosctl "upgrade Kubernetes to $KUBERNETES_VERSION"

talosctl upgrade-k8s --to="$KUBERNETES_VERSION" --nodes="$CONTROL_PLANE" --endpoints="$CONTROL_PLANE" ||
  { echo "kubernetes upgrade: upgrading Kubernetes to $KUBERNETES_VERSION through node $CONTROL_PLANE failed; deploy again to retry" >&2; exit 1; }
