/**
 * A Cloudkoffer stays manageable for years: the admin client certificate
 * (talosconfig, and every deploy's access to the nodes) and the admin
 * kubeconfig renew themselves, on the real providers (siderolabs/talos 0.5.0,
 * hashicorp/tls 4.1.0) against simulated nodes that check certificate
 * validity on their own clock, as Talos' apid does.
 */
import { execFileSync, spawnSync } from "child_process";
import { createHash, X509Certificate } from "crypto";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { CLOUDKOFFER_PROFILES } from "../lib/cloudkoffer-profile";
import { formatNodesVariable } from "../operations/nodes-input";
import { DeployProcess, Finished } from "../testing/deploy-process";
import { loopbackDeployEnvironment } from "../testing/loopback";
import { loopbackAddresses, probe, TALOS_SIM, TalosSimulator } from "../testing/simulator";
import { LOCAL_HALF, synthApp, terraformEnvironment, TerraformWorkspace } from "../testing/terraform";
import { describeWith, PROJECT_ROOT } from "./support/tiers";
import { ADMIN_CERTIFICATE_ADDRESS, ADMIN_KEY_ADDRESS, SECRETS_ADDRESS } from "../lib/addresses";

const STACK = "cloudkoffer-v1";

/** A resource's values in `terraform show -json` (of the state, or of a saved plan's prior state). */
function stateValues(workspace: TerraformWorkspace, address: string): Record<string, unknown> {
  const values = workspace.values(address);
  if (!values) throw new Error(`the state has no ${address}`);
  return values;
}

/** The actions a saved plan has for each resource instance, by address. */
function plannedActions(workspace: TerraformWorkspace, env: Record<string, string>, targets: readonly string[] = []): Record<string, string> {
  workspace.ok(["plan", "-no-color", "-out=credentials.plan", ...targets], env);
  try {
    const plan = JSON.parse(workspace.ok(["show", "-json", "credentials.plan"]).stdout) as {
      resource_changes: { address: string; mode: string; change: { actions: string[] } }[];
    };
    return Object.fromEntries(
      plan.resource_changes.filter((change) => change.mode === "managed").map((change) => [change.address, change.change.actions.join(",")]),
    );
  } finally {
    rmSync(path.join(workspace.dir, "credentials.plan"), { force: true });
  }
}

/** sha256 of a certificate's DER, as the simulator records a call's client certificate. */
function fingerprint(pem: string): string {
  return createHash("sha256").update(new X509Certificate(pem).raw).digest("hex");
}

/** The client certificate of a talosconfig output (PEM). */
function talosconfigCertificate(talosconfig: string): string {
  const crt = /crt: (\S+)/.exec(talosconfig)?.[1];
  if (!crt) throw new Error("the talosconfig has no client certificate");
  return Buffer.from(crt, "base64").toString("utf8");
}

/** Probes a node with a talosconfig, strictly (mTLS and an answer). */
function probeWith(node: string, talosconfig: string, dir: string): ReturnType<typeof probe> {
  const file = path.join(dir, "talosconfig");
  writeFileSync(file, talosconfig, { mode: 0o600 });
  return probe(node, { talosconfig: file, strict: true });
}

/**
 * Ages a state by a year: provider 0.5.0's client certificate, wherever the
 * state holds it (secrets, resources, talosconfig), becomes one of the same
 * CA that expired yesterday, as it would have in a year-old state.
 * @returns the expired certificate (base64 PEM)
 */
function ageState(stack: TerraformWorkspace): string {
  const state = stack.ok(["state", "pull"]).stdout;
  const snapshot = JSON.parse(state) as { serial: number };
  const secrets = stateValues(stack, SECRETS_ADDRESS) as {
    client_configuration: { client_certificate: string; client_key: string };
    machine_secrets: { certs: { os: { cert: string; key: string } } };
  };
  const day = 24 * 3600 * 1000;
  const signed = JSON.parse(
    execFileSync(TALOS_SIM, [
      "client-cert",
      "-ca-cert",
      secrets.machine_secrets.certs.os.cert,
      "-ca-key",
      secrets.machine_secrets.certs.os.key,
      "-not-before",
      new Date(Date.now() - 366 * day).toISOString().replace(/\.\d+Z$/, "Z"),
      "-not-after",
      new Date(Date.now() - day).toISOString().replace(/\.\d+Z$/, "Z"),
    ]).toString(),
  ) as { client_certificate: string; client_key: string };
  const aged = state
    .split(secrets.client_configuration.client_certificate)
    .join(signed.client_certificate)
    .split(secrets.client_configuration.client_key)
    .join(signed.client_key)
    .replace(`"serial": ${snapshot.serial},`, `"serial": ${snapshot.serial + 1},`);
  const file = path.join(stack.dir, "aged.tfstate");
  writeFileSync(file, aged, { mode: 0o600 });
  try {
    stack.ok(["state", "push", "aged.tfstate"]);
  } finally {
    rmSync(file, { force: true });
  }
  return signed.client_certificate;
}

/** Everything a deploy or terraform printed must hold none of these secrets. */
function expectNoKeyMaterial(printed: string, secrets: readonly string[]): void {
  expect(printed).not.toContain("PRIVATE KEY");
  for (const secret of secrets) expect(printed.includes(secret)).toBe(false);
}

/** The key material of a state: the admin key (PEM body and base64 PEM) and the OS CA key. */
function keyMaterial(stack: TerraformWorkspace): string[] {
  const key = String(stateValues(stack, ADMIN_KEY_ADDRESS).private_key_pem);
  const secrets = stateValues(stack, SECRETS_ADDRESS).machine_secrets as { certs: { os: { key: string } } };
  const body = key.split("\n").filter((line) => line && !line.startsWith("-----"));
  return [...body, Buffer.from(key).toString("base64"), secrets.certs.os.key];
}

describeWith(["terraform", "talos provider", "null provider", "tls provider", "simulator", "kube-apiserver"])(
  "npm run deploy renews the admin client certificate inside its renewal window",
  () => {
    const nodes = loopbackAddresses("127.33.0", 2);
    // A certificate valid for 2 hours, renewed in its last hour: a deploy now is outside the window.
    const env = {
      TF_VAR_nodes: formatNodesVariable({ controlplane: [nodes[0]], worker: [nodes[1]] }),
      TF_VAR_admin_cert_validity_hours: "2",
      TF_VAR_admin_cert_renewal_hours: "1",
    };
    let simulator: TalosSimulator;
    let workdir: string;
    let stack: TerraformWorkspace;
    const printed: Finished[] = [];
    const deploy = async (extra: Record<string, string> = {}) => {
      const finished = await DeployProcess.run(STACK, workdir, { ...env, ...extra });
      printed.push(finished);
      if (finished.status !== 0) throw new Error(`npm run deploy exited ${finished.status}:\n${finished.text}`);
      return finished;
    };

    beforeAll(async () => {
      simulator = await TalosSimulator.start({ nodes });
      workdir = mkdtempSync(path.join(tmpdir(), "credentials-"));
      await deploy();
      stack = TerraformWorkspace.deployed(path.join(workdir, "cdktf.out", "stacks", STACK), loopbackDeployEnvironment(env));
    });
    afterAll(async () => {
      await simulator?.stop();
      rmSync(workdir, { recursive: true, force: true });
    });

    test("outside the window a deploy keeps the certificate; inside it, the nodes take a new one, the kubeconfig follows, nothing holding cluster state is replaced", async () => {
      const certificate = () => String(stateValues(stack, ADMIN_CERTIFICATE_ADDRESS).cert_pem);
      const secrets = () => JSON.stringify(stateValues(stack, SECRETS_ADDRESS));
      const output = (name: string) => stack.ok(["output", "-raw", name]).stdout;
      const first = { certificate: certificate(), secrets: secrets(), kubeconfig: output("kubeconfig_raw"), talosconfig: output("talosconfig") };
      expect(talosconfigCertificate(first.talosconfig)).toBe(first.certificate);
      expect(new X509Certificate(first.certificate).subject).toContain("O=os:admin");

      await deploy();
      expect(certificate()).toBe(first.certificate);
      expect(output("kubeconfig_raw")).toBe(first.kubeconfig);

      // A renewal window as long as the validity: the certificate is inside it now.
      const renewing = { TF_VAR_admin_cert_renewal_hours: "2" };
      const actions = plannedActions(stack, renewing);
      const replaced = Object.keys(actions).filter((address) => actions[address].includes("delete"));
      expect(replaced.sort()).toEqual(["null_resource.kubeconfig", "tls_locally_signed_cert.admin"]);
      expect(actions["talos_machine_secrets.this"]).toBe("no-op");
      expect(actions["talos_machine_bootstrap.this"]).toBe("update");
      expect(actions[`talos_machine_configuration_apply.controlplane["${nodes[0]}"]`]).toBe("update");

      const before = await simulator.status();
      const renewal = await deploy(renewing);
      const renewed = certificate();
      expect(renewed).not.toBe(first.certificate);
      expect(secrets()).toBe(first.secrets);
      expect(output("kubeconfig_raw")).not.toBe(first.kubeconfig);
      expect(talosconfigCertificate(output("talosconfig"))).toBe(renewed);
      expect(renewal.text).toContain("admin client certificate: valid until");

      // The nodes took the new certificate: the applies of the renewal deploy carried it, no node
      // rebooted or was bootstrapped again.
      const after = await simulator.status();
      for (const node of nodes) {
        const newCalls = after[node].calls.slice(before[node].calls.length);
        expect(newCalls.filter((call) => call.method === "ApplyConfiguration" && call.code === "OK").map((call) => call.clientCertificate)).toEqual([
          fingerprint(renewed),
        ]);
        expect(after[node].mode).toBe("configured");
      }
      expect(after[nodes[0]].bootstraps).toBe(1);
      const files = mkdtempSync(path.join(tmpdir(), "talosconfig-"));
      try {
        expect(probeWith(nodes[0], output("talosconfig"), files)).toMatchObject({ answers: true, mode: "configured" });
      } finally {
        rmSync(files, { recursive: true, force: true });
      }

      const shownOutputs = stack.ok(["output", "-no-color"]).stdout;
      expectNoKeyMaterial([...printed.map((finished) => finished.text), shownOutputs].join("\n"), keyMaterial(stack));
    });
  },
);

describeWith(["terraform", "talos provider", "null provider", "tls provider", "simulator", "kube-apiserver"])(
  "a state from before the stack signed its own certificate, whose certificate expired",
  () => {
    const nodes = loopbackAddresses("127.34.0", 2);
    const env = { TF_VAR_nodes: formatNodesVariable({ controlplane: [nodes[0]], worker: [nodes[1]] }) };
    let simulator: TalosSimulator;
    let workdir: string;

    beforeAll(async () => {
      simulator = await TalosSimulator.start({ nodes });
      workdir = mkdtempSync(path.join(tmpdir(), "credentials-takeover-"));
    });
    afterAll(async () => {
      await simulator?.stop();
      rmSync(workdir, { recursive: true, force: true });
    });

    test("recovers with one npm run deploy: nothing in the renewal needs the old certificate, nothing holding cluster state is replaced", async () => {
      // The stack as it was (fixtures/before-admin-certificate), deployed with plain terraform.
      const folder = path.join(workdir, "cdktf.out", "stacks", STACK);
      mkdirSync(folder, { recursive: true });
      cpSync(path.join(__dirname, "fixtures", "before-admin-certificate", "cdk.tf.json"), path.join(folder, "cdk.tf.json"));
      const stack = TerraformWorkspace.deployed(folder, loopbackDeployEnvironment(env));
      stack.init();
      stack.ok(["apply", "-auto-approve", "-no-color"]);
      const pki = () => JSON.stringify(stateValues(stack, SECRETS_ADDRESS).machine_secrets);
      const secrets = pki();
      const kubeconfig = stack.ok(["output", "-raw", "kubeconfig_raw"]).stdout;
      // A year later: provider 0.5.0's certificate, everywhere the state holds it, expired yesterday.
      const expired = ageState(stack);
      const files = mkdtempSync(path.join(tmpdir(), "talosconfig-"));
      try {
        // The owner's talosconfig, and every talos resource of the old graph, is refused in the TLS handshake now.
        const oldTalosconfig = stack.ok(["output", "-raw", "talosconfig"]).stdout;
        expect(talosconfigCertificate(oldTalosconfig)).toBe(Buffer.from(expired, "base64").toString("utf8"));
        expect(probeWith(nodes[0], oldTalosconfig, files)).toMatchObject({ answers: false });

        const recovery = await DeployProcess.run(STACK, workdir, env);
        if (recovery.status !== 0) throw new Error(`npm run deploy exited ${recovery.status}:\n${recovery.text}`);
        expect(pki()).toBe(secrets);
        expect(stack.stateList()).toEqual(expect.arrayContaining(["talos_machine_bootstrap.this", "tls_locally_signed_cert.admin"]));
        expect((await simulator.status())[nodes[0]].bootstraps).toBe(1);

        const talosconfig = stack.ok(["output", "-raw", "talosconfig"]).stdout;
        const renewed = new X509Certificate(talosconfigCertificate(talosconfig));
        expect(new Date(renewed.validTo).getTime()).toBeGreaterThan(Date.now());
        for (const node of nodes) expect(probeWith(node, talosconfig, files)).toMatchObject({ answers: true, mode: "configured" });
      } finally {
        rmSync(files, { recursive: true, force: true });
      }
      expect(stack.ok(["output", "-raw", "kubeconfig_raw"]).stdout).not.toBe(kubeconfig);
      expect(stack.run(["plan", "-detailed-exitcode", "-no-color"]).status).toBe(0);
    });
  },
);

describeWith(["terraform", "talos provider", "null provider", "tls provider", "simulator", "kube-apiserver"])(
  "an admin kubeconfig whose own certificate nears expiry",
  () => {
    const nodes = loopbackAddresses("127.35.0", 2);
    const env = { TF_VAR_nodes: formatNodesVariable({ controlplane: [nodes[0]], worker: [nodes[1]] }) };
    let simulator: TalosSimulator;
    let workdir: string;

    beforeAll(async () => {
      // Talos signs the admin kubeconfig for a year; here for 30 minutes, inside the 720 h window at once.
      simulator = await TalosSimulator.start({ nodes, kubeconfigValidity: "30m" });
      workdir = mkdtempSync(path.join(tmpdir(), "credentials-kubeconfig-"));
    });
    afterAll(async () => {
      await simulator?.stop();
      rmSync(workdir, { recursive: true, force: true });
    });

    test("npm run deploy warns with the date, reads it again on the next deploy, and npm run credentials prints both dates", async () => {
      const first = await DeployProcess.run(STACK, workdir, env);
      if (first.status !== 0) throw new Error(`npm run deploy exited ${first.status}:\n${first.text}`);
      const stack = TerraformWorkspace.deployed(path.join(workdir, "cdktf.out", "stacks", STACK), loopbackDeployEnvironment(env));
      const kubeconfig = stack.ok(["output", "-raw", "kubeconfig_raw"]).stdout;
      const certificate = String(stateValues(stack, ADMIN_CERTIFICATE_ADDRESS).cert_pem);
      const kubeconfigExpiry = new X509Certificate(Buffer.from(/client-certificate-data: (\S+)/.exec(kubeconfig)?.[1] ?? "", "base64")).validTo;
      const shown = (date: string) => `${new Date(date).toISOString().slice(0, 16).replace("T", " ")} UTC`;
      expect(first.text).toContain(`deploy: warning: the admin kubeconfig: valid until ${shown(kubeconfigExpiry)}; the next deploy renews it.`);

      const second = await DeployProcess.run(STACK, workdir, env);
      if (second.status !== 0) throw new Error(`the second npm run deploy exited ${second.status}:\n${second.text}`);
      expect(second.text).toContain(`deploy: the admin kubeconfig expires ${shown(kubeconfigExpiry)}: reading it again`);
      expect(stack.ok(["output", "-raw", "kubeconfig_raw"]).stdout).not.toBe(kubeconfig);
      expect(String(stateValues(stack, ADMIN_CERTIFICATE_ADDRESS).cert_pem)).toBe(certificate);

      const credentials = spawnSync("npm", ["run", "--silent", "credentials", "--", STACK, "--output", path.join(workdir, "cdktf.out")], {
        cwd: PROJECT_ROOT,
        env: terraformEnvironment(),
        encoding: "utf8",
      });
      expect(credentials.status).toBe(0);
      const adminExpiry = shown(new X509Certificate(certificate).validTo);
      expect(credentials.stdout).toContain(`${STACK} admin client certificate: valid until ${adminExpiry}; a deploy from `);
      expect(credentials.stdout).toMatch(new RegExp(`${STACK} admin kubeconfig: valid until [0-9-]+ [0-9:]+ UTC; the next deploy renews it`));
    });
  },
);

describeWith(["terraform", "talos provider", "null provider", "tls provider", "talos schema"])("a state from the seed's Terraform", () => {
  test("takes the stack's own certificate over without replacing the secrets", () => {
    const seed = TerraformWorkspace.copyOfTree(path.join(__dirname, "fixtures", "seed"), "terraform");
    const stacks = synthApp();
    const ours = TerraformWorkspace.copyOf(path.join(stacks, "cloudkoffer-v3"));
    try {
      seed.init();
      // Only the half that needs no node: the seed's node addresses are the real case's.
      const v3 = CLOUDKOFFER_PROFILES.v3;
      seed.ok(["apply", "-auto-approve", "-no-color", ...LOCAL_HALF], {
        TF_VAR_talos_version: "v1.7.4",
        TF_VAR_kubernetes_version: "1.30.1",
        TF_VAR_nodes: formatNodesVariable({ controlplane: v3.controlPlanes, worker: v3.workers }),
      });
      ours.init();
      cpSync(path.join(seed.dir, "terraform.tfstate"), ours.statePath as string);
      const targets = ["-target=tls_locally_signed_cert.admin", "-target=data.talos_client_configuration.this"];
      const actions = plannedActions(ours, {}, targets);
      expect(actions).toEqual({
        "talos_machine_secrets.this": "no-op",
        "tls_private_key.admin": "create",
        "tls_cert_request.admin": "create",
        "tls_locally_signed_cert.admin": "create",
      });
      ours.ok(["apply", "-auto-approve", "-no-color", ...targets]);
      expect(JSON.stringify(stateValues(ours, SECRETS_ADDRESS).machine_secrets)).toBe(
        JSON.stringify(stateValues(seed, SECRETS_ADDRESS).machine_secrets),
      );
      const certificate = new X509Certificate(String(stateValues(ours, ADMIN_CERTIFICATE_ADDRESS).cert_pem));
      const secrets = stateValues(seed, SECRETS_ADDRESS).machine_secrets as { certs: { os: { cert: string } } };
      expect(certificate.checkIssued(new X509Certificate(Buffer.from(secrets.certs.os.cert, "base64")))).toBe(true);
    } finally {
      seed.remove();
      ours.remove();
      rmSync(path.dirname(stacks), { recursive: true, force: true });
    }
  });
});
