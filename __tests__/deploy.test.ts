import { execFileSync } from "child_process";
import { X509Certificate } from "crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { parse } from "yaml";
import { formatNodesVariable } from "../operations/nodes-input";
import { loopbackAddresses, probe, SimulatedNode, TalosSimulator } from "../testing/simulator";
import { machineConfig } from "./support/talos-config";
import { cdktfDeploy, deployedStack, expectDeployed, TerraformWorkspace } from "../testing/terraform";
import { describeWith } from "./support/tiers";

/** TF_VAR_nodes for the given control planes and workers, in the seed's .envrc syntax. */
const nodesVariable = (controlPlanes: readonly string[], workers: readonly string[]) =>
  formatNodesVariable({ controlplane: controlPlanes, worker: workers });

/** ApplyConfiguration calls a node answered OK. */
function applies(node: SimulatedNode): number {
  return node.calls.filter((call) => call.method === "ApplyConfiguration" && call.code === "OK").length;
}

/** The simulator's view as counts per node: ApplyConfiguration OK, Bootstrap OK. */
async function counts(simulator: TalosSimulator): Promise<Record<string, [number, number]>> {
  const status = await simulator.status();
  return Object.fromEntries(Object.values(status).map((node) => [node.address, [applies(node), node.bootstraps]]));
}

describeWith(["terraform", "talos provider", "null provider", "tls provider", "simulator", "kube-apiserver", "openssl"])(
  "cdktf deploy cloudkoffer-v3 to a simulated Cloudkoffer v3 (3 control planes, 7 workers)",
  () => {
    const [controlPlanes, workers, [spare]] = ((all) => [all.slice(0, 3), all.slice(3, 10), all.slice(10)])(
      loopbackAddresses("127.20.0", 11),
    );
    let simulator: TalosSimulator;
    let workdir: string;
    let stack: TerraformWorkspace;
    const env = (nodes = nodesVariable(controlPlanes, workers)) => ({ TF_VAR_nodes: nodes });

    beforeAll(async () => {
      simulator = await TalosSimulator.start({ nodes: [...controlPlanes, ...workers, spare] });
      workdir = mkdtempSync(path.join(tmpdir(), "deploy-"));
      stack = deployedStack(workdir, env());
    });
    afterAll(async () => {
      await simulator?.stop();
      rmSync(workdir, { recursive: true, force: true });
    });

    test("deploy: every node holds the config of its role; bootstrap ran once, on the first control plane, after all control planes", async () => {
      const result = cdktfDeploy("cloudkoffer-v3", workdir, env());
      expectDeployed(result);
      console.log(`wall time of the full cdktf deploy of 3 + 7 simulated nodes: ${result.seconds.toFixed(1)} s`);

      const status = await simulator.status();
      const digests = (addresses: readonly string[]) => new Set(addresses.map((address) => status[address].configDigest));
      for (const address of controlPlanes) expect(status[address]).toMatchObject({ mode: "configured", role: "controlplane" });
      for (const address of workers) expect(status[address]).toMatchObject({ mode: "configured", role: "worker" });
      expect(status[spare]).toMatchObject({ mode: "maintenance", role: "" });
      expect(digests(controlPlanes).size).toBe(1);
      expect(digests(workers).size).toBe(1);
      expect([...digests(controlPlanes)][0]).not.toBe([...digests(workers)][0]);
      for (const address of [...controlPlanes, ...workers]) {
        expect(status[address]).toMatchObject({
          installDisk: "/dev/nvme0n1",
          installImage: "ghcr.io/siderolabs/installer:v1.7.4",
          applies: 1,
        });
      }

      expect(controlPlanes.map((address) => status[address].bootstraps)).toEqual([1, 0, 0]);
      expect(workers.map((address) => status[address].bootstraps)).toEqual(workers.map(() => 0));
      const at = (address: string, method: string) =>
        status[address].calls.filter((call) => call.method === method && call.code === "OK").map((call) => Date.parse(call.at));
      const lastControlPlaneApply = Math.max(...controlPlanes.flatMap((address) => at(address, "ApplyConfiguration")));
      expect(at(controlPlanes[0], "Bootstrap")[0]).toBeGreaterThan(lastControlPlaneApply);
    });

    test("the talosconfig output passes mTLS against a node; a missing or wrong client certificate does not", () => {
      const files = mkdtempSync(path.join(tmpdir(), "credentials-"));
      try {
        const talosconfig = path.join(files, "talosconfig");
        writeFileSync(talosconfig, stack.ok(["output", "-raw", "talosconfig"]).stdout, { mode: 0o600 });
        for (const node of [controlPlanes[0], workers[0]]) {
          expect(probe(node, { talosconfig: talosconfig, strict: true })).toMatchObject({
            answers: true,
            mode: "configured",
            version: "v1.7.4",
          });
        }
        // Without a certificate the node refuses the handshake: configured, but nothing more to learn.
        expect(probe(controlPlanes[0])).toMatchObject({
          answers: true,
          mode: "configured",
          error: expect.stringContaining("refuses a client without a valid certificate"),
        });

        const wrong = path.join(files, "wrong-talosconfig");
        writeFileSync(wrong, withForeignClientCertificate(talosconfig, files), { mode: 0o600 });
        // Refused in the TLS handshake, so the client sees the connection dropped.
        expect(probe(controlPlanes[0], { talosconfig: wrong, strict: true })).toMatchObject({
          answers: false,
          error: expect.stringMatching(/Unavailable/),
        });
      } finally {
        rmSync(files, { recursive: true, force: true });
      }
    });

    test("the kubeconfig_raw output: a client certificate of the applied cluster CA, for the cluster endpoint", () => {
      const kubeconfig = parse(stack.ok(["output", "-raw", "kubeconfig_raw"]).stdout) as {
        clusters: { cluster: { server: string } }[];
        users: { user: { "client-certificate-data": string } }[];
        "current-context": string;
      };
      const controlPlaneConfig = machineConfig(stack.ok(["output", "-raw", "machineconfig_controlplane"]).stdout) as unknown as {
        cluster: { ca: { crt: string } };
      };
      const clusterCa = new X509Certificate(Buffer.from(controlPlaneConfig.cluster.ca.crt, "base64"));
      const client = new X509Certificate(Buffer.from(kubeconfig.users[0].user["client-certificate-data"], "base64"));

      expect(client.checkIssued(clusterCa)).toBe(true);
      expect(client.verify(clusterCa.publicKey)).toBe(true);
      expect(client.subject).toContain("O=system:masters");
      // The cluster VIP: a loopback address the harness chose, as every test must.
      expect(kubeconfig.clusters[0].cluster.server).toBe("https://127.20.0.254:6443");
      expect(kubeconfig["current-context"]).toBe("admin@cloudkoffer");
    });

    test("a second deploy changes nothing: plan -detailed-exitcode exits 0", async () => {
      const before = await counts(simulator);
      const plan = stack.run(["plan", "-detailed-exitcode", "-no-color"]);
      expect({ status: plan.status, stdout: plan.stdout }).toEqual({ status: 0, stdout: expect.stringContaining("No changes.") });
      expect(await counts(simulator)).toEqual(before);
    });

    test("adding a worker applies only that worker; removing one removes only it from state", async () => {
      const before = await counts(simulator);
      expectDeployed(cdktfDeploy("cloudkoffer-v3", workdir, env(nodesVariable(controlPlanes, [...workers, spare]))));
      expect(await counts(simulator)).toEqual({ ...before, [spare]: [1, 0] });
      expect(stack.stateList()).toContain(`talos_machine_configuration_apply.worker["${spare}"]`);

      const removed = workers[6];
      const remaining = [...workers.slice(0, 6), spare];
      const stateBefore = stack.stateList();
      // A node leaves the cluster when it is reset (talosctl reset), not when the stack forgets it:
      // until then Kubernetes still has it, and the health wait fails naming it.
      const stillThere = cdktfDeploy("cloudkoffer-v3", workdir, { ...env(nodesVariable(controlPlanes, remaining)), TF_VAR_health_timeout: "15s" });
      expect(stillThere.status).not.toBe(0);
      expect(stillThere.stdout + stillThere.stderr).toContain(`unexpected nodes with IPs ["${removed}"]`);
      await simulator.reimage(removed);
      const beforeRemoval = await counts(simulator);
      expectDeployed(cdktfDeploy("cloudkoffer-v3", workdir, env(nodesVariable(controlPlanes, remaining))));
      expect(await counts(simulator)).toEqual(beforeRemoval);
      expect(stack.stateList()).toEqual(
        stateBefore.filter((address) => address !== `talos_machine_configuration_apply.worker["${removed}"]`),
      );
    });
  },
);

describeWith(["terraform", "talos provider", "null provider", "tls provider", "simulator", "kube-apiserver"])("cdktf deploy with a node that is down", () => {
  const all = loopbackAddresses("127.21.0", 10);
  const [controlPlanes, workers] = [all.slice(0, 3), all.slice(3)];
  const down = workers[3];
  let simulator: TalosSimulator;
  let workdir: string;
  const env = { TF_VAR_nodes: nodesVariable(controlPlanes, workers), TF_VAR_node_timeout: "5s" };

  beforeAll(async () => {
    simulator = await TalosSimulator.start({ nodes: all });
    workdir = mkdtempSync(path.join(tmpdir(), "deploy-down-"));
  });
  afterAll(async () => {
    await simulator?.stop();
    rmSync(workdir, { recursive: true, force: true });
  });

  test("fails within node_timeout naming the node; once it is back, a second deploy converges touching only it", async () => {
    await simulator.down(down);
    const failed = cdktfDeploy("cloudkoffer-v3", workdir, env);
    expect(failed.status).not.toBe(0);
    expect(failed.seconds).toBeLessThan(60);
    const output = failed.stdout + failed.stderr;
    // cdktf prints the address with the construct path: worker (cluster/worker-apply)["<node>"]
    expect(output).toMatch(new RegExp(`Error applying configuration[^]*with talos_machine_configuration_apply\\.worker \\(cluster/worker-apply\\)\\["${down}"\\]`));
    expect(output).toContain(`dial tcp ${down}:50000: connect: connection refused`);

    const stack = deployedStack(workdir, env);
    const applied = stack.stateList();
    expect(applied).not.toContain(`talos_machine_configuration_apply.worker["${down}"]`);
    for (const node of [...controlPlanes, ...workers.filter((worker) => worker !== down)]) {
      expect(applied).toContain(
        `talos_machine_configuration_apply.${controlPlanes.includes(node) ? "controlplane" : "worker"}["${node}"]`,
      );
    }
    expect(applied).toContain("talos_machine_bootstrap.this");
    const before = await counts(simulator);
    expect(before[down]).toEqual([0, 0]);

    await simulator.up(down);
    expectDeployed(cdktfDeploy("cloudkoffer-v3", workdir, env));
    expect(await counts(simulator)).toEqual({ ...before, [down]: [1, 0] });
    // ... and what waits for every node: the maintenance resources
    expect(stack.stateList()).toEqual(
      [
        ...applied,
        `talos_machine_configuration_apply.worker["${down}"]`,
        "data.talos_cluster_health.this[0]",
        "null_resource.deployed",
        "null_resource.kubernetes_upgrade",
        "null_resource.talos_upgrade",
      ].sort(),
    );
  });
});

/**
 * A copy of the talosconfig whose client certificate (admin role and all) is
 * signed by a CA the cluster never saw.
 */
function withForeignClientCertificate(talosconfig: string, dir: string): string {
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  openssl("req", "-x509", "-newkey", "ed25519", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/O=foreign");
  openssl("req", "-newkey", "ed25519", "-nodes", "-keyout", "client.key", "-out", "client.csr", "-subj", "/O=os:admin/CN=intruder");
  openssl("x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-out", "client.crt", "-days", "1");
  const config = parse(readText(talosconfig)) as { context: string; contexts: Record<string, { crt: string; key: string }> };
  const context = config.contexts[config.context];
  context.crt = Buffer.from(readText(path.join(dir, "client.crt"))).toString("base64");
  context.key = Buffer.from(readText(path.join(dir, "client.key"))).toString("base64");
  return JSON.stringify(config);
}

function readText(file: string): string {
  return readFileSync(file, "utf8");
}
