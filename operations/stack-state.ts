import * as path from "path";
import { defaultStatePath } from "../lib/cloudkoffer-profile";
import { terraformCliEnvironment } from "../setup/setup";
import { initialisedStack } from "./stack-workdir";
import { isEncryptedState, pullState, readLocalState, StackState } from "./state";

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
