# shellcheck shell=bash
# Rolling Talos upgrade, run by null_resource.talos_upgrade when talos_version
# changes: one node at a time, control planes first in order, then workers.
# Each node is upgraded the seed's way and must come back with the new
# version, and the whole cluster healthy again (talosctl health), before the
# next starts; a failure stops the roll at that node, leaving later nodes
# untouched. The roll starts only on a healthy cluster (the stack's health
# check comes first), after an etcd backup (backup_etcd; none, and no node is
# touched). Nodes already at the version are skipped,
# so deploying again resumes where a roll stopped; talosctl is needed only
# for a node that is not at the version yet.
#
# Environment: TALOS_VERSION (v1.7.5), INSTALLER_IMAGE (the installer of that
# version, as the install patch names it), CONTROL_PLANES and WORKERS (addresses,
# space-separated), STAGE (true: --stage, then talosctl reboot --wait),
# FIRST_DEPLOY (true: the cluster was installed at this version in this run),
# INSTALLED_VERSION (the Talos version the cluster was installed with, when
# known, else "unrecorded"), HEALTH_WAIT and HEALTH_TIMEOUT (wait_healthy),
# STACK, BACKUP_DIR, BACKUP_KEEP and BACKUP_SEAL (backup_etcd),
# TALOSCONFIG_CONTENT (the talosconfig; only ever written to a 0600 file).
talosctl_session "talos upgrade" "Talos $TALOS_VERSION"

if ! can_ask_nodes; then
  # An interrupted first deploy, resumed: nothing to ask with, and nothing changed.
  if [ "$INSTALLED_VERSION" = "$TALOS_VERSION" ]; then
    echo "talos upgrade: the cluster was installed with Talos $TALOS_VERSION; nothing to upgrade"
    exit 0
  fi
  require_talosctl "upgrade the nodes to Talos $TALOS_VERSION"
fi

stop() {
  echo "talos upgrade: $1; the roll stopped at node $node, the nodes after it are untouched. Fix node $node and deploy again to resume." >&2
  exit 1
}

for node in $CONTROL_PLANES $WORKERS; do
  current="$(talos_version_of "$node")" || stop "cannot ask node $node for its Talos version"
  if [ "$current" = "$TALOS_VERSION" ]; then
    echo "talos upgrade: node $node runs Talos $TALOS_VERSION already"
    continue
  fi
  require_talosctl "upgrade node $node from Talos $current to $TALOS_VERSION"
  if [ -z "${backed_up:-}" ]; then
    if ! backup_etcd; then
      echo "talos upgrade: no etcd backup could be taken, so no node is upgraded to Talos $TALOS_VERSION; deploy again once a control plane gives one" >&2
      exit 1
    fi
    backed_up=true
  fi
  echo "talos upgrade: node $node, Talos $current -> $TALOS_VERSION"
  if [ "$STAGE" = true ]; then
    talosctl upgrade --image="$INSTALLER_IMAGE" --nodes="$node" --endpoints="$node" --stage || stop "staging the upgrade of node $node failed"
    talosctl reboot --nodes="$node" --endpoints="$node" --wait || stop "rebooting node $node into Talos $TALOS_VERSION failed"
  else
    talosctl upgrade --image="$INSTALLER_IMAGE" --nodes="$node" --endpoints="$node" || stop "upgrading node $node failed"
  fi
  current="$(talos_version_of "$node")" || stop "node $node did not come back after its upgrade"
  [ "$current" = "$TALOS_VERSION" ] || stop "node $node came back with Talos $current, not $TALOS_VERSION"
  wait_healthy || stop "the cluster did not become healthy within $HEALTH_TIMEOUT after node $node came back with Talos $TALOS_VERSION"
  echo "talos upgrade: node $node runs Talos $TALOS_VERSION"
done
