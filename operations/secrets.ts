/**
 * The cluster secrets outside the state: Talos' own secrets.yaml (what
 * `talosctl gen secrets` writes), exported from a stack's state, or adopted
 * into a state that has none (`terraform import talos_machine_secrets.this
 * <file>`), plain or sealed with the state's passphrase.
 */
import { existsSync } from "fs";
import { SECRETS_ADDRESS } from "../lib/addresses";
import { writeFileAtomically } from "./atomic-file";
import { importResources } from "./state";
import { MachineSecrets, secretsYaml } from "./secrets-yaml";
import { run } from "./stack-workdir";
import { engineBinary } from "./engine";
import { isSealedBackup, withUnsealedBackup } from "./sealed-backup";

/** A secrets file that cannot be adopted as it is: nothing was touched; the message says what is missing. */
export class UnadoptableSecrets extends Error {}

/**
 * Adopts a secrets.yaml, plain or sealed (unsealed for the import with the
 * state's passphrase, and gone afterwards), into the state of the initialised
 * stack folder `dir`; `named` is how messages name the file.
 * @throws UnadoptableSecrets when it is sealed and there is no passphrase or no Talos tool, or the passphrase does not open it
 */
export function adoptSecrets(dir: string, file: string, env: NodeJS.ProcessEnv, talosTool: string, named = file): void {
  const adopt = (secrets: string) => importResources(dir, [{ address: SECRETS_ADDRESS, id: secrets }], env);
  if (!isSealedBackup(file)) return adopt(file);
  const passphrase = env.TF_VAR_state_passphrase;
  if (!passphrase || !existsSync(talosTool)) {
    throw new UnadoptableSecrets(
      `${named} is sealed with the state's passphrase: set CLOUDKOFFER_STATE_ENCRYPTION=passphrase and TF_VAR_state_passphrase` +
        `${existsSync(talosTool) ? "" : `, after npm run setup (${talosTool} unseals it)`}. Nothing was touched.`,
    );
  }
  try {
    withUnsealedBackup(file, passphrase, talosTool, adopt);
  } catch (error) {
    if (!/does not open with this passphrase/.test(error instanceof Error ? error.message : String(error))) throw error;
    throw new UnadoptableSecrets(`${named} does not open with TF_VAR_state_passphrase: it was sealed with another passphrase, or altered. Nothing was touched.`);
  }
}

/** The state's secrets as the provider keeps them (`terraform show -json`), from an initialised stack folder. */
export function stateSecrets(dir: string, env: NodeJS.ProcessEnv): MachineSecrets | undefined {
  const shown = JSON.parse(run(engineBinary(env), ["show", "-json"], { cwd: dir, env })) as {
    values?: { root_module: { resources?: { address: string; values: { machine_secrets: MachineSecrets } }[] } };
  };
  return shown.values?.root_module.resources?.find((resource) => resource.address === SECRETS_ADDRESS)?.values.machine_secrets;
}

/** Writes secrets as Talos' secrets.yaml, atomically and mode 0600, over an existing file only with `force`. */
export function exportSecrets(secrets: MachineSecrets, file: string, force: boolean): void {
  if (existsSync(file) && !force) throw new Error(`${file} exists; export refuses to overwrite secrets (--force to do it anyway)`);
  writeFileAtomically(file, secretsYaml(secrets));
}
