import { spawn, spawnSync } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { formatNodesVariable } from "../operations/nodes-input";
import { loopbackAddresses, TalosSimulator } from "../testing/simulator";
import { synthApp, TerraformWorkspace } from "../testing/terraform";
import { Talosctl } from "./support/talosctl";
import { loopbackDeployEnvironment } from "../testing/loopback";
import { describeWith, PROJECT_ROOT } from "./support/tiers";

interface Preflight {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const [controlPlane, worker1, worker2] = loopbackAddresses("127.25.0", 3);
const NODES = formatNodesVariable({ controlplane: [controlPlane], worker: [worker1, worker2] });

/** `npm run preflight -- <args>`, with TF_VAR_nodes and a PATH of our choosing. */
function preflight(args: readonly string[], env: Record<string, string> = {}): Preflight {
  return spawnSync("npm", ["run", "--silent", "preflight", "--", ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, TF_VAR_nodes: NODES, ...env },
    encoding: "utf8",
  });
}

/** The row of a node in the preflight table, columns split. */
function row(output: string, node: string): string[] {
  const line = output.split("\n").find((candidate) => candidate.startsWith(`${node} `));
  return (line ?? "").split(/\s{2,}/);
}

describe("preflight refuses bad input in one line", () => {
  test.each([
    ["an unknown stack", ["cloudkoffer-v0"], {}, /^preflight: unknown stack "cloudkoffer-v0"; the stacks are cloudkoffer-v1, cloudkoffer-v2, cloudkoffer-v3 \(or v1, v2, v3\)\n$/],
    ["no stack", [], {}, /^preflight: name the stack, one of cloudkoffer-v1, cloudkoffer-v2, cloudkoffer-v3 \(or v1, v2, v3\)\n$/],
    ["a TF_VAR_nodes that does not parse", ["cloudkoffer-v3"], { TF_VAR_nodes: "{controlplane=[]" }, /^preflight: TF_VAR_nodes does not parse: expected .* write it as .*\n$/],
    ["a timeout that is no duration", ["cloudkoffer-v3", "--timeout", "soon"], {}, /^preflight: --timeout "soon" is not a duration such as 90s, 10m or 300\n$/],
  ])("%s", (_case, args, env, message) => {
    const result = preflight(args, env);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

describeWith(["simulator"])("npm run preflight against simulated nodes, with the project's probe", () => {
  let simulator: TalosSimulator;
  beforeEach(async () => {
    simulator = await TalosSimulator.start({ nodes: [controlPlane, worker1, worker2] });
  });
  afterEach(async () => simulator.stop());

  test("nodes in maintenance mode are ready: a table, exit 0", () => {
    const result = preflight(["cloudkoffer-v3", "--probe", "--timeout", "5s"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("asking 3 nodes with the project's probe");
    expect(row(result.stdout, controlPlane)).toEqual([controlPlane, "controlplane", "answers", "maintenance"]);
    expect(row(result.stdout, worker2)).toEqual([worker2, "worker", "answers", "maintenance"]);
    expect(result.stdout).toContain("every node is ready");
  });

  test("a node that is down: polls until the timeout, names it, exit 1", async () => {
    await simulator.down(worker1);
    const started = Date.now();
    const result = preflight(["cloudkoffer-v3", "--probe", "--timeout", "2s", "--interval", "500ms"]);
    expect(result.status).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(row(result.stdout, worker1).slice(0, 4)).toEqual([worker1, "worker", "no answer", "-"]);
    expect(row(result.stdout, worker1)[4]).toContain(`dial tcp ${worker1}:50000: connect: connection refused`);
    expect(result.stdout).toContain(`not ready in time: ${worker1}`);
  });

  test("a node that comes up while it polls: exit 0", async () => {
    await simulator.down(worker2);
    const run = spawn("npm", ["run", "--silent", "preflight", "--", "cloudkoffer-v3", "--probe", "--timeout", "20s", "--interval", "300ms"], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, TF_VAR_nodes: NODES },
    });
    let stdout = "";
    let sawWaiting: () => void = () => undefined;
    const waiting = new Promise<void>((resolve) => (sawWaiting = resolve));
    run.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes(`waiting for ${worker2}`)) sawWaiting();
    });
    const exited = new Promise<number | null>((resolve) => run.on("exit", resolve));
    // Brought up once preflight has said it waits for it: no timing to guess.
    await Promise.race([waiting, exited.then((status) => Promise.reject(new Error(`preflight exited ${status} before it waited:\n${stdout}`)))]);
    await simulator.up(worker2);
    expect(await exited).toBe(0);
    expect(stdout).toContain(`waiting for ${worker2}`);
    expect(row(stdout, worker2)).toEqual([worker2, "worker", "answers", "maintenance"]);
  });
});

describeWith(["simulator", "kube-apiserver", "terraform", "talos provider", "null provider", "tls provider"])("npm run preflight once the nodes are configured", () => {
  let simulator: TalosSimulator;
  let workspace: TerraformWorkspace;
  let stacks: string;
  beforeAll(async () => {
    simulator = await TalosSimulator.start({ nodes: [controlPlane, worker1, worker2] });
    stacks = synthApp();
    workspace = TerraformWorkspace.copyOf(path.join(stacks, "cloudkoffer-v3"));
    workspace.init();
    // With a loopback VIP: the cluster's health is checked through the Kubernetes API there.
    workspace.ok(["apply", "-auto-approve", "-no-color"], loopbackDeployEnvironment({ TF_VAR_nodes: NODES }));
    await simulator.waitFor(worker2, "configured");
  });
  afterAll(async () => {
    await simulator.stop();
    workspace.remove();
    rmSync(path.dirname(stacks), { recursive: true, force: true });
  });

  test("without a talosconfig a configured node answers by refusing us: configured", () => {
    const result = preflight(["cloudkoffer-v3", "--probe", "--timeout", "5s"]);
    expect(result.status).toBe(0);
    expect(row(result.stdout, controlPlane).slice(0, 4)).toEqual([controlPlane, "controlplane", "answers", "configured"]);
  });

  test("with the talosconfig output, over mTLS", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "talosconfig-"));
    try {
      const talosconfig = path.join(dir, "talosconfig");
      writeFileSync(talosconfig, workspace.ok(["output", "-raw", "talosconfig"]).stdout, { mode: 0o600 });
      const result = preflight(["cloudkoffer-v3", "--probe", "--talosconfig", talosconfig, "--timeout", "5s"]);
      expect(result.status).toBe(0);
      expect(row(result.stdout, worker1)).toEqual([worker1, "worker", "answers", "configured"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("with the real talosctl: a configured node refuses talosctl --insecure, so --require-maintenance waits", () => {
    const talosctl = new Talosctl();
    try {
      const result = preflight(["cloudkoffer-v3", "--require-maintenance", "--timeout", "1s", "--interval", "500ms"], { PATH: talosctl.path });
      expect(result.status).toBe(1);
      expect(row(result.stdout, controlPlane).slice(0, 4)).toEqual([controlPlane, "controlplane", "answers", "configured"]);
      expect(result.stdout).toContain(`not ready in time: ${controlPlane}, ${worker1}, ${worker2}`);
    } finally {
      talosctl.remove();
    }
  });

  test("with the real talosctl and the talosconfig output: each node's stage, over mTLS", () => {
    const talosctl = new Talosctl();
    const dir = mkdtempSync(path.join(tmpdir(), "talosconfig-"));
    try {
      const talosconfig = path.join(dir, "talosconfig");
      writeFileSync(talosconfig, workspace.ok(["output", "-raw", "talosconfig"]).stdout, { mode: 0o600 });
      const result = preflight(["cloudkoffer-v3", "--talosconfig", talosconfig, "--timeout", "5s"], { PATH: talosctl.path });
      expect(result.status).toBe(0);
      expect(row(result.stdout, worker1).slice(0, 4)).toEqual([worker1, "worker", "answers", "running"]);
      expect(talosctl.takeCalls()).toContain(`get machinestatus --nodes=${worker1} --output=jsonpath={.spec.stage} --talosconfig=${talosconfig} --endpoints=${worker1}`);
    } finally {
      talosctl.remove();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("--require-maintenance waits for nodes that are still configured, and says so", () => {
    const result = preflight(["cloudkoffer-v3", "--probe", "--require-maintenance", "--timeout", "1s", "--interval", "500ms"]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`not ready in time: ${controlPlane}, ${worker1}, ${worker2}`);
  });
});

describeWith(["simulator", "talosctl"])("npm run preflight with talosctl on PATH asks the seed's way, with the real talosctl", () => {
  let simulator: TalosSimulator;
  let talosctl: Talosctl;
  beforeAll(async () => {
    simulator = await TalosSimulator.start({ nodes: [controlPlane, worker1, worker2] });
    talosctl = new Talosctl();
  });
  afterAll(async () => {
    await simulator.stop();
    talosctl.remove();
  });

  test("talosctl get machinestatus --nodes=<node> --output=jsonpath='{.spec.stage}' --insecure, node by node", () => {
    const result = preflight(["cloudkoffer-v3", "--timeout", "5s"], { PATH: talosctl.path });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("asking 3 nodes with talosctl");
    expect(talosctl.takeCalls().filter((call) => call.startsWith("get"))).toEqual(
      [controlPlane, worker1, worker2].map((node) => `get machinestatus --nodes=${node} --output=jsonpath={.spec.stage} --insecure`),
    );
    expect(row(result.stdout, worker1)).toEqual([worker1, "worker", "answers", "maintenance"]);
  });

  test("a node that is down: talosctl's own error names it, exit 1", async () => {
    await simulator.down(worker1);
    try {
      const result = preflight(["cloudkoffer-v3", "--timeout", "1s", "--interval", "500ms"], { PATH: talosctl.path });
      expect(result.status).toBe(1);
      expect(row(result.stdout, worker1).slice(0, 4)).toEqual([worker1, "worker", "no answer", "-"]);
      expect(row(result.stdout, worker1)[4]).toContain("connection refused");
      expect(result.stdout).toContain(`not ready in time: ${worker1}`);
    } finally {
      await simulator.up(worker1);
    }
  });
});
