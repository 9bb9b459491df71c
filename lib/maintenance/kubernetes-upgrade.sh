# shellcheck shell=bash
# Kubernetes upgrade, run by null_resource.kubernetes_upgrade when
# kubernetes_version changes, after any Talos roll: the seed's
# `talosctl upgrade-k8s --to=<version>`, once, through the first control plane,
# on a healthy cluster, after an etcd backup (backup_etcd), which must be
# healthy again afterwards (talosctl health).
# A resumed first deploy (the version is the one the cluster was installed
# with) upgrades nothing and needs no talosctl.
#
# Environment: KUBERNETES_VERSION, CONTROL_PLANE (address), FIRST_DEPLOY,
# INSTALLED_VERSION (the Kubernetes version the cluster was installed with,
# when known, else "unrecorded"), HEALTH_WAIT and HEALTH_TIMEOUT (wait_healthy),
# CONTROL_PLANES, STACK, BACKUP_DIR, BACKUP_KEEP and BACKUP_SEAL (backup_etcd),
# TALOSCONFIG_CONTENT (only ever written to a 0600 file).
talosctl_session "kubernetes upgrade" "Kubernetes $KUBERNETES_VERSION"

if [ "$INSTALLED_VERSION" = "$KUBERNETES_VERSION" ]; then
  echo "kubernetes upgrade: the cluster was installed with Kubernetes $KUBERNETES_VERSION; nothing to upgrade"
  exit 0
fi
require_talosctl "upgrade Kubernetes to $KUBERNETES_VERSION"

fail() {
  echo "kubernetes upgrade: $1; deploy again to retry" >&2
  exit 1
}

wait_healthy || fail "the cluster is not healthy, so Kubernetes is not upgraded to $KUBERNETES_VERSION"
backup_etcd || fail "no etcd backup could be taken, so Kubernetes is not upgraded to $KUBERNETES_VERSION"
talosctl upgrade-k8s --to="$KUBERNETES_VERSION" --nodes="$CONTROL_PLANE" --endpoints="$CONTROL_PLANE" ||
  fail "upgrading Kubernetes to $KUBERNETES_VERSION through node $CONTROL_PLANE failed"
wait_healthy || fail "the cluster did not become healthy within $HEALTH_TIMEOUT after the upgrade to Kubernetes $KUBERNETES_VERSION"
