import * as path from "path";
import { defaultStatePath } from "../lib/cloudkoffer-profile";
import { terraformCliEnvironment } from "../setup/setup";
import { initialisedStack } from "./stack-workdir";
import { ClientConfiguration, isEncryptedState, pullState, readLocalState, StackState } from "./state";
import { findTalosctl, noTalosctlMessage } from "./talosctl";

/** A deployed stack's state, and where it was read. */
export interface FoundState {
  readonly state: StackState;
  /** The local state file, or "the pg backend". */
  readonly where: string;
}

/**
 * A stack's state wherever it is: the local state file, read without
 * terraform; with CLOUDKOFFER_BACKEND=pg, or a state OpenTofu encrypted
 * (TF_VAR_state_passphrase), pulled through the engine from the stack
 * synthesized into `output`.
 */
export function readStackState(stack: string, output: string, env: NodeJS.ProcessEnv = process.env): FoundState {
  const local = path.resolve(output, "stacks", stack, defaultStatePath(stack));
  if (env.CLOUDKOFFER_BACKEND === "pg" || isEncryptedState(local)) {
    const engineEnv = terraformCliEnvironment(env);
    return { state: pullState(initialisedStack(stack, output, engineEnv), engineEnv), where: env.CLOUDKOFFER_BACKEND === "pg" ? "the pg backend" : local };
  }
  return { state: readLocalState(local), where: local };
}

/** What a command needs to talk to a deployed stack's nodes with talosctl. */
export interface ClusterAccess {
  /** The state's admin client certificate. */
  readonly client: ClientConfiguration;
  /** The talosctl to run: yours of Talos v1.7, else the one built here. */
  readonly talosctl: string;
}

/**
 * The state's client certificate and a talosctl, or why there are none (no
 * deployed cluster in the state; no talosctl, and how to get one).
 */
export function clusterAccess(stack: string, output: string, env: NodeJS.ProcessEnv = process.env): ClusterAccess | { readonly missing: string } {
  const { state, where } = readStackState(stack, output, env);
  const client = state.clientConfiguration;
  if (!client) return { missing: `${stack} has no deployed cluster in ${where}` };
  const talosctl = findTalosctl(env);
  if (!talosctl) return { missing: noTalosctlMessage(env) };
  return { client, talosctl: talosctl.command };
}
