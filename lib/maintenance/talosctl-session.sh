# shellcheck shell=bash
# Shared start of the maintenance scripts, inlined before each of them.
#
# talosctl_session TASK GOAL: ends the script (success) when the cluster was
# installed at GOAL in this run (FIRST_DEPLOY=true), and otherwise writes
# TALOSCONFIG_CONTENT to a 0600 file that TALOSCONFIG points at and that is
# removed on exit.
#
# talosctl: the talosctl npm run deploy chose (CLOUDKOFFER_TALOSCTL: the user's own of
# Talos v1.7, or the one built from Talos' release source), else talosctl on PATH.
#
# require_talosctl ACTION: fails, saying how to install talosctl (TALOSCTL_INSTALL),
# when there is none; called before the first node is touched.
#
# wait_healthy: waits until the whole cluster is healthy, the seed's `talosctl
# health` (Talos' own checks, run by the first control plane) for CONTROL_PLANES
# and WORKERS, up to HEALTH_TIMEOUT; fails when it is not. Does nothing when
# HEALTH_WAIT is not true.
#
# backup_etcd: an etcd backup before the cluster is changed, `talosctl etcd
# snapshot` from the first control plane that gives one (talosctl checks it
# with etcd's snapshot status and prints that), into BACKUP_DIR as
# <STACK>-<UTC time>.etcd.snapshot with mode 0600; sealed with the project's
# Talos tool and TF_VAR_state_passphrase when BACKUP_SEAL is true (an
# encrypted state's backups are); the newest BACKUP_KEEP kept. Fails when no
# control plane gives one.
#
# talos_version_of NODE: the Talos version a node runs, asked with talosctl,
# else with the project's own Talos client ($CLOUDKOFFER_TALOS_TOOL, which
# npm run deploy sets); fails when neither is there (see can_ask_nodes).
set -euo pipefail

talosctl_session() {
  task="$1"
  local goal="$2"
  if [ "$FIRST_DEPLOY" = true ]; then
    echo "$task: the cluster was just installed with $goal; nothing to upgrade"
    exit 0
  fi

  # Global, so that the exit trap still sees it.
  session_dir="$(mktemp -d)"
  trap 'rm -rf "$session_dir"' EXIT
  (umask 077 && printf '%s' "$TALOSCONFIG_CONTENT" >"$session_dir/talosconfig")
  unset TALOSCONFIG_CONTENT
  export TALOSCONFIG="$session_dir/talosconfig"
}

talosctl() {
  command "${CLOUDKOFFER_TALOSCTL:-talosctl}" "$@"
}

# A program, not the talosctl function above.
has_talosctl() {
  type -P "${CLOUDKOFFER_TALOSCTL:-talosctl}" >/dev/null 2>&1
}

require_talosctl() {
  if ! has_talosctl; then
    echo "$task: no talosctl to $1; $TALOSCTL_INSTALL; then deploy again" >&2
    exit 1
  fi
}

wait_healthy() {
  if [ "$HEALTH_WAIT" != true ]; then
    return 0
  fi
  require_talosctl "wait for the cluster to be healthy"
  local first="${CONTROL_PLANES%% *}"
  local workers=()
  # A cluster of control planes only: talosctl would take an empty list as one node named "".
  # (The +-expansion: bash 3.2, macOS' /bin/bash, calls an empty array unbound under set -u.)
  if [ -n "$WORKERS" ]; then
    workers=("--worker-nodes=$(printf '%s' "$WORKERS" | tr ' ' ',')")
  fi
  talosctl health --nodes="$first" --endpoints="$first" \
    --control-plane-nodes="$(printf '%s' "$CONTROL_PLANES" | tr ' ' ',')" \
    ${workers[@]+"${workers[@]}"} --wait-timeout="$HEALTH_TIMEOUT"
}

backup_etcd() {
  local stamp name taking node said
  stamp="$(date -u +%Y%m%dT%H%M%SZ)"
  name="$STACK-$stamp.etcd.snapshot"
  mkdir -p "$BACKUP_DIR"
  chmod 700 "$BACKUP_DIR"
  # Taken beside the backups, so that putting it in place is a rename.
  taking="$(mktemp -d "$BACKUP_DIR/.taking-XXXXXX")"
  for node in $CONTROL_PLANES; do
    if said="$(umask 077 && talosctl etcd snapshot "$taking/snapshot" --nodes="$node" --endpoints="$node" 2>&1)"; then
      break
    fi
    echo "$task: no etcd snapshot from $node: $(printf '%s' "$said" | tail -n 1)" >&2
    rm -f "$taking/snapshot"
  done
  if [ ! -s "$taking/snapshot" ]; then
    rm -rf "$taking"
    return 1
  fi
  if [ "$BACKUP_SEAL" = true ]; then
    if [ -z "$(talos_tool)" ] || [ -z "${TF_VAR_state_passphrase:-}" ]; then
      echo "$task: the state is encrypted, and its etcd backups are sealed with its passphrase: deploy with npm run deploy and TF_VAR_state_passphrase" >&2
      rm -rf "$taking"
      return 1
    fi
    CLOUDKOFFER_SECRETS_PASSPHRASE="$TF_VAR_state_passphrase" "$(talos_tool)" seal -file "$BACKUP_DIR/$name.sealed" <"$taking/snapshot" >/dev/null || {
      rm -rf "$taking"
      return 1
    }
    name="$name.sealed"
  else
    mv "$taking/snapshot" "$BACKUP_DIR/$name"
  fi
  rm -rf "$taking"
  echo "$task: etcd backup $BACKUP_DIR/$name from $node ($(printf '%s' "$said" | grep 'snapshot info' | sed 's/^snapshot info: //'))"
  # The newest BACKUP_KEEP of this stack stay (names sort by time).
  local backups=() candidate
  for candidate in "$BACKUP_DIR/$STACK"-[0-9]*T[0-9]*Z.etcd.snapshot "$BACKUP_DIR/$STACK"-[0-9]*T[0-9]*Z.etcd.snapshot.sealed; do
    if [ -e "$candidate" ]; then backups+=("$candidate"); fi
  done
  printf '%s\n' "${backups[@]}" | sort |
    awk -v keep="$BACKUP_KEEP" '{ names[NR] = $0 } END { for (i = 1; i <= NR - keep; i++) print names[i] }' |
    while read -r old; do rm -f "$old"; done
}

talos_tool() {
  if [ -n "${CLOUDKOFFER_TALOS_TOOL:-}" ] && [ -x "$CLOUDKOFFER_TALOS_TOOL" ]; then
    echo "$CLOUDKOFFER_TALOS_TOOL"
  fi
}

can_ask_nodes() {
  has_talosctl || [ -n "$(talos_tool)" ]
}

talos_version_of() {
  if has_talosctl; then
    talosctl version --nodes="$1" --endpoints="$1" | awk '/^Server:/ { server = 1 } server && /Tag:/ { tag = $2 } END { print tag }'
  else
    "$(talos_tool)" probe -node "$1" -talosconfig "$TALOSCONFIG" -strict | sed -n 's/.*"version":"\([^"]*\)".*/\1/p'
  fi
}
