/**
 * An interrupted or faulted first deploy never loses the cluster's secrets, and
 * the next `npm run deploy` converges by itself: the first deploy of a simulated
 * Cloudkoffer v1 (3 + 2 nodes) is killed (SIGKILL, the whole process tree, as a
 * dead battery would) or interrupted (Ctrl-C) at exact points between the
 * secrets and the kubeconfig that the simulator's holds make certain, or loses
 * the reply of its Bootstrap, and is then deployed again. (The damaged or lost
 * state: interrupted-state.test.ts; the upgrade steps: interrupted-upgrade.test.ts.)
 */
import { existsSync } from "fs";
import { DeployProcess } from "../testing/deploy-process";
import { HoldPoint } from "../testing/simulator";
import { describeInterrupted, STACK } from "./support/interrupted";

describeInterrupted("127.60.0", ({ cloudkoffer, expectConverged }) => {
  test.each<[string, `127.${number}.${number}`, string, HoldPoint]>([
    ["right after the secrets exist, before any node is configured", "127.61.0", "ApplyConfiguration", "before"],
    ["after the first ApplyConfiguration", "127.62.0", "ApplyConfiguration", "after"],
    ["right after Bootstrap, before its answer", "127.63.0", "Bootstrap", "after"],
    ["during the kubeconfig read", "127.64.0", "Kubeconfig", "after"],
  ])("killed %s, deployed again: converged", async (_point, prefix, method, at) => {
    const cluster = await cloudkoffer(prefix);
    if (method === "ApplyConfiguration" && at === "before") {
      // Every node's apply held before it takes effect: not one node is configured at the kill.
      for (const node of cluster.nodes.slice(1)) await cluster.simulator.hold(node, method, at);
    }
    const killed = await cluster.killAt(cluster.controlPlanes[0], method, at);
    expect(killed.signal ?? killed.status).not.toBe(0);
    for (const node of cluster.nodes) await cluster.simulator.release(node, method);
    if (method === "ApplyConfiguration" && at === "before") {
      // The secrets were on disk before any node could receive a configuration, and none did.
      expect(existsSync(cluster.secretsBackup)).toBe(true);
      expect(Object.values(await cluster.simulator.status()).map((node) => node.mode)).toEqual(cluster.nodes.map(() => "maintenance"));
    }

    await expectConverged(cluster, await DeployProcess.run(STACK, cluster.workdir, cluster.env()));
  });

  test("a lost Bootstrap reply: the bootstrap is adopted, not retried forever, within the same npm run deploy", async () => {
    const cluster = await cloudkoffer("127.67.0");
    await cluster.simulator.faults(cluster.controlPlanes[0], { loseReply: "Bootstrap" });
    const deploy = await DeployProcess.run(STACK, cluster.workdir, cluster.env());
    expect(deploy.text).toContain(`${cluster.controlPlanes[0]} is bootstrapped already, but the state lacks talos_machine_bootstrap.this: adopting it`);
    await expectConverged(cluster, deploy);
  });

  test("one graceful Ctrl-C during bootstrap, then deployed again: converged", async () => {
    const cluster = await cloudkoffer("127.68.0");
    const [first] = cluster.controlPlanes;
    await cluster.simulator.hold(first, "Bootstrap", "before");
    const deploy = cluster.deploy();
    await cluster.simulator.held(first, "Bootstrap", "before");
    deploy.interrupt();
    await cluster.simulator.release(first, "Bootstrap");
    await deploy.finished();

    await expectConverged(cluster, await DeployProcess.run(STACK, cluster.workdir, cluster.env()));
  });
});
