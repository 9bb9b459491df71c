/**
 * A state encrypted by OpenTofu (the real tofu 1.10.10) that loses its sealed
 * secrets backup, or is lost itself: the backup is written again, adopted, or
 * imported with the right passphrase, against simulated nodes with the real
 * providers. (The engine and the encryption itself: opentofu-encryption.test.ts.)
 */
import { spawnSync } from "child_process";
import { existsSync, readFileSync, rmSync } from "fs";
import * as path from "path";
import { DEFAULT_TALOS_TOOL } from "../operations/talos-tool";
import { loopbackDeployEnvironment } from "../testing/loopback";
import { terraformEnvironment } from "../testing/terraform";
import { calls, filesHolding, isSealed, keyMaterial, OpenTofuCluster, STACK } from "./support/opentofu";
import { describeWith, PROJECT_ROOT } from "./support/tiers";

/** A message as terraform prints it in a diagnostic: wrapped at any space. */
function wrapped(message: string): RegExp {
  return new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/ /g, "\\s+"));
}

describeWith(["tofu", "talos provider", "null provider", "tls provider", "simulator", "kube-apiserver"])("npm run deploy with OpenTofu", () => {
  const tofu = new OpenTofuCluster("127.36.0");
  const { nodes, encrypted } = tofu;

  // A cluster installed with its state encrypted from the first deploy on: a sealed secrets backup beside it.
  beforeAll(async () => {
    const first = await tofu.deploy(encrypted);
    if (first.status !== 0) throw new Error(`npm run deploy exited ${first.status}:\n${first.text}`);
  });

  test("a missing sealed backup is written again, sealed; the stack's own backup step later finds the same secrets in it", async () => {
    rmSync(tofu.secretsBackup);
    const restored = await tofu.deploy(encrypted);
    if (restored.status !== 0) throw new Error(`npm run deploy exited ${restored.status}:\n${restored.text}`);
    expect(restored.text).toContain(`wrote the missing backup of the cluster secrets, ${tofu.secretsBackup} (mode 0600, sealed with the state's passphrase)`);
    expect(isSealed(tofu.secretsBackup)).toBe(true);
    const sealed = readFileSync(tofu.secretsBackup, "utf8");

    // npm run deploy lays the secrets.yaml out otherwise than terraform's yamlencode: the step compares the secrets.
    tofu.stack(encrypted).ok(["taint", "null_resource.secrets_backup"]);
    const again = await tofu.deploy(encrypted);
    if (again.status !== 0) throw new Error(`npm run deploy exited ${again.status}:\n${again.text}`);
    expect(readFileSync(tofu.secretsBackup, "utf8")).toBe(sealed);
  });

  /** The OS CA certificate in the state: which secrets it holds. */
  const osCa = (): string | undefined => {
    const state = JSON.parse(tofu.stack(encrypted).ok(["state", "pull"]).stdout) as {
      resources: { type: string; instances: { attributes: { machine_secrets?: { certs: { os: { cert: string } } } } }[] }[];
    };
    return state.resources.find((resource) => resource.type === "talos_machine_secrets")?.instances[0].attributes.machine_secrets?.certs.os.cert;
  };
  const stateLost = () => {
    rmSync(tofu.statePath);
    rmSync(`${tofu.statePath}.backup`, { force: true });
  };

  test("a plain tofu apply on a lost state stops at the sealed backup, before any node; npm run deploy adopts it as the message says", async () => {
    const ca = osCa();
    const sealed = readFileSync(tofu.secretsBackup, "utf8");
    stateLost();
    const applies = async () => Object.values(await tofu.simulator.status()).flatMap((node) => node.calls.filter((call) => call.method === "ApplyConfiguration")).length;
    const before = await applies();

    // The seed's way, on the synthesized stack: tofu makes new secrets, and the backup step refuses them.
    const plain = tofu.stack(encrypted).run(["apply", "-auto-approve", "-no-color"], { CLOUDKOFFER_TALOS_TOOL: DEFAULT_TALOS_TOOL });
    expect(plain.status).not.toBe(0);
    expect(plain.stderr).toMatch(wrapped("holds other cluster secrets than this state: the state lost the secrets the nodes were configured with."));
    expect(plain.stderr).toMatch(wrapped("Nothing was applied to any node. Adopt the backup: tofu state rm talos_machine_secrets.this tls_locally_signed_cert.admin"));
    expect(await applies()).toBe(before);
    expect(readFileSync(tofu.secretsBackup, "utf8")).toBe(sealed);

    tofu.stack(encrypted).ok(["state", "rm", "talos_machine_secrets.this", "tls_locally_signed_cert.admin"]);
    const adopted = await tofu.deploy(encrypted);
    if (adopted.status !== 0) throw new Error(`npm run deploy exited ${adopted.status}:\n${adopted.text}`);
    expect(adopted.text).toContain(`has no cluster secrets: adopting the backup ${tofu.secretsBackup}`);
    expect(osCa()).toBe(ca);
    expect((await tofu.simulator.status())[nodes[0]].bootstraps).toBe(1);
    expect(tofu.stack(encrypted).run(["plan", "-detailed-exitcode", "-no-color"]).status).toBe(0);
    expect(readFileSync(tofu.secretsBackup, "utf8")).toBe(sealed);
    expect(filesHolding(tofu.workdir, keyMaterial(tofu.stack(encrypted).ok(["state", "pull"]).stdout))).toEqual([]);
  });

  test("a sealed backup that does not open with the passphrase stops npm run deploy on a lost state; npm run secrets -- import unseals it with the right one", async () => {
    const ca = osCa();
    stateLost();
    const before = await calls(tofu.simulator);
    const wrong = await tofu.deploy({ ...encrypted, TF_VAR_state_passphrase: "not the passphrase at all" });
    expect(wrong.status).toBe(2);
    expect(wrong.text).toContain(`the backup ${tofu.secretsBackup} does not open with TF_VAR_state_passphrase: it was sealed with another passphrase, or altered. Nothing was touched.`);
    expect(existsSync(tofu.statePath)).toBe(false);
    expect(await calls(tofu.simulator)).toBe(before);

    const env = terraformEnvironment(loopbackDeployEnvironment(encrypted));
    const secrets = (...args: string[]) =>
      spawnSync("npm", ["run", "--silent", "secrets", "--", "import", STACK, "--file", tofu.secretsBackup, "--output", path.join(tofu.workdir, "cdktf.out"), ...args], {
        cwd: PROJECT_ROOT,
        env,
        encoding: "utf8",
      });
    const imported = secrets();
    expect({ status: imported.status, stderr: imported.stderr }).toEqual({ status: 0, stderr: "" });
    expect(imported.stdout).toContain(`${STACK} now uses the secrets of ${tofu.secretsBackup}`);
    expect(osCa()).toBe(ca);
    const adopted = await tofu.deploy(encrypted);
    expect(adopted.status).toBe(0);
    expect(adopted.text).not.toContain("adopting the backup");
    expect((await tofu.simulator.status())[nodes[0]].bootstraps).toBe(1);
  });
});
