/**
 * npm run secrets -- export <stack> [--file secrets.yaml] [--output cdktf.out] [--force]
 * npm run secrets -- import <stack> [--file secrets.yaml] [--output cdktf.out]
 *
 * Losing talos_machine_secrets.this locks the owner out of the cluster. export
 * writes the stack's secrets from its state as Talos' own secrets.yaml (what
 * `talosctl gen secrets` writes), mode 0600, never over an existing file
 * unless --force. import adopts such a file into a stack whose state has no
 * secrets yet, e.g. to take over a cluster made with talosctl or to restore a
 * lost state; a backup sealed with the state's passphrase is unsealed for it
 * with TF_VAR_state_passphrase (operations/secrets.ts).
 * Exit status: 0 on success; 2 for bad input (nothing was touched).
 */
import { existsSync } from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { SECRETS_ADDRESS } from "../lib/addresses";
import { PROJECT_ROOT } from "../lib/project-paths";
import { selectStack } from "../operations/stack-selection";
import { adoptSecrets, exportSecrets, stateSecrets } from "../operations/secrets";
import { initialisedStack, stateAddresses } from "../operations/stack-workdir";
import { DEFAULT_TALOS_TOOL } from "../operations/talos-tool";
import { ensureSetup, terraformCliEnvironment } from "../setup/setup";
import { runCommand } from "./command";

runCommand("secrets", async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { file: { type: "string", default: "secrets.yaml" }, output: { type: "string", default: "cdktf.out" }, force: { type: "boolean", default: false } },
  });
  const [action, name] = positionals;
  if (action !== "export" && action !== "import") throw new Error(`say export or import, then the stack: npm run secrets -- export cloudkoffer-v3`);
  const stack = selectStack(name);
  const file = path.resolve(process.cwd(), values.file);
  // Before anything is set up or read: the file is the user's.
  if (action === "export" && existsSync(file) && !values.force) throw new Error(`${file} exists; export refuses to overwrite secrets (--force to do it anyway)`);
  if (action === "import" && !existsSync(file)) throw new Error(`${file} does not exist; name the secrets.yaml to import with --file`);
  await ensureSetup();
  process.umask(0o077); // terraform's state and our files: readable by the owner only
  const env = terraformCliEnvironment();
  const dir = initialisedStack(stack.name, path.resolve(PROJECT_ROOT, values.output));
  const present = stateAddresses(dir, { env }).includes(SECRETS_ADDRESS);
  if (action === "export") {
    const secrets = present ? stateSecrets(dir, env) : undefined;
    if (!secrets) throw new Error(`${stack.name} has no ${SECRETS_ADDRESS} in its state: nothing to export`);
    exportSecrets(secrets, file, values.force);
    console.log(`secrets: exported the secrets of ${stack.name} to ${file} (mode 0600). It holds every key of the cluster: keep it safe.`);
  } else {
    if (present) throw new Error(`${stack.name} already has ${SECRETS_ADDRESS}; importing would not replace it (export first, then start from an empty state)`);
    adoptSecrets(dir, file, env, DEFAULT_TALOS_TOOL);
    console.log(`secrets: ${stack.name} now uses the secrets of ${file}; deploy to configure the nodes with them`);
  }
  return 0;
});
