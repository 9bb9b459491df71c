/**
 * npm run backup -- <stack> [--dir backups] [--keep 10] [--output cdktf.out]
 *
 * An etcd backup of the deployed stack: `talosctl etcd snapshot` from the
 * first control plane that gives one (the state's client certificate, the
 * stack's nodes: TF_VAR_nodes or the profile's), checked with etcd's own
 * snapshot status (hash, revision, keys, printed), written atomically with
 * mode 0600 to `<dir>/<stack>-<UTC time>.etcd.snapshot` (dir: --dir, else
 * CLOUDKOFFER_BACKUP_DIR, else backups/, git-ignored); sealed with
 * TF_VAR_state_passphrase when the state is encrypted
 * (CLOUDKOFFER_STATE_ENCRYPTION=passphrase); the newest --keep kept.
 * talosctl: yours of Talos v1.7, else the one built here.
 * Exit status: 0 written; 1 no deployed cluster, no talosctl, or no control
 * plane gave a sound snapshot; 2 for bad input.
 */
import * as path from "path";
import { parseArgs } from "util";
import { PROJECT_ROOT } from "../lib/project-paths";
import { DEFAULT_BACKUP_DIRECTORY, DEFAULT_BACKUP_KEEP, describeSnapshot, takeBackup } from "../operations/etcd-backup";
import { clusterAccess } from "../operations/stack-state";
import { selectStack } from "../operations/stack-selection";
import { runCommand } from "./command";

runCommand("backup", async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      dir: { type: "string", default: process.env.CLOUDKOFFER_BACKUP_DIR ?? DEFAULT_BACKUP_DIRECTORY },
      keep: { type: "string", default: String(DEFAULT_BACKUP_KEEP) },
      output: { type: "string", default: "cdktf.out" },
    },
  });
  const keep = Number(values.keep);
  if (!/^\d+$/.test(values.keep) || keep < 1) throw new Error(`--keep ${values.keep}: say how many backups to keep, at least 1`);
  const stack = selectStack(positionals[0]);
  const sealed = process.env.CLOUDKOFFER_STATE_ENCRYPTION === "passphrase";
  if (sealed && !process.env.TF_VAR_state_passphrase) {
    throw new Error("CLOUDKOFFER_STATE_ENCRYPTION=passphrase: TF_VAR_state_passphrase is not set, and an encrypted state's backups are sealed with it");
  }
  const access = clusterAccess(stack.name, path.resolve(PROJECT_ROOT, values.output));
  if ("missing" in access) {
    console.error(`backup: ${access.missing}`);
    return 1;
  }
  try {
    const backup = await takeBackup({
      stack: stack.name,
      nodes: stack.nodes,
      client: access.client,
      talosctl: access.talosctl,
      // npm runs scripts in the project's folder: a relative path is the user's, from where npm was run.
      directory: path.resolve(process.env.INIT_CWD ?? process.cwd(), values.dir),
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
