/**
 * OpenTofu as the second engine (the real tofu 1.10.10, built from its Go
 * module by npm run setup), and the state encrypted at rest, which only
 * OpenTofu can do: against simulated nodes, with the real providers. (A lost
 * state or secrets backup under encryption: opentofu-lost-state.test.ts.)
 */
import { spawnSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { formatNodesVariable } from "../operations/nodes-input";
import { DeployProcess } from "../testing/deploy-process";
import { loopbackDeployEnvironment } from "../testing/loopback";
import { loopbackAddresses, TalosSimulator } from "../testing/simulator";
import { LOCAL_HALF, synthApp, terraformEnvironment, TerraformWorkspace } from "../testing/terraform";
import { calls, filesHolding, isSealed, keyMaterial, OpenTofuCluster, PASSPHRASE, STACK, TOFU } from "./support/opentofu";
import { describeWith, PROJECT_ROOT } from "./support/tiers";

describeWith(["tofu", "talos provider", "null provider", "tls provider", "simulator", "kube-apiserver"])("npm run deploy with OpenTofu", () => {
  const tofu = new OpenTofuCluster("127.37.0");
  const { nodes, base, encrypted } = tofu;

  test("installs the cluster: every node configured, bootstrapped once, written by tofu; a second plan is empty", async () => {
    const first = await tofu.deploy(base);
    if (first.status !== 0) throw new Error(`npm run deploy exited ${first.status}:\n${first.text}`);
    const status = await tofu.simulator.status();
    expect(nodes.map((node) => status[node].mode)).toEqual(["configured", "configured"]);
    expect(status[nodes[0]].bootstraps).toBe(1);
    const state = JSON.parse(readFileSync(tofu.statePath, "utf8")) as { terraform_version: string };
    expect(state.terraform_version).toBe("1.10.10");
    expect(tofu.stack(base).run(["plan", "-detailed-exitcode", "-no-color"]).status).toBe(0);
  });

  test("asking for encryption moves the plain state to encryption; from then on the file holds no key material", async () => {
    const before = await calls(tofu.simulator);
    const moved = await tofu.deploy(encrypted);
    if (moved.status !== 0) throw new Error(`npm run deploy exited ${moved.status}:\n${moved.text}`);
    expect(moved.text).toContain("is not encrypted yet: this deploy moves it to encryption");

    const file = readFileSync(tofu.statePath, "utf8");
    expect(Object.keys(JSON.parse(file) as object).sort()).toEqual(expect.arrayContaining(["encrypted_data", "encryption_version"]));
    // Nothing at rest holds a key: not the state, not terraform's .backup of it, not the secrets
    // backup (sealed now, its plain copy gone: tofu hides what the step says), not the synthesized stack.
    expect(isSealed(tofu.secretsBackup)).toBe(true);
    expect(filesHolding(tofu.workdir, keyMaterial(tofu.stack(encrypted).ok(["state", "pull"]).stdout))).toEqual([]);

    // Enforced from now on: the next deploy reads it with the passphrase, and changes nothing on the nodes.
    const again = await tofu.deploy(encrypted);
    expect(again.status).toBe(0);
    expect(again.text).not.toContain("moves it to encryption");
    expect(tofu.stack(encrypted).run(["plan", "-detailed-exitcode", "-no-color"]).status).toBe(0);
    expect(await calls(tofu.simulator)).toBeGreaterThanOrEqual(before);
  });

  test("a wrong or missing passphrase, or no encryption asked for, stops before anything is touched, saying which", async () => {
    const file = readFileSync(tofu.statePath, "utf8");
    const before = await calls(tofu.simulator);

    const wrong = await tofu.deploy({ ...encrypted, TF_VAR_state_passphrase: "not the passphrase at all" });
    expect(wrong.status).toBe(2);
    expect(wrong.text).toContain("is encrypted and cannot be read: TF_VAR_state_passphrase is not its passphrase. Nothing was touched.");

    const missing = await tofu.deploy({ ...base, CLOUDKOFFER_STATE_ENCRYPTION: "passphrase" });
    expect(missing.status).toBe(2);
    expect(missing.text).toContain("TF_VAR_state_passphrase is not set");

    const plain = await tofu.deploy(base);
    expect(plain.status).toBe(2);
    expect(plain.text).toContain("is encrypted: deploy with CLOUDKOFFER_STATE_ENCRYPTION=passphrase");

    expect(readFileSync(tofu.statePath, "utf8")).toBe(file);
    expect(await calls(tofu.simulator)).toBe(before);
  });

  test("npm run secrets -- export and npm run credentials read the encrypted state", () => {
    const env = terraformEnvironment(loopbackDeployEnvironment(encrypted));
    const output = path.join(tofu.workdir, "cdktf.out");
    const secretsFile = path.join(tofu.workdir, "secrets.yaml");
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
