/**
 * Maintenance from the stack, as it goes when nothing fails: rolling Talos
 * upgrades, staged upgrades, Kubernetes upgrades, run with the real talosctl
 * against a simulated Cloudkoffer v3 (3 + 2 nodes), and its reprovisioning
 * after a re-image. (Rolls that stop: maintenance-faults.test.ts.)
 */
import { createHash } from "crypto";
import { spawnSync } from "child_process";
import { existsSync } from "fs";
import * as path from "path";
import { loopbackDeployEnvironment } from "../testing/loopback";
import { deployedStack, expectDeployed, terraformEnvironment } from "../testing/terraform";
import { MaintainedCluster, maintenanceNodes } from "./support/maintenance";
import { describeWith, PROJECT_ROOT } from "./support/tiers";

const nodes = maintenanceNodes("127.26.0");
const { cp1, cp2, cp3, CONTROL_PLANES, WORKERS, HEALTH, upgradeOf, BACKUP, backedUp, stagedUpgradeOf } = nodes;

describeWith(["terraform", "talos provider", "null provider", "tls provider", "simulator", "kube-apiserver", "talosctl"])(
  "maintenance from the stack: rolling Talos upgrades, staged upgrades, Kubernetes upgrades",
  () => {
    const cluster = new MaintainedCluster(nodes);
    let talosconfigText: string;

    test("the first deploy upgrades nothing and needs no talosctl", async () => {
      const result = expectDeployed(cluster.deploy({}, false));
      expect(result.text).toContain("talos upgrade: the cluster was just installed with Talos v1.7.4; nothing to upgrade");
      // The Kubernetes upgrade runs last, and cdktf's display can drop the last lines a provisioner
      // prints before the deploy ends; no talosctl call is what shows it upgraded nothing.
      expect(cluster.calls()).toEqual([]);
      const stack = deployedStack(cluster.workdir, cluster.env());
      talosconfigText = stack.ok(["output", "-raw", "talosconfig"]).stdout;
    });

    test("nothing runs when the versions do not change", () => {
      expectDeployed(cluster.deploy());
      expect(cluster.calls()).toEqual([]);
    });

    test("a Talos change upgrades the nodes one at a time: control planes in order, then workers", async () => {
      const result = expectDeployed(cluster.deploy({ TF_VAR_talos_version: "1.7.5" }));
      const [first, ...rest] = [...CONTROL_PLANES, ...WORKERS];
      expect(cluster.calls()).toEqual([...backedUp(upgradeOf(first, "v1.7.5")), ...rest.flatMap((node) => upgradeOf(node, "v1.7.5"))]);
      expect(Object.values(await cluster.versions())).toEqual(Array(5).fill("v1.7.5"));
      // each node back before the next: its Upgrade call comes after the previous node's last call
      const status = await cluster.simulator.status();
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
      const files = cluster.talosctl.talosconfigs();
      expect(files.length).toBeGreaterThan(0);
      for (const { mode, file } of files) {
        expect(mode).toBe("600");
        expect(existsSync(file)).toBe(false);
      }
      const result = expectDeployed(cluster.deploy({ TF_VAR_talos_version: "1.7.5" }));
      const secrets = [...talosconfigText.matchAll(/(?:ca|crt|key): (\S{40,})/g)].map((match) => match[1]);
      expect(secrets.length).toBe(3);
      for (const secret of secrets) expect(result.stdout + result.stderr).not.toContain(secret);
    });

    test("a stage-mode change: --stage, then talosctl reboot --wait, node by node", async () => {
      expectDeployed(cluster.deploy({ TF_VAR_talos_version: "v1.7.6", TF_VAR_talos_upgrade_stage: "true" }));
      expect(cluster.calls()).toEqual([
        ...backedUp(stagedUpgradeOf(cp1, "v1.7.6")),
        ...[cp2, cp3, ...WORKERS].flatMap((node) => stagedUpgradeOf(node, "v1.7.6")),
      ]);
      expect(Object.values(await cluster.versions())).toEqual(Array(5).fill("v1.7.6"));
    });

    test("a Kubernetes change runs talosctl upgrade-k8s once, after the Talos roll", () => {
      expectDeployed(cluster.deploy({ TF_VAR_talos_version: "v1.7.7", TF_VAR_kubernetes_version: "1.30.2" }));
      expect(cluster.calls()).toEqual([
        ...backedUp(upgradeOf(cp1, "v1.7.7")),
        ...[cp2, cp3, ...WORKERS].flatMap((node) => upgradeOf(node, "v1.7.7")),
        HEALTH,
        BACKUP,
        `upgrade-k8s --to=1.30.2 --nodes=${cp1} --endpoints=${cp1}`,
        HEALTH,
      ]);
      expectDeployed(cluster.deploy({ TF_VAR_talos_version: "v1.7.7", TF_VAR_kubernetes_version: "1.30.2" }));
      expect(cluster.calls()).toEqual([]);
    });

    test("no key or token the cluster ever had appears in the output of any of these deploys", () => {
      cluster.expectNoSecretInLogs();
    });

    test("a re-imaged Cloudkoffer is reprovisioned: every node configured again, bootstrapped once, same secrets", async () => {
      const before = await cluster.simulator.status();
      for (const node of [...CONTROL_PLANES, ...WORKERS]) await cluster.simulator.reimage(node);
      const run = spawnSync(
        "npm",
        ["run", "--silent", "reprovision", "--", "cloudkoffer-v3", "--output", path.join(cluster.workdir, "cdktf.out"), "--auto-approve"],
        {
          cwd: PROJECT_ROOT,
          encoding: "utf8",
          // The versions the cluster runs since the Kubernetes change.
          env: terraformEnvironment(loopbackDeployEnvironment(cluster.env({ TF_VAR_talos_version: "v1.7.7", TF_VAR_kubernetes_version: "1.30.2" }))),
        },
      );
      if (run.status !== 0) throw new Error(`reprovision exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
      expect(run.stdout).toContain("reprovision cloudkoffer-v3: applying the configuration to 5 nodes again and bootstrapping, keeping the secrets");
      const after = await cluster.simulator.status();
      for (const node of [...CONTROL_PLANES, ...WORKERS]) {
        await cluster.simulator.waitFor(node, "configured");
        expect(after[node].configDigest).toBe(before[node].configDigest);
      }
      expect(CONTROL_PLANES.map((node) => after[node].bootstraps)).toEqual([1, 0, 0]);
      const stack = deployedStack(cluster.workdir, cluster.env());
      // Compared by digest: a failure must not print the key.
      const digest = (text: string) => createHash("sha256").update(text).digest("hex");
      expect(digest(stack.ok(["output", "-raw", "talosconfig"]).stdout)).toBe(digest(talosconfigText));
      expect(cluster.calls()).toEqual([]);
    });
  },
);
