/**
 * etcd backup and a rehearsed restore (Talos' disaster recovery), with the
 * real talosctl v1.7.4 against simulated control planes that run a real etcd
 * v3.5.13 and a cluster that serves Kubernetes with the real kube-apiserver:
 * what is written through the API server before a backup survives the loss
 * of every control plane's etcd and the restore; what is written after it is
 * gone, as after any restore.
 */
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { kubernetesAccess, KubernetesAccess, kubernetesCall } from "../operations/kubernetes-nodes";
import { formatNodesVariable } from "../operations/nodes-input";
import { isSealedBackup } from "../operations/sealed-backup";
import { DeployProcess } from "../testing/deploy-process";
import { loopbackDeployEnvironment } from "../testing/loopback";
import { loopbackAddresses, TalosSimulator } from "../testing/simulator";
import { cdktfDeploy, deployedStack, expectDeployed } from "../testing/terraform";
import { Talosctl } from "./support/talosctl";
import { describeWith, PROJECT_ROOT } from "./support/tiers";

const STACK = "cloudkoffer-v1";
const [cp1, cp2, cp3, w1] = loopbackAddresses("127.29.0", 4);
const CONTROL_PLANES = [cp1, cp2, cp3];
const NODES = formatNodesVariable({ controlplane: CONTROL_PLANES, worker: [w1] });

describeWith(["terraform", "talos provider", "null provider", "tls provider", "simulator", "kube-apiserver", "talosctl"])(
  "etcd backup and restore: a Cloudkoffer that loses its control planes comes back with its cluster",
  () => {
    let simulator: TalosSimulator;
    let workdir: string;
    let backups: string;
    let talosctl: Talosctl;
    let kube: KubernetesAccess;
    const env = (extra: Record<string, string> = {}) => ({ TF_VAR_nodes: NODES, PATH: talosctl.path, ...extra });
    const npmRunWith = (extra: Record<string, string>, command: string, ...args: string[]) => {
      const run = spawnSync("npm", ["run", "--silent", command, "--", STACK, "--output", path.join(workdir, "cdktf.out"), ...args], {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
        env: { ...process.env, ...loopbackDeployEnvironment(env(extra)) },
      });
      return { status: run.status, stdout: run.stdout, text: `${run.stdout}\n${run.stderr}` };
    };
    const npmRun = (command: string, ...args: string[]) => npmRunWith({}, command, ...args);
    const configMap = async (name: string) => (await kubernetesCall(kube, "GET", `/api/v1/namespaces/koffer/configmaps/${name}`)).status;
    const createConfigMap = async (name: string) => {
      const answer = await kubernetesCall(kube, "POST", "/api/v1/namespaces/koffer/configmaps", {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name },
        data: { written: name },
      });
      expect({ name, status: answer.status }).toEqual({ name, status: 201 });
    };
    /** Every call the nodes saw of these methods, by node. */
    const callsOf = async (...methods: string[]) => {
      const status = await simulator.status();
      return Object.fromEntries(CONTROL_PLANES.map((node) => [node, status[node].calls.filter((call) => methods.includes(call.method)).length]));
    };
    let backup: string;

    beforeAll(async () => {
      simulator = await TalosSimulator.start({ nodes: [...CONTROL_PLANES, w1] });
      workdir = mkdtempSync(path.join(tmpdir(), "etcd-recovery-"));
      backups = path.join(workdir, "backups");
      talosctl = new Talosctl();
      expectDeployed(cdktfDeploy(STACK, workdir, env()));
      const kubeconfig = deployedStack(workdir, env(), STACK).ok(["output", "-raw", "kubeconfig_raw"]).stdout;
      kube = kubernetesAccess(kubeconfig);
    });
    afterAll(async () => {
      await simulator?.stop();
      talosctl?.remove();
      rmSync(workdir, { recursive: true, force: true });
    });

    test("npm run backup: talosctl etcd snapshot from a control plane, checked, 0600, named by stack and UTC time", async () => {
      const namespace = await kubernetesCall(kube, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "koffer" } });
      expect(namespace.status).toBe(201);
      await createConfigMap("before-backup");

      const run = npmRun("backup", "--dir", backups);
      expect({ status: run.status, text: run.status === 0 ? "" : run.text }).toEqual({ status: 0, text: "" });
      const [name] = readdirSync(backups).filter((file) => !file.startsWith("."));
      expect(name).toMatch(new RegExp(`^${STACK}-\\d{8}T\\d{6}Z\\.etcd\\.snapshot$`));
      backup = path.join(backups, name);
      expect(statSync(backup).mode & 0o777).toBe(0o600);
      expect(run.stdout).toContain(`backup: ${backup} (mode 0600), etcd snapshot from ${cp1}`);
      expect(run.stdout).toMatch(/backup: revision \d+, \d+ keys, \d+ bytes, hash [0-9a-f]{8}, SHA-256 verified/);
    });

    test("only the newest --keep stay; other files are left alone", () => {
      const kept = path.join(workdir, "kept");
      mkdirSync(kept);
      // Two older backups of the stack, one of another stack, and a file of the user's.
      const older = ["cloudkoffer-v1-20250101T000000Z.etcd.snapshot", "cloudkoffer-v1-20250102T000000Z.etcd.snapshot.sealed"];
      for (const name of [...older, "cloudkoffer-v3-20240101T000000Z.etcd.snapshot", "notes.txt"]) writeFileSync(path.join(kept, name), "");
      const run = npmRun("backup", "--dir", kept, "--keep", "2");
      expect(run.status).toBe(0);
      expect(run.stdout).toContain(`backup: removed ${path.join(kept, older[0])}, keeping the newest 2`);
      const left = readdirSync(kept).sort();
      expect(left).toHaveLength(4);
      expect(left).toEqual(expect.arrayContaining([older[1], "cloudkoffer-v3-20240101T000000Z.etcd.snapshot", "notes.txt"]));
    });

    test("with state encryption the backup is sealed with the state's passphrase; a wrong passphrase does not open it, before any node is touched", async () => {
      const sealedDir = path.join(workdir, "sealed");
      const encrypted = { CLOUDKOFFER_STATE_ENCRYPTION: "passphrase", TF_VAR_state_passphrase: "the state's passphrase, long enough" };
      const run = npmRunWith(encrypted, "backup", "--dir", sealedDir);
      expect({ status: run.status, text: run.status === 0 ? "" : run.text }).toEqual({ status: 0, text: "" });
      const [sealed] = readdirSync(sealedDir).filter((name) => name.endsWith(".etcd.snapshot.sealed"));
      expect(run.stdout).toContain(`(mode 0600, sealed with the state's passphrase)`);
      expect(isSealedBackup(path.join(sealedDir, sealed))).toBe(true);

      const before = await callsOf("Reset", "EtcdRecover", "Bootstrap");
      const wrong = npmRunWith({ TF_VAR_state_passphrase: "another passphrase entirely" }, "restore", "--from", path.join(sealedDir, sealed), "--yes");
      expect(wrong.status).toBe(2);
      expect(wrong.text).toContain(`--from ${path.join(sealedDir, sealed)} does not open with TF_VAR_state_passphrase`);
      // The right one opens it: the restore goes on to its next check (the cluster is healthy).
      const right = npmRunWith(encrypted, "restore", "--from", path.join(sealedDir, sealed), "--yes");
      expect(right.status).toBe(2);
      expect(right.text).toContain("etcd on the control planes is healthy with quorum");
      expect(await callsOf("Reset", "EtcdRecover", "Bootstrap")).toEqual(before);
    });

    test("a truncated or foreign snapshot, and a restore of a healthy cluster without --force, are refused before any node is touched", async () => {
      await createConfigMap("after-backup");
      const before = await callsOf("Reset", "EtcdRecover", "Bootstrap");
      const truncated = path.join(workdir, "truncated.etcd.snapshot");
      copyFileSync(backup, truncated);
      truncateSync(truncated, statSync(backup).size - 700);
      const foreign = path.join(workdir, "foreign.etcd.snapshot");
      // A file of the right size, with a SHA-256 that matches: it is the content that is no etcd's.
      const text = readFileSync(path.join(PROJECT_ROOT, "README.md")).subarray(0, 4096);
      writeFileSync(foreign, Buffer.concat([text, createHash("sha256").update(text).digest()]));

      for (const [file, said] of [
        [truncated, "truncated"],
        [foreign, "not an etcd snapshot"],
      ]) {
        const refused = npmRun("restore", "--from", file, "--yes");
        expect({ file, status: refused.status }).toEqual({ file, status: 2 });
        expect(refused.text).toContain(`--from ${file}`);
        expect(refused.text).toContain(said);
        expect(refused.text).toContain("Nothing was touched.");
      }
      const healthy = npmRun("restore", "--from", backup, "--yes");
      expect(healthy.status).toBe(2);
      expect(healthy.text).toMatch(/etcd on the control planes is healthy with quorum \(revision \d+ now, the snapshot's \d+\): a restore would lose revisions \d+ to \d+, written since the snapshot\. --force restores anyway\. Nothing was touched\./);
      expect(await callsOf("Reset", "EtcdRecover", "Bootstrap")).toEqual(before);
    });

    test("every control plane loses its etcd; npm run restore brings the cluster back as it was at the backup", async () => {
      for (const node of [cp1, cp2]) await simulator.faults(node, { etcdDataLost: true });
      const restore = npmRun("restore", "--from", backup, "--yes", "--wait-timeout", "3m");
      expect({ status: restore.status, text: restore.status === 0 ? "" : restore.text }).toEqual({ status: 0, text: "" });
      for (const node of CONTROL_PLANES) {
        expect(restore.stdout).toContain(`restore: ${node}: talosctl reset --graceful=false --reboot --system-labels-to-wipe=EPHEMERAL`);
      }
      expect(restore.stdout).toContain(`restore: ${cp1}: talosctl bootstrap --recover-from=${backup}`);
      expect(restore.stdout).toContain(`restore: ${STACK} restored from ${backup} and healthy`);

      expect(await configMap("before-backup")).toBe(200);
      expect(await configMap("after-backup")).toBe(404);

      // The stack's state is as it was: the next deploy changes nothing and bootstraps nothing.
      const bootstraps = await callsOf("Bootstrap");
      const plan = deployedStack(workdir, env(), STACK).run(["plan", "-detailed-exitcode", "-no-color"]);
      expect({ status: plan.status, plan: plan.status === 0 ? "" : plan.stdout }).toEqual({ status: 0, plan: "" });
      expectDeployed(cdktfDeploy(STACK, workdir, env()));
      expect(await callsOf("Bootstrap")).toEqual(bootstraps);
    }, 600000);

    test("a restore killed after the resets, before the recovery, is finished by running it again", async () => {
      for (const node of [cp1, cp2]) await simulator.faults(node, { etcdDataLost: true });
      await simulator.hold(cp1, "EtcdRecover", "before");
      const killed = new DeployProcess(STACK, workdir, env(), ["restore", "--from", backup, "--yes"]);
      await simulator.held(cp1, "EtcdRecover", "before");
      await killed.kill("SIGKILL");
      await simulator.release(cp1, "EtcdRecover");

      const again = npmRun("restore", "--from", backup, "--yes", "--wait-timeout", "3m");
      expect({ status: again.status, text: again.status === 0 ? "" : again.text }).toEqual({ status: 0, text: "" });
      expect(again.stdout).toContain("etcd on every control plane waits to be bootstrapped already");
      expect(await configMap("before-backup")).toBe(200);
    }, 600000);
  },
);
