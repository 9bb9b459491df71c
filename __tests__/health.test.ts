/**
 * The seed's last installation step, "Wait until cluster is healthy"
 * (`talosctl health`), as part of the stack and as `npm run health`: Talos'
 * own checks, run by the real talosctl v1.7.4 and by provider 0.5.0's
 * talos_cluster_health, against simulated nodes that run a real etcd v3.5.13
 * and serve Kubernetes with the real kube-apiserver 1.30.1.
 *
 * Server-side checks run inside the simulated control plane, which runs the
 * real talosctl's checks for it (`talosctl health --server=false`): Talos'
 * check package cannot be imported there, see docs/development.md "Testing without hardware".
 */
import { spawnSync } from "child_process";
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { formatNodesVariable } from "../operations/nodes-input";
import { loopbackDeployEnvironment } from "../testing/loopback";
import { loopbackAddresses, SimulatedFaults, TalosSimulator } from "../testing/simulator";
import { cdktfDeploy, deployedStack, expectDeployed } from "../testing/terraform";
import { Talosctl } from "./support/talosctl";
import { describeWith, PROJECT_ROOT } from "./support/tiers";

const [cp1, cp2, cp3, w1, w2] = loopbackAddresses("127.28.0", 5);
const NODES = formatNodesVariable({ controlplane: [cp1, cp2, cp3], worker: [w1, w2] });

/** Talos' checks that a healthy Cloudkoffer without kube-proxy passes (pkg/cluster/check/default.go). */
const CHECKS = [
  "etcd to be healthy",
  "etcd members to be consistent across nodes",
  "etcd members to be control plane nodes",
  "apid to be ready",
  "all nodes memory sizes",
  "all nodes disk sizes",
  "kubelet to be healthy",
  "all nodes to finish boot sequence",
  "all k8s nodes to report",
  "all k8s nodes to report ready",
  "all control plane static pods to be running",
  "all control plane components to be ready",
  "all k8s nodes to report schedulable",
];

describeWith(["terraform", "talos provider", "null provider", "tls provider", "simulator", "kube-apiserver", "talosctl"])(
  "the cluster's health: Talos' own checks against the simulated Cloudkoffer",
  () => {
    let simulator: TalosSimulator;
    let workdir: string;
    let talosctl: Talosctl;
    const env = (extra: Record<string, string> = {}) => ({ TF_VAR_nodes: NODES, PATH: talosctl.path, ...extra });
    const health = (...args: string[]) => {
      const run = spawnSync("npm", ["run", "--silent", "health", "--", "cloudkoffer-v3", "--output", path.join(workdir, "cdktf.out"), ...args], {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
        env: { ...process.env, ...loopbackDeployEnvironment(env()) },
      });
      return { status: run.status, text: `${run.stdout}\n${run.stderr}` };
    };

    beforeAll(async () => {
      simulator = await TalosSimulator.start({ nodes: [cp1, cp2, cp3, w1, w2] });
      workdir = mkdtempSync(path.join(tmpdir(), "health-"));
      talosctl = new Talosctl();
    });
    afterAll(async () => {
      await simulator?.stop();
      talosctl?.remove();
      rmSync(workdir, { recursive: true, force: true });
    });

    test("the first deploy ends when the cluster is healthy: talos_cluster_health read after the bootstrap and the kubeconfig", () => {
      const result = expectDeployed(cdktfDeploy("cloudkoffer-v3", workdir, env()));
      const healthRead = result.text.indexOf("data.talos_cluster_health.this (health/check)[0]: Read complete");
      expect(healthRead).toBeGreaterThan(result.text.indexOf("talos_machine_bootstrap.this (cluster/bootstrap): Creation complete"));
      expect(healthRead).toBeGreaterThan(result.text.indexOf("data.talos_cluster_kubeconfig.this (cluster/kubeconfig): Read complete"));
      expect(deployedStack(workdir, env()).stateList()).toContain("data.talos_cluster_health.this[0]");
    });

    test.each([true, false])("npm run health (--server=%s): every one of Talos' checks passes on the healthy cluster", (server) => {
      const run = health(`--server=${server}`, "--wait-timeout=1m");
      expect(run.status).toBe(0);
      for (const check of CHECKS) expect(run.text).toContain(`waiting for ${check}: OK`);
    });

    const faults: [string, string, SimulatedFaults, string][] = [
      ["a worker's kubelet is down", w1, { kubeletDown: true }, "kubelet to be healthy"],
      ["a Kubernetes node is NotReady", w2, { nodeNotReady: true }, "all k8s nodes to report ready"],
      ["an etcd member is stopped", cp2, { etcdStopped: true }, "etcd to be healthy"],
      ["a control plane's kube-scheduler is not running", cp3, { staticPodDown: "kube-scheduler" }, "all control plane"],
    ];
    describe.each(faults)("%s (%s)", (_, node, fault, check) => {
      beforeAll(() => simulator.faults(node, fault));
      afterAll(() => simulator.faults(node, {}));

      test.each([true, false])("npm run health (--server=%s) fails at its check, naming the node", (server) => {
        const run = health(`--server=${server}`, "--wait-timeout=5s");
        expect(run.status).not.toBe(0);
        expect(run.text).toContain(`waiting for ${check}`);
        expect(run.text).toContain(node);
      });
    });

    test("a deploy on an unhealthy cluster fails naming the node; healthy again, the next deploy passes", async () => {
      await simulator.faults(w2, { kubeletDown: true });
      const failed = cdktfDeploy("cloudkoffer-v3", workdir, env({ TF_VAR_health_timeout: "15s" }));
      await simulator.faults(w2, {});
      expect(failed.status).not.toBe(0);
      expect(failed.text).toContain("data.talos_cluster_health.this");
      expect(failed.text).toContain(w2);
      expectDeployed(cdktfDeploy("cloudkoffer-v3", workdir, env()));
      expect(health("--wait-timeout=1m").status).toBe(0);
    });

    test("with the wait off (TF_VAR_health_wait=false) nothing is checked, and the stack holds no health check", () => {
      expectDeployed(cdktfDeploy("cloudkoffer-v3", workdir, env({ TF_VAR_health_wait: "false" })));
      expect(deployedStack(workdir, env()).stateList()).not.toContain("data.talos_cluster_health.this[0]");
    });

    test("npm run health refuses a stack that was never deployed, and bad input, by name", () => {
      const never = spawnSync("npm", ["run", "--silent", "health", "--", "cloudkoffer-v1", "--output", path.join(workdir, "cdktf.out")], {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
        env: { ...process.env, ...loopbackDeployEnvironment(env()) },
      });
      expect(never.status).toBe(1);
      expect(never.stderr).toContain("health: cloudkoffer-v1 has no deployed cluster");
      const bad = health("--server=maybe");
      expect(bad.status).toBe(2);
      expect(bad.text).toContain("--server=maybe: say true or false");
    });
  },
);
