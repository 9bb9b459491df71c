import { spawn, spawnSync } from "child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { parse } from "yaml";
import { CLOUDKOFFER_PROFILES } from "../lib/cloudkoffer-profile";
import { CloudkofferStack } from "../lib/cloudkoffer-stack";
import { formatNodesVariable } from "../operations/nodes-input";
import { loopbackDeployEnvironment } from "../testing/loopback";
import { loopbackAddresses, TalosSimulator } from "../testing/simulator";
import { synthCloudkoffer } from "./support/synth";
import { cdktfDeploy, cdktfDeployCommand, deployedStack, synthApp, terraformEnvironment, TerraformWorkspace } from "../testing/terraform";
import { describeWith, PROJECT_ROOT } from "./support/tiers";
import { testingApp } from "./support/testing-app";
import { talosChecks } from "../operations/talos-checks";
import { ADDRESSES, addressText, SECRETS_ADDRESS } from "../lib/addresses";

/** What key material looks like in PEM, and in the base64 of PEM the provider keeps. */
const KEY_MATERIAL = /PRIVATE KEY|BEGIN CERTIFICATE|LS0tLS1CRUdJTi/;

const LOCAL_HALF = [ADDRESSES.machineSecrets, ADDRESSES.clientConfiguration].map((address) => `-target=${addressText(address)}`);

describe("nothing leaks into what the project writes and commits", () => {
  test("the synthesized JSON of every stack, the snapshots, the README and docs/ hold no key material", () => {
    const stacks = synthApp();
    try {
      for (const stack of readdirSync(stacks)) {
        expect(readFileSync(path.join(stacks, stack, "cdk.tf.json"), "utf8")).not.toMatch(KEY_MATERIAL);
      }
    } finally {
      rmSync(path.dirname(stacks), { recursive: true, force: true });
    }
    const snapshots = path.join(__dirname, "__snapshots__");
    for (const file of readdirSync(snapshots)) expect(readFileSync(path.join(snapshots, file), "utf8")).not.toMatch(KEY_MATERIAL);
    expect(readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8")).not.toMatch(KEY_MATERIAL);
    const docs = path.join(PROJECT_ROOT, "docs");
    for (const file of readdirSync(docs).filter((name) => name.endsWith(".md"))) {
      expect({ file, text: readFileSync(path.join(docs, file), "utf8") }).not.toEqual({ file, text: expect.stringMatching(KEY_MATERIAL) });
    }
  });

  test.each([
    "talosconfig",
    "kubeconfig",
    "secrets.yaml",
    "terraform.cloudkoffer-v3.tfstate",
    "terraform.cloudkoffer-v3.tfstate.backup",
    "terraform.cloudkoffer-v3.tfstate.corrupt-20261129T120000Z",
    "terraform.cloudkoffer-v3.secrets.yaml",
    "terraform.cloudkoffer-v3.secrets.yaml.replaced-20261129T120000Z",
    ".envrc",
  ])(
    "%s is git-ignored",
    (file) => {
      expect(spawnSync("git", ["check-ignore", "-q", file], { cwd: PROJECT_ROOT }).status).toBe(0);
    },
  );

  test("the secrets are protected from destruction and replacement, unless a destroy is meant", () => {
    const lifecycle = (json: string) => JSON.parse(json).resource.talos_machine_secrets.this.lifecycle;
    expect(lifecycle(synthCloudkoffer("v3").json)).toEqual({ prevent_destroy: true });
    expect(lifecycle(synthCloudkoffer("v3", { protectSecrets: false }).json)).toEqual({ prevent_destroy: false });
  });

  test("the pg backend takes its connection from the environment, never from the JSON", () => {
    const { config } = synthCloudkoffer("v3", { backend: "pg" });
    expect(config.terraform.backend).toEqual({ pg: { schema_name: "cloudkoffer_v3" } });
  });
});

describeWith(["talos schema", "simulator"])("supply chain: unpinned images and manifests are called out at synth", () => {
  const warningsOf = (patches: Record<string, string>) => {
    const dir = mkdtempSync(path.join(tmpdir(), "patches-"));
    try {
      for (const [file, text] of Object.entries(patches)) writeFileSync(path.join(dir, file), text);
      const stack = new CloudkofferStack(testingApp(), "cloudkoffer-v3", { profile: CLOUDKOFFER_PROFILES.v3, patchesDirectory: dir, talosChecks: talosChecks() });
      return stack.node.metadata.filter((entry) => entry.type === "@cdktf/warn").map((entry) => String(entry.data));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  test("the project's own patches pin everything: the Cilium CLI image comes from a pinned variable", () => {
    const stack = new CloudkofferStack(testingApp(), "cloudkoffer-v3", { profile: CLOUDKOFFER_PROFILES.v3, talosChecks: talosChecks() });
    expect(stack.node.metadata.filter((entry) => entry.type === "@cdktf/warn")).toEqual([]);
    const { config } = synthCloudkoffer("v3");
    expect(config.variable.cilium_cli_image.default).toMatch(/^quay\.io\/cilium\/cilium-cli:v\d+\.\d+\.\d+$/);
    expect(JSON.stringify(config.data.talos_machine_configuration.controlplane)).toContain("image: ${local.inputs.cilium_cli_image}");
  });

  test("a :latest image, an untagged image and a manifest from a branch are warned about, with file and line", () => {
    const cluster = [
      "cluster:",
      "  extraManifests:",
      "    - https://raw.githubusercontent.com/example/thing/main/deploy.yaml",
      "  inlineManifests:",
      "    - name: job",
      "      contents: |",
      "        image: quay.io/example/tool:latest",
      "        image: busybox",
      "",
    ].join("\n");
    const warnings = warningsOf({ "controlplane.yaml": cluster, "all.yaml": "machine: {}\n" });
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/controlplane\.yaml:3: manifest https:\/\/raw\.githubusercontent\.com\/example\/thing\/main\/deploy\.yaml is not pinned to a release$/),
        expect.stringMatching(/controlplane\.yaml:7: image quay\.io\/example\/tool:latest is not pinned to a release \(tag or digest\)$/),
        expect.stringMatching(/controlplane\.yaml:8: image busybox is not pinned to a release \(tag or digest\)$/),
      ]),
    );
  });

  test("a file both roles apply is read once: its unpinned image is called out once", () => {
    const warnings = warningsOf({ "controlplane.yaml": "cluster: {}\n", "all.yaml": "machine:\n  kubelet:\n    image: ghcr.io/siderolabs/kubelet:latest\n" });
    expect(warnings.filter((warning) => warning.includes("kubelet:latest"))).toEqual([
      expect.stringMatching(/all\.yaml:3: image ghcr\.io\/siderolabs\/kubelet:latest is not pinned to a release \(tag or digest\)$/),
    ]);
  });

  test("an unknown placeholder fails synth, naming file and line", () => {
    expect(() => warningsOf({ "controlplane.yaml": "cluster:\n  inlineManifests:\n    - name: x\n      contents: 'image: {{ cilium_image }}'\n", "all.yaml": "machine: {}\n" })).toThrow(
      /controlplane\.yaml:4: unknown placeholder \{\{ cilium_image \}\}; the placeholders are \{\{ cilium_cli_image \}\}/,
    );
  });
});

describeWith(["terraform", "talos provider", "null provider", "tls provider"])("the secrets: protected, exported and imported as Talos' secrets.yaml", () => {
  const env = () => terraformEnvironment();
  const dirs: string[] = [];
  /** A folder laid out as the project is: cdktf.out inside, the state three levels above the stack. */
  const project = () => {
    const dir = mkdtempSync(path.join(tmpdir(), "secrets-"));
    dirs.push(dir);
    return dir;
  };
  const secretsCommand = (args: readonly string[]) =>
    spawnSync("npm", ["run", "--silent", "secrets", "--", ...args], { cwd: PROJECT_ROOT, env: env(), encoding: "utf8" });
  const machineSecrets = (stack: TerraformWorkspace) => {
    const state = JSON.parse(stack.ok(["show", "-json"]).stdout) as {
      values: { root_module: { resources: { address: string; values: Record<string, unknown> }[] } };
    };
    return state.values.root_module.resources.find((resource) => resource.address === SECRETS_ADDRESS)?.values;
  };
  let first: string;
  let stack: TerraformWorkspace;

  beforeAll(() => {
    first = project();
    const stacks = synthApp({ CDKTF_OUTDIR: path.join(first, "cdktf.out") });
    stack = TerraformWorkspace.deployed(path.join(stacks, "cloudkoffer-v3"), {});
    stack.init();
    stack.ok(["apply", "-auto-approve", "-no-color", ...LOCAL_HALF]);
  });
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  test("terraform refuses to destroy them", () => {
    const destroy = stack.run(["plan", "-destroy", "-no-color"]);
    expect(destroy.status).not.toBe(0);
    expect(destroy.stderr.replace(/\s+/g, " ")).toContain("Instance cannot be destroyed");
    expect(destroy.stderr).toContain("talos_machine_secrets.this");
  });

  test("export writes Talos' secrets.yaml, mode 0600, and never over an existing file", () => {
    const file = path.join(first, "secrets.yaml");
    const exported = secretsCommand(["export", "cloudkoffer-v3", "--output", path.join(first, "cdktf.out"), "--file", file]);
    expect({ status: exported.status, stderr: exported.stderr }).toEqual({ status: 0, stderr: "" });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const yaml = parse(readFileSync(file, "utf8")) as Record<string, Record<string, unknown>>;
    expect(Object.keys(yaml).sort()).toEqual(["certs", "cluster", "secrets", "trustdinfo"]);
    expect(Object.keys(yaml.certs).sort()).toEqual(["etcd", "k8s", "k8saggregator", "k8sserviceaccount", "os"]);
    expect(Buffer.from(String((yaml.certs.os as { key: string }).key), "base64").toString()).toContain("PRIVATE KEY");
    expect(exported.stdout).not.toMatch(KEY_MATERIAL);

    const again = secretsCommand(["export", "cloudkoffer-v3", "--output", path.join(first, "cdktf.out"), "--file", file]);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain(`${file} exists; export refuses to overwrite secrets`);
  });

  test("import adopts them into an empty state: the same secrets, the same talosconfig CA", () => {
    const second = project();
    // Its own export: a test stands alone.
    const file = path.join(second, "exported-secrets.yaml");
    expect(secretsCommand(["export", "cloudkoffer-v3", "--output", path.join(first, "cdktf.out"), "--file", file]).status).toBe(0);
    const imported = secretsCommand(["import", "cloudkoffer-v3", "--output", path.join(second, "cdktf.out"), "--file", file]);
    expect({ status: imported.status, stderr: imported.stderr }).toEqual({ status: 0, stderr: "" });
    const adopted = deployedStack(second, {});
    expect(machineSecrets(adopted)?.machine_secrets).toEqual(machineSecrets(stack)?.machine_secrets);
    expect(statSync(path.join(second, "terraform.cloudkoffer-v3.tfstate")).mode & 0o777).toBe(0o600);

    adopted.ok(["apply", "-auto-approve", "-no-color", ...LOCAL_HALF]);
    const ca = (workspace: TerraformWorkspace) =>
      (parse(workspace.ok(["output", "-raw", "talosconfig"]).stdout) as { contexts: Record<string, { ca: string }> }).contexts.cloudkoffer.ca;
    expect(ca(adopted)).toBe(ca(stack));

    const twice = secretsCommand(["import", "cloudkoffer-v3", "--output", path.join(second, "cdktf.out"), "--file", file]);
    expect(twice.status).toBe(2);
    expect(twice.stderr).toContain("cloudkoffer-v3 already has talos_machine_secrets.this");
  });
});

describeWith(["terraform", "talos provider", "null provider", "tls provider", "simulator", "kube-apiserver"])("npm run deploy keeps the state to its owner", () => {
  test("the local state file is mode 0600", async () => {
    const nodes = loopbackAddresses("127.27.0", 2);
    const simulator = await TalosSimulator.start({ nodes });
    const workdir = mkdtempSync(path.join(tmpdir(), "deploy-mode-"));
    try {
      const run = spawnSync(
        "npm",
        ["run", "--silent", "deploy", "--", "cloudkoffer-v3", "--auto-approve", "--output", path.join(workdir, "cdktf.out")],
        {
          cwd: PROJECT_ROOT,
          env: terraformEnvironment(loopbackDeployEnvironment({ TF_VAR_nodes: formatNodesVariable({ controlplane: [nodes[0]], worker: [nodes[1]] }) })),
          encoding: "utf8",
        },
      );
      expect(run.status).toBe(0);
      const state = path.join(workdir, "terraform.cloudkoffer-v3.tfstate");
      expect(existsSync(state)).toBe(true);
      expect(statSync(state).mode & 0o777).toBe(0o600);
    } finally {
      await simulator.stop();
      rmSync(workdir, { recursive: true, force: true });
    }
  });
});

describeWith(["terraform", "talos provider", "null provider", "tls provider", "simulator", "kube-apiserver", "postgresql"])(
  "a team shares a cluster through the pg backend",
  () => {
    const nodes = loopbackAddresses("127.28.0", 3);
    let simulator: TalosSimulator;
    const dirs: string[] = [];
    const schema = "cloudkoffer_v3";
    const pg = process.env.TEST_PG_CONN_STR ?? "";
    const env = { CLOUDKOFFER_BACKEND: "pg", PG_CONN_STR: pg, TF_VAR_nodes: formatNodesVariable({ controlplane: [nodes[0]], worker: nodes.slice(1) }) };

    beforeAll(async () => {
      spawnSync("psql", [pg, "-c", `DROP SCHEMA IF EXISTS ${schema} CASCADE`], { stdio: "ignore" });
      // The team's backend is set up once, before anyone deploys: terraform's pg backend creates
      // its schema and table without a lock, and two CREATE SCHEMA IF NOT EXISTS at the same
      // moment collide in PostgreSQL (duplicate key in pg_namespace), failing one init.
      const setup = mkdtempSync(path.join(tmpdir(), "team-setup-"));
      dirs.push(setup);
      const stacks = synthApp({ CLOUDKOFFER_BACKEND: "pg", CDKTF_OUTDIR: path.join(setup, "cdktf.out") });
      TerraformWorkspace.deployed(path.join(stacks, "cloudkoffer-v3"), env).init();
      simulator = await TalosSimulator.start({ nodes });
    });
    afterAll(async () => {
      await simulator.stop();
      dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
      spawnSync("psql", [pg, "-c", `DROP SCHEMA IF EXISTS ${schema} CASCADE`], { stdio: "ignore" });
    });

    test("two deploys at once: one holds the lock, the other stops with a clear message; the state ends whole", async () => {
      const workdirs = [0, 1].map(() => {
        const dir = mkdtempSync(path.join(tmpdir(), "team-"));
        dirs.push(dir);
        return dir;
      });
      const deployAsync = (workdir: string) =>
        new Promise<{ status: number | null; text: string }>((resolve) => {
          const deploy = cdktfDeployCommand("cloudkoffer-v3", workdir, env);
          const child = spawn(deploy.command, deploy.args, { cwd: PROJECT_ROOT, env: deploy.env });
          let text = "";
          child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
          child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
          child.on("exit", (status) => resolve({ status, text: text.replace(/\s+/g, " ") }));
        });
      // The first deploy is held in its apply, with the state locked, while the second one starts:
      // the overlap is certain, not a matter of timing.
      await simulator.hold(nodes[0], "ApplyConfiguration", "before");
      const first = deployAsync(workdirs[0]);
      await simulator.held(nodes[0], "ApplyConfiguration", "before");
      const second = await deployAsync(workdirs[1]);
      await simulator.release(nodes[0], "ApplyConfiguration");
      const results = [await first, second];
      expect(results.map((result) => result.status === 0)).toEqual([true, false]);
      const losers = [second];
      expect(second.text).toMatch(/Error acquiring the state lock/);

      // one cluster: every node configured once, bootstrapped once
      const status = await simulator.status();
      expect(nodes.map((node) => status[node].applies)).toEqual([1, 1, 1]);
      expect(status[nodes[0]].bootstraps).toBe(1);

      // the state in PostgreSQL is whole, and the other member sees no change to make
      const seen = cdktfDeploy("cloudkoffer-v3", workdirs[results.indexOf(losers[0])], env);
      expect(seen.status).toBe(0);
      expect(seen.text).toMatch(/No changes\. Your infrastructure matches the configuration\./);
      const other = deployedStack(workdirs[results.indexOf(losers[0])], env);
      expect(other.stateList()).toEqual(
        expect.arrayContaining([
          "talos_machine_secrets.this",
          "talos_machine_bootstrap.this",
          ...nodes.slice(1).map((node) => `talos_machine_configuration_apply.worker["${node}"]`),
          `talos_machine_configuration_apply.controlplane["${nodes[0]}"]`,
        ]),
      );
      expect((await simulator.status())[nodes[0]].applies).toBe(1);
    });
  },
);
