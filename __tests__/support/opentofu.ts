/**
 * What the OpenTofu tests (__tests__/opentofu-*.test.ts) share: the real tofu
 * 1.10.10 (built from its Go module by npm run setup), the passphrase of an
 * encrypted state, what a decrypted state's key material is and where it must
 * not be at rest, and a simulated cluster of one control plane and one worker
 * that a file's tests deploy with OpenTofu, one after the other.
 */
import { readdirSync, readFileSync, statSync } from "fs";
import * as path from "path";
import { formatNodesVariable } from "../../operations/nodes-input";
import { engineBinary } from "../../operations/engine";
import { DeployProcess, Finished } from "../../testing/deploy-process";
import { loopbackDeployEnvironment } from "../../testing/loopback";
import { loopbackAddresses, TalosSimulator } from "../../testing/simulator";
import { TerraformWorkspace } from "../../testing/terraform";
import { SimulatedCase } from "./simulated-case";

export const STACK = "cloudkoffer-v1";
export const TOFU = engineBinary({ CLOUDKOFFER_ENGINE: "tofu" });
export const PASSPHRASE = "correct horse battery staple";

/** The simulator's count of successful calls of a method, over all nodes. */
export async function calls(simulator: TalosSimulator): Promise<number> {
  const status = await simulator.status();
  return Object.values(status).reduce((sum, node) => sum + node.calls.filter((call) => call.code === "OK").length, 0);
}

/** The key material a decrypted state holds: every PEM body and base64 PEM of the cluster secrets and the admin key. */
export function keyMaterial(state: string): string[] {
  const parsed = JSON.parse(state) as { resources: { type: string; instances: { attributes: Record<string, unknown> }[] }[] };
  const attributes = (type: string) => parsed.resources.find((resource) => resource.type === type)?.instances[0].attributes ?? {};
  const secrets = attributes("talos_machine_secrets").machine_secrets as { certs: { os: { key: string }; etcd: { key: string }; k8s: { key: string } } };
  const adminKey = String(attributes("tls_private_key").private_key_pem);
  return [secrets.certs.os.key, secrets.certs.etcd.key, secrets.certs.k8s.key, Buffer.from(adminKey).toString("base64"), ...adminKey.split("\n").filter((line) => line.length > 40)];
}

/** The files under a folder that hold a private key, or any of the secrets (the providers' binaries in .terraform aside). */
export function filesHolding(folder: string, secrets: readonly string[]): string[] {
  return readdirSync(folder, { recursive: true, encoding: "utf8" })
    .filter((file) => !file.split(path.sep).includes(".terraform") && statSync(path.join(folder, file)).isFile())
    .filter((file) => {
      const content = readFileSync(path.join(folder, file), "utf8");
      return content.includes("PRIVATE KEY") || secrets.some((secret) => content.includes(secret));
    });
}

/** Whether a secrets backup is sealed, as the Talos tool seals it. */
export function isSealed(file: string): boolean {
  return (JSON.parse(readFileSync(file, "utf8")) as { format?: string }).format === "cloudkoffer sealed secrets backup v1";
}

/**
 * A simulated cluster of one control plane and one worker on `<prefix>.1` and
 * `.2`, and a folder for its state, as a user's project would hold it: started
 * before the tests of the describe block that makes it, stopped after them.
 */
export class OpenTofuCluster extends SimulatedCase {
  readonly nodes: string[];
  /** npm run deploy with OpenTofu. */
  readonly base: Record<string, string>;
  /** ... and the state encrypted with {@link PASSPHRASE}. */
  readonly encrypted: Record<string, string>;

  /** Registers the beforeAll and afterAll hooks: call it in a describe block. */
  constructor(prefix: `127.${number}.${number}`) {
    const nodes = loopbackAddresses(prefix, 2);
    super(nodes, { folderPrefix: "opentofu" });
    this.nodes = nodes;
    this.base = { TF_VAR_nodes: formatNodesVariable({ controlplane: [this.nodes[0]], worker: [this.nodes[1]] }), CLOUDKOFFER_ENGINE: "tofu" };
    this.encrypted = { ...this.base, CLOUDKOFFER_STATE_ENCRYPTION: "passphrase", TF_VAR_state_passphrase: PASSPHRASE };
  }

  get statePath(): string {
    return path.join(this.workdir, `terraform.${STACK}.tfstate`);
  }

  get secretsBackup(): string {
    return path.join(this.workdir, `terraform.${STACK}.secrets.yaml`);
  }

  deploy(env: Record<string, string>): Promise<Finished> {
    return DeployProcess.run(STACK, this.workdir, env);
  }

  /** The deployed stack, to run tofu in. */
  stack(env: Record<string, string>): TerraformWorkspace {
    return TerraformWorkspace.deployed(path.join(this.workdir, "cdktf.out", "stacks", STACK), loopbackDeployEnvironment({ ...env, TERRAFORM_BINARY_NAME: TOFU }));
  }
}
