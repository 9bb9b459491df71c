/**
 * What the maintenance tests (__tests__/maintenance-*.test.ts) share: a
 * simulated Cloudkoffer v3 (3 + 2 nodes) deployed with cdktf again and again,
 * with the real talosctl on PATH recording its calls, and the talosctl
 * commands a roll is expected to run.
 */
import { formatNodesVariable } from "../../operations/nodes-input";
import { loopbackAddresses } from "../../testing/simulator";
import { cdktfDeploy, DeployResult, deployedStack } from "../../testing/terraform";
import { SimulatedCase } from "./simulated-case";
import { Talosctl } from "./talosctl";

/** The nodes on `<prefix>.1` to `.5`, and the talosctl commands of the seed's maintenance steps on them. */
export function maintenanceNodes(prefix: `127.${number}.${number}`) {
  const [cp1, cp2, cp3, w1, w2] = loopbackAddresses(prefix, 5);
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
  return { cp1, cp2, cp3, w1, w2, CONTROL_PLANES, WORKERS, NODES, healthWithin, HEALTH, upgradeOf, BACKUP, backedUp, stagedUpgradeOf };
}

/**
 * The simulated Cloudkoffer v3 of one describe block, its folder, and the
 * talosctl it is maintained with: started before the block's tests, stopped
 * after them. Every deploy's output is kept, and every key the state held
 * after it (a replaced key is no less secret), for {@link expectNoSecretInLogs}.
 */
export class MaintainedCluster extends SimulatedCase {
  readonly logs: string[] = [];
  private readonly secretsSeen = new Set<string>();
  private installed?: Talosctl;

  /** Registers the beforeAll and afterAll hooks: call it in a describe block. */
  constructor(private readonly nodes: ReturnType<typeof maintenanceNodes>) {
    super([...nodes.CONTROL_PLANES, ...nodes.WORKERS], { folderPrefix: "maintenance", rebootDelay: "200ms" });
    beforeAll(() => {
      this.installed = new Talosctl();
    });
    afterAll(() => this.installed?.remove());
  }

  get talosctl(): Talosctl {
    if (!this.installed) throw new Error("the simulated cluster starts in beforeAll");
    return this.installed;
  }

  env(extra: Record<string, string> = {}, withTalosctl = true): Record<string, string> {
    return {
      TF_VAR_nodes: this.nodes.NODES,
      PATH: withTalosctl ? `${this.talosctl.bin}:${process.env.PATH}` : (process.env.PATH ?? ""),
      ...extra,
    };
  }

  /** cdktf deploy of the stack, its output and the keys of the state after it kept. */
  deploy(extra: Record<string, string> = {}, withTalosctl = true): DeployResult {
    const result = cdktfDeploy("cloudkoffer-v3", this.workdir, this.env(extra, withTalosctl));
    this.logs.push(result.stdout, result.stderr);
    const stack = deployedStack(this.workdir, this.env());
    clusterSecrets(JSON.parse(stack.ok(["show", "-json"]).stdout)).forEach((secret) => this.secretsSeen.add(secret));
    return result;
  }

  /** talosctl's calls since the last time asked, the backup's file named <backup>. */
  calls(): string[] {
    return this.talosctl.takeCalls().map((call) => call.replace(/^etcd snapshot \S+/, "etcd snapshot <backup>"));
  }

  /** Every node's Talos version. */
  async versions(): Promise<Record<string, string>> {
    return Object.fromEntries(Object.values(await this.simulator.status()).map((node) => [node.address, node.talosVersion]));
  }

  /** No key or token the state held after any deploy appears in the output of any deploy. */
  expectNoSecretInLogs(): void {
    expect(this.secretsSeen.size).toBeGreaterThan(10);
    const output = this.logs.join("\n");
    expect([...this.secretsSeen].filter((secret) => output.includes(secret))).toEqual([]);
  }
}

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
