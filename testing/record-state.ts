/**
 * Records the unit tier's states (__tests__/unit/fixtures): a `cdktf deploy
 * cloudkoffer-v1` of 3 + 2 simulated nodes, its local state file and
 * `terraform show -json` of it, with every private key, secret, token and
 * configuration that carries one replaced by REDACTED (certificates, which
 * are public, stay, so that their validity can be read).
 *
 * Run it in a loopback-only namespace, after npm run setup:
 *   testing/loopback-only.sh node -r esbuild-register testing/record-state.ts
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { formatNodesVariable } from "../operations/nodes-input";
import { loopbackAddresses, TalosSimulator } from "./simulator";
import { cdktfDeploy, deployedStack, expectDeployed } from "./terraform";
import { PROJECT_ROOT } from "../lib/project-paths";

const STACK = "cloudkoffer-v1";
const FIXTURES = path.join(PROJECT_ROOT, "__tests__", "unit", "fixtures");

/** Attributes whose values are secret, or carry a secret inside. */
const SECRET_FIELDS = new Set([
  "bootstrap_token",
  "ca_private_key_pem",
  "cert_request_pem",
  "client_key",
  "key",
  "kubeconfig_raw",
  "kubernetes_client_configuration",
  "machine_configuration",
  "machine_configuration_input",
  "private_key_openssh",
  "private_key_pem",
  "private_key_pem_pkcs8",
  "secret",
  "secretbox_encryption_secret",
  "talos_config",
  "token",
]);
/** Outputs whose whole value carries a secret. */
const SECRET_OUTPUTS = new Set(["kubeconfig_raw", "machineconfig_controlplane", "machineconfig_worker", "talosconfig"]);

/** A copy of a JSON value with every string under a secret field replaced. */
export function redact(value: unknown, secret = false): unknown {
  if (typeof value === "string") return secret ? "REDACTED" : value;
  if (Array.isArray(value)) return value.map((item) => redact(item, secret));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([field, item]) => [field, redact(item, secret || SECRET_FIELDS.has(field))]));
  }
  return value;
}

/** A state or `show -json` document with its secrets redacted, the secret outputs (where `outputsOf` finds them) included. */
function redactDocument(document: unknown, outputsOf: (document: Record<string, unknown>) => unknown): unknown {
  const redacted = redact(document) as Record<string, unknown>;
  const outputs = outputsOf(redacted) as Record<string, { value: unknown }>;
  for (const name of Object.keys(outputs)) if (SECRET_OUTPUTS.has(name)) outputs[name] = { ...outputs[name], value: "REDACTED" };
  if (/PRIVATE KEY/.test(JSON.stringify(redacted))) throw new Error("record-state: a private key is left after redaction");
  return redacted;
}

const json = (document: unknown): string => `${JSON.stringify(document, null, 1)}\n`;

async function main(): Promise<void> {
  const nodes = loopbackAddresses("127.91.0", 5);
  const simulator = await TalosSimulator.start({ nodes });
  const workdir = mkdtempSync(path.join(tmpdir(), "record-state-"));
  try {
    const env = { TF_VAR_nodes: formatNodesVariable({ controlplane: nodes.slice(0, 3), worker: nodes.slice(3) }) };
    expectDeployed(cdktfDeploy(STACK, workdir, env));
    const state: unknown = JSON.parse(readFileSync(path.join(workdir, `terraform.${STACK}.tfstate`), "utf8"));
    const show: unknown = JSON.parse(deployedStack(workdir, env, STACK).ok(["show", "-json"]).stdout);
    writeFileSync(path.join(FIXTURES, `state-${STACK}.json`), json(redactDocument(state, (document) => document.outputs)));
    writeFileSync(path.join(FIXTURES, `show-${STACK}.json`), json(redactDocument(show, (document) => (document.values as Record<string, unknown>).outputs)));
    console.log(`record-state: ${STACK} recorded in ${path.relative(PROJECT_ROOT, FIXTURES)}`);
  } finally {
    await simulator.stop();
    rmSync(workdir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`record-state: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
