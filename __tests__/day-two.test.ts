/**
 * The day-2 commands a user reaches for after the seed's installation, on a
 * deployed stack of simulated nodes: `npm run configs` (the seed's
 * "terraform output -raw talosconfig > talosconfig" as files), `npm run diff`
 * (a plan that touches nothing) and `npm run destroy` (which asks, names what
 * is lost, and keeps the secrets backup unless told otherwise).
 */
import { spawnSync } from "child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { formatNodesVariable } from "../operations/nodes-input";
import { loopbackDeployEnvironment } from "../testing/loopback";
import { loopbackAddresses, SimulatedNode, TalosSimulator } from "../testing/simulator";
import { cdktfDeploy, deployedStack, expectDeployed } from "../testing/terraform";
import { describeWith, PROJECT_ROOT } from "./support/tiers";

const STACK = "cloudkoffer-v1";
const [cp1, w1] = loopbackAddresses("127.31.0", 2);
const NODES = formatNodesVariable({ controlplane: [cp1], worker: [w1] });
/** No kube-apiserver here: the stack's health wait is another test's (health.test.ts). */
const ENV = { TF_VAR_nodes: NODES, TF_VAR_health_wait: "false" };

/** What a node has been made to do: any change here means a command touched it. */
function touched(node: SimulatedNode) {
  return { applies: node.applies, bootstraps: node.bootstraps, resets: node.resets, upgrades: node.upgrades, boots: node.boots };
}

describeWith(["terraform", "talos provider", "null provider", "tls provider", "simulator"])("day 2: configs, diff and destroy on a deployed stack", () => {
  let simulator: TalosSimulator;
  let workdir: string;
  const output = () => path.join(workdir, "cdktf.out");
  const stateFile = () => path.join(workdir, `terraform.${STACK}.tfstate`);
  const secretsBackup = () => path.join(workdir, `terraform.${STACK}.secrets.yaml`);
  const npmRun = (command: string, args: readonly string[], extra: Record<string, string> = {}) => {
    const run = spawnSync("npm", ["run", "--silent", command, "--", ...args, "--output", output()], {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
      env: { ...process.env, ...loopbackDeployEnvironment({ ...ENV, ...extra }) },
      // No terminal: destroy cannot ask, and says so.
      stdio: ["ignore", "pipe", "pipe"],
    });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr, text: `${run.stdout}\n${run.stderr}` };
  };
  const nodesTouched = async () => Object.fromEntries(Object.entries(await simulator.status()).map(([address, node]) => [address, touched(node)]));

  beforeAll(async () => {
    simulator = await TalosSimulator.start({ nodes: [cp1, w1] });
    workdir = mkdtempSync(path.join(tmpdir(), "day-two-"));
    expectDeployed(cdktfDeploy(STACK, workdir, ENV));
  });
  afterAll(async () => {
    await simulator?.stop();
    rmSync(workdir, { recursive: true, force: true });
  });

  test("npm run configs writes talosconfig and kubeconfig as the state has them, 0600 in a 0700 folder, and prints the two exports", () => {
    const dir = path.join(workdir, "configs");
    const run = npmRun("configs", ["v1", "--dir", dir]);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: expect.stringContaining(`configs: wrote ${dir}/talosconfig and ${dir}/kubeconfig (mode 0600)`) });
    expect(run.stdout).toBe(`export TALOSCONFIG=${dir}/talosconfig\nexport KUBECONFIG=${dir}/kubeconfig\n`);
    const stack = deployedStack(workdir, ENV, STACK);
    expect(readFileSync(path.join(dir, "talosconfig"), "utf8")).toBe(stack.ok(["output", "-raw", "talosconfig"]).stdout);
    expect(readFileSync(path.join(dir, "kubeconfig"), "utf8")).toBe(stack.ok(["output", "-raw", "kubeconfig_raw"]).stdout);
    for (const file of ["talosconfig", "kubeconfig"]) expect(statSync(path.join(dir, file)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    // What the exports point talosctl at: the deployed node, with the state's client certificate.
    const talosconfig = parseYaml(readFileSync(path.join(dir, "talosconfig"), "utf8")) as { contexts: Record<string, { endpoints: string[] }> };
    expect(Object.values(talosconfig.contexts)[0].endpoints).toEqual([cp1]);

    // The exports are shell words: a folder with a space is quoted.
    const spaced = path.join(workdir, "my configs");
    const quoted = npmRun("configs", [STACK, "--dir", spaced]);
    expect(quoted.stdout).toBe(`export TALOSCONFIG='${spaced}/talosconfig'\nexport KUBECONFIG='${spaced}/kubeconfig'\n`);
  });

  test("npm run configs on a stack that was never deployed says so and writes nothing", () => {
    const dir = path.join(workdir, "v3-configs");
    const run = npmRun("configs", ["cloudkoffer-v3", "--dir", dir]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^configs: cloudkoffer-v3 has no deployed cluster in .*: deploy it first \(npm run deploy -- cloudkoffer-v3\)\n$/);
    expect(existsSync(dir)).toBe(false);
  });

  test("npm run diff: no changes on a converged stack, a Talos upgrade's plan when the version changes; no node touched and the state as it was", async () => {
    const before = { nodes: await nodesTouched(), state: readFileSync(stateFile(), "utf8") };
    const same = npmRun("diff", [STACK, "--no-color"]);
    expect({ status: same.status, text: same.status === 0 ? "" : same.text }).toEqual({ status: 0, text: "" });
    expect(same.stdout).toContain("No changes.");

    const upgrade = npmRun("diff", [STACK, "--no-color"], { TF_VAR_talos_version: "v1.7.5" });
    expect(upgrade.status).toBe(0);
    expect(upgrade.stdout).toMatch(/# null_resource\.talos_upgrade must be replaced/);
    expect(upgrade.stdout).toMatch(/Plan: \d+ to add, \d+ to change, \d+ to destroy\./);
    expect({ nodes: await nodesTouched(), state: readFileSync(stateFile(), "utf8") }).toEqual(before);
  });

  test("npm run destroy without a terminal asks, cannot be answered, and destroys nothing", async () => {
    const before = readFileSync(stateFile(), "utf8");
    const run = npmRun("destroy", [STACK]);
    expect(run.status).toBe(2);
    expect(run.stdout).toContain(`destroy ${STACK}: forgets the cluster on ${cp1}, ${w1}: its 12 resources, the secrets and PKI in the state`);
    expect(run.stderr).toContain(`Destroy ${STACK}?\ndestroy: no terminal to answer on: --yes confirms in a script`);
    expect(run.stdout).toContain("destroy: not confirmed; nothing was destroyed");
    expect(readFileSync(stateFile(), "utf8")).toBe(before);
  });

  test("npm run destroy --yes destroys every resource, secrets included, touches no node, and keeps the secrets backup, which the next deploy adopts", async () => {
    const before = await nodesTouched();
    const secrets = readFileSync(secretsBackup(), "utf8");
    const run = npmRun("destroy", [STACK, "--yes"]);
    expect({ status: run.status, text: run.status === 0 ? "" : run.text }).toEqual({ status: 0, text: "" });
    expect(run.stdout).toContain(`The secrets backup ${secretsBackup()} is kept: the next deploy adopts it`);
    expect(run.stdout).toContain(`destroy: kept the secrets backup ${secretsBackup()}`);
    const state = JSON.parse(readFileSync(stateFile(), "utf8")) as { resources: unknown[] };
    expect(state.resources).toEqual([]);
    expect(readFileSync(secretsBackup(), "utf8")).toBe(secrets);
    expect(await nodesTouched()).toEqual(before);

    // Again: nothing deployed, nothing to destroy.
    const again = npmRun("destroy", [STACK, "--yes"]);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain(`destroy: ${STACK} has nothing deployed; nothing to destroy`);

    // The next deploy takes the running cluster over with the same secrets (no new PKI), and adopts its bootstrap.
    const deploy = npmRun("deploy", [STACK, "--auto-approve", "--no-color"]);
    expect({ status: deploy.status, text: deploy.status === 0 ? "" : deploy.text }).toEqual({ status: 0, text: "" });
    expect(readFileSync(secretsBackup(), "utf8")).toBe(secrets);
    expect(await nodesTouched()).toEqual(Object.fromEntries(Object.entries(before).map(([node, counts]) => [node, { ...counts, applies: counts.applies + 1 }])));
  });

  test("npm run destroy --delete-secrets-backup deletes the backups of the secrets too, also with the nodes gone", async () => {
    await simulator.stop(); // re-imaged or switched off: destroy does not wait for them
    const run = npmRun("destroy", [STACK, "--yes", "--delete-secrets-backup"]);
    expect({ status: run.status, text: run.status === 0 ? "" : run.text }).toEqual({ status: 0, text: "" });
    expect(run.stdout).toContain(`The secrets backup ${secretsBackup()} is deleted too: nobody can manage the running nodes again`);
    expect(run.stdout).toContain(`destroy: deleted ${secretsBackup()}`);
    expect(run.stdout).toContain(`destroy: deleted ${stateFile()}.backup`);
    expect(existsSync(secretsBackup())).toBe(false);
    expect(existsSync(`${stateFile()}.backup`)).toBe(false);
  });
});
