/**
 * npm run restore -- <stack> --from <snapshot> [--skip-hash-check] [--force] [--yes] [--wait-timeout 10m] [--output cdktf.out]
 *
 * Talos' etcd disaster recovery for the deployed stack (operations/etcd-restore.ts):
 * checks first, before any node is touched: the snapshot opens (a sealed one
 * with TF_VAR_state_passphrase), its hash verifies (--skip-hash-check for a
 * raw copy of the db file), every control plane answers, and etcd has lost
 * its quorum (--force restores a healthy cluster, losing what was written
 * since the snapshot). Then, after a confirmation that names the nodes
 * (--yes for scripts): the control planes' EPHEMERAL partitions are reset,
 * etcd waits to be bootstrapped on each, `talosctl bootstrap --recover-from`
 * runs on the first, the others join, and the cluster must be healthy.
 * Running it again finishes a restore that was stopped half way.
 * Exit status: 0 restored; 1 no deployed cluster, no talosctl, or the restore
 * failed after nodes were touched (what was done is said); 2 bad input or
 * refused, nothing touched.
 */
import * as path from "path";
import { createInterface } from "readline";
import { parseArgs } from "util";
import { PROJECT_ROOT } from "../lib/project-paths";
import { restoreStack } from "../operations/etcd-restore";
import { clusterAccess } from "../operations/stack-state";
import { selectStack } from "../operations/stack-selection";
import { runCommand } from "./command";

/** Asks on the terminal; anything but "yes" is no. */
async function askUser(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    console.error(`${question}\nrestore: no terminal to answer on: --yes confirms in a script`);
    return false;
  }
  const terminal = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await new Promise<string>((resolve) => terminal.question(`${question} Type yes: `, resolve));
  terminal.close();
  return answer.trim() === "yes";
}

runCommand("restore", async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      from: { type: "string" },
      "skip-hash-check": { type: "boolean", default: false },
      force: { type: "boolean", default: false },
      yes: { type: "boolean", default: false },
      "wait-timeout": { type: "string", default: "10m" },
      output: { type: "string", default: "cdktf.out" },
    },
  });
  const stack = selectStack(positionals[0]);
  if (!values.from) throw new Error("--from <snapshot>: name the etcd snapshot to restore (npm run backup writes them to backups/)");
  const access = clusterAccess(stack.name, path.resolve(PROJECT_ROOT, values.output));
  if ("missing" in access) {
    console.error(`restore: ${access.missing}`);
    return 1;
  }
  return restoreStack({
    stack: stack.name,
    nodes: stack.nodes,
    client: access.client,
    talosctl: access.talosctl,
    // npm runs scripts in the project's folder: a relative path is the user's, from where npm was run.
    from: path.resolve(process.env.INIT_CWD ?? process.cwd(), values.from),
    skipHashCheck: values["skip-hash-check"],
    force: values.force,
    passphrase: process.env.TF_VAR_state_passphrase,
    confirm: values.yes ? () => Promise.resolve(true) : askUser,
    waitTimeout: values["wait-timeout"],
  });
});
