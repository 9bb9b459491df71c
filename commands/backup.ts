/** npm run backup: an etcd backup of the deployed stack (its help: `command` below). */
import { DEFAULT_BACKUP_DIRECTORY, DEFAULT_BACKUP_KEEP, describeSnapshot, takeBackup } from "../operations/etcd-backup";
import { clusterAccess } from "../operations/stack-state";
import { selectStack } from "../operations/stack-selection";
import { CommandSpec, OUTPUT_OPTION, STACK_ARGUMENT, STATE_ENVIRONMENT, UsageError, userPath } from "../operations/command-line";
import { runCommand } from "./command";

export const command: CommandSpec = {
  name: "backup",
  summary: "Take an etcd backup of the deployed cluster",
  usage: ["<stack> [options]"],
  description: [
    "talosctl etcd snapshot from the first control plane that gives one, checked as etcd's restore checks it (hash, revision, keys), written with mode 0600 to DIR/<stack>-<UTC time>.etcd.snapshot; sealed with TF_VAR_state_passphrase when the state is encrypted. Every upgrade takes one first. talosctl is yours of Talos v1.7 on PATH, else the one built here.",
  ],
  arguments: [STACK_ARGUMENT],
  options: {
    dir: { type: "string", value: "DIR", description: "where the backups go, relative to where npm runs (default: CLOUDKOFFER_BACKUP_DIR, else backups/ in the project)" },
    keep: { type: "string", value: "N", default: String(DEFAULT_BACKUP_KEEP), description: "how many of the stack's backups to keep, the newest" },
    output: OUTPUT_OPTION,
  },
  environment: [
    { name: "CLOUDKOFFER_BACKUP_DIR", description: "where the backups go when --dir is not given" },
    { name: "CLOUDKOFFER_STATE_ENCRYPTION", description: "passphrase: seal the backup with TF_VAR_state_passphrase" },
    ...STATE_ENVIRONMENT,
  ],
  exitStatuses: [
    { name: "0", description: "written" },
    { name: "1", description: "no deployed cluster, no talosctl, or no control plane gave a sound snapshot" },
    { name: "2", description: "bad input" },
  ],
};

if (require.main === module) {
  runCommand(command, async (args) => {
    const keepText = args.value("keep");
    const keep = Number(keepText);
    if (!/^\d+$/.test(keepText) || keep < 1) throw new UsageError(`--keep ${keepText}: say how many backups to keep, at least 1`);
    const stack = selectStack(args.positionals[0]);
    const sealed = process.env.CLOUDKOFFER_STATE_ENCRYPTION === "passphrase";
    if (sealed && !process.env.TF_VAR_state_passphrase) {
      throw new Error("CLOUDKOFFER_STATE_ENCRYPTION=passphrase: TF_VAR_state_passphrase is not set, and an encrypted state's backups are sealed with it");
    }
    const access = clusterAccess(stack.name, args.outputFolder());
    if ("missing" in access) {
      console.error(`backup: ${access.missing}`);
      return 1;
    }
    const directory = userPath(args.string("dir") ?? process.env.CLOUDKOFFER_BACKUP_DIR ?? DEFAULT_BACKUP_DIRECTORY);
    try {
      const backup = await takeBackup({
        stack: stack.name,
        nodes: stack.nodes,
        client: access.client,
        talosctl: access.talosctl,
        directory,
        keep,
        passphrase: sealed ? process.env.TF_VAR_state_passphrase : undefined,
      });
      console.log(`backup: ${backup.file} (mode 0600${backup.sealed ? ", sealed with the state's passphrase" : ""}), etcd snapshot from ${backup.node}`);
      console.log(`backup: ${describeSnapshot(backup.status)}`);
      for (const old of backup.removed) console.log(`backup: removed ${old}, keeping the newest ${keep}`);
      return 0;
    } catch (error: unknown) {
      console.error(`backup: ${stack.name}: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    }
  });
}
