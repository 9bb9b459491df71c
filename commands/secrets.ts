/**
 * npm run secrets: losing talos_machine_secrets.this locks the owner out of
 * the cluster; export writes them from the state as Talos' own secrets.yaml,
 * import adopts such a file (operations/secrets.ts). Its help: `command` below.
 */
import { existsSync } from "fs";
import { SECRETS_ADDRESS } from "../lib/addresses";
import { selectStack } from "../operations/stack-selection";
import { adoptSecrets, exportSecrets, stateSecrets } from "../operations/secrets";
import { initialisedStack, stateAddresses } from "../operations/stack-workdir";
import { DEFAULT_TALOS_TOOL } from "../operations/talos-tool";
import { ensureSetup, terraformCliEnvironment } from "../setup/setup";
import { CommandSpec, OUTPUT_OPTION, STACK_ARGUMENT, STATE_ENVIRONMENT, UsageError, userPath } from "../operations/command-line";
import { runCommand } from "./command";

export const command: CommandSpec = {
  name: "secrets",
  summary: "Export the cluster's secrets, or import them",
  usage: ["export <stack> [--file FILE] [--force]", "import <stack> [--file FILE]"],
  description: [
    "export writes the stack's secrets from its state as Talos' secrets.yaml (what talosctl gen secrets writes), mode 0600, never over an existing file unless --force. import adopts such a file into a stack whose state has no secrets yet: to take over a cluster made with talosctl, or after a lost state. A backup sealed with the state's passphrase is unsealed with TF_VAR_state_passphrase.",
  ],
  arguments: [{ name: "export|import", description: "the direction" }, STACK_ARGUMENT],
  maxPositionals: 2,
  options: {
    file: { type: "string", value: "FILE", default: "secrets.yaml", description: "the secrets.yaml, relative to where npm runs" },
    force: { type: "boolean", description: "export over an existing file" },
    output: OUTPUT_OPTION,
  },
  environment: STATE_ENVIRONMENT,
  exitStatuses: [{ name: "0", description: "exported or imported" }, { name: "2", description: "bad input; nothing was touched" }],
};

if (require.main === module) {
  runCommand(command, async (args) => {
    const [action, name] = args.positionals;
    if (action !== "export" && action !== "import") throw new UsageError(`say export or import, then the stack: npm run secrets -- export cloudkoffer-v3`);
    const stack = selectStack(name);
    const force = args.flag("force");
    if (force && action === "import") throw new UsageError("--force is for export: import never replaces a state's secrets");
    const file = userPath(args.value("file"));
    // Before anything is set up or read: the file is the user's.
    if (action === "export" && existsSync(file) && !force) throw new Error(`${file} exists; export refuses to overwrite secrets (--force to do it anyway)`);
    if (action === "import" && !existsSync(file)) throw new Error(`${file} does not exist; name the secrets.yaml to import with --file`);
    await ensureSetup();
    process.umask(0o077); // terraform's state and our files: readable by the owner only
    const env = terraformCliEnvironment();
    const dir = initialisedStack(stack.name, args.outputFolder());
    const present = stateAddresses(dir, { env }).includes(SECRETS_ADDRESS);
    if (action === "export") {
      const secrets = present ? stateSecrets(dir, env) : undefined;
      if (!secrets) throw new Error(`${stack.name} has no ${SECRETS_ADDRESS} in its state: nothing to export`);
      exportSecrets(secrets, file, force);
      console.log(`secrets: exported the secrets of ${stack.name} to ${file} (mode 0600). It holds every key of the cluster: keep it safe.`);
    } else {
      if (present) throw new Error(`${stack.name} already has ${SECRETS_ADDRESS}; importing would not replace it (export first, then start from an empty state)`);
      adoptSecrets(dir, file, env, DEFAULT_TALOS_TOOL);
      console.log(`secrets: ${stack.name} now uses the secrets of ${file}; deploy to configure the nodes with them`);
    }
    return 0;
  });
}
