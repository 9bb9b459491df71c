/**
 * npm run reprovision: a Cloudkoffer is often re-imaged between uses, and
 * provider 0.5.0 never notices (applies and bootstrap do nothing on read), so
 * this replaces them in one terraform apply. Its help: `command` below.
 */
import { selectStack } from "../operations/stack-selection";
import { BOOTSTRAP_ADDRESS, CONTROL_PLANE_APPLY_ADDRESS, WORKER_APPLY_ADDRESS } from "../lib/addresses";
import { ensureSetup, terraformCliEnvironment } from "../setup/setup";
import { initialisedStack, stateAddresses } from "../operations/stack-workdir";
import { engineBinary } from "../operations/engine";
import { runProgram } from "../operations/program";
import { BAD_INPUT_STATUS, CommandSpec, OUTPUT_OPTION, STACK_ARGUMENT, STATE_ENVIRONMENT } from "../operations/command-line";
import { runCommand } from "./command";

export const command: CommandSpec = {
  name: "reprovision",
  summary: "Configure re-imaged nodes again, same secrets",
  usage: ["<stack> [options]"],
  description: [
    "Re-applies every node's machine configuration and bootstraps again, by replacing talos_machine_configuration_apply.* and talos_machine_bootstrap.this in one terraform apply of the freshly synthesized stack. talos_machine_secrets.this is not touched: the talosconfig and the PKI stay valid.",
  ],
  arguments: [STACK_ARGUMENT],
  options: { "auto-approve": { type: "boolean", description: "apply without asking" }, output: OUTPUT_OPTION },
  environment: STATE_ENVIRONMENT,
  exitStatuses: [{ name: "0", description: "re-provisioned" }, { name: "1", description: "terraform's apply failed" }, BAD_INPUT_STATUS],
};

if (require.main === module) {
  process.umask(0o077); // the state holds every key of the cluster
  runCommand(command, async (args) => {
    const stack = selectStack(args.positionals[0]);
    await ensureSetup();
    const env = terraformCliEnvironment();
    const dir = initialisedStack(stack.name, args.outputFolder());
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
      ["apply", "-input=false", ...(args.flag("auto-approve") ? ["-auto-approve"] : []), ...replaced.map((address) => `-replace=${address}`)],
      { cwd: dir, stdio: "inherit", env },
    );
    return apply.status;
  });
}
