/**
 * The state of a stack as the project's operations read it: a local state
 * file (parsed, repaired when terraform left it empty or truncated, told
 * apart from an encrypted one), any backend's (`terraform state pull`), and
 * imports into it.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { ADMIN_CERTIFICATE_ADDRESS, ADMIN_KEY_ADDRESS, KUBECONFIG_ADDRESS, SECRETS_ADDRESS, SECRETS_BACKUP_ADDRESS, TALOS_UPGRADE_ADDRESS } from "../lib/addresses";
import { writeFileAtomically } from "./atomic-file";
import { MachineSecrets, secretsYaml } from "./secrets-yaml";
import { run } from "./stack-workdir";
import { engineBinary } from "./engine";

/** The parts of a Terraform state snapshot read here (format 4, as in the file and `terraform state pull`). */
interface StateSnapshot {
  readonly resources?: readonly {
    readonly mode: "managed" | "data";
    readonly type: string;
    readonly name: string;
    readonly instances: readonly { readonly attributes?: Record<string, unknown> }[];
  }[];
  readonly outputs?: Readonly<Record<string, { readonly value?: unknown }>>;
}

/** A Talos API client certificate, as talos_machine_secrets holds it (base64 PEM). */
export interface ClientConfiguration {
  readonly ca_certificate: string;
  readonly client_certificate: string;
  readonly client_key: string;
}

/** A state as far as npm run deploy needs it. */
export class StackState {
  constructor(private readonly snapshot: StateSnapshot) {}

  /** The managed resources' addresses (instances collapsed), e.g. `talos_machine_bootstrap.this`. */
  get addresses(): Set<string> {
    return new Set((this.snapshot.resources ?? []).filter((r) => r.mode === "managed" && r.instances.length > 0).map((r) => `${r.type}.${r.name}`));
  }

  has(address: string): boolean {
    return this.addresses.has(address);
  }

  /** How many instances of a managed resource the state holds (one per node for the applies). */
  instances(address: string): number {
    const resource = (this.snapshot.resources ?? []).find((r) => r.mode === "managed" && `${r.type}.${r.name}` === address);
    return resource?.instances.length ?? 0;
  }

  /** The attributes of a managed resource without instance keys, when the state has it. */
  private attributes(address: string): Record<string, unknown> | undefined {
    const resource = (this.snapshot.resources ?? []).find((r) => r.mode === "managed" && `${r.type}.${r.name}` === address);
    return resource?.instances[0]?.attributes;
  }

  /**
   * The admin client certificate the stack talks to the nodes with: its own
   * (tls_locally_signed_cert.admin), else, in a state from before it had one,
   * the one provider 0.5.0 signed with the secrets.
   */
  get clientConfiguration(): ClientConfiguration | undefined {
    const secrets = this.attributes(SECRETS_ADDRESS)?.client_configuration as ClientConfiguration | undefined;
    const certificate = this.attributes(ADMIN_CERTIFICATE_ADDRESS)?.cert_pem;
    const key = this.attributes(ADMIN_KEY_ADDRESS)?.private_key_pem;
    if (!secrets || typeof certificate !== "string" || typeof key !== "string") return secrets;
    const base64 = (pem: string) => Buffer.from(pem).toString("base64");
    return { ca_certificate: secrets.ca_certificate, client_certificate: base64(certificate), client_key: base64(key) };
  }

  /** The admin certificate as the tls provider recorded it, when the state has it. */
  get adminCertificate(): { readonly certPem: string; readonly renewalHours: number } | undefined {
    const attributes = this.attributes(ADMIN_CERTIFICATE_ADDRESS);
    if (typeof attributes?.cert_pem !== "string") return undefined;
    return { certPem: attributes.cert_pem, renewalHours: Number(attributes.early_renewal_hours ?? 0) };
  }

  /** The client certificate of the admin kubeconfig kept in null_resource.kubeconfig (base64 PEM), when there is one. */
  get kubeconfigClientCertificate(): string | undefined {
    const triggers = this.attributes(KUBECONFIG_ADDRESS)?.triggers as { kubernetes_client_configuration?: string } | undefined;
    if (!triggers?.kubernetes_client_configuration) return undefined;
    try {
      return (JSON.parse(triggers.kubernetes_client_configuration) as { client_certificate?: string }).client_certificate;
    } catch {
      return undefined;
    }
  }

  /** The cluster secrets, when the state has them. */
  get machineSecrets(): MachineSecrets | undefined {
    return this.attributes(SECRETS_ADDRESS)?.machine_secrets as MachineSecrets | undefined;
  }

  /** A string output of the last apply (e.g. talosconfig, kubeconfig_raw), when the state has it. */
  output(name: string): string | undefined {
    const value = this.snapshot.outputs?.[name]?.value;
    return typeof value === "string" ? value : undefined;
  }

  /** Where null_resource.secrets_backup wrote the secrets, relative to the stack's folder, when it did. */
  get secretsBackupFile(): string | undefined {
    const file = (this.attributes(SECRETS_BACKUP_ADDRESS)?.triggers as { file?: string } | undefined)?.file;
    return typeof file === "string" ? file : undefined;
  }

  /** The Talos version the last roll was started for (null_resource.talos_upgrade's trigger). */
  get talosRollTarget(): string | undefined {
    return (this.attributes(TALOS_UPGRADE_ADDRESS)?.triggers as { talos_version?: string } | undefined)?.talos_version;
  }
}

/** Writes a secrets.yaml atomically, mode 0600: the stack's backup, restored. */
export function writeSecretsBackup(file: string, secrets: MachineSecrets): void {
  writeFileAtomically(file, secretsYaml(secrets));
}

/** A state file as OpenTofu encrypts it: its resources sealed in encrypted_data. */
interface EncryptedSnapshot {
  readonly encrypted_data: string;
}

/** Whether a file holds a state snapshot: JSON with a version, or OpenTofu's encrypted form of one. */
function parsesAsState(file: string): StateSnapshot | EncryptedSnapshot | undefined {
  try {
    const snapshot = JSON.parse(readFileSync(file, "utf8")) as StateSnapshot & { version?: unknown; encrypted_data?: unknown };
    if (typeof snapshot.encrypted_data === "string") return { encrypted_data: snapshot.encrypted_data };
    return typeof snapshot.version === "number" ? snapshot : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a local state file is encrypted (OpenTofu): only tofu, with the passphrase, reads it. */
export function isEncryptedState(file: string): boolean {
  const snapshot = existsSync(file) ? parsesAsState(file) : undefined;
  return snapshot !== undefined && "encrypted_data" in snapshot;
}

/**
 * Keeps a local state file that does not parse (terraform was stopped while
 * rewriting it) aside, and restores terraform's backup of it (the state as it
 * was when that run began) when that parses.
 * @returns what was done, one line each; none when the file is sound or missing
 */
export function repairLocalState(file: string, now: Date = new Date()): string[] {
  if (!existsSync(file) || parsesAsState(file)) return [];
  const stamp = `${file}.corrupt-${now.toISOString().replace(/[-:]/g, "").replace(/\..*/, "Z")}`;
  // A second repair within the same second keeps both files.
  let kept = stamp;
  for (let n = 2; existsSync(kept); n++) kept = `${stamp}-${n}`;
  renameSync(file, kept);
  const lines = [`${file} is empty or truncated (terraform was stopped while writing it); kept as ${kept}`];
  const backup = `${file}.backup`;
  if (parsesAsState(backup)) {
    copyFileSync(backup, file);
    lines.push(`restored ${file} from ${backup}, the state as the interrupted run found it`);
  }
  return lines;
}

/**
 * A local state file's state; an empty one where there is no file.
 * @throws Error naming the file when it is encrypted, or empty or truncated (repairLocalState mends it)
 */
export function readLocalState(file: string): StackState {
  if (!existsSync(file)) return new StackState({});
  const snapshot = parsesAsState(file);
  if (!snapshot) throw new Error(`${file} is empty or truncated (terraform was stopped while writing it): npm run deploy keeps it aside and restores terraform's backup`);
  if ("encrypted_data" in snapshot) throw new Error(`${file} is encrypted: read it with tofu state pull`);
  return new StackState(snapshot);
}

/**
 * What to say when the engine could not decrypt a state (OpenTofu): that the
 * passphrase is wrong or missing; undefined for any other failure.
 */
export function undecryptable(where: string, said: string, env: NodeJS.ProcessEnv): string | undefined {
  if (!/decrypt/i.test(said)) return undefined;
  const why = env.TF_VAR_state_passphrase ? "TF_VAR_state_passphrase is not its passphrase" : "TF_VAR_state_passphrase is not set";
  return `${where} is encrypted and cannot be read: ${why}. Nothing was touched.`;
}

/** The state of an initialised stack folder, whatever its backend (`terraform state pull`). */
export function pullState(dir: string, env: NodeJS.ProcessEnv): StackState {
  let pulled: string;
  try {
    pulled = run(engineBinary(env), ["state", "pull"], { cwd: dir, env }).trim();
  } catch (error) {
    const explained = undecryptable(`the state of ${path.basename(dir)}`, error instanceof Error ? error.message : String(error), env);
    throw explained ? new Error(explained) : error;
  }
  return new StackState(pulled ? (JSON.parse(pulled) as StateSnapshot) : {});
}

/**
 * `terraform import` of resources into a stack's state, on a copy of its JSON
 * that holds only them (and what they reference: variables, locals,
 * providers), without depends_on or import blocks: in the whole stack, import
 * would also read the kubeconfig data source, reaching out to the nodes.
 */
export function importResources(dir: string, imports: readonly { address: string; id: string }[], env: NodeJS.ProcessEnv): void {
  const config = JSON.parse(readFileSync(path.join(dir, "cdk.tf.json"), "utf8")) as {
    terraform: { backend?: Record<string, Record<string, unknown>> };
    resource: Record<string, Record<string, Record<string, unknown>>>;
    [block: string]: unknown;
  };
  const local = config.terraform.backend?.local;
  if (local && typeof local.path === "string") local.path = path.resolve(dir, local.path);
  const resource: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const { address } of imports) {
    const [type, name] = address.split(".");
    const { depends_on: _dependsOn, ...block } = config.resource[type][name]; // eslint-disable-line @typescript-eslint/no-unused-vars
    resource[type] = { ...resource[type], [name]: block };
  }
  // What the imported resources reference, as they are: the secrets for a bootstrap.
  if (!resource.talos_machine_secrets) resource.talos_machine_secrets = config.resource.talos_machine_secrets;
  const reduced = { terraform: config.terraform, provider: config.provider, variable: config.variable, locals: config.locals, resource };
  const work = mkdtempSync(path.join(tmpdir(), "state-import-"));
  try {
    writeFileSync(path.join(work, "cdk.tf.json"), JSON.stringify(reduced, null, 2));
    run(engineBinary(env), ["init", "-input=false", "-no-color"], { cwd: work, env });
    for (const { address, id } of imports) {
      run(engineBinary(env), ["import", "-input=false", "-no-color", address, id], { cwd: work, env });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

