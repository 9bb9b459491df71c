/**
 * npm run credentials -- <stack> [--output cdktf.out]
 *
 * Prints when the stack's credentials expire: the admin client certificate
 * (the talosconfig, and every deploy's access to the nodes) and the admin
 * kubeconfig, each with the date from which a deploy renews it. Reads the
 * local state file without terraform; with CLOUDKOFFER_BACKEND=pg, or a state
 * OpenTofu encrypted (TF_VAR_state_passphrase), it pulls the state. Exit status: 0; 1 when the state holds no cluster; 2 for bad input.
 */
import * as path from "path";
import { parseArgs } from "util";
import { PROJECT_ROOT } from "../lib/project-paths";
import { selectStack } from "../operations/stack-selection";
import { credentialExpiries, describeExpiry } from "../operations/credential-expiry";
import { readStackState } from "../operations/stack-state";
import { runCommand } from "./command";

function main(): number {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { output: { type: "string", default: "cdktf.out" } } });
  const stack = selectStack(positionals[0]);
  const { state, where } = readStackState(stack.name, path.resolve(PROJECT_ROOT, values.output));
  const expiries = credentialExpiries(state);
  if (expiries.length === 0) {
    console.error(`credentials: ${stack.name} has no deployed cluster in ${where}`);
    return 1;
  }
  for (const expiry of expiries) console.log(`${stack.name} ${describeExpiry(expiry)}`);
  return 0;
}

runCommand("credentials", main);
