/**
 * npm run secrets -- export <stack> [--file secrets.yaml] [--output cdktf.out] [--force]
 * npm run secrets -- import <stack> [--file secrets.yaml] [--output cdktf.out]
 *
 * Losing talos_machine_secrets.this locks the owner out of the cluster. export
 * writes the stack's secrets from its state as Talos' own secrets.yaml (what
 * `talosctl gen secrets` writes), mode 0600, never over an existing file
 * unless --force. import adopts such a file into a stack whose state has no
 * secrets yet (`terraform import talos_machine_secrets.this <file>`), e.g. to
 * take over a cluster made with talosctl or to restore a lost state.
 * Exit status: terraform's, 0 on success, 2 for bad input.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { parseArgs } from "util";
import { stringify } from "yaml";
import { selectStack } from "../lib/deploy-target";
import { PROJECT_ROOT } from "../lib/project-paths";
import { initialisedStack, run, stateAddresses } from "./stack-workdir";

const ADDRESS = "talos_machine_secrets.this";

interface CertAndKey {
  readonly cert: string;
  readonly key: string;
}

/** talos_machine_secrets.machine_secrets as the provider keeps it. */
interface MachineSecrets {
  readonly cluster: { readonly id: string; readonly secret: string };
  readonly secrets: {
    readonly bootstrap_token: string;
    readonly secretbox_encryption_secret: string;
    readonly aescbc_encryption_secret?: string | null;
  };
  readonly trustdinfo: { readonly token: string };
  readonly certs: {
    readonly etcd: CertAndKey;
    readonly k8s: CertAndKey;
    readonly k8s_aggregator: CertAndKey;
    readonly k8s_serviceaccount: { readonly key: string };
    readonly os: CertAndKey;
  };
}

interface StateResource {
  readonly address: string;
  readonly values: { readonly machine_secrets: MachineSecrets };
}

/** The machine secrets in Talos' secrets.yaml layout (secrets.Bundle). */
export function secretsYaml(secrets: MachineSecrets): string {
  const pair = ({ cert, key }: CertAndKey) => ({ crt: cert, key });
  return stringify({
    cluster: { id: secrets.cluster.id, secret: secrets.cluster.secret },
    secrets: {
      bootstraptoken: secrets.secrets.bootstrap_token,
      ...(secrets.secrets.aescbc_encryption_secret ? { aescbcencryptionsecret: secrets.secrets.aescbc_encryption_secret } : {}),
      secretboxencryptionsecret: secrets.secrets.secretbox_encryption_secret,
    },
    trustdinfo: { token: secrets.trustdinfo.token },
    certs: {
      etcd: pair(secrets.certs.etcd),
      k8s: pair(secrets.certs.k8s),
      k8saggregator: pair(secrets.certs.k8s_aggregator),
      k8sserviceaccount: { key: secrets.certs.k8s_serviceaccount.key },
      os: pair(secrets.certs.os),
    },
  });
}

/**
 * `terraform import` of the secrets alone: in the whole stack, import would
 * also read the kubeconfig data source, reaching out to the nodes (and waiting
 * for them up to node_timeout). So the import runs on a copy of the stack's
 * JSON that holds only the secrets, its variables and the same state.
 */
function importSecrets(dir: string, file: string): void {
  const config = JSON.parse(readFileSync(path.join(dir, "cdk.tf.json"), "utf8")) as {
    terraform: { backend: Record<string, Record<string, unknown>> };
    resource: Record<string, unknown>;
    [block: string]: unknown;
  };
  const local = config.terraform.backend.local;
  if (local && typeof local.path === "string") local.path = path.resolve(dir, local.path);
  const secretsOnly = {
    terraform: config.terraform,
    provider: config.provider,
    variable: config.variable,
    locals: config.locals,
    resource: { talos_machine_secrets: config.resource.talos_machine_secrets },
  };
  const work = mkdtempSync(path.join(tmpdir(), "secrets-import-"));
  try {
    writeFileSync(path.join(work, "cdk.tf.json"), JSON.stringify(secretsOnly, null, 2));
    run("terraform", ["init", "-input=false", "-no-color"], { cwd: work });
    run("terraform", ["import", "-input=false", "-no-color", ADDRESS, file], { cwd: work });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function main(): void {
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
  const dir = initialisedStack(stack.name, path.resolve(PROJECT_ROOT, values.output));
  const present = stateAddresses(dir).includes(ADDRESS);

  if (action === "export") {
    if (!present) throw new Error(`${stack.name} has no ${ADDRESS} in its state: nothing to export`);
    const state = JSON.parse(run("terraform", ["show", "-json"], { cwd: dir })) as {
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
    importSecrets(dir, file);
    console.log(`secrets: ${stack.name} now uses the secrets of ${file}; deploy to configure the nodes with them`);
  }
}

const umask = process.umask(0o077); // terraform's state and our files: readable by the owner only
try {
  main();
} catch (error) {
  console.error(`secrets: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
} finally {
  process.umask(umask);
}
