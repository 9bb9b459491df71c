/**
 * OpenTofu as the second engine (the real tofu 1.10.10, built from its Go
 * module by npm run setup), and the state encrypted at rest, which only
 * OpenTofu can do: against simulated nodes, with the real providers.
 */
import { spawnSync } from "child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { formatNodesVariable } from "../operations/nodes-input";
import { DEFAULT_TALOS_TOOL } from "../operations/talos-tool";
import { engineBinary } from "../operations/engine";
import { DeployProcess, Finished } from "../testing/deploy-process";
import { loopbackDeployEnvironment } from "../testing/loopback";
import { loopbackAddresses, TalosSimulator } from "../testing/simulator";
import { LOCAL_HALF, synthApp, terraformEnvironment, TerraformWorkspace } from "../testing/terraform";
import { describeWith, PROJECT_ROOT } from "./support/tiers";

const STACK = "cloudkoffer-v1";
const TOFU = engineBinary({ CLOUDKOFFER_ENGINE: "tofu" });
const PASSPHRASE = "correct horse battery staple";

/** The simulator's count of successful calls of a method, over all nodes. */
async function calls(simulator: TalosSimulator): Promise<number> {
  const status = await simulator.status();
  return Object.values(status).reduce((sum, node) => sum + node.calls.filter((call) => call.code === "OK").length, 0);
}

/** The key material a decrypted state holds: every PEM body and base64 PEM of the cluster secrets and the admin key. */
function keyMaterial(state: string): string[] {
  const parsed = JSON.parse(state) as { resources: { type: string; instances: { attributes: Record<string, unknown> }[] }[] };
  const attributes = (type: string) => parsed.resources.find((resource) => resource.type === type)?.instances[0].attributes ?? {};
  const secrets = attributes("talos_machine_secrets").machine_secrets as { certs: { os: { key: string }; etcd: { key: string }; k8s: { key: string } } };
  const adminKey = String(attributes("tls_private_key").private_key_pem);
  return [secrets.certs.os.key, secrets.certs.etcd.key, secrets.certs.k8s.key, Buffer.from(adminKey).toString("base64"), ...adminKey.split("\n").filter((line) => line.length > 40)];
}

/** The files under a folder that hold a private key, or any of the secrets (the providers' binaries in .terraform aside). */
function filesHolding(folder: string, secrets: readonly string[]): string[] {
  return readdirSync(folder, { recursive: true, encoding: "utf8" })
    .filter((file) => !file.split(path.sep).includes(".terraform") && statSync(path.join(folder, file)).isFile())
    .filter((file) => {
      const content = readFileSync(path.join(folder, file), "utf8");
      return content.includes("PRIVATE KEY") || secrets.some((secret) => content.includes(secret));
    });
}

/** A message as terraform prints it in a diagnostic: wrapped at any space. */
function wrapped(message: string): RegExp {
  return new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/ /g, "\\s+"));
}

/** Whether a secrets backup is sealed, as the Talos tool seals it. */
function isSealed(file: string): boolean {
  return (JSON.parse(readFileSync(file, "utf8")) as { format?: string }).format === "cloudkoffer sealed secrets backup v1";
}

describeWith(["tofu", "talos provider", "null provider", "tls provider", "simulator", "kube-apiserver"])("npm run deploy with OpenTofu", () => {
  const nodes = loopbackAddresses("127.37.0", 2);
  const base = { TF_VAR_nodes: formatNodesVariable({ controlplane: [nodes[0]], worker: [nodes[1]] }), CLOUDKOFFER_ENGINE: "tofu" };
  const encrypted = { ...base, CLOUDKOFFER_STATE_ENCRYPTION: "passphrase", TF_VAR_state_passphrase: PASSPHRASE };
  let simulator: TalosSimulator;
  let workdir: string;
  let statePath: string;
  let secretsBackup: string;
  const deploy = (env: Record<string, string>): Promise<Finished> => DeployProcess.run(STACK, workdir, env);
  const stack = (env: Record<string, string>) =>
    TerraformWorkspace.deployed(path.join(workdir, "cdktf.out", "stacks", STACK), loopbackDeployEnvironment({ ...env, TERRAFORM_BINARY_NAME: TOFU }));

  beforeAll(async () => {
    simulator = await TalosSimulator.start({ nodes });
    workdir = mkdtempSync(path.join(tmpdir(), "opentofu-"));
    statePath = path.join(workdir, `terraform.${STACK}.tfstate`);
    secretsBackup = path.join(workdir, `terraform.${STACK}.secrets.yaml`);
  });
  afterAll(async () => {
    await simulator?.stop();
    rmSync(workdir, { recursive: true, force: true });
  });

  test("installs the cluster: every node configured, bootstrapped once, written by tofu; a second plan is empty", async () => {
    const first = await deploy(base);
    if (first.status !== 0) throw new Error(`npm run deploy exited ${first.status}:\n${first.text}`);
    const status = await simulator.status();
    expect(nodes.map((node) => status[node].mode)).toEqual(["configured", "configured"]);
    expect(status[nodes[0]].bootstraps).toBe(1);
    const state = JSON.parse(readFileSync(statePath, "utf8")) as { terraform_version: string };
    expect(state.terraform_version).toBe("1.10.10");
    expect(stack(base).run(["plan", "-detailed-exitcode", "-no-color"]).status).toBe(0);
  });

  test("asking for encryption moves the plain state to encryption; from then on the file holds no key material", async () => {
    const before = await calls(simulator);
    const moved = await deploy(encrypted);
    if (moved.status !== 0) throw new Error(`npm run deploy exited ${moved.status}:\n${moved.text}`);
    expect(moved.text).toContain("is not encrypted yet: this deploy moves it to encryption");

    const file = readFileSync(statePath, "utf8");
    expect(Object.keys(JSON.parse(file) as object).sort()).toEqual(expect.arrayContaining(["encrypted_data", "encryption_version"]));
    // Nothing at rest holds a key: not the state, not terraform's .backup of it, not the secrets
    // backup (sealed now, its plain copy gone: tofu hides what the step says), not the synthesized stack.
    expect(isSealed(secretsBackup)).toBe(true);
    expect(filesHolding(workdir, keyMaterial(stack(encrypted).ok(["state", "pull"]).stdout))).toEqual([]);

    // Enforced from now on: the next deploy reads it with the passphrase, and changes nothing on the nodes.
    const again = await deploy(encrypted);
    expect(again.status).toBe(0);
    expect(again.text).not.toContain("moves it to encryption");
    expect(stack(encrypted).run(["plan", "-detailed-exitcode", "-no-color"]).status).toBe(0);
    expect(await calls(simulator)).toBeGreaterThanOrEqual(before);
  });

  test("a wrong or missing passphrase, or no encryption asked for, stops before anything is touched, saying which", async () => {
    const file = readFileSync(statePath, "utf8");
    const before = await calls(simulator);

    const wrong = await deploy({ ...encrypted, TF_VAR_state_passphrase: "not the passphrase at all" });
    expect(wrong.status).toBe(2);
    expect(wrong.text).toContain("is encrypted and cannot be read: TF_VAR_state_passphrase is not its passphrase. Nothing was touched.");

    const missing = await deploy({ ...base, CLOUDKOFFER_STATE_ENCRYPTION: "passphrase" });
    expect(missing.status).toBe(2);
    expect(missing.text).toContain("TF_VAR_state_passphrase is not set");

    const plain = await deploy(base);
    expect(plain.status).toBe(2);
    expect(plain.text).toContain("is encrypted: deploy with CLOUDKOFFER_STATE_ENCRYPTION=passphrase");

    expect(readFileSync(statePath, "utf8")).toBe(file);
    expect(await calls(simulator)).toBe(before);
  });

  test("npm run secrets -- export and npm run credentials read the encrypted state", () => {
    const env = terraformEnvironment(loopbackDeployEnvironment(encrypted));
    const output = path.join(workdir, "cdktf.out");
    const secretsFile = path.join(workdir, "secrets.yaml");
    const exported = spawnSync("npm", ["run", "--silent", "secrets", "--", "export", STACK, "--file", secretsFile, "--output", output], {
      cwd: PROJECT_ROOT,
      env,
      encoding: "utf8",
    });
    expect(exported.status).toBe(0);
    expect(readFileSync(secretsFile, "utf8")).toContain("secrets:");
    const credentials = spawnSync("npm", ["run", "--silent", "credentials", "--", STACK, "--output", output], { cwd: PROJECT_ROOT, env, encoding: "utf8" });
    expect(credentials.stdout).toContain(`${STACK} admin client certificate: valid until`);
    rmSync(secretsFile);
  });

  test("a missing sealed backup is written again, sealed; the stack's own backup step later finds the same secrets in it", async () => {
    rmSync(secretsBackup);
    const restored = await deploy(encrypted);
    if (restored.status !== 0) throw new Error(`npm run deploy exited ${restored.status}:\n${restored.text}`);
    expect(restored.text).toContain(`wrote the missing backup of the cluster secrets, ${secretsBackup} (mode 0600, sealed with the state's passphrase)`);
    expect(isSealed(secretsBackup)).toBe(true);
    const sealed = readFileSync(secretsBackup, "utf8");

    // npm run deploy lays the secrets.yaml out otherwise than terraform's yamlencode: the step compares the secrets.
    stack(encrypted).ok(["taint", "null_resource.secrets_backup"]);
    const again = await deploy(encrypted);
    if (again.status !== 0) throw new Error(`npm run deploy exited ${again.status}:\n${again.text}`);
    expect(readFileSync(secretsBackup, "utf8")).toBe(sealed);
  });

  /** The OS CA certificate in the state: which secrets it holds. */
  const osCa = (): string | undefined => {
    const state = JSON.parse(stack(encrypted).ok(["state", "pull"]).stdout) as {
      resources: { type: string; instances: { attributes: { machine_secrets?: { certs: { os: { cert: string } } } } }[] }[];
    };
    return state.resources.find((resource) => resource.type === "talos_machine_secrets")?.instances[0].attributes.machine_secrets?.certs.os.cert;
  };
  const stateLost = () => {
    rmSync(statePath);
    rmSync(`${statePath}.backup`, { force: true });
  };

  test("a plain tofu apply on a lost state stops at the sealed backup, before any node; npm run deploy adopts it as the message says", async () => {
    const ca = osCa();
    const sealed = readFileSync(secretsBackup, "utf8");
    stateLost();
    const applies = async () => Object.values(await simulator.status()).flatMap((node) => node.calls.filter((call) => call.method === "ApplyConfiguration")).length;
    const before = await applies();

    // The seed's way, on the synthesized stack: tofu makes new secrets, and the backup step refuses them.
    const plain = stack(encrypted).run(["apply", "-auto-approve", "-no-color"], { CLOUDKOFFER_TALOS_TOOL: DEFAULT_TALOS_TOOL });
    expect(plain.status).not.toBe(0);
    expect(plain.stderr).toMatch(wrapped("holds other cluster secrets than this state: the state lost the secrets the nodes were configured with."));
    expect(plain.stderr).toMatch(wrapped("Nothing was applied to any node. Adopt the backup: tofu state rm talos_machine_secrets.this tls_locally_signed_cert.admin"));
    expect(await applies()).toBe(before);
    expect(readFileSync(secretsBackup, "utf8")).toBe(sealed);

    stack(encrypted).ok(["state", "rm", "talos_machine_secrets.this", "tls_locally_signed_cert.admin"]);
    const adopted = await deploy(encrypted);
    if (adopted.status !== 0) throw new Error(`npm run deploy exited ${adopted.status}:\n${adopted.text}`);
    expect(adopted.text).toContain(`has no cluster secrets: adopting the backup ${secretsBackup}`);
    expect(osCa()).toBe(ca);
    expect((await simulator.status())[nodes[0]].bootstraps).toBe(1);
    expect(stack(encrypted).run(["plan", "-detailed-exitcode", "-no-color"]).status).toBe(0);
    expect(readFileSync(secretsBackup, "utf8")).toBe(sealed);
    expect(filesHolding(workdir, keyMaterial(stack(encrypted).ok(["state", "pull"]).stdout))).toEqual([]);
  });

  test("a sealed backup that does not open with the passphrase stops npm run deploy on a lost state; npm run secrets -- import unseals it with the right one", async () => {
    const ca = osCa();
    stateLost();
    const before = await calls(simulator);
    const wrong = await deploy({ ...encrypted, TF_VAR_state_passphrase: "not the passphrase at all" });
    expect(wrong.status).toBe(2);
    expect(wrong.text).toContain(`the backup ${secretsBackup} does not open with TF_VAR_state_passphrase: it was sealed with another passphrase, or altered. Nothing was touched.`);
    expect(existsSync(statePath)).toBe(false);
    expect(await calls(simulator)).toBe(before);

    const env = terraformEnvironment(loopbackDeployEnvironment(encrypted));
    const secrets = (...args: string[]) =>
      spawnSync("npm", ["run", "--silent", "secrets", "--", "import", STACK, "--file", secretsBackup, "--output", path.join(workdir, "cdktf.out"), ...args], {
        cwd: PROJECT_ROOT,
        env,
        encoding: "utf8",
      });
    const imported = secrets();
    expect({ status: imported.status, stderr: imported.stderr }).toEqual({ status: 0, stderr: "" });
    expect(imported.stdout).toContain(`${STACK} now uses the secrets of ${secretsBackup}`);
    expect(osCa()).toBe(ca);
    const adopted = await deploy(encrypted);
    expect(adopted.status).toBe(0);
    expect(adopted.text).not.toContain("adopting the backup");
    expect((await simulator.status())[nodes[0]].bootstraps).toBe(1);
  });
});

describeWith(["tofu", "talos provider", "null provider", "tls provider", "talos schema"])("the synthesized Terraform with OpenTofu", () => {
  test("inits from the mirror under registry.opentofu.org, validates and applies the local half", () => {
    const stacks = synthApp({ CLOUDKOFFER_ENGINE: "tofu" });
    const workspace = TerraformWorkspace.copyOf(path.join(stacks, "cloudkoffer-v3"));
    try {
      const env = { TERRAFORM_BINARY_NAME: TOFU };
      const init = workspace.ok(["init", "-no-color", `-backend-config=path=${workspace.statePath}`], env);
      expect(init.stdout).toContain("Installing siderolabs/talos v0.5.0...");
      expect(init.stdout).toMatch(/OpenTofu has been successfully initialized/);
      workspace.ok(["validate", "-no-color"], env);
      workspace.ok(["apply", "-auto-approve", "-no-color", ...LOCAL_HALF], env);
      expect(workspace.stateList()).toContain("talos_machine_secrets.this");
    } finally {
      workspace.remove();
      rmSync(path.dirname(stacks), { recursive: true, force: true });
    }
  });

  test("with terraform, asking for encryption is a clear error at synth", () => {
    const out = mkdtempSync(path.join(tmpdir(), "synth-"));
    try {
      const synth = spawnSync("npm", ["run", "--silent", "synth"], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, CLOUDKOFFER_STATE_ENCRYPTION: "passphrase", CLOUDKOFFER_ENGINE: "terraform", CDKTF_OUTDIR: out },
        encoding: "utf8",
      });
      expect(synth.status).toBe(1);
      expect(synth.stderr).toContain("state encryption needs OpenTofu: terraform cannot encrypt state");
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describeWith(["tofu", "talos provider", "null provider", "tls provider", "simulator", "kube-apiserver", "postgresql"])("OpenTofu with the pg backend", () => {
  test("an encrypted state in PostgreSQL: only encrypted_data in the row; deploys read it with the passphrase", async () => {
    const nodes = loopbackAddresses("127.38.0", 2);
    const pg = process.env.TEST_PG_CONN_STR ?? "";
    const schema = "cloudkoffer_v1";
    const env = {
      TF_VAR_nodes: formatNodesVariable({ controlplane: [nodes[0]], worker: [nodes[1]] }),
      CLOUDKOFFER_ENGINE: "tofu",
      CLOUDKOFFER_BACKEND: "pg",
      PG_CONN_STR: pg,
      CLOUDKOFFER_STATE_ENCRYPTION: "passphrase",
      TF_VAR_state_passphrase: PASSPHRASE,
    };
    spawnSync("psql", [pg, "-c", `DROP SCHEMA IF EXISTS ${schema} CASCADE`], { stdio: "ignore" });
    const simulator = await TalosSimulator.start({ nodes });
    const workdir = mkdtempSync(path.join(tmpdir(), "opentofu-pg-"));
    try {
      const first = await DeployProcess.run(STACK, workdir, env);
      if (first.status !== 0) throw new Error(`npm run deploy exited ${first.status}:\n${first.text}`);
      const row = spawnSync("psql", [pg, "-tAc", `SELECT data FROM ${schema}.states`], { encoding: "utf8" }).stdout;
      expect(Object.keys(JSON.parse(row) as object)).toEqual(expect.arrayContaining(["encrypted_data"]));
      const workspace = TerraformWorkspace.deployed(path.join(workdir, "cdktf.out", "stacks", STACK), loopbackDeployEnvironment({ ...env, TERRAFORM_BINARY_NAME: TOFU }));
      for (const secret of keyMaterial(workspace.ok(["state", "pull"]).stdout)) expect(row.includes(secret)).toBe(false);
      const again = await DeployProcess.run(STACK, workdir, env);
      expect(again.status).toBe(0);
      expect((await simulator.status())[nodes[0]].bootstraps).toBe(1);
    } finally {
      await simulator.stop();
      rmSync(workdir, { recursive: true, force: true });
      spawnSync("psql", [pg, "-c", `DROP SCHEMA IF EXISTS ${schema} CASCADE`], { stdio: "ignore" });
    }
  });
});

describeWith(["tofu", "talos provider", "null provider", "tls provider", "simulator", "kube-apiserver"])("an encrypted state survives a crash", () => {
  test("a first deploy killed at its Bootstrap: the next npm run deploy converges, bootstrapped once, the state encrypted", async () => {
    const nodes = loopbackAddresses("127.39.0", 2);
    const env = {
      TF_VAR_nodes: formatNodesVariable({ controlplane: [nodes[0]], worker: [nodes[1]] }),
      CLOUDKOFFER_ENGINE: "tofu",
      CLOUDKOFFER_STATE_ENCRYPTION: "passphrase",
      TF_VAR_state_passphrase: PASSPHRASE,
    };
    const simulator = await TalosSimulator.start({ nodes });
    const workdir = mkdtempSync(path.join(tmpdir(), "opentofu-crash-"));
    try {
      // Held after the node carried Bootstrap out: the kill lands before tofu records it.
      await simulator.hold(nodes[0], "Bootstrap", "after");
      const deploy = new DeployProcess(STACK, workdir, env);
      await simulator.held(nodes[0], "Bootstrap", "after");
      const killed = await deploy.kill("SIGKILL");
      expect(killed.signal ?? killed.status).not.toBe(0);
      await simulator.release(nodes[0], "Bootstrap");

      const recovery = await DeployProcess.run(STACK, workdir, env);
      if (recovery.status !== 0) throw new Error(`npm run deploy exited ${recovery.status}:\n${recovery.text}`);
      expect(recovery.text).not.toContain("is not encrypted yet");
      expect((await simulator.status())[nodes[0]].bootstraps).toBe(1);
      const file = readFileSync(path.join(workdir, `terraform.${STACK}.tfstate`), "utf8");
      expect(Object.keys(JSON.parse(file) as object)).toEqual(expect.arrayContaining(["encrypted_data"]));
      expect(isSealed(path.join(workdir, `terraform.${STACK}.secrets.yaml`))).toBe(true);
      expect(filesHolding(workdir, [])).toEqual([]);
    } finally {
      await simulator.stop();
      rmSync(workdir, { recursive: true, force: true });
    }
  });
});
