# Kubernetes upgrade, run by null_resource.kubernetes_upgrade when
# kubernetes_version changes, after any Talos roll: the seed's
# `talosctl upgrade-k8s --to=<version>`, once, through the first control plane.
#
# Environment: KUBERNETES_VERSION, CONTROL_PLANE (address), FIRST_DEPLOY,
# TALOSCONFIG_CONTENT (only ever written to a 0600 file).
talosctl_session "kubernetes upgrade" "Kubernetes $KUBERNETES_VERSION" "upgrade Kubernetes to $KUBERNETES_VERSION"

talosctl upgrade-k8s --to="$KUBERNETES_VERSION" --nodes="$CONTROL_PLANE" --endpoints="$CONTROL_PLANE" ||
  { echo "kubernetes upgrade: upgrading Kubernetes to $KUBERNETES_VERSION through node $CONTROL_PLANE failed; deploy again to retry" >&2; exit 1; }
