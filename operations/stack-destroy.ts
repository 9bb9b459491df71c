import { existsSync, rmSync } from "fs";
import * as path from "path";
import { defaultStatePath } from "../lib/cloudkoffer-profile";
import { defaultSecretsBackupPath } from "../lib/secrets-backup";
import { terraformCliEnvironment } from "../setup/setup";
import { engineBinary } from "./engine";
import { runProgram } from "./program";
import { ClusterNodes } from "./nodes-input";
import { pullState } from "./state";
import { initialisedStack } from "./stack-workdir";

/** What {@link destroyStack} destroys, and how it asks. */
export interface StackDestroyOptions {
  readonly stack: string;
  /** The stack's nodes, named in the question. */
  readonly nodes: ClusterNodes;
  /** cdktf's output folder. */
  readonly output: string;
  /** Delete the secrets backup (and terraform's backup of the local state, which holds them too). @default false */
  readonly deleteSecretsBackup?: boolean;
  /** Asks the user; anything but true stops before anything is destroyed. */
  readonly confirm: (question: string) => Promise<boolean>;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Where to say what happens. @default console.log */
  readonly say?: (line: string) => void;
}

/**
 * Destroys every resource of a deployed stack, the secrets included: the
 * synthesized stack with `prevent_destroy` lifted (CLOUDKOFFER_DESTROY_SECRETS),
 * `destroy` without a refresh, so that nodes that are gone (re-imaged, off)
 * do not keep it waiting; provider 0.5.0's destroy touches no node.
 *
 * The secrets backup is kept unless told otherwise: the nodes keep running
 * with these secrets until re-imaged, and the next deploy adopts the backup
 * and manages them again. Without it, nobody can.
 * @returns 0 destroyed (or nothing deployed), 1 the engine failed, 2 not confirmed
 */
export async function destroyStack(options: StackDestroyOptions): Promise<number> {
  const say = options.say ?? ((line: string) => console.log(line));
  const env = terraformCliEnvironment({ ...(options.env ?? process.env), CLOUDKOFFER_DESTROY_SECRETS: "yes" });
  const dir = initialisedStack(options.stack, options.output, env);
  const state = pullState(dir, env);
  if (state.addresses.size === 0) {
    say(`destroy: ${options.stack} has nothing deployed; nothing to destroy`);
    return 0;
  }
  const secretsBackup = path.resolve(dir, state.secretsBackupFile ?? defaultSecretsBackupPath(options.stack));
  const stateBackup = path.resolve(dir, `${defaultStatePath(options.stack)}.backup`);
  const nodes = [...options.nodes.controlplane, ...options.nodes.worker];
  const keeps = options.deleteSecretsBackup
    ? `The secrets backup ${secretsBackup} is deleted too: nobody can manage the running nodes again; re-image them.`
    : `The secrets backup ${secretsBackup} is kept: the next deploy adopts it and manages the running nodes again (--delete-secrets-backup deletes it).`;
  say(`destroy ${options.stack}: forgets the cluster on ${nodes.join(", ")}: its ${state.addresses.size} resources, the secrets and PKI in the state, the talosconfig and kubeconfig they sign.`);
  say(`The nodes are not touched: they keep running until re-imaged. ${keeps}`);
  if (!(await options.confirm(`Destroy ${options.stack}?`))) {
    say("destroy: not confirmed; nothing was destroyed");
    return 2;
  }
  const destroy = runProgram(engineBinary(env), ["destroy", "-input=false", "-auto-approve", "-refresh=false"], { cwd: dir, env, stdio: "inherit" });
  if (destroy.status !== 0) {
    say(`destroy: ${engineBinary(env)} destroy failed (${destroy.status}); the state still has what it did not destroy, and the secrets backup is kept`);
    return 1;
  }
  say(`destroy: ${options.stack} is destroyed`);
  if (!options.deleteSecretsBackup) {
    say(`destroy: kept the secrets backup ${secretsBackup}${existsSync(stateBackup) ? ` (terraform's ${stateBackup} holds them too)` : ""}`);
    return 0;
  }
  for (const file of [secretsBackup, stateBackup].filter((candidate) => existsSync(candidate))) {
    rmSync(file, { force: true });
    say(`destroy: deleted ${file}`);
  }
  return 0;
}
