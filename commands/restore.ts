/** npm run restore: Talos' etcd disaster recovery from a backup (its help: `command` below). */
import { askOnTerminal } from "../operations/confirmation";
import { restoreStack } from "../operations/etcd-restore";
import { clusterAccess } from "../operations/stack-state";
import { selectStack } from "../operations/stack-selection";
import { CommandSpec, OUTPUT_OPTION, STACK_ARGUMENT, STATE_ENVIRONMENT, UsageError, userPath } from "../operations/command-line";
import { runCommand } from "./command";

export const command: CommandSpec = {
  name: "restore",
  summary: "Restore etcd from a backup (disaster recovery)",
  usage: ["<stack> --from FILE [options]"],
  description: [
    "Checks first, before any node is touched: the snapshot opens (a sealed one with TF_VAR_state_passphrase) and its hash verifies, every control plane answers, and etcd has lost its quorum. Then, after a confirmation naming the nodes: the control planes' EPHEMERAL partitions are reset, talosctl bootstrap --recover-from runs on the first, the others join, and the cluster must be healthy. Running it again finishes a restore that stopped half way.",
  ],
  arguments: [STACK_ARGUMENT],
  options: {
    from: { type: "string", value: "FILE", description: "the etcd snapshot to restore (npm run backup writes them to backups/)" },
    "skip-hash-check": { type: "boolean", description: "restore a raw copy of etcd's db file, which has no hash" },
    force: { type: "boolean", description: "restore a healthy cluster too, losing what was written since the snapshot" },
    yes: { type: "boolean", description: "do not ask (for scripts)" },
    "wait-timeout": { type: "string", value: "DURATION", default: "10m", description: "how long to wait for each step" },
    output: OUTPUT_OPTION,
  },
  environment: STATE_ENVIRONMENT,
  exitStatuses: [
    { name: "0", description: "restored, and the cluster is healthy" },
    { name: "1", description: "no deployed cluster, no talosctl, or the restore failed after nodes were touched (what was done is said)" },
    { name: "2", description: "bad input or refused; nothing was touched" },
  ],
};

if (require.main === module) {
  runCommand(command, async (args) => {
    const stack = selectStack(args.positionals[0]);
    const from = args.string("from");
    if (!from) throw new UsageError("--from FILE: name the etcd snapshot to restore (npm run backup writes them to backups/)");
    const access = clusterAccess(stack.name, args.outputFolder());
    if ("missing" in access) {
      console.error(`restore: ${access.missing}`);
      return 1;
    }
    return restoreStack({
      stack: stack.name,
      nodes: stack.nodes,
      client: access.client,
      talosctl: access.talosctl,
      from: userPath(from),
      skipHashCheck: args.flag("skip-hash-check"),
      force: args.flag("force"),
      passphrase: process.env.TF_VAR_state_passphrase,
      confirm: args.flag("yes") ? () => Promise.resolve(true) : (question) => askOnTerminal("restore", question),
      waitTimeout: args.value("wait-timeout"),
    });
  });
}
