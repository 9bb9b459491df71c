/**
 * `npm start`, end to end, as a newcomer runs it: a simulated Cloudkoffer, the
 * real stack deployed to it, a table of the nodes that must say what the
 * simulator says, and a clean stop.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../lib/project-paths";
import { formatNodesVariable } from "../operations/nodes-input";
import { SimulatedFaults, SimulatedNode } from "../testing/simulator";
import { Talosctl } from "./support/talosctl";
import { describeWith } from "./support/tiers";

/** A running `npm start`, its output as it comes. */
class Start {
  private readonly child: ChildProcess;
  output = "";
  private readonly waiters: { text: string; resolve: () => void }[] = [];
  readonly exited: Promise<number | null>;

  constructor(args: readonly string[]) {
    this.child = spawn("npm", ["start", "--", ...args], {
      cwd: PROJECT_ROOT,
      detached: true, // its own process group: a Ctrl-C reaches all of it
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, CHECKPOINT_DISABLE: "1" },
    });
    const take = (chunk: Buffer) => {
      this.output += chunk.toString();
      for (const waiter of this.waiters.filter((candidate) => this.output.includes(candidate.text))) waiter.resolve();
    };
    this.child.stdout?.on("data", take);
    this.child.stderr?.on("data", take);
    this.exited = new Promise((resolve) => this.child.once("close", (status) => resolve(status)));
  }

  /** Resolves once the output holds `text`; fails when npm start ends first. */
  async printed(text: string): Promise<void> {
    if (this.output.includes(text)) return;
    await Promise.race([
      new Promise<void>((resolve) => this.waiters.push({ text, resolve })),
      this.exited.then((status) => {
        throw new Error(`npm start exited ${status} before it printed "${text}":\n${this.output}`);
      }),
    ]);
  }

  /** Ctrl-C in the terminal: SIGINT to the whole foreground process group. */
  interrupt(): void {
    process.kill(-(this.child.pid as number), "SIGINT");
  }

  /** The rows of the node table, by address. */
  table(): Record<string, Record<string, string>> {
    const lines = this.output.split("\n");
    const header = lines.findIndex((line) => line.startsWith("ADDRESS "));
    const rows: Record<string, Record<string, string>> = {};
    for (const line of lines.slice(header + 1)) {
      if (line.trim() === "") break;
      const [address, role, mode, talos, disk, image] = line.trim().split(/\s+/);
      rows[address] = { address, role, mode, talos, disk, image };
    }
    return rows;
  }

  /** A value printed as `<label> <value>` on a line of its own. */
  field(label: string): string {
    const line = this.output.split("\n").find((candidate) => candidate.startsWith(label));
    if (!line) throw new Error(`npm start printed no "${label}" line:\n${this.output}`);
    return line.slice(label.length).trim().split(" ")[0];
  }
}

/** The table's rows as the simulator's status says they must be. */
function expectedRows(nodes: Record<string, SimulatedNode>) {
  return Object.fromEntries(
    Object.values(nodes).map((node) => [
      node.address,
      { address: node.address, role: node.role, mode: node.mode, talos: node.talosVersion, disk: node.installDisk, image: node.installImage },
    ]),
  );
}

describeWith(["terraform", "talos provider", "null provider", "tls provider", "simulator", "kube-apiserver", "talosctl"])("npm start: the main job on a simulated Cloudkoffer", () => {
  const dirs: string[] = [];
  const demoDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), "demo-"));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  // A test that failed half way still stops its npm start: the next one needs the addresses.
  let running: Start | undefined;
  afterEach(async () => {
    running?.interrupt();
    await running?.exited;
    running = undefined;
  });

  test("deploys cloudkoffer-v3 to 3 + 7 simulated nodes, prints what the simulator says, runs until Ctrl-C and exits 0", async () => {
    const demo = demoDir();
    const start = new Start(["--demo-dir", demo]);
    running = start;
    await start.printed("The simulated Cloudkoffer runs until Ctrl-C.");

    const control = start.field("simulator control:");
    const status = ((await (await fetch(`${control}/status`)).json()) as { nodes: Record<string, SimulatedNode> }).nodes;
    expect(Object.keys(status)).toHaveLength(10);
    expect(start.table()).toEqual(expectedRows(status));
    expect(Object.values(start.table()).map((row) => [row.role, row.mode, row.disk])).toEqual([
      ...Array(3).fill(["controlplane", "configured", "/dev/nvme0n1"]),
      ...Array(7).fill(["worker", "configured", "/dev/nvme0n1"]),
    ]);
    const bootstrapped = Object.values(status).filter((node) => node.bootstraps > 0).map((node) => node.address);
    expect(bootstrapped).toHaveLength(1);
    expect(start.field("bootstrapped:")).toBe(bootstrapped[0]);
    expect(start.output).toMatch(/deployed in \d+\.\d s \(npm start: \d+\.\d s\)/);

    for (const file of ["talosconfig", "kubeconfig"]) {
      const written = path.join(demo, file);
      expect(start.field(`${file}:`)).toBe(written);
      expect(statSync(written).mode & 0o777).toBe(0o600);
    }
    const kubeconfig = parse(readFileSync(path.join(demo, "kubeconfig"), "utf8")) as { clusters: { cluster: { server: string } }[] };
    expect(kubeconfig.clusters[0].cluster.server).toBe("https://127.77.0.254:6443");
    const talosconfig = parse(readFileSync(path.join(demo, "talosconfig"), "utf8")) as { contexts: Record<string, { endpoints: string[] }> };
    expect(talosconfig.contexts.cloudkoffer.endpoints).toEqual(["127.77.0.1", "127.77.0.2", "127.77.0.3"]);
    expect(existsSync(path.join(demo, "terraform.cloudkoffer-v3.tfstate"))).toBe(true);
    expect(start.output).toContain("probe -node 127.77.0.1 -talosconfig");
    // The real talosctl answered with the talosconfig the demo wrote: the node's Talos, over mTLS.
    expect(start.output).toMatch(/talosctl version, the real talosctl \.build\/bin\/talosctl with the talosconfig, against 127\.77\.0\.1:\n {2}Client:\n\s+Tag:\s+v1\.7\.4[\s\S]*Server:\n\s+NODE:\s+127\.77\.0\.1\n\s+Tag:\s+v1\.7\.4/);

    // The seed's last step: Talos' own checks, run by the first control plane, every one passed ...
    expect(start.output).toContain("talosctl health, run by 127.77.0.1: every check passed");
    for (const check of ["etcd to be healthy", "all k8s nodes to report ready", "all control plane static pods to be running"]) {
      expect(start.output).toContain(`waiting for ${check}: OK`);
    }
    // ... and the nodes as kubectl lists them, from the real kube-apiserver behind the VIP.
    expect(start.output).toContain("Kubernetes nodes, from the API server at https://127.77.0.254:6443");
    const kubernetesNodes = start.output
      .split("\n")
      .filter((line) => /^ {2}127\.77\.0\.\d+ /.test(line))
      .map((line) => line.trim().split(/\s+/));
    // By name, numbers as numbers (127.77.0.2 before 127.77.0.10).
    const controlPlanes = ["127.77.0.1", "127.77.0.2", "127.77.0.3"];
    expect(kubernetesNodes.map(([name, status, roles, , version]) => [name, status, roles, version])).toEqual(
      Object.keys(status)
        .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
        .map((address) => [address, "Ready", controlPlanes.includes(address) ? "control-plane" : "<none>", "v1.30.1"]),
    );

    // The seed's talosctl health, both modes, against this very case: every check passes, and each
    // fault the simulator injects fails its check, naming the node.
    const workers = Object.keys(status).filter((address) => !controlPlanes.includes(address));
    const talosctl = new Talosctl();
    try {
      const health = (...args: string[]) => {
        const run = spawnSync("npm", ["run", "--silent", "health", "--", "cloudkoffer-v3", "--output", path.join(demo, "cdktf.out"), ...args], {
          cwd: PROJECT_ROOT,
          encoding: "utf8",
          env: { ...process.env, PATH: talosctl.path, TF_VAR_nodes: formatNodesVariable({ controlplane: controlPlanes, worker: workers }) },
        });
        return { status: run.status, text: `${run.stdout}\n${run.stderr}` };
      };
      const faults = (node: string, fault: SimulatedFaults) =>
        fetch(`${control}/nodes/${node}/faults`, { method: "POST", body: JSON.stringify(fault) }).then((response) => expect(response.ok).toBe(true));
      for (const server of ["true", "false"]) expect(health(`--server=${server}`, "--wait-timeout=1m")).toMatchObject({ status: 0 });
      const cases: [string, SimulatedFaults, string][] = [
        ["127.77.0.4", { kubeletDown: true }, "kubelet to be healthy"],
        ["127.77.0.10", { nodeNotReady: true }, "all k8s nodes to report ready"],
        ["127.77.0.2", { etcdStopped: true }, "etcd to be healthy"],
        ["127.77.0.3", { staticPodDown: "kube-apiserver" }, "all control plane"],
      ];
      for (const [node, fault, check] of cases) {
        await faults(node, fault);
        for (const server of ["true", "false"]) {
          const run = health(`--server=${server}`, "--wait-timeout=5s");
          expect({ node, server, status: run.status }).toEqual({ node, server, status: 1 });
          expect(run.text).toContain(`waiting for ${check}`);
          expect(run.text).toContain(node);
        }
        await faults(node, {});
      }
      expect(health("--wait-timeout=1m")).toMatchObject({ status: 0 });
    } finally {
      talosctl.remove();
    }

    running = undefined;
    start.interrupt();
    expect(await start.exited).toBe(0);
    expect(start.output).toContain("start: stopping the simulated Cloudkoffer");
    await expect(fetch(`${control}/status`)).rejects.toThrow();
  });

  test("cloudkoffer-v1 --once prints the table and exits 0; twice in a row, each a fresh case", async () => {
    const demo = demoDir();
    for (const run of [1, 2]) {
      const start = new Start(["cloudkoffer-v1", "--once", "--demo-dir", demo]);
      const status = await start.exited;
      // The output when it failed: what npm start said is the diagnosis.
      expect({ run, status, output: status === 0 ? "" : start.output }).toEqual({ run, status: 0, output: "" });
      const rows = Object.values(start.table());
      expect(rows.map((row) => [row.address, row.role, row.mode, row.disk])).toEqual([
        ["127.77.0.1", "controlplane", "configured", "/dev/sda"],
        ["127.77.0.2", "controlplane", "configured", "/dev/sda"],
        ["127.77.0.3", "controlplane", "configured", "/dev/sda"],
        ["127.77.0.4", "worker", "configured", "/dev/sda"],
        ["127.77.0.5", "worker", "configured", "/dev/sda"],
      ]);
      expect(start.field("bootstrapped:")).toBe("127.77.0.1");
      expect(start.output).not.toContain("adopting the backup");
      expect(start.output).not.toContain("runs until Ctrl-C");
    }
  });
});
