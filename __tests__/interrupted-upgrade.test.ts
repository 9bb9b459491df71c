/**
 * A deploy interrupted in its upgrade steps resumes them: on a simulated
 * Cloudkoffer v1 (3 + 2 nodes), a rolling Talos upgrade killed (SIGKILL, the
 * whole process tree) at a node's Upgrade that the simulator's hold makes
 * certain, and a first deploy that lost its upgrade steps, deployed again.
 * (The kills during a first deploy: interrupted-bootstrap.test.ts.)
 */
import { DeployProcess } from "../testing/deploy-process";
import { Talosctl } from "./support/talosctl";
import { cdktfDeploy } from "../testing/terraform";
import { KUBERNETES_UPGRADE_ADDRESS, TALOS_UPGRADE_ADDRESS } from "../lib/addresses";
import { describeInterrupted, STACK } from "./support/interrupted";

describeInterrupted("127.74.0", ({ cloudkoffer, expectConverged }) => {
  test("killed in the middle of a rolling Talos upgrade: the next deploy resumes the roll, every node upgraded once", async () => {
    const cluster = await cloudkoffer("127.69.0");
    const talosctl = new Talosctl();
    try {
      const withTalosctl = { PATH: `${talosctl.bin}:${process.env.PATH}` };
      await expectConverged(cluster, await DeployProcess.run(STACK, cluster.workdir, cluster.env(withTalosctl)));
      const upgrade = { ...withTalosctl, TF_VAR_talos_version: "v1.7.5" };
      await cluster.killAt(cluster.controlPlanes[1], "Upgrade", "after", upgrade);
      const midway = await cluster.simulator.status();
      expect(cluster.nodes.map((node) => midway[node].upgrades)).toEqual([1, 1, 0, 0, 0]);

      const resumed = await DeployProcess.run(STACK, cluster.workdir, cluster.env(upgrade));
      expect(resumed.text).toContain(`talos upgrade: node ${cluster.controlPlanes[1]} runs Talos v1.7.5 already`);
      const status = await cluster.simulator.status();
      expect(cluster.nodes.map((node) => [status[node].talosVersion, status[node].upgrades])).toEqual(cluster.nodes.map(() => ["v1.7.5", 1]));
      const plan = cluster.stack.run(["plan", "-detailed-exitcode", "-no-color"], upgrade);
      expect(plan.status).toBe(0);
    } finally {
      talosctl.remove();
    }
  });

  test("a first deploy interrupted before its upgrade steps resumes as a first deploy: no talosctl asked for", async () => {
    const cluster = await cloudkoffer("127.70.0");
    await expectConverged(cluster, await DeployProcess.run(STACK, cluster.workdir, cluster.env()));
    // The state a kill between null_resource.deployed and the upgrade resources leaves.
    const lostUpgrades = () => cluster.stack.ok(["state", "rm", TALOS_UPGRADE_ADDRESS, KUBERNETES_UPGRADE_ADDRESS]);

    lostUpgrades();
    const viaNpm = await DeployProcess.run(STACK, cluster.workdir, cluster.env());
    expect(viaNpm.status).toBe(0);
    // npm run deploy hands the scripts the project's Talos client: the nodes are asked.
    for (const node of cluster.nodes) expect(viaNpm.text).toContain(`talos upgrade: node ${node} runs Talos v1.7.4 already`);
    // The Kubernetes upgrade runs last, and cdktf's display can drop the last lines a provisioner prints
    // before the deploy ends: the upgrade being in the state again is what shows it ran, and passed.
    expect(cluster.stack.stateList()).toContain(KUBERNETES_UPGRADE_ADDRESS);

    lostUpgrades();
    // A plain cdktf deploy, without the client: the versions the cluster was installed with say it.
    const plain = cdktfDeploy(STACK, cluster.workdir, cluster.env());
    expect(plain.status).toBe(0);
    expect(plain.text).toContain("talos upgrade: the cluster was installed with Talos v1.7.4; nothing to upgrade");
    // Without talosctl anywhere, an upgrade that needed one would have failed the deploy.
    expect(cluster.stack.stateList()).toContain(KUBERNETES_UPGRADE_ADDRESS);
  });
});
