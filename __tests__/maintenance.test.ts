import { createHash } from "crypto";
import { spawnSync } from "child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { formatNodesVariable } from "../operations/nodes-input";
import { loopbackDeployEnvironment } from "../testing/loopback";
import { DeployProcess, Finished } from "../testing/deploy-process";
import { loopbackAddresses, TalosSimulator } from "../testing/simulator";
import { Talosctl } from "./support/talosctl";
import { TALOSCTL_INSTALL_HINT } from "../lib/talosctl-install";
import { cdktfDeploy, DeployResult, deployedStack, expectDeployed, terraformEnvironment } from "../testing/terraform";
import { describeWith, PROJECT_ROOT } from "./support/tiers";

const [cp1, cp2, cp3, w1, w2] = loopbackAddresses("127.26.0", 5);
const CONTROL_PLANES = [cp1, cp2, cp3];
const WORKERS = [w1, w2];
const NODES = formatNodesVariable({ controlplane: CONTROL_PLANES, worker: WORKERS });

/** The seed's `talosctl health` of the whole cluster, run by the first control plane. */
const healthWithin = (timeout: string) =>
  `health --nodes=${cp1} --endpoints=${cp1} --control-plane-nodes=${CONTROL_PLANES.join(",")} --worker-nodes=${WORKERS.join(",")} --wait-timeout=${timeout}`;
const HEALTH = healthWithin("10m");
/** The commands of the seed's upgrade of one node, and the wait for the cluster to be healthy again. */
const upgradeOf = (node: string, version: string) => [
  `version --nodes=${node} --endpoints=${node}`,
  `upgrade --image=ghcr.io/siderolabs/installer:${version} --nodes=${node} --endpoints=${node}`,
  `version --nodes=${node} --endpoints=${node}`,
  HEALTH,
];
/** The etcd backup a deploy takes before it touches the first node (its file's name is the time's). */
const BACKUP = `etcd snapshot <backup> --nodes=${cp1} --endpoints=${cp1}`;
/** A roll: the backup comes after asking the first node to upgrade for its version, before it is upgraded. */
const backedUp = ([asked, ...rest]: string[]) => [asked, BACKUP, ...rest];
const stagedUpgradeOf = (node: string, version: string) => [
  `version --nodes=${node} --endpoints=${node}`,
  `upgrade --image=ghcr.io/siderolabs/installer:${version} --nodes=${node} --endpoints=${node} --stage`,
  `reboot --nodes=${node} --endpoints=${node} --wait`,
  `version --nodes=${node} --endpoints=${node}`,
  HEALTH,
];

describeWith(["terraform", "talos provider", "null provider", "tls provider", "simulator", "kube-apiserver", "talosctl"])(
  "maintenance from the stack: rolling Talos upgrades, staged upgrades, Kubernetes upgrades",
  () => {
    let simulator: TalosSimulator;
    let workdir: string;
    let talosctl: Talosctl;
    let talosconfigText: string;
    const env = (extra: Record<string, string> = {}, withTalosctl = true) => ({
      TF_VAR_nodes: NODES,
      PATH: withTalosctl ? `${talosctl.bin}:${process.env.PATH}` : (process.env.PATH ?? ""),
      ...extra,
    });
    // Every deploy's output, and every key the state held after it (a replaced key is no less secret).
    const logs: string[] = [];
    const secretsSeen = new Set<string>();
    const deploy = (extra: Record<string, string> = {}, withTalosctl = true): DeployResult => {
      const result = cdktfDeploy("cloudkoffer-v3", workdir, env(extra, withTalosctl));
      logs.push(result.stdout, result.stderr);
      const stack = deployedStack(workdir, env());
      clusterSecrets(JSON.parse(stack.ok(["show", "-json"]).stdout)).forEach((secret) => secretsSeen.add(secret));
      return result;
    };
    // talosctl's calls, the backup's file named <backup>.
    const calls = () => talosctl.takeCalls().map((call) => call.replace(/^etcd snapshot \S+/, "etcd snapshot <backup>"));
    const versions = async () => Object.fromEntries(Object.values(await simulator.status()).map((node) => [node.address, node.talosVersion]));

    beforeAll(async () => {
      simulator = await TalosSimulator.start({ nodes: [...CONTROL_PLANES, ...WORKERS], rebootDelay: "200ms" });
      workdir = mkdtempSync(path.join(tmpdir(), "maintenance-"));
      talosctl = new Talosctl();
    });
    afterAll(async () => {
      await simulator?.stop();
      talosctl?.remove();
      rmSync(workdir, { recursive: true, force: true });
    });

    test("the first deploy upgrades nothing and needs no talosctl", async () => {
      const result = expectDeployed(deploy({}, false));
      expect(result.text).toContain("talos upgrade: the cluster was just installed with Talos v1.7.4; nothing to upgrade");
      // The Kubernetes upgrade runs last, and cdktf's display can drop the last lines a provisioner
      // prints before the deploy ends; no talosctl call is what shows it upgraded nothing.
      expect(calls()).toEqual([]);
      const stack = deployedStack(workdir, env());
      talosconfigText = stack.ok(["output", "-raw", "talosconfig"]).stdout;
    });

    test("nothing runs when the versions do not change", () => {
      expectDeployed(deploy());
      expect(calls()).toEqual([]);
    });

    test("a Talos change upgrades the nodes one at a time: control planes in order, then workers", async () => {
      const result = expectDeployed(deploy({ TF_VAR_talos_version: "1.7.5" }));
      const [first, ...rest] = [...CONTROL_PLANES, ...WORKERS];
      expect(calls()).toEqual([...backedUp(upgradeOf(first, "v1.7.5")), ...rest.flatMap((node) => upgradeOf(node, "v1.7.5"))]);
      expect(Object.values(await versions())).toEqual(Array(5).fill("v1.7.5"));
      // each node back before the next: its Upgrade call comes after the previous node's last call
      const status = await simulator.status();
      const upgradedAt = [...CONTROL_PLANES, ...WORKERS].map((node) =>
        Date.parse(status[node].calls.filter((call) => call.method === "Upgrade").pop()?.at ?? ""),
      );
      expect([...upgradedAt].sort((a, b) => a - b)).toEqual(upgradedAt);
      // The real talosctl waited the way it does on hardware: it watched the node's events and
      // read its boot id before and after the reboot.
      for (const node of [...CONTROL_PLANES, ...WORKERS]) {
        const methods = status[node].calls.map((call) => call.method);
        expect(methods).toEqual(expect.arrayContaining(["Events", "Read", "Upgrade"]));
      }
      expect(result.text).not.toContain("(local-exec): talos upgrade: the cluster was just installed");
    });

    test("talosctl gets the talosconfig through a 0600 file that is gone afterwards, and it never reaches the logs", () => {
      const files = talosctl.talosconfigs();
      expect(files.length).toBeGreaterThan(0);
      for (const { mode, file } of files) {
        expect(mode).toBe("600");
        expect(existsSync(file)).toBe(false);
      }
      const result = expectDeployed(deploy({ TF_VAR_talos_version: "1.7.5" }));
      const secrets = [...talosconfigText.matchAll(/(?:ca|crt|key): (\S{40,})/g)].map((match) => match[1]);
      expect(secrets.length).toBe(3);
      for (const secret of secrets) expect(result.stdout + result.stderr).not.toContain(secret);
    });

    test("a stage-mode change: --stage, then talosctl reboot --wait, node by node", async () => {
      expectDeployed(deploy({ TF_VAR_talos_version: "v1.7.6", TF_VAR_talos_upgrade_stage: "true" }));
      expect(calls()).toEqual([
        ...backedUp(stagedUpgradeOf(cp1, "v1.7.6")),
        ...[cp2, cp3, ...WORKERS].flatMap((node) => stagedUpgradeOf(node, "v1.7.6")),
      ]);
      expect(Object.values(await versions())).toEqual(Array(5).fill("v1.7.6"));
    });

    test("a Kubernetes change runs talosctl upgrade-k8s once, after the Talos roll", () => {
      expectDeployed(deploy({ TF_VAR_talos_version: "v1.7.7", TF_VAR_kubernetes_version: "1.30.2" }));
      expect(calls()).toEqual([
        ...backedUp(upgradeOf(cp1, "v1.7.7")),
        ...[cp2, cp3, ...WORKERS].flatMap((node) => upgradeOf(node, "v1.7.7")),
        HEALTH,
        BACKUP,
        `upgrade-k8s --to=1.30.2 --nodes=${cp1} --endpoints=${cp1}`,
        HEALTH,
      ]);
      expectDeployed(deploy({ TF_VAR_talos_version: "v1.7.7", TF_VAR_kubernetes_version: "1.30.2" }));
      expect(calls()).toEqual([]);
    });

    test("an upgrade without talosctl stops before touching any node, saying how to install talosctl", async () => {
      const before = await versions();
      const result = deploy({ TF_VAR_talos_version: "v1.7.8", TF_VAR_kubernetes_version: "1.30.2" }, false);
      expect(result.status).not.toBe(0);
      expect(result.text).toContain(`talos upgrade: no talosctl to upgrade the nodes to Talos v1.7.8; ${TALOSCTL_INSTALL_HINT}; then deploy again`);
      expect(await versions()).toEqual(before);
    });

    test("a failing node stops the roll there, later nodes untouched; deploying again resumes from it", async () => {
      const target = { TF_VAR_talos_version: "v1.7.8", TF_VAR_kubernetes_version: "1.30.2" };
      await simulator.faults(cp3, { rejectCode: "Unavailable", rejectMethod: "Upgrade" });
      const failed = deploy(target);
      expect(failed.status).not.toBe(0);
      expect(failed.text).toContain(`talos upgrade: upgrading node ${cp3} failed; the roll stopped at node ${cp3}, the nodes after it are untouched`);
      expect(await versions()).toEqual({ [cp1]: "v1.7.8", [cp2]: "v1.7.8", [cp3]: "v1.7.7", [w1]: "v1.7.7", [w2]: "v1.7.7" });
      expect(calls()).toEqual([
        ...backedUp(upgradeOf(cp1, "v1.7.8")),
        ...upgradeOf(cp2, "v1.7.8"),
        ...upgradeOf(cp3, "v1.7.8").slice(0, 2),
      ]);

      await simulator.faults(cp3, {});
      expectDeployed(deploy(target));
      expect(calls()).toEqual([
        `version --nodes=${cp1} --endpoints=${cp1}`,
        `version --nodes=${cp2} --endpoints=${cp2}`,
        ...backedUp(upgradeOf(cp3, "v1.7.8")),
        ...WORKERS.flatMap((node) => upgradeOf(node, "v1.7.8")),
      ]);
      expect(Object.values(await versions())).toEqual(Array(5).fill("v1.7.8"));
    });

    test("a node that comes back unhealthy stops the roll there: the next node is not upgraded; healthy again, deploying resumes", async () => {
      // Short waits: the fault is on until the test lifts it.
      const target = { TF_VAR_talos_version: "v1.7.9", TF_VAR_kubernetes_version: "1.30.2", TF_VAR_health_timeout: "20s" };
      // cp2's upgrade is carried out, and held before its reply, while its kubelet goes down:
      // the node comes back with the new Talos, but the cluster is not healthy.
      await simulator.hold(cp2, "Upgrade", "after");
      const rolling = new DeployProcess("cloudkoffer-v3", workdir, env(target));
      let stopped: Finished;
      try {
        await simulator.held(cp2, "Upgrade", "after");
        await simulator.faults(cp2, { kubeletDown: true });
        await simulator.release(cp2, "Upgrade");
        stopped = await rolling.finished();
      } finally {
        // Lifted before anything is checked: a later deploy must not wait on it.
        await simulator.faults(cp2, {});
      }
      logs.push(stopped.text);
      expect(stopped.status).not.toBe(0);
      expect(stopped.text).toContain(
        `talos upgrade: the cluster did not become healthy within 20s after node ${cp2} came back with Talos v1.7.9; the roll stopped at node ${cp2}, the nodes after it are untouched`,
      );
      expect(await versions()).toEqual({ [cp1]: "v1.7.9", [cp2]: "v1.7.9", [cp3]: "v1.7.8", [w1]: "v1.7.8", [w2]: "v1.7.8" });
      // npm run deploy asks the talosctl on PATH which Talos it is for, before choosing it.
      expect(calls().filter((call) => call !== "version --client --short")).toEqual([
        ...backedUp(upgradeOf(cp1, "v1.7.9").slice(0, -1)),
        healthWithin("20s"),
        ...upgradeOf(cp2, "v1.7.9").slice(0, -1),
        healthWithin("20s"),
      ]);

      expectDeployed(deploy(target));
      expect(calls()).toEqual([
        `version --nodes=${cp1} --endpoints=${cp1}`,
        `version --nodes=${cp2} --endpoints=${cp2}`,
        ...backedUp([...upgradeOf(cp3, "v1.7.9").slice(0, -1), healthWithin("20s")]),
        ...WORKERS.flatMap((node) => [...upgradeOf(node, "v1.7.9").slice(0, -1), healthWithin("20s")]),
      ]);
      expect(Object.values(await versions())).toEqual(Array(5).fill("v1.7.9"));
    });

    test("an unhealthy cluster is not upgraded at all: the stack's health check fails first, naming the node", async () => {
      const before = await versions();
      await simulator.faults(w1, { kubeletDown: true });
      const target = { TF_VAR_talos_version: "v1.7.10", TF_VAR_kubernetes_version: "1.30.2" };
      const failed = deploy({ ...target, TF_VAR_health_timeout: "15s" });
      expect(failed.status).not.toBe(0);
      expect(failed.text).toContain("data.talos_cluster_health.this");
      expect(failed.text).toContain(w1);
      expect(calls()).toEqual([]);
      expect(await versions()).toEqual(before);

      await simulator.faults(w1, {});
      expectDeployed(deploy(target));
      expect(calls()).toEqual([...backedUp(upgradeOf(cp1, "v1.7.10")), ...[cp2, cp3, ...WORKERS].flatMap((node) => upgradeOf(node, "v1.7.10"))]);
    });

    test("each upgrade's etcd backup is kept beside the state, mode 0600; one that cannot be taken stops the roll before any node", async () => {
      const backups = path.join(workdir, "backups");
      const taken = readdirSync(backups).filter((name) => /^cloudkoffer-v3-\d{8}T\d{6}Z\.etcd\.snapshot$/.test(name));
      expect(taken.length).toBeGreaterThanOrEqual(5);
      for (const name of taken) expect(statSync(path.join(backups, name)).mode & 0o777).toBe(0o600);

      const before = await versions();
      for (const node of CONTROL_PLANES) await simulator.faults(node, { rejectCode: "Unavailable", rejectMethod: "EtcdSnapshot" });
      const failed = deploy({ TF_VAR_talos_version: "v1.7.11", TF_VAR_kubernetes_version: "1.30.2" });
      for (const node of CONTROL_PLANES) await simulator.faults(node, {});
      expect(failed.status).not.toBe(0);
      expect(failed.text).toContain("talos upgrade: no etcd backup could be taken, so no node is upgraded to Talos v1.7.11");
      expect(calls().filter((call) => call.startsWith("upgrade"))).toEqual([]);
      expect(await versions()).toEqual(before);

      // A control plane gives one again: the roll goes on.
      expectDeployed(deploy({ TF_VAR_talos_version: "v1.7.11", TF_VAR_kubernetes_version: "1.30.2" }));
      expect(calls()).toEqual([...backedUp(upgradeOf(cp1, "v1.7.11")), ...[cp2, cp3, ...WORKERS].flatMap((node) => upgradeOf(node, "v1.7.11"))]);
      expect(Object.values(await versions())).toEqual(Array(5).fill("v1.7.11"));
    });

    test("no key or token the cluster ever had appears in the output of any of these deploys", () => {
      expect(secretsSeen.size).toBeGreaterThan(10);
      const output = logs.join("\n");
      expect([...secretsSeen].filter((secret) => output.includes(secret))).toEqual([]);
    });

    test("a re-imaged Cloudkoffer is reprovisioned: every node configured again, bootstrapped once, same secrets", async () => {
      const before = await simulator.status();
      for (const node of [...CONTROL_PLANES, ...WORKERS]) await simulator.reimage(node);
      const run = spawnSync(
        "npm",
        ["run", "--silent", "reprovision", "--", "cloudkoffer-v3", "--output", path.join(workdir, "cdktf.out"), "--auto-approve"],
        {
          cwd: PROJECT_ROOT,
          encoding: "utf8",
          env: terraformEnvironment(loopbackDeployEnvironment(env({ TF_VAR_talos_version: "v1.7.11", TF_VAR_kubernetes_version: "1.30.2" }))),
        },
      );
      if (run.status !== 0) throw new Error(`reprovision exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
      expect(run.stdout).toContain("reprovision cloudkoffer-v3: applying the configuration to 5 nodes again and bootstrapping, keeping the secrets");
      const after = await simulator.status();
      for (const node of [...CONTROL_PLANES, ...WORKERS]) {
        await simulator.waitFor(node, "configured");
        expect(after[node].configDigest).toBe(before[node].configDigest);
      }
      expect(CONTROL_PLANES.map((node) => after[node].bootstraps)).toEqual([1, 0, 0]);
      const stack = deployedStack(workdir, env());
      // Compared by digest: a failure must not print the key.
      const digest = (text: string) => createHash("sha256").update(text).digest("hex");
      expect(digest(stack.ok(["output", "-raw", "talosconfig"]).stdout)).toBe(digest(talosconfigText));
      expect(calls()).toEqual([]);
    });
  },
);

/** Private keys (base64 PEM) and tokens anywhere in a `terraform show -json` state. */
function clusterSecrets(state: unknown): string[] {
  const found = new Set<string>();
  const walk = (value: unknown, key: string) => {
    if (typeof value === "string") {
      const decoded = Buffer.from(value, "base64").toString("utf8");
      if (decoded.includes("PRIVATE KEY") || /token|secret/.test(key)) found.add(value);
      for (const pem of value.match(/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[^-]+/g) ?? []) found.add(pem.split("\n")[1]);
    } else if (Array.isArray(value)) {
      value.forEach((item) => walk(item, key));
    } else if (value && typeof value === "object") {
      Object.entries(value).forEach(([child, item]) => walk(item, child));
    }
  };
  walk(state, "");
  return [...found].filter((secret) => secret.length >= 16);
}
