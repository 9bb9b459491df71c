/**
 * A user's own machine: no release sources (no `../shared` beside the clone,
 * no PROVIDER_SOURCES), the providers from a Terraform registry, their own
 * talosctl. The registry is the one double here (testing/registry.ts):
 * registry.terraform.io cannot be reached from this project's machines, so a
 * registry on loopback serves the providers built from their release sources
 * as release zips, signed, under the registries' names; terraform, tofu, the
 * providers, talosctl and the project's commands are real.
 */
import { spawnSync } from "child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { formatNodesVariable } from "../operations/nodes-input";
import { lockFor, OFFICIAL_PROVIDER_LOCK } from "../lib/provider-lock";
import { loopbackDeployEnvironment } from "../testing/loopback";
import { TestRegistry } from "../testing/registry";
import { engineBinary } from "../operations/engine";
import { loopbackAddresses, TalosSimulator } from "../testing/simulator";
import { synthApp, TerraformWorkspace } from "../testing/terraform";
import { describeWith } from "./support/tiers";
import { Talosctl } from "./support/talosctl";
import { UserMachine } from "./support/user-machine";

const STACK = "cloudkoffer-v1";

/** The nodes' calls that change something: what "no node is touched" rules out. */
const CHANGING = ["ApplyConfiguration", "Bootstrap", "Upgrade", "Reboot", "Reset"];

describeWith(["terraform", "go", "talos provider", "null provider", "tls provider", "provider built from source", "simulator", "kube-apiserver", "talosctl"])(
  "on a user's own machine: the providers from the registry, pinned by the lock",
  () => {
    let registry: TestRegistry;
    let user: UserMachine;
    let talosctl: Talosctl;

    beforeAll(async () => {
      registry = await TestRegistry.start();
      user = new UserMachine();
      // The committed lock pins the official releases' hashes, which these local builds cannot have:
      // the clone carries the lock of what the test registry serves, as if it served the official zips.
      user.write(".terraform.lock.hcl", registry.lockFile());
      user.npmCi();
      talosctl = new Talosctl();
    }, 600000);
    afterAll(async () => {
      await registry?.stop();
      talosctl?.remove();
      user?.remove();
    });

    /** The user's environment: their registry settings and their own talosctl on PATH. */
    const userEnv = (extra: Record<string, string> = {}) => user.env({ ...registry.environment(), PATH: talosctl.path, ...extra });

    test("the committed lock holds the official hashes and binds: terraform init refuses these local builds under those names", () => {
      const official = readFileSync(OFFICIAL_PROVIDER_LOCK, "utf8");
      const stacks = synthApp(registry.environment());
      const lock = readFileSync(path.join(stacks, STACK, ".terraform.lock.hcl"), "utf8");
      expect(lock).toBe(lockFor(official, "terraform"));
      // Every platform of each release: 15 zips of siderolabs/talos 0.5.0, 12 of hashicorp/null 3.2.4 and of hashicorp/tls 4.1.0.
      for (const [provider, zips] of [["siderolabs/talos", 15], ["hashicorp/null", 12], ["hashicorp/tls", 12]] as const) {
        const entry = new RegExp(`provider "registry\\.terraform\\.io/${provider}" \\{[^}]*\\}`).exec(lock)?.[0] ?? "";
        expect({ provider, zips: entry.match(/"zh:[0-9a-f]{64}"/g)?.length }).toEqual({ provider, zips });
      }

      const workspace = TerraformWorkspace.copyOf(path.join(stacks, STACK));
      try {
        const fromRegistry = workspace.run(["init", "-no-color"], registry.environment());
        expect(fromRegistry.status).not.toBe(0);
        expect(fromRegistry.stderr.replace(/\s+/g, " ")).toMatch(
          /registry\.terraform\.io\/\S+ \S+ doesn't match any of the checksums previously recorded in the dependency lock file/,
        );
      } finally {
        workspace.remove();
      }
    });

    test("npm start -- --once in a fresh clone prints the table; no archive is asked for, no provider compiled", () => {
      const start = user.run("npm", ["start", "--", STACK, "--once", "--prefix", "127.81.0"], userEnv());
      expect({ status: start.status, output: start.status === 0 ? "" : start.output }).toEqual({ status: 0, output: "" });
      expect(start.output).toMatch(
        /setup: providers: your terraform configuration \(TF_CLI_CONFIG_FILE=\S+\): terraform installs siderolabs\/talos 0\.5\.0, hashicorp\/null 3\.2\.4, hashicorp\/tls 4\.1\.0, pinned by \.terraform\.lock\.hcl/,
      );
      expect(start.output).toMatch(/^ADDRESS +ROLE +MODE/m);
      expect(start.output).toMatch(/^127\.81\.0\.1 +controlplane +configured +v1\.7\.4/m);
      expect(start.output).toContain(`talosctl version, your own talosctl ${path.join(talosctl.bin, "talosctl")} with the talosconfig, against 127.81.0.1`);
      expect(start.output).not.toMatch(/archive/i);
      // No provider compiled: the project's mirror was never made.
      expect(existsSync(path.join(user.clone, ".providers"))).toBe(false);
      expect(registry.requests()).toContainEqual(expect.stringMatching(/^GET \/files\/siderolabs\/talos\/0\.5\.0\/terraform-provider-talos_0\.5\.0_linux_amd64\.zip 200$/));
    });

    describe("npm run deploy to simulated nodes", () => {
      const [cp1, cp2, cp3, w1, w2] = loopbackAddresses("127.82.0", 5);
      let simulator: TalosSimulator;
      const deployEnv = () =>
        userEnv(loopbackDeployEnvironment({ TF_VAR_nodes: formatNodesVariable({ controlplane: [cp1, cp2, cp3], worker: [w1, w2] }) }));
      const changes = async () =>
        Object.values(await simulator.status()).flatMap((node) => node.calls.filter((call) => CHANGING.includes(call.method)).map((call) => `${node.address} ${call.method}`));

      beforeAll(async () => {
        simulator = await TalosSimulator.start({ nodes: [cp1, cp2, cp3, w1, w2] });
      });
      afterAll(async () => simulator?.stop());

      test("deploys, and a second deploy changes nothing; the stack's lock lists what was installed", async () => {
        const first = user.run("npm", ["run", "--silent", "deploy", "--", STACK, "--auto-approve", "--no-color"], deployEnv());
        expect({ status: first.status, output: first.status === 0 ? "" : first.output }).toEqual({ status: 0, output: "" });
        const applied = await changes();
        expect(applied).toEqual(expect.arrayContaining([`${cp1} ApplyConfiguration`, `${w2} ApplyConfiguration`, `${cp1} Bootstrap`]));

        const second = user.run("npm", ["run", "--silent", "deploy", "--", STACK, "--auto-approve", "--no-color"], deployEnv());
        expect({ status: second.status, output: second.status === 0 ? "" : second.output }).toEqual({ status: 0, output: "" });
        expect(await changes()).toEqual(applied);
        const stackDir = path.join(user.clone, "cdktf.out", "stacks", STACK);
        const plan = spawnSync("terraform", ["plan", "-input=false", "-no-color", "-detailed-exitcode"], { cwd: stackDir, env: deployEnv(), encoding: "utf8" });
        expect({ status: plan.status, stdout: plan.stdout }).toEqual({ status: 0, stdout: expect.stringContaining("No changes.") });

        const lock = readFileSync(path.join(stackDir, ".terraform.lock.hcl"), "utf8");
        for (const pkg of registry.packages) {
          const entry = new RegExp(`provider "registry\\.terraform\\.io/${pkg.namespace}/${pkg.type}" \\{[^}]*\\}`).exec(lock)?.[0] ?? "";
          expect(entry).toContain(`version     = "${pkg.version}"`);
          expect(entry).toContain(`"zh:${pkg.sha256}"`);
          // terraform adds the h1: hash of what it installed for this platform.
          expect(entry).toMatch(/"h1:[A-Za-z0-9+/=]+"/);
        }
      });
    });

    test("one byte changed in a served zip: the deploy stops at terraform's checksum error, naming the provider, before any node", async () => {
      const corrupt = await TestRegistry.start({ corrupt: ["siderolabs/talos"] });
      const nodes = loopbackAddresses("127.83.0", 2);
      const simulator = await TalosSimulator.start({ nodes });
      try {
        const env = user.env({
          ...corrupt.environment(),
          PATH: talosctl.path,
          ...loopbackDeployEnvironment({ TF_VAR_nodes: formatNodesVariable({ controlplane: [nodes[0]], worker: [nodes[1]] }) }),
        });
        // A folder of its own: no provider installed before.
        const output = path.join(user.root, "corrupt", "cdktf.out");
        mkdirSync(output, { recursive: true });
        const deploy = user.run("npm", ["run", "--silent", "deploy", "--", STACK, "--auto-approve", "--no-color", "--output", output], env);
        expect(deploy.status).not.toBe(0);
        expect(deploy.output.replace(/\s+/g, " ")).toMatch(/Error while installing siderolabs\/talos v0\.5\.0: archive has incorrect checksum zh:[0-9a-f]{64} \(expected zh:[0-9a-f]{64}\)/);
        const status = await simulator.status();
        expect(Object.values(status).flatMap((node) => node.calls.filter((call) => CHANGING.includes(call.method)))).toEqual([]);
      } finally {
        await simulator.stop();
        await corrupt.stop();
      }
    });

    test("no registry and no archives: npm run deploy and npm start stop with exit 3 and one message naming both ways out", () => {
      // No CLI configuration, no archives: the registry is asked, and in this loopback-only namespace it cannot be reached.
      const env = user.env({ PATH: talosctl.path, ...loopbackDeployEnvironment({ TF_VAR_nodes: formatNodesVariable({ controlplane: ["127.84.0.1"], worker: [] }) }) });
      for (const args of [["run", "--silent", "deploy", "--", STACK, "--auto-approve"], ["start", "--", "--once", "--prefix", "127.84.0"]]) {
        const run = user.run("npm", args, env);
        const text = run.output.replace(/\s+/g, " ");
        expect({ args, status: run.status }).toEqual({ args, status: 3 });
        expect(text).toContain(
          "no way to install siderolabs/talos 0.5.0, hashicorp/null 3.2.4, hashicorp/tls 4.1.0: registry.terraform.io cannot be reached (registry.terraform.io:",
        );
        expect(text).toContain("Either let terraform reach registry.terraform.io");
        expect(text).toContain("or put the release source archives terraform-provider-talos-0.5.0.tar.gz, terraform-provider-null-3.2.4.tar.gz, terraform-provider-tls-4.1.0.tar.gz in a folder and name it in PROVIDER_SOURCES");
        // Before anything was synthesized against the nodes.
        expect(text).not.toContain("Synthesizing");
      }
    });
  },
);

describeWith(["tofu", "talos provider", "null provider", "tls provider", "provider built from source", "simulator", "kube-apiserver"])(
  "on a user's own machine with OpenTofu: the providers from registry.opentofu.org's name",
  () => {
    let registry: TestRegistry;
    beforeAll(async () => {
      registry = await TestRegistry.start();
    });
    afterAll(async () => registry?.stop());

    test("the stack carries the lock's registry.opentofu.org entries; they bind, and tofu installs what they pin", () => {
      const tofu = engineBinary({ CLOUDKOFFER_ENGINE: "tofu" });
      const stacks = synthApp({ ...registry.environment(), CLOUDKOFFER_ENGINE: "tofu" });
      const lockFile = path.join(stacks, STACK, ".terraform.lock.hcl");
      expect(readFileSync(lockFile, "utf8")).toBe(lockFor(readFileSync(OFFICIAL_PROVIDER_LOCK, "utf8"), "tofu"));
      const workspace = TerraformWorkspace.copyOf(path.join(stacks, STACK));
      try {
        const env = { ...registry.environment(), TERRAFORM_BINARY_NAME: tofu };
        const refused = workspace.run(["init", "-no-color"], env);
        expect(refused.status).not.toBe(0);
        expect(refused.stderr.replace(/\s+/g, " ")).toMatch(/registry\.opentofu\.org\/\S+ \S+ doesn't match any of the checksums previously recorded in the dependency lock file/);

        // What the test registry serves, pinned under OpenTofu's names: installed from "registry.opentofu.org".
        writeFileSync(path.join(workspace.dir, ".terraform.lock.hcl"), lockFor(registry.lockFile(), "tofu"));
        workspace.ok(["init", "-no-color"], env);
        const lock = readFileSync(path.join(workspace.dir, ".terraform.lock.hcl"), "utf8");
        expect(lock.match(/^provider "[^"]+"/gm)).toEqual([
          'provider "registry.opentofu.org/hashicorp/null"',
          'provider "registry.opentofu.org/hashicorp/tls"',
          'provider "registry.opentofu.org/siderolabs/talos"',
        ]);
        expect(registry.requests()).toContainEqual(expect.stringMatching(/^GET \/files\/siderolabs\/talos\/0\.5\.0\/terraform-provider-talos_0\.5\.0_linux_amd64\.zip 200$/));
      } finally {
        workspace.remove();
      }
    });
  },
);
