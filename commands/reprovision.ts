/**
 * npm run reprovision -- <stack> [--output cdktf.out] [--auto-approve]
 *
 * A Cloudkoffer is often re-imaged between uses, and provider 0.5.0 never
 * notices: applies and bootstrap do nothing on read. This re-applies every
 * node's machine configuration and bootstraps again, by replacing
 * talos_machine_configuration_apply.* and talos_machine_bootstrap.this in one
 * terraform apply of the freshly synthesized stack. The cluster secrets stay:
 * talos_machine_secrets.this is not touched, so talosconfig and PKI survive.
 * Exit status: terraform's, or 2 for bad input.
 */
import * as path from "path";
import { parseArgs } from "util";
import { selectStack } from "../operations/stack-selection";
import { PROJECT_ROOT } from "../lib/project-paths";
import { BOOTSTRAP_ADDRESS, CONTROL_PLANE_APPLY_ADDRESS, WORKER_APPLY_ADDRESS } from "../lib/addresses";
import { ensureSetup, terraformCliEnvironment } from "../setup/setup";
import { initialisedStack, stateAddresses } from "../operations/stack-workdir";
import { engineBinary } from "../operations/engine";
import { runProgram } from "../operations/program";
import { runCommand } from "./command";

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { output: { type: "string", default: "cdktf.out" }, "auto-approve": { type: "boolean", default: false } },
  });
  const stack = selectStack(positionals[0]);
  await ensureSetup();
  const env = terraformCliEnvironment();
  const dir = initialisedStack(stack.name, path.resolve(PROJECT_ROOT, values.output));
  // Every apply (each node's instance) and the bootstrap: the nodes receive their configuration again.
  const replaced = stateAddresses(dir, { env }).filter(
    (address) => [CONTROL_PLANE_APPLY_ADDRESS, WORKER_APPLY_ADDRESS].some((apply) => address.startsWith(`${apply}[`)) || address === BOOTSTRAP_ADDRESS,
  );
  if (!replaced.includes(BOOTSTRAP_ADDRESS)) {
    throw new Error(`${stack.name} has no deployed cluster in its state; deploy it first (npm run deploy -- ${stack.name})`);
  }
  console.log(`reprovision ${stack.name}: applying the configuration to ${replaced.length - 1} nodes again and bootstrapping, keeping the secrets`);
  const apply = runProgram(
    engineBinary(env),
    ["apply", "-input=false", ...(values["auto-approve"] ? ["-auto-approve"] : []), ...replaced.map((address) => `-replace=${address}`)],
    { cwd: dir, stdio: "inherit", env },
  );
  return apply.status;
}

process.umask(0o077); // the state holds every key of the cluster
runCommand("reprovision", main);
