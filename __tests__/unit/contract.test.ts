/**
 * The JSON between the project's TypeScript and its Go commands, pinned by the
 * golden examples in go/contract/ (the Go side checks its types against the
 * same files). Each TypeScript type gives an example with every field
 * (`Required`, so a field added to the type must appear here); its shape, the
 * keys and the type of every value, must be the golden file's. A field renamed,
 * added or dropped on one side only fails here or in Go.
 */
import { readFileSync } from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../../lib/project-paths";
import {
  BootstrapAnswer,
  ProbeResult,
  SEALED_BACKUP_FORMAT,
  SealedBackup,
  TalosPatchSource,
  TalosValidationJob,
  TalosValidationResult,
} from "../../lib/talos-contract";
import { RegistryPackage, RegistryReady } from "../../testing/registry";
import { SimulatedCall, SimulatedClock, SimulatedNode, SimulatorReady } from "../../testing/simulator";

/** A value's shape: the type of every value, and the keys of every object, recursively (arrays by their first element). */
type Shape = string | Shape[] | { [key: string]: Shape };

function shape(value: unknown): Shape {
  if (Array.isArray(value)) return value.length === 0 ? [] : [shape(value[0])];
  if (value === null) return "null";
  if (typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, child]) => [key, shape(child)]),
    );
  }
  return typeof value;
}

/** A golden example of go/contract/. */
function golden(file: string): unknown {
  return JSON.parse(readFileSync(path.join(PROJECT_ROOT, "go", "contract", file), "utf8")) as unknown;
}

const patch: Required<TalosPatchSource> = { source: "patches/all.yaml", yaml: "machine: {}\n" };
const job: Required<TalosValidationJob> = {
  name: "cloudkoffer-v3",
  clusterName: "cloudkoffer",
  clusterEndpoint: "https://192.168.1.101:6443",
  talosVersion: "v1.7.4",
  kubernetesVersion: "1.30.1",
  roles: { controlplane: [patch], worker: [patch] },
};
const result: Required<TalosValidationResult> = {
  name: "cloudkoffer-v3",
  role: "controlplane",
  valid: false,
  source: "patches/all.yaml",
  errors: ["an error"],
  warnings: ["a warning"],
};
const probe: Required<ProbeResult> = { node: "127.0.0.1", answers: true, mode: "configured", version: "v1.7.4", error: "refused" };
const bootstrapped: Required<BootstrapAnswer> = { node: "127.0.0.1", bootstrapped: true, etcd: "Running", error: "none" };
const sealed: Required<SealedBackup> = {
  format: SEALED_BACKUP_FORMAT,
  kdf: "pbkdf2-sha512",
  iterations: 600000,
  salt: "c2FsdA==",
  cipher: "aes-256-gcm",
  nonce: "bm9uY2U=",
  ciphertext: "Y2lwaGVydGV4dA==",
};
const call: Required<SimulatedCall> = { method: "Bootstrap", mode: "configured", code: "OK", at: "2026-01-01T00:00:00Z", ms: 3, clientCertificate: "ab" };
const node: Required<SimulatedNode> = {
  address: "127.10.0.1",
  mode: "configured",
  role: "controlplane",
  configDigest: "ab",
  installDisk: "/dev/sda",
  installImage: "ghcr.io/siderolabs/installer:v1.7.4",
  talosVersion: "v1.7.4",
  applies: 1,
  bootstraps: 1,
  recoveries: 1,
  resets: 2,
  boots: 2,
  upgrades: 0,
  stagedVersion: "v1.7.5",
  faults: { down: false, delay: 0, hang: false, rejectCode: "Unavailable", rejectMethod: "Upgrade", loseReply: "Bootstrap", kubeletDown: true, etcdStopped: false, etcdDataLost: true, nodeNotReady: false, staticPodDown: "kube-scheduler" },
  holds: [{ method: "Bootstrap", at: "after", held: 1 }],
  calls: [call],
};
const clock: Required<SimulatedClock> = { now: "2026-01-01T00:00:00Z", offset: "2h0m0s" };
const simulatorReady: Required<SimulatorReady> = { control: "http://127.0.0.1:1234", nodes: ["127.10.0.1"] };
const registryPackage: Required<RegistryPackage> = {
  namespace: "siderolabs",
  type: "talos",
  version: "0.5.0",
  os: "linux",
  arch: "amd64",
  filename: "terraform-provider-talos_0.5.0_linux_amd64.zip",
  sha256: "ab",
};
const registryReady: Required<RegistryReady> = { url: "https://127.0.0.1:1", providers: "https://127.0.0.1:1/v1/providers/", ca_file: "/tmp/ca.pem", packages: [registryPackage] };
/** What `talos-sim client-cert` prints (read in the credentials tier). */
const clientCertificate: { client_certificate: string; client_key: string } = { client_certificate: "Y2VydA==", client_key: "a2V5" };

test.each([
  ["validation-job.json", "the jobs cloudkoffer-talos validate reads", [job]],
  ["validation-result.json", "the verdicts it prints", [result]],
  ["probe-result.json", "what probe prints", probe],
  ["bootstrapped.json", "what bootstrapped prints", bootstrapped],
  ["sealed-backup.json", "the sealed secrets backup", sealed],
  ["simulator-node.json", "a simulated node's status", node],
  ["simulator-status.json", "the simulator's status", { nodes: { "127.10.0.1": node } }],
  ["simulator-clock.json", "the simulated nodes' clock", clock],
  ["simulator-ready.json", "the line talos-sim serve prints when ready", simulatorReady],
  ["client-cert.json", "what talos-sim client-cert prints", clientCertificate],
  ["test-registry-ready.json", "the line test-registry prints when ready", registryReady],
])("go/contract/%s (%s) has the shape of its TypeScript type", (file, _what, example) => {
  expect(shape(example)).toEqual(shape(golden(file)));
});

test("the sealed backup's format string is the one Go writes", () => {
  expect((golden("sealed-backup.json") as SealedBackup).format).toBe(SEALED_BACKUP_FORMAT);
});
