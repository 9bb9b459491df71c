/**
 * An interrupted or faulted deploy never loses the cluster's secrets, and the
 * next `npm run deploy` converges by itself: the first deploy of a simulated
 * Cloudkoffer v1 (3 + 2 nodes) is killed (SIGKILL, the whole process tree, as
 * a dead battery would) at exact points that the simulator's holds make
 * certain, and then deployed again.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { parse } from "yaml";
import { formatNodesVariable } from "../operations/nodes-input";
import { DeployProcess, Finished } from "../testing/deploy-process";
import { HoldPoint, loopbackAddresses, probe, TalosSimulator } from "../testing/simulator";
import { Talosctl } from "./support/talosctl";
import { cdktfDeploy, deployedStack, TerraformWorkspace } from "../testing/terraform";
import { describeWith } from "./support/tiers";
import { KUBERNETES_UPGRADE_ADDRESS, TALOS_UPGRADE_ADDRESS } from "../lib/addresses";

const STACK = "cloudkoffer-v1";
const NODE_TIMEOUT_SECONDS = 20;

/** A simulated Cloudkoffer v1 with a folder for its state, as a user's project would hold it. */
class Cloudkoffer {
  readonly controlPlanes: string[];
  readonly workers: string[];

  private constructor(
    readonly simulator: TalosSimulator,
    readonly workdir: string,
    nodes: string[],
  ) {
    this.controlPlanes = nodes.slice(0, 3);
    this.workers = nodes.slice(3);
  }

  static async start(prefix: `127.${number}.${number}`): Promise<Cloudkoffer> {
    const nodes = loopbackAddresses(prefix, 5);
    const simulator = await TalosSimulator.start({ nodes, rebootDelay: "300ms" });
    return new Cloudkoffer(simulator, mkdtempSync(path.join(tmpdir(), "interrupted-")), nodes);
  }

  get nodes(): string[] {
    return [...this.controlPlanes, ...this.workers];
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      TF_VAR_nodes: formatNodesVariable({ controlplane: this.controlPlanes, worker: this.workers }),
      TF_VAR_node_timeout: `${NODE_TIMEOUT_SECONDS}s`,
      ...extra,
    };
  }

  deploy(extra: Record<string, string> = {}): DeployProcess {
    return new DeployProcess(STACK, this.workdir, this.env(extra));
  }

  get stack(): TerraformWorkspace {
    return deployedStack(this.workdir, this.env(), STACK);
  }

  get stateFile(): string {
    return path.join(this.workdir, `terraform.${STACK}.tfstate`);
  }

  get secretsBackup(): string {
    return path.join(this.workdir, `terraform.${STACK}.secrets.yaml`);
  }

  /** Starts a deploy, waits until a call is stopped at the hold, kills the deploy, lets the call go. */
  async killAt(node: string, method: string, at: HoldPoint, extra: Record<string, string> = {}): Promise<Finished> {
    await this.simulator.hold(node, method, at);
    const deploy = this.deploy(extra);
    const endedEarly = deploy.finished().then((ended) => {
      throw new Error(`the deploy ended before ${method} reached its hold at ${node}:\n${ended.text}`);
    });
    endedEarly.catch(() => undefined); // only the race below listens
    await Promise.race([this.simulator.held(node, method, at), endedEarly]);
    const killed = await deploy.kill("SIGKILL");
    await this.simulator.release(node, method);
    return killed;
  }

  async stop(): Promise<void> {
    await this.simulator.stop();
    rmSync(this.workdir, { recursive: true, force: true });
  }
}

/** The cluster ID of a secrets.yaml. */
function clusterIdOf(secretsYaml: string): string {
  return (parse(secretsYaml) as { cluster: { id: string } }).cluster.id;
}

describeWith(["terraform", "talos provider", "null provider", "tls provider", "simulator", "kube-apiserver", "talosctl"])(
  "an interrupted or faulted deploy never loses the cluster's secrets, and the next deploy converges by itself",
  () => {
    const clusters: Cloudkoffer[] = [];
    const cloudkoffer = async (prefix: `127.${number}.${number}`) => {
      const started = await Cloudkoffer.start(prefix);
      clusters.push(started);
      return started;
    };
    /** The wall time of an uninterrupted first deploy. */
    let uninterrupted: number;

    /**
     * Converged: the deploy succeeded in time, every node is configured for its
     * role with the secrets of the backup, bootstrapped once, accepting the
     * state's client certificate, and the next plan is empty.
     */
    const expectConverged = async (cluster: Cloudkoffer, recovery: Finished) => {
      if (recovery.status !== 0) throw new Error(`the deploy after the interruption exited ${recovery.status}:\n${recovery.text}`);
      expect(recovery.seconds).toBeLessThan(uninterrupted + NODE_TIMEOUT_SECONDS);
      const status = await cluster.simulator.status();
      for (const node of cluster.controlPlanes) expect(status[node]).toMatchObject({ mode: "configured", role: "controlplane" });
      for (const node of cluster.workers) expect(status[node]).toMatchObject({ mode: "configured", role: "worker" });
      expect(cluster.nodes.map((node) => status[node].bootstraps)).toEqual([1, 0, 0, 0, 0]);

      const stack = cluster.stack;
      const talosconfig = path.join(cluster.workdir, "talosconfig");
      writeFileSync(talosconfig, stack.ok(["output", "-raw", "talosconfig"]).stdout, { mode: 0o600 });
      for (const node of [cluster.controlPlanes[0], cluster.workers[1]]) {
        expect(probe(node, { talosconfig: talosconfig, strict: true })).toMatchObject({ answers: true, mode: "configured" });
      }
      const machineConfig = stack.ok(["output", "-raw", "machineconfig_worker"]).stdout;
      expect(machineConfig).toContain(`id: ${clusterIdOf(readFileSync(cluster.secretsBackup, "utf8"))}`);
      const plan = stack.run(["plan", "-detailed-exitcode", "-no-color"]);
      expect({ status: plan.status, stdout: plan.stdout }).toEqual({ status: 0, stdout: expect.stringContaining("No changes.") });
    };

    beforeAll(async () => {
      const cluster = await cloudkoffer("127.60.0");
      const first = await DeployProcess.run(STACK, cluster.workdir, cluster.env());
      uninterrupted = first.seconds;
      console.log(`an uninterrupted npm run deploy of 3 + 2 simulated nodes: ${uninterrupted.toFixed(1)} s`);
      await expectConverged(cluster, first);
    });
    afterAll(async () => {
      await Promise.all(clusters.map((cluster) => cluster.stop()));
    });

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

    test.each([
      ["empty", (file: string) => truncateSync(file, 0)],
      ["truncated half way", (file: string) => writeFileSync(file, readFileSync(file, "utf8").slice(0, readFileSync(file, "utf8").length / 2))],
    ])(
      "killed right after Bootstrap while terraform rewrote the state, leaving it %s: the secrets are restored, the bootstrap adopted",
      async (damage, harm) => {
        const cluster = await cloudkoffer(damage === "empty" ? "127.65.0" : "127.66.0");
        await cluster.killAt(cluster.controlPlanes[0], "Bootstrap", "after");
        // What terraform leaves when it is killed while it rewrites the local state in place
        // (it truncates the file, then writes it): a kill cannot be timed into that moment, so the
        // test damages the file the way it would be.
        harm(cluster.stateFile);

        const recovery = await DeployProcess.run(STACK, cluster.workdir, cluster.env());
        expect(recovery.text).toContain(`${cluster.stateFile} is empty or truncated`);
        await expectConverged(cluster, recovery);
      },
    );

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

    test("a lost state without a secrets backup stops the deploy before any node is touched, saying how to recover", async () => {
      const cluster = await cloudkoffer("127.71.0");
      await expectConverged(cluster, await DeployProcess.run(STACK, cluster.workdir, cluster.env()));
      const applies = async () =>
        Object.values(await cluster.simulator.status()).map((node) => node.calls.filter((call) => call.method === "ApplyConfiguration").length);
      const before = await applies();
      rmSync(cluster.stateFile);
      rmSync(cluster.secretsBackup);

      const refused = await DeployProcess.run(STACK, cluster.workdir, cluster.env());
      expect(refused.status).toBe(2);
      expect(refused.text).toContain(`but ${cluster.nodes.join(", ")} are configured already, with secrets this state does not have`);
      expect(refused.text).toContain(`npm run secrets -- import ${STACK} --file secrets.yaml`);
      expect(await applies()).toEqual(before);
      expect(cluster.stack.stateList()).toEqual([]);
    });

    test("a plain cdktf deploy on a lost state adopts the secrets backup too (the stack's import block); npm run deploy adopts the bootstrap", async () => {
      const cluster = await cloudkoffer("127.72.0");
      await expectConverged(cluster, await DeployProcess.run(STACK, cluster.workdir, cluster.env()));
      rmSync(cluster.stateFile);

      const plain = cdktfDeploy(STACK, cluster.workdir, cluster.env());
      // The configurations apply: the adopted secrets are the ones the nodes hold. Only the bootstrap,
      // which the stack alone cannot know was done, fails after node_timeout.
      expect(plain.status).not.toBe(0);
      expect(plain.text).toContain("talos_machine_secrets.this (cluster/machine-secrets): Import complete");
      expect(plain.text).toContain("AlreadyExists");
      expect(cluster.stack.stateList()).toContain(`talos_machine_configuration_apply.worker["${cluster.workers[0]}"]`);

      await expectConverged(cluster, await DeployProcess.run(STACK, cluster.workdir, cluster.env()));
    });
  },
);
