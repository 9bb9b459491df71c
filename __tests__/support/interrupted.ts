/**
 * The fixture of the interrupted-deploy tests (__tests__/interrupted-*.test.ts):
 * a simulated Cloudkoffer v1 (3 + 2 nodes) per test, whose first deploy is
 * killed (SIGKILL, the whole process tree, as a dead battery would) at exact
 * points that the simulator's holds make certain, and then deployed again.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { parse } from "yaml";
import { formatNodesVariable } from "../../operations/nodes-input";
import { DeployProcess, Finished } from "../../testing/deploy-process";
import { HoldPoint, loopbackAddresses, probe, TalosSimulator } from "../../testing/simulator";
import { deployedStack, TerraformWorkspace } from "../../testing/terraform";
import { describeWith } from "./tiers";

export const STACK = "cloudkoffer-v1";
const NODE_TIMEOUT_SECONDS = 20;

/** A simulated Cloudkoffer v1 with a folder for its state, as a user's project would hold it. */
export class Cloudkoffer {
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

/** What the tests of {@link describeInterrupted} get. */
export interface InterruptedDeploys {
  /** A new simulated Cloudkoffer on the loopback addresses `<prefix>.1` to `.5`, stopped after the file's tests. */
  cloudkoffer(prefix: `127.${number}.${number}`): Promise<Cloudkoffer>;
  /**
   * Converged: the deploy succeeded in time, every node is configured for its
   * role with the secrets of the backup, bootstrapped once, accepting the
   * state's client certificate, and the next plan is empty.
   */
  expectConverged(cluster: Cloudkoffer, recovery: Finished): Promise<void>;
}

/**
 * The describe block of an interrupted-deploy test file: before its tests, an
 * uninterrupted first deploy on a Cloudkoffer of its own (on `baselinePrefix`),
 * whose wall time bounds every deploy after an interruption.
 */
export function describeInterrupted(baselinePrefix: `127.${number}.${number}`, tests: (deploys: InterruptedDeploys) => void): void {
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
        const cluster = await cloudkoffer(baselinePrefix);
        const first = await DeployProcess.run(STACK, cluster.workdir, cluster.env());
        uninterrupted = first.seconds;
        console.log(`an uninterrupted npm run deploy of 3 + 2 simulated nodes: ${uninterrupted.toFixed(1)} s`);
        await expectConverged(cluster, first);
      });
      afterAll(async () => {
        await Promise.all(clusters.map((cluster) => cluster.stop()));
      });

      tests({ cloudkoffer, expectConverged });
    },
  );
}
