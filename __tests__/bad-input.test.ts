import { spawnSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { CLOUDKOFFER_PROFILES } from "../lib/cloudkoffer-profile";
import { CloudkofferStackProps } from "../lib/cloudkoffer-stack";
import { formatNodesVariable, parseNodesVariable } from "../operations/nodes-input";
import { loopbackAddresses, TalosSimulator } from "../testing/simulator";
import { synthCloudkoffer } from "./support/synth";
import { cdktfDeploy, synthApp, terraformEnvironment, TerraformWorkspace } from "../testing/terraform";
import { describeWith, PROJECT_ROOT } from "./support/tiers";
import { talosChecks } from "../operations/talos-checks";

const PATCHES = path.join(PROJECT_ROOT, "patches");

/** A patches folder: the project's files, with `changes` replacing or adding files. */
function patchesWith(changes: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "patches-"));
  for (const file of ["all.yaml", "controlplane.yaml"]) {
    writeFileSync(path.join(dir, file), readFileSync(path.join(PATCHES, file)));
  }
  for (const [file, text] of Object.entries(changes)) writeFileSync(path.join(dir, file), text);
  return dir;
}

/** The project's controlplane.yaml with one text replaced. */
function controlPlaneWith(find: string, replace: string): string {
  const text = readFileSync(path.join(PATCHES, "controlplane.yaml"), "utf8");
  expect(text).toContain(find);
  return text.replace(find, replace);
}

const BROKEN_VIP = controlPlaneWith('ip: "{{ cluster_vip }}"', "ip: 192.168.1.1011");

describe("bad construct props fail at synth, naming the stack and the prop", () => {
  test.each<[string, Partial<CloudkofferStackProps>, string]>([
    ["a Talos version without a patch number", { talosVersion: "1.7" }, 'cloudkoffer-v3: talosVersion "1.7" is not a version such as 1.7.4 or v1.7.4'],
    ["a Kubernetes version that is a word", { kubernetesVersion: "latest" }, 'cloudkoffer-v3: kubernetesVersion "latest" is not a version such as 1.30.1'],
    ["a cluster name with spaces", { clusterName: "Cloud Koffer" }, 'cloudkoffer-v3: clusterName "Cloud Koffer" is not a DNS label'],
    ["an endpoint without https", { clusterEndpoint: "http://192.168.1.101:6443" }, 'cloudkoffer-v3: clusterEndpoint "http://192.168.1.101:6443" is not an https URL'],
    [
      "a profile with a host name",
      { profile: { ...CLOUDKOFFER_PROFILES.v3, workers: ["node4"] } },
      'cloudkoffer-v3: profile v3: "node4" is not an IPv4 or IPv6 address',
    ],
    [
      "a profile listing a node twice",
      { profile: { ...CLOUDKOFFER_PROFILES.v3, workers: ["192.168.1.1"] } },
      "cloudkoffer-v3: profile v3: 192.168.1.1 is listed twice",
    ],
    ["a profile without control planes", { profile: { ...CLOUDKOFFER_PROFILES.v3, controlPlanes: [] } }, "cloudkoffer-v3: profile v3 has no control plane"],
    ["a missing patch file", { workerPatchFiles: ["all.yaml", "site.yaml"] }, "site.yaml: patch file not found; create it or remove it from the stack's patches"],
  ])("%s", (_case, props, message) => {
    expect(() => synthCloudkoffer("v3", props)).toThrow(message);
  });
});

describe("a TF_VAR_nodes that does not parse: one line that says how to write it", () => {
  const howTo = `write it as '{"controlplane"=["192.168.1.1"],"worker"=["192.168.1.4"]}'`;
  test.each([
    ["unquoted addresses", "{controlplane=[192.168.1.1],worker=[]}", 'does not parse: expected a quoted address or "]" in "controlplane" at character 16, found "1"'],
    ["a missing list", '{"controlplane"=["192.168.1.1"]}', 'has no "worker" list'],
    ["a misspelled key", '{"controlplane"=["192.168.1.1"],"workers"=[]}', 'has "workers", but only "controlplane" and "worker"'],
    ["shell quoting lost", "controlplane=192.168.1.1", 'does not parse: expected "{" at character 1, found "c"'],
  ])("%s", (_case, value, message) => {
    expect(() => parseNodesVariable(value)).toThrow(`TF_VAR_nodes ${message}; ${howTo}`);
  });

  test("the seed's .envrc spelling and JSON both parse", () => {
    const seed = '{\n  "controlplane"=[\n    "192.168.1.1",\n    "192.168.1.2"\n  ],\n  "worker"=[\n    "192.168.1.4"\n  ]\n}';
    expect(parseNodesVariable(seed)).toEqual({ controlplane: ["192.168.1.1", "192.168.1.2"], worker: ["192.168.1.4"] });
    expect(parseNodesVariable('{"controlplane": ["::1"], "worker": []}')).toEqual({ controlplane: ["::1"], worker: [] });
  });
});

describeWith(["talos schema", "simulator"])("a patch Talos rejects fails synth, naming stack, role and patch", () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test.each<[string, Record<string, string>, RegExp]>([
    [
      "a VIP that is no IP address",
      { "controlplane.yaml": BROKEN_VIP },
      /Talos rejects the cloudkoffer-v3 controlplane, after \S*controlplane\.yaml: \[networking\.os\.device\.vip\] failed to parse "192\.168\.1\.1011" as IP address/,
    ],
    [
      "an inline manifest twice",
      { "all.yaml": "cluster:\n  inlineManifests:\n    - name: cilium-install\n      contents: '---'\n" },
      /Talos rejects the cloudkoffer-v3 controlplane, after \S*all\.yaml: inline manifest name "cilium-install" is duplicate/,
    ],
  ])("%s", (_case, changes, message) => {
    dir = patchesWith(changes);
    expect(() => synthCloudkoffer("v3", { patchesDirectory: dir, talosChecks: talosChecks() })).toThrow(message);
  });
});

/** Mistakes in an .envrc, one row each: the validation blocks' message, through cdktf deploy and plain terraform. */
interface BadVariable {
  readonly name: string;
  readonly env: (controlPlane: string, worker: string) => Record<string, string>;
  readonly message: RegExp;
}

const BAD_VARIABLES: readonly BadVariable[] = [
  {
    name: "TF_VAR_talos_version=1.7",
    env: () => ({ TF_VAR_talos_version: "1.7" }),
    message: /"1\.7" is not a Talos version such as 1\.7\.4 or v1\.7\.4 \(talos_version\)/,
  },
  {
    name: "TF_VAR_kubernetes_version=banana",
    env: () => ({ TF_VAR_kubernetes_version: "banana" }),
    message: /"banana" is not a Kubernetes version such as 1\.30\.1 \(kubernetes_version\)/,
  },
  {
    name: "TF_VAR_kubernetes_version=1.31.0, which Talos 1.7 does not support",
    env: () => ({ TF_VAR_kubernetes_version: "1.31.0" }),
    message: /Kubernetes 1\.31\.0 is not supported by Talos v1\.7\.4: Talos 1\.7 supports Kubernetes 1\.25 to 1\.30 \(kubernetes_version\)/,
  },
  {
    name: "a host name in TF_VAR_nodes",
    env: (controlPlane) => ({ TF_VAR_nodes: `{"controlplane"=["${controlPlane}"],"worker"=["node2"]}` }),
    message: /"node2": not an IPv4 or IPv6 address \(nodes\)/,
  },
  {
    name: "a node twice in TF_VAR_nodes",
    env: (controlPlane) => ({ TF_VAR_nodes: `{"controlplane"=["${controlPlane}"],"worker"=["${controlPlane}"]}` }),
    message: /"[0-9.]+": listed more than once \(nodes\)/,
  },
  {
    name: "no control plane in TF_VAR_nodes",
    env: (_controlPlane, worker) => ({ TF_VAR_nodes: `{"controlplane"=[],"worker"=["${worker}"]}` }),
    message: /nodes\.controlplane is empty: a cluster needs at least one control plane \(nodes\)/,
  },
  {
    name: "an unpinned TF_VAR_cilium_cli_image",
    env: () => ({ TF_VAR_cilium_cli_image: "quay.io/cilium/cilium-cli-ci:latest" }),
    message: /"quay\.io\/cilium\/cilium-cli-ci:latest" is not pinned: give a release tag or a digest, not :latest \(cilium_cli_image\)/,
  },
  {
    name: "a TF_VAR_cluster_vip that is no address",
    env: () => ({ TF_VAR_cluster_vip: "vip.case.local" }),
    message: /"vip\.case\.local" is not an IPv4 or IPv6 address \(cluster_vip\)/,
  },
  {
    name: "a TF_VAR_cluster_vip that is a node's address",
    env: (controlPlane) => ({ TF_VAR_cluster_vip: controlPlane }),
    message: /[0-9.]+ is a node's address too \(cluster_vip\)/,
  },
  {
    name: "TF_VAR_node_timeout=10 minutes",
    env: () => ({ TF_VAR_node_timeout: "10 minutes" }),
    message: /"10 minutes" is not a duration such as 10m, 90s or 1h30m \(node_timeout\)/,
  },
  {
    name: "TF_VAR_health_timeout=soon",
    env: () => ({ TF_VAR_health_timeout: "soon" }),
    message: /"soon" is not a duration such as 10m, 90s or 1h30m \(health_timeout\)/,
  },
  {
    name: "TF_VAR_health_wait=maybe",
    env: () => ({ TF_VAR_health_wait: "maybe" }),
    message: /health_wait/,
  },
];

describeWith(["terraform", "talos provider", "null provider", "tls provider"])("the handed-off Terraform refuses the same values at plan", () => {
  let stacks: string;
  let workspace: TerraformWorkspace;
  beforeAll(() => {
    stacks = synthApp();
    workspace = TerraformWorkspace.copyOf(path.join(stacks, "cloudkoffer-v3"));
    workspace.init();
  });
  afterAll(() => {
    workspace.remove();
    rmSync(path.dirname(stacks), { recursive: true, force: true });
  });

  test.each(BAD_VARIABLES)("$name", ({ env, message }) => {
    const plan = workspace.run(["plan", "-no-color"], env("192.168.1.1", "192.168.1.4"));
    expect(plan.status).not.toBe(0);
    expect(plan.stderr.replace(/\s+/g, " ")).toMatch(message);
    expect(workspace.stateList()).toEqual([]);
  });
});

/**
 * Every mistake of an .envrc or a patch, through a real `cdktf deploy` against
 * simulated nodes: it fails with a message naming the value, and no node
 * receives any call.
 */
describeWith(["terraform", "talos provider", "null provider", "tls provider", "simulator", "kube-apiserver", "talos schema"])("bad input to cdktf deploy touches no node", () => {
  const [controlPlane, worker] = loopbackAddresses("127.23.0", 2);
  const nodes = formatNodesVariable({ controlplane: [controlPlane], worker: [worker] });
  let simulator: TalosSimulator;
  let workdir: string;
  const dirs: string[] = [];

  beforeAll(async () => {
    simulator = await TalosSimulator.start({ nodes: [controlPlane, worker] });
  });
  beforeEach(() => {
    workdir = mkdtempSync(path.join(tmpdir(), "bad-input-"));
  });
  afterEach(async () => {
    rmSync(workdir, { recursive: true, force: true });
    const status = await simulator.status();
    expect(Object.values(status).map((node) => [node.address, node.calls.length])).toEqual([
      [controlPlane, 0],
      [worker, 0],
    ]);
  });
  afterAll(async () => {
    await simulator?.stop();
    dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  });

  test.each(BAD_VARIABLES)("$name", ({ env, message }) => {
    const result = cdktfDeploy("cloudkoffer-v3", workdir, { TF_VAR_nodes: nodes, ...env(controlPlane, worker) });
    expect(result.status).not.toBe(0);
    expect(result.text).toMatch(message);
  });

  test.each([
    ["a TF_VAR_nodes that does not parse", "cloudkoffer-v3", `{controlplane=[${controlPlane}]}`, /^deploy: TF_VAR_nodes does not parse: expected a quoted address or "\]" in "controlplane" at character 16, found "1"; write it as '\{"controlplane"=\["192\.168\.1\.1"\],"worker"=\["192\.168\.1\.4"\]\}'\n$/],
    ["an unknown stack", "cloudkoffer-v4", nodes, /^deploy: unknown stack "cloudkoffer-v4"; the stacks are cloudkoffer-v1, cloudkoffer-v2, cloudkoffer-v3 \(or v1, v2, v3\)\n$/],
  ])("npm run deploy with %s: one line that says what to do", (_case, stack, value, message) => {
    const run = spawnSync("npm", ["run", "--silent", "deploy", "--", stack, "--auto-approve"], {
      cwd: PROJECT_ROOT,
      env: terraformEnvironment({ TF_VAR_nodes: value }),
      encoding: "utf8",
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  test.each<[string, Record<string, string>, RegExp]>([
    ["a patch that is not YAML", { "all.yaml": "machine:\n\tinstall: {}\n" }, /all\.yaml:2: invalid YAML: Tabs are not allowed as indentation/],
    ["a misspelled field", { "all.yaml": "machine:\n  kubelet:\n    extraArg: {}\n" }, /all\.yaml:3: machine\.kubelet\.extraArg: unknown field/],
    [
      "a patch Talos rejects",
      { "controlplane.yaml": BROKEN_VIP },
      /Talos rejects the cloudkoffer-v3 controlplane, after .*controlplane\.yaml: \[networking\.os\.device\.vip\] failed to parse "192\.168\.1\.1011" as IP address/,
    ],
  ])("%s", (_case, changes, message) => {
    const dir = patchesWith(changes);
    dirs.push(dir);
    const app = `node -r esbuild-register ${path.join(__dirname, "support", "app-with-patches.ts")}`;
    const result = cdktfDeploy("cloudkoffer-v3", workdir, { TF_VAR_nodes: nodes, TEST_PATCHES_DIRECTORY: dir }, ["--app", app]);
    expect(result.status).not.toBe(0);
    expect(result.text).toMatch(message);
  });
});
