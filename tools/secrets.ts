/**
 * npm run secrets -- export <stack> [--file secrets.yaml] [--output cdktf.out] [--force]
 * npm run secrets -- import <stack> [--file secrets.yaml] [--output cdktf.out]
 *
 * Losing talos_machine_secrets.this locks the owner out of the cluster. export
 * writes the stack's secrets from its state as Talos' own secrets.yaml (what
 * `talosctl gen secrets` writes), mode 0600, never over an existing file
 * unless --force. import adopts such a file into a stack whose state has no
 * secrets yet (`terraform import talos_machine_secrets.this <file>`), e.g. to
 * take over a cluster made with talosctl or to restore a lost state. A
 * secrets backup sealed with the state's passphrase (an encrypted state's)
 * is unsealed for the import with TF_VAR_state_passphrase.
 * Exit status: terraform's, 0 on success, 2 for bad input.
 */
import { existsSync, writeFileSync } from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { selectStack } from "../lib/stack-selection";
import { PROJECT_ROOT } from "../lib/project-paths";
import { importResources } from "./deploy-recovery";
import { MachineSecrets, secretsYaml } from "./secrets-yaml";
import { ensureSetup, SetupError, terraformCliEnvironment } from "./setup";
import { initialisedStack, run, stateAddresses } from "./stack-workdir";
import { engineBinary } from "./engine";
import { isSealedBackup, withUnsealedBackup } from "./sealed-backup";
import { DEFAULT_TALOS_TOOL } from "../lib/talos-validation";

const ADDRESS = "talos_machine_secrets.this";

interface StateResource {
  readonly address: string;
  readonly values: { readonly machine_secrets: MachineSecrets };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      file: { type: "string", default: "secrets.yaml" },
      output: { type: "string", default: "cdktf.out" },
      force: { type: "boolean", default: false },
    },
  });
  const [action, name] = positionals;
  if (action !== "export" && action !== "import") {
    throw new Error(`say export or import, then the stack: npm run secrets -- export cloudkoffer-v3`);
  }
  const stack = selectStack(name);
  const file = path.resolve(process.cwd(), values.file);
  if (action === "export" && existsSync(file) && !values.force) {
    throw new Error(`${file} exists; export refuses to overwrite secrets (--force to do it anyway)`);
  }
  if (action === "import" && !existsSync(file)) {
    throw new Error(`${file} does not exist; name the secrets.yaml to import with --file`);
  }
  await ensureSetup();
  const env = terraformCliEnvironment();
  const dir = initialisedStack(stack.name, path.resolve(PROJECT_ROOT, values.output));
  const present = stateAddresses(dir, { env }).includes(ADDRESS);

  if (action === "export") {
    if (!present) throw new Error(`${stack.name} has no ${ADDRESS} in its state: nothing to export`);
    const state = JSON.parse(run(engineBinary(env), ["show", "-json"], { cwd: dir, env })) as {
      values: { root_module: { resources: StateResource[] } };
    };
    const resource = state.values.root_module.resources.find((candidate) => candidate.address === ADDRESS);
    if (!resource) throw new Error(`${ADDRESS} is missing from terraform show`);
    writeFileSync(file, secretsYaml(resource.values.machine_secrets), { mode: 0o600, flag: values.force ? "w" : "wx" });
    console.log(`secrets: exported the secrets of ${stack.name} to ${file} (mode 0600). It holds every key of the cluster: keep it safe.`);
  } else {
    if (present) {
      throw new Error(`${stack.name} already has ${ADDRESS}; importing would not replace it (export first, then start from an empty state)`);
    }
    const adopt = (secrets: string) => importResources(dir, [{ address: ADDRESS, id: secrets }], env);
    if (!isSealedBackup(file)) adopt(file);
    else if (!env.TF_VAR_state_passphrase) throw new Error(`${file} is sealed with the state's passphrase: set TF_VAR_state_passphrase`);
    else withUnsealedBackup(file, env.TF_VAR_state_passphrase, DEFAULT_TALOS_TOOL, adopt);
    console.log(`secrets: ${stack.name} now uses the secrets of ${file}; deploy to configure the nodes with them`);
  }
}

const umask = process.umask(0o077); // terraform's state and our files: readable by the owner only
main()
  .catch((error: unknown) => {
    console.error(`secrets: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = error instanceof SetupError ? error.status : 2;
  })
  .finally(() => process.umask(umask));
