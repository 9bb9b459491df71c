import { rmSync } from "fs";
import * as path from "path";
import { formatNodesVariable } from "../operations/nodes-input";
import { loopbackAddresses, probe, TalosSimulator } from "../testing/simulator";
import { synthApp, TerraformWorkspace } from "../testing/terraform";
import { loopbackDeployEnvironment } from "../testing/loopback";
import { describeWith } from "./support/tiers";

/**
 * The simulator must answer the real provider as Talos nodes do, faults
 * included; here with plain terraform on a handed-off stack (1 + 1 nodes).
 */
describeWith(["terraform", "talos provider", "null provider", "tls provider", "simulator", "kube-apiserver"])("simulated Talos nodes, seen by the real provider", () => {
  const [controlPlane, worker] = loopbackAddresses("127.22.0", 2);
  const nodes = formatNodesVariable({ controlplane: [controlPlane], worker: [worker] });
  let stacks: string;
  let simulator: TalosSimulator;
  let workspace: TerraformWorkspace;

  beforeAll(() => {
    stacks = synthApp();
  });
  beforeEach(async () => {
    simulator = await TalosSimulator.start({ nodes: [controlPlane, worker], rebootDelay: "200ms" });
  });
  afterEach(async () => {
    await simulator.stop();
    workspace?.remove();
  });
  afterAll(() => rmSync(path.dirname(stacks), { recursive: true, force: true }));

  const deployed = (version: "v1" | "v3", env: Record<string, string> = {}) => {
    workspace = TerraformWorkspace.copyOf(path.join(stacks, `cloudkoffer-${version}`));
    workspace.init();
    const started = Date.now();
    // With a loopback VIP: the cluster's health is checked through the Kubernetes API there.
    const result = workspace.run(["apply", "-auto-approve", "-no-color"], loopbackDeployEnvironment({ TF_VAR_nodes: nodes, ...env }));
    return { ...result, seconds: (Date.now() - started) / 1000 };
  };

  test("nodes in maintenance mode answer without a client certificate only", () => {
    expect(probe(controlPlane)).toMatchObject({ answers: true, mode: "maintenance" });
  });

  test("a configuration Talos rejects (install disk not on the node) fails at once: InvalidArgument is not retried", async () => {
    // Cloudkoffer v1 installs to /dev/sda; these nodes have only NVMe disks.
    await simulator.stop();
    simulator = await TalosSimulator.start({ nodes: [controlPlane, worker], disks: ["/dev/nvme0n1"] });
    const result = deployed("v1", { TF_VAR_node_timeout: "2m" });
    expect(result.status).not.toBe(0);
    expect(result.seconds).toBeLessThan(30);
    expect(result.stderr).toContain("code = InvalidArgument desc = configuration validation failed");
    expect(result.stderr).toMatch(/specified install disk does not exist: \\?"\/dev\/sda\\?"/);
    expect((await simulator.node(controlPlane)).mode).toBe("maintenance");
  });

  test("a rejecting node fails the apply with the code it answers", async () => {
    await simulator.faults(worker, { rejectCode: "InvalidArgument", rejectMethod: "ApplyConfiguration" });
    const result = deployed("v3", { TF_VAR_node_timeout: "1m" });
    expect(result.status).not.toBe(0);
    expect(result.seconds).toBeLessThan(30);
    // terraform wraps long lines
    expect(result.stderr).toMatch(new RegExp(`code = InvalidArgument desc = simulated fault: node ${worker}\\s+rejects ApplyConfiguration`));
    expect((await simulator.node(controlPlane)).bootstraps).toBe(1);
  });

  test("a slow node is waited for", async () => {
    await simulator.faults(worker, { delay: "1500ms" });
    const result = deployed("v3");
    expect(result.status).toBe(0);
    expect(result.seconds).toBeGreaterThan(1.5);
    await simulator.waitFor(worker, "configured");
  });

  test("a hung node fails the apply at node_timeout", async () => {
    await simulator.faults(worker, { hang: true });
    const result = deployed("v3", { TF_VAR_node_timeout: "4s" });
    expect(result.status).not.toBe(0);
    expect(result.seconds).toBeLessThan(30);
    expect(result.stderr).toMatch(new RegExp(`Error applying configuration\\s+with talos_machine_configuration_apply\\.worker\\["${worker.replace(/\./g, "\\.")}"\\]`));
    // Provider 0.5.0 arms two equal deadlines of node_timeout: its retry loop's and its context's.
    // Which one fires first is up to the Go scheduler, so its error names either.
    expect(result.stderr).toMatch(/timeout while waiting for state to become 'success' \(timeout: 4s\)|context deadline exceeded/);
    // The provider gave up on the hung call; the node never got a configuration.
    const { calls, applies } = await simulator.node(worker);
    expect(calls).toContainEqual(expect.objectContaining({ code: "Canceled" }));
    expect(applies).toBe(0);
  });

  test("bootstrap runs once: a second one answers AlreadyExists and is retried until node_timeout", async () => {
    expect(deployed("v3").status).toBe(0);
    const again = workspace.run(
      ["apply", "-auto-approve", "-no-color", "-replace=talos_machine_bootstrap.this"],
      loopbackDeployEnvironment({ TF_VAR_nodes: nodes, TF_VAR_node_timeout: "3s" }),
    );
    expect(again.status).not.toBe(0);
    expect(again.stderr).toContain("code = AlreadyExists desc = etcd data directory is not empty");
    const status = await simulator.node(controlPlane);
    expect(status.bootstraps).toBe(1);
    expect(status.calls.filter((call) => call.method === "Bootstrap" && call.code === "AlreadyExists").length).toBeGreaterThan(1);
  });
});

/** The nodes' clock lets tests expire certificates without waiting; it never goes back. */
describeWith(["simulator"])("the simulated nodes' clock", () => {
  test("advanceClock moves the nodes' time forward and refuses to move it back", async () => {
    const simulator = await TalosSimulator.start({ nodes: loopbackAddresses("127.22.1", 1) });
    try {
      const before = await simulator.clock();
      expect(before.offset).toBe("0s");
      await simulator.advanceClock("48h");
      const after = await simulator.clock();
      expect(after.offset).toBe("48h0m0s");
      expect(Date.parse(after.now) - Date.parse(before.now)).toBeGreaterThanOrEqual(48 * 3600 * 1000);
      await expect(simulator.advanceClock("-1h")).rejects.toThrow(/advance -1h0m0s is negative: the nodes' clock only moves forward/);
      expect((await simulator.clock()).offset).toBe("48h0m0s");
    } finally {
      await simulator.stop();
    }
  });
});
