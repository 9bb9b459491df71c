# Shared start of the maintenance scripts, inlined before each of them.
#
# talosctl_session TASK GOAL ACTION: ends the script (success) when the
# cluster was installed at GOAL in this run (FIRST_DEPLOY=true), fails when
# talosctl is missing, and otherwise writes TALOSCONFIG_CONTENT to a 0600
# file that TALOSCONFIG points at and that is removed on exit.
set -euo pipefail

talosctl_session() {
  local task="$1" goal="$2" action="$3"
  if [ "$FIRST_DEPLOY" = true ]; then
    echo "$task: the cluster was just installed with $goal; nothing to upgrade"
    exit 0
  fi
  if ! command -v talosctl >/dev/null 2>&1; then
    echo "$task: talosctl is not on PATH; install talosctl (https://www.talos.dev/v1.7/talos-guides/install/talosctl/) to $action, then deploy again" >&2
    exit 1
  fi

  # Global, so that the exit trap still sees it.
  session_dir="$(mktemp -d)"
  trap 'rm -rf "$session_dir"' EXIT
  (umask 077 && printf '%s' "$TALOSCONFIG_CONTENT" >"$session_dir/talosconfig")
  unset TALOSCONFIG_CONTENT
  export TALOSCONFIG="$session_dir/talosconfig"
}
