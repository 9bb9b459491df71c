import { chmodSync, mkdirSync } from "fs";
import * as path from "path";
import { writeFileAtomically } from "./atomic-file";
import { readStackState } from "./stack-state";

/** The client configurations written for a deployed stack. */
export interface WrittenConfigs {
  readonly talosconfig: string;
  readonly kubeconfig: string;
}

/**
 * Writes the stack's talosconfig and admin kubeconfig, as its last apply
 * recorded them (the outputs `talosconfig` and `kubeconfig_raw`), into
 * `directory`: mode 0600 in a folder of mode 0700, each written atomically,
 * so that a client reading it never sees half a file. Throws, writing
 * nothing, when the state holds no deployed cluster.
 */
export function writeStackConfigs(stack: string, output: string, directory: string, env: NodeJS.ProcessEnv = process.env): WrittenConfigs {
  const { state, where } = readStackState(stack, output, env);
  const talosconfig = state.output("talosconfig");
  const kubeconfig = state.output("kubeconfig_raw");
  if (talosconfig === undefined || kubeconfig === undefined) throw new Error(`${stack} has no deployed cluster in ${where}: deploy it first (npm run deploy -- ${stack})`);
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  chmodSync(directory, 0o700);
  const written = { talosconfig: path.join(directory, "talosconfig"), kubeconfig: path.join(directory, "kubeconfig") };
  writeFileAtomically(written.talosconfig, talosconfig);
  writeFileAtomically(written.kubeconfig, kubeconfig);
  return written;
}

/** A path as one word of a POSIX shell: single-quoted where it needs to be. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
