/**
 * Maintenance from the stack when something is wrong: a roll without talosctl,
 * a node that fails its upgrade or comes back unhealthy, an unhealthy cluster,
 * an etcd backup that cannot be taken, run with the real talosctl against a
 * simulated Cloudkoffer v3 (3 + 2 nodes); where none of that happens:
 * maintenance-roll.test.ts.
 */
import { readdirSync, statSync } from "fs";
import * as path from "path";
import { DeployProcess, Finished } from "../testing/deploy-process";
import { TALOSCTL_INSTALL_HINT } from "../lib/talosctl-install";
import { expectDeployed } from "../testing/terraform";
import { MaintainedCluster, maintenanceNodes } from "./support/maintenance";
import { describeWith } from "./support/tiers";

const nodes = maintenanceNodes("127.30.0");
const { cp1, cp2, cp3, w1, w2, CONTROL_PLANES, WORKERS, healthWithin, upgradeOf, backedUp } = nodes;

describeWith(["terraform", "talos provider", "null provider", "tls provider", "simulator", "kube-apiserver", "talosctl"])(
  "maintenance from the stack: rolling Talos upgrades, staged upgrades, Kubernetes upgrades",
  () => {
    const cluster = new MaintainedCluster(nodes);

    // A cluster installed (without talosctl, as a first deploy is) with Talos v1.7.7 and Kubernetes 1.30.2.
    beforeAll(() => {
      expectDeployed(cluster.deploy({ TF_VAR_talos_version: "v1.7.7", TF_VAR_kubernetes_version: "1.30.2" }, false));
    });

    test("an upgrade without talosctl stops before touching any node, saying how to install talosctl", async () => {
      const before = await cluster.versions();
      const result = cluster.deploy({ TF_VAR_talos_version: "v1.7.8", TF_VAR_kubernetes_version: "1.30.2" }, false);
      expect(result.status).not.toBe(0);
      expect(result.text).toContain(`talos upgrade: no talosctl to upgrade the nodes to Talos v1.7.8; ${TALOSCTL_INSTALL_HINT}; then deploy again`);
      expect(await cluster.versions()).toEqual(before);
    });

    test("a failing node stops the roll there, later nodes untouched; deploying again resumes from it", async () => {
      const target = { TF_VAR_talos_version: "v1.7.8", TF_VAR_kubernetes_version: "1.30.2" };
      await cluster.simulator.faults(cp3, { rejectCode: "Unavailable", rejectMethod: "Upgrade" });
      const failed = cluster.deploy(target);
      expect(failed.status).not.toBe(0);
      expect(failed.text).toContain(`talos upgrade: upgrading node ${cp3} failed; the roll stopped at node ${cp3}, the nodes after it are untouched`);
      expect(await cluster.versions()).toEqual({ [cp1]: "v1.7.8", [cp2]: "v1.7.8", [cp3]: "v1.7.7", [w1]: "v1.7.7", [w2]: "v1.7.7" });
      expect(cluster.calls()).toEqual([
        ...backedUp(upgradeOf(cp1, "v1.7.8")),
        ...upgradeOf(cp2, "v1.7.8"),
        ...upgradeOf(cp3, "v1.7.8").slice(0, 2),
      ]);

      await cluster.simulator.faults(cp3, {});
      expectDeployed(cluster.deploy(target));
      expect(cluster.calls()).toEqual([
        `version --nodes=${cp1} --endpoints=${cp1}`,
        `version --nodes=${cp2} --endpoints=${cp2}`,
        ...backedUp(upgradeOf(cp3, "v1.7.8")),
        ...WORKERS.flatMap((node) => upgradeOf(node, "v1.7.8")),
      ]);
      expect(Object.values(await cluster.versions())).toEqual(Array(5).fill("v1.7.8"));
    });

    test("a node that comes back unhealthy stops the roll there: the next node is not upgraded; healthy again, deploying resumes", async () => {
      // Short waits: the fault is on until the test lifts it.
      const target = { TF_VAR_talos_version: "v1.7.9", TF_VAR_kubernetes_version: "1.30.2", TF_VAR_health_timeout: "20s" };
      // cp2's upgrade is carried out, and held before its reply, while its kubelet goes down:
      // the node comes back with the new Talos, but the cluster is not healthy.
      await cluster.simulator.hold(cp2, "Upgrade", "after");
      const rolling = new DeployProcess("cloudkoffer-v3", cluster.workdir, cluster.env(target));
      let stopped: Finished;
      try {
        await cluster.simulator.held(cp2, "Upgrade", "after");
        await cluster.simulator.faults(cp2, { kubeletDown: true });
        await cluster.simulator.release(cp2, "Upgrade");
        stopped = await rolling.finished();
      } finally {
        // Lifted before anything is checked: a later deploy must not wait on it.
        await cluster.simulator.faults(cp2, {});
      }
      cluster.logs.push(stopped.text);
      expect(stopped.status).not.toBe(0);
      expect(stopped.text).toContain(
        `talos upgrade: the cluster did not become healthy within 20s after node ${cp2} came back with Talos v1.7.9; the roll stopped at node ${cp2}, the nodes after it are untouched`,
      );
      expect(await cluster.versions()).toEqual({ [cp1]: "v1.7.9", [cp2]: "v1.7.9", [cp3]: "v1.7.8", [w1]: "v1.7.8", [w2]: "v1.7.8" });
      // npm run deploy asks the talosctl on PATH which Talos it is for, before choosing it.
      expect(cluster.calls().filter((call) => call !== "version --client --short")).toEqual([
        ...backedUp(upgradeOf(cp1, "v1.7.9").slice(0, -1)),
        healthWithin("20s"),
        ...upgradeOf(cp2, "v1.7.9").slice(0, -1),
        healthWithin("20s"),
      ]);

      expectDeployed(cluster.deploy(target));
      expect(cluster.calls()).toEqual([
        `version --nodes=${cp1} --endpoints=${cp1}`,
        `version --nodes=${cp2} --endpoints=${cp2}`,
        ...backedUp([...upgradeOf(cp3, "v1.7.9").slice(0, -1), healthWithin("20s")]),
        ...WORKERS.flatMap((node) => [...upgradeOf(node, "v1.7.9").slice(0, -1), healthWithin("20s")]),
      ]);
      expect(Object.values(await cluster.versions())).toEqual(Array(5).fill("v1.7.9"));
    });

    test("an unhealthy cluster is not upgraded at all: the stack's health check fails first, naming the node", async () => {
      const before = await cluster.versions();
      await cluster.simulator.faults(w1, { kubeletDown: true });
      const target = { TF_VAR_talos_version: "v1.7.10", TF_VAR_kubernetes_version: "1.30.2" };
      const failed = cluster.deploy({ ...target, TF_VAR_health_timeout: "15s" });
      expect(failed.status).not.toBe(0);
      expect(failed.text).toContain("data.talos_cluster_health.this");
      expect(failed.text).toContain(w1);
      expect(cluster.calls()).toEqual([]);
      expect(await cluster.versions()).toEqual(before);

      await cluster.simulator.faults(w1, {});
      expectDeployed(cluster.deploy(target));
      expect(cluster.calls()).toEqual([...backedUp(upgradeOf(cp1, "v1.7.10")), ...[cp2, cp3, ...WORKERS].flatMap((node) => upgradeOf(node, "v1.7.10"))]);
    });

    test("each upgrade's etcd backup is kept beside the state, mode 0600; one that cannot be taken stops the roll before any node", async () => {
      const backups = path.join(cluster.workdir, "backups");
      const taken = readdirSync(backups).filter((name) => /^cloudkoffer-v3-\d{8}T\d{6}Z\.etcd\.snapshot$/.test(name));
      expect(taken.length).toBeGreaterThanOrEqual(5);
      for (const name of taken) expect(statSync(path.join(backups, name)).mode & 0o777).toBe(0o600);

      const before = await cluster.versions();
      for (const node of CONTROL_PLANES) await cluster.simulator.faults(node, { rejectCode: "Unavailable", rejectMethod: "EtcdSnapshot" });
      const failed = cluster.deploy({ TF_VAR_talos_version: "v1.7.11", TF_VAR_kubernetes_version: "1.30.2" });
      for (const node of CONTROL_PLANES) await cluster.simulator.faults(node, {});
      expect(failed.status).not.toBe(0);
      expect(failed.text).toContain("talos upgrade: no etcd backup could be taken, so no node is upgraded to Talos v1.7.11");
      expect(cluster.calls().filter((call) => call.startsWith("upgrade"))).toEqual([]);
      expect(await cluster.versions()).toEqual(before);

      // A control plane gives one again: the roll goes on.
      expectDeployed(cluster.deploy({ TF_VAR_talos_version: "v1.7.11", TF_VAR_kubernetes_version: "1.30.2" }));
      expect(cluster.calls()).toEqual([...backedUp(upgradeOf(cp1, "v1.7.11")), ...[cp2, cp3, ...WORKERS].flatMap((node) => upgradeOf(node, "v1.7.11"))]);
      expect(Object.values(await cluster.versions())).toEqual(Array(5).fill("v1.7.11"));
    });

    test("no key or token the cluster ever had appears in the output of any of these deploys", () => {
      cluster.expectNoSecretInLogs();
    });
  },
);
