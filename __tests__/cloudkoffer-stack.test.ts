import { createHash } from "crypto";
import { readFileSync, rmSync } from "fs";
import * as path from "path";
import { Testing } from "cdktf";
import { parse } from "yaml";
import { DataTalosClientConfiguration } from "../.gen/providers/talos/data-talos-client-configuration";
import { DataTalosClusterKubeconfig } from "../.gen/providers/talos/data-talos-cluster-kubeconfig";
import { DataTalosMachineConfiguration } from "../.gen/providers/talos/data-talos-machine-configuration";
import { MachineBootstrap } from "../.gen/providers/talos/machine-bootstrap";
import { MachineConfigurationApply } from "../.gen/providers/talos/machine-configuration-apply";
import { MachineSecrets } from "../.gen/providers/talos/machine-secrets";
import { TalosProvider } from "../.gen/providers/talos/provider";
import { CLOUDKOFFER_PROFILES, CLOUDKOFFER_VERSIONS, CloudkofferVersion } from "../lib/cloudkoffer-profile";
import { TALOSCTL_INSTALL_HINT } from "../lib/talosctl-install";
import { lockFor, MIRROR_CLI_CONFIG, MIRROR_PROVIDER_LOCK, OFFICIAL_PROVIDER_LOCK, providerLockFor } from "../lib/provider-lock";
import { CloudkofferStack, CloudkofferStackProps } from "../lib/cloudkoffer-stack";
import { PROJECT_ROOT } from "../lib/project-paths";
import { talosChecks } from "../operations/talos-checks";
import { NULL_PROVIDER_SOURCE, TALOS_PROVIDER_SOURCE, TLS_PROVIDER_SOURCE } from "../setup/release-sources";
import { terraformLiteral } from "../lib/terraform-literal";
import { synthCloudkoffer, TerraformJson, untemplated } from "./support/synth";
import { testingApp } from "./support/testing-app";

/** The stack's own admin client certificate, never the one provider 0.5.0 signed with the secrets. */
const ADMIN_CLIENT_CONFIGURATION = {
  ca_certificate: "${talos_machine_secrets.this.machine_secrets.certs.os.cert}",
  client_certificate: "${base64encode(tls_locally_signed_cert.admin.cert_pem)}",
  client_key: "${base64encode(tls_private_key.admin.private_key_pem)}",
};

/** The local-exec commands of the stack's null_resources, by name. */
function provisionerCommands(config: TerraformJson): Record<string, string> {
  const resources = config.resource.null_resource as Record<string, { provisioner?: { "local-exec": { command: string } }[] }>;
  return Object.fromEntries(
    Object.entries(resources).flatMap(([name, resource]) => (resource.provisioner ?? []).map((p) => [name, p["local-exec"].command])),
  );
}

/** A long text, by its length and digest. */
function digestOf(kind: string, text: string): string {
  return `<${kind}: ${text.split("\n").length} lines, sha256 ${createHash("sha256").update(text).digest("hex").slice(0, 16)}>`;
}

/**
 * The synthesized JSON with every inlined script and patch file replaced by
 * its length and digest: a snapshot of the graph a reviewer can read, which
 * still changes with any script or patch (both are tested on their own).
 */
function withScriptsByDigest(json: string): string {
  const config = JSON.parse(json) as TerraformJson;
  for (const resource of Object.values(config.resource.null_resource as Record<string, { provisioner?: { "local-exec": { command: string } }[] }>)) {
    for (const provisioner of resource.provisioner ?? []) {
      provisioner["local-exec"].command = digestOf("script", provisioner["local-exec"].command);
    }
  }
  for (const configuration of Object.values(config.data.talos_machine_configuration)) {
    // The first patch is the install patch the stack writes; the others are patches/ files.
    const [install, ...files] = configuration.config_patches as string[];
    configuration.config_patches = [install, ...files.map((patch) => digestOf("patch", patch))];
  }
  return JSON.stringify(config, null, 2);
}
const FIRST_CONTROL_PLANE = "${element(local.inputs.nodes.controlplane, 0)}";

/** The seed's Terraform, per Cloudkoffer version. */
describe.each(CLOUDKOFFER_VERSIONS)("stack cloudkoffer-%s", (version: CloudkofferVersion) => {
  const profile = CLOUDKOFFER_PROFILES[version];
  const { json, config } = synthCloudkoffer(version);
  const machineConfiguration = (role: "controlplane" | "worker") => config.data.talos_machine_configuration[role];
  const patchesOf = (role: "controlplane" | "worker") =>
    (machineConfiguration(role).config_patches as string[]).map((patch) => parse(untemplated(patch)));

  test("synthesizes the pinned JSON (inlined scripts and patch files by digest: they are tested on their own)", () => {
    expect(withScriptsByDigest(json)).toMatchSnapshot();
  });

  test("the scripts inlined in provisioners are the project's files, Terraform-escaped", () => {
    const commands = provisionerCommands(config);
    const maintenance = (script: string) =>
      terraformLiteral(`${readFileSync(path.join(PROJECT_ROOT, "lib", "maintenance", "talosctl-session.sh"), "utf8")}\n${readFileSync(path.join(PROJECT_ROOT, "lib", "maintenance", script), "utf8")}`);
    expect(commands.talos_upgrade).toBe(maintenance("talos-upgrade.sh"));
    expect(commands.kubernetes_upgrade).toBe(maintenance("kubernetes-upgrade.sh"));
    expect(commands.secrets_backup).toMatch(/^set -euo pipefail\numask 077\n/);
  });

  test("uses siderolabs/talos 0.5.0 with an empty provider block", () => {
    expect(config.terraform.required_providers.talos).toEqual({ source: "siderolabs/talos", version: "0.5.0" });
    expect(json).toHaveProvider(TalosProvider);
    expect(config.provider.talos).toEqual([{}]);
  });

  test("configure environment variables: the seed's TF_VAR_* names, non-nullable, defaulting to the profile", () => {
    expect(Object.keys(config.variable).sort()).toEqual([
      "admin_cert_renewal_hours",
      "admin_cert_validity_hours",
      "cilium_cli_image",
      "cluster_vip",
      "etcd_backup_dir",
      "etcd_backup_keep",
      "health_timeout",
      "health_wait",
      "kubernetes_version",
      "node_timeout",
      "nodes",
      "secrets_backup_file",
      "talos_upgrade_stage",
      "talos_version",
    ]);
    expect(config.variable.cluster_vip).toMatchObject({ type: "string", nullable: false, default: "192.168.1.101" });
    expect(config.variable.secrets_backup_file).toMatchObject({
      type: "string",
      nullable: false,
      default: `../../../terraform.cloudkoffer-${version}.secrets.yaml`,
    });
    expect(config.variable.admin_cert_validity_hours).toMatchObject({ type: "number", nullable: false, default: 8760 });
    expect(config.variable.admin_cert_renewal_hours).toMatchObject({ type: "number", nullable: false, default: 720 });
    expect(config.variable.talos_upgrade_stage).toMatchObject({ type: "bool", nullable: false, default: false });
    expect(config.variable.node_timeout).toMatchObject({ type: "string", nullable: false, default: "10m" });
    expect(config.variable.health_timeout).toMatchObject({ type: "string", nullable: false, default: "10m" });
    expect(config.variable.health_wait).toMatchObject({ type: "bool", nullable: false, default: true });
    expect(config.variable.etcd_backup_dir).toMatchObject({ type: "string", nullable: false, default: "../../../backups" });
    expect(config.variable.etcd_backup_keep).toMatchObject({ type: "number", nullable: false, default: 10 });
    expect(config.variable.talos_version).toMatchObject({ type: "string", nullable: false, default: "v1.7.4" });
    expect(config.variable.kubernetes_version).toMatchObject({ type: "string", nullable: false, default: "1.30.1" });
    expect(config.variable.nodes).toMatchObject({
      type: "object({controlplane=list(string), worker=list(string)})",
      nullable: false,
      default: { controlplane: [...profile.controlPlanes], worker: [...profile.workers] },
    });
  });

  test("every variable is validated at plan, and every value reaches the graph through local.inputs", () => {
    const conditions = (name: string) => (config.variable[name].validation as { condition: string }[]).length;
    expect([conditions("talos_version"), conditions("kubernetes_version"), conditions("nodes"), conditions("node_timeout")]).toEqual([1, 2, 3, 1]);
    expect((config.terraform as unknown as { required_version: string }).required_version).toBe(">= 1.9.0");
    const graph = JSON.stringify({ resource: config.resource, data: config.data });
    expect(graph).not.toMatch(/\bvar\./);
  });

  test("create talos machine secrets: talos_machine_secrets.this, with the version in its v form", () => {
    expect(Object.keys(config.resource.talos_machine_secrets)).toEqual(["this"]);
    expect(json).toHaveResourceWithProperties(MachineSecrets, {
      talos_version: "${local.inputs.talos_version}",
      lifecycle: { prevent_destroy: true },
    });
    expect(config.locals).toEqual({
      inputs: {
        talos_version: 'v${trimprefix(var.talos_version, "v")}',
        kubernetes_version: "${var.kubernetes_version}",
        nodes: "${var.nodes}",
        node_timeout: "${var.node_timeout}",
        talos_upgrade_stage: "${var.talos_upgrade_stage}",
        cilium_cli_image: "${var.cilium_cli_image}",
        secrets_backup_file: "${var.secrets_backup_file}",
        cluster_vip: "${var.cluster_vip}",
        admin_cert_validity_hours: "${var.admin_cert_validity_hours}",
        admin_cert_renewal_hours: "${var.admin_cert_renewal_hours}",
        health_timeout: "${var.health_timeout}",
        health_wait: "${var.health_wait}",
        etcd_backup_dir: "${var.etcd_backup_dir}",
        etcd_backup_keep: "${var.etcd_backup_keep}",
      },
    });
  });

  test("create talos client configuration: endpoints are the control planes, node is the first", () => {
    expect(Object.keys(config.data.talos_client_configuration)).toEqual(["this"]);
    expect(json).toHaveDataSourceWithProperties(DataTalosClientConfiguration, {
      client_configuration: ADMIN_CLIENT_CONFIGURATION,
      cluster_name: "cloudkoffer",
      endpoints: "${local.inputs.nodes.controlplane}",
      nodes: [FIRST_CONTROL_PLANE],
    });
  });

  test.each(["controlplane", "worker"] as const)(
    "create talos machine configuration: data.talos_machine_configuration.%s",
    (role) => {
      expect(json).toHaveDataSourceWithProperties(DataTalosMachineConfiguration, {
        // The VIP's, in brackets where it is IPv6.
        cluster_endpoint: 'https://${strcontains(local.inputs.cluster_vip, ":") ? format("[%s]", local.inputs.cluster_vip) : local.inputs.cluster_vip}:6443',
        cluster_name: "cloudkoffer",
        machine_secrets: "${talos_machine_secrets.this.machine_secrets}",
        machine_type: role,
        docs: false,
        examples: false,
        kubernetes_version: "${local.inputs.kubernetes_version}",
        talos_version: "${talos_machine_secrets.this.talos_version}",
      });
      expect(Object.keys(config.data.talos_machine_configuration).sort()).toEqual(["controlplane", "worker"]);
    },
  );

  test("patches: control planes get install + controlplane.yaml + all.yaml, workers install + all.yaml", () => {
    const [cpInstall, controlPlane, cpAll] = patchesOf("controlplane");
    const [workerInstall, workerAll] = patchesOf("worker");
    expect(patchesOf("controlplane")).toHaveLength(3);
    expect(patchesOf("worker")).toHaveLength(2);
    expect(controlPlane.cluster.apiServer.certSANs).toEqual(["${local.inputs.cluster_vip}", "kube.case.local"]);
    expect(cpAll).toEqual(workerAll);
    expect(cpAll.cluster.network.cni.name).toBe("none");
    expect(cpInstall).toEqual(workerInstall);
  });

  test(`install patch: disk ${profile.installDisk} and the installer of the requested Talos version`, () => {
    const [install] = patchesOf("worker");
    expect(install).toEqual({
      machine: { install: { disk: profile.installDisk, image: "ghcr.io/siderolabs/installer:${local.inputs.talos_version}" } },
    });
  });

  test("the VIP is bound by device selector, not by the interface name eth0", () => {
    const [, controlPlane] = patchesOf("controlplane");
    expect(controlPlane.machine.network.interfaces).toEqual([
      { deviceSelector: { physical: true }, mtu: 1500, dhcp: true, vip: { ip: "${local.inputs.cluster_vip}" } },
    ]);
    expect(json).not.toMatch(/interface:\s*eth0/);
  });

  test.each(["controlplane", "worker"] as const)(
    "apply talos machine configuration: talos_machine_configuration_apply.%s for each node",
    (role) => {
      expect(json).toHaveResourceWithProperties(MachineConfigurationApply, {
        for_each: `\${toset(local.inputs.nodes.${role})}`,
        client_configuration: ADMIN_CLIENT_CONFIGURATION,
        machine_configuration_input: `\${data.talos_machine_configuration.${role}.machine_configuration}`,
        node: "${each.key}",
        timeouts: { create: "${local.inputs.node_timeout}", update: "${local.inputs.node_timeout}" },
      });
      expect(Object.keys(config.resource.talos_machine_configuration_apply).sort()).toEqual(["controlplane", "worker"]);
    },
  );

  test("bootstrap kubernetes cluster: on the first control plane, after the control-plane applies", () => {
    expect(Object.keys(config.resource.talos_machine_bootstrap)).toEqual(["this"]);
    expect(json).toHaveResourceWithProperties(MachineBootstrap, {
      client_configuration: ADMIN_CLIENT_CONFIGURATION,
      node: FIRST_CONTROL_PLANE,
      depends_on: ["talos_machine_configuration_apply.controlplane"],
      timeouts: { create: "${local.inputs.node_timeout}" },
    });
  });

  test("retrieve kubeconfig: from the first control plane, only after bootstrap", () => {
    expect(Object.keys(config.data.talos_cluster_kubeconfig)).toEqual(["this"]);
    expect(json).toHaveDataSourceWithProperties(DataTalosClusterKubeconfig, {
      client_configuration: ADMIN_CLIENT_CONFIGURATION,
      node: FIRST_CONTROL_PLANE,
      depends_on: ["talos_machine_bootstrap.this"],
      timeouts: { read: "${local.inputs.node_timeout}" },
    });
  });

  test("the admin client certificate: ED25519, os:admin, signed with the OS CA of the secrets, renewed inside its window", () => {
    expect(config.resource.tls_private_key.admin).toMatchObject({ algorithm: "ED25519" });
    expect(config.resource.tls_cert_request.admin).toMatchObject({
      private_key_pem: "${tls_private_key.admin.private_key_pem}",
      subject: [{ common_name: "admin", organization: "os:admin" }],
    });
    expect(config.resource.tls_locally_signed_cert.admin).toMatchObject({
      cert_request_pem: "${tls_cert_request.admin.cert_request_pem}",
      ca_cert_pem: "${base64decode(talos_machine_secrets.this.machine_secrets.certs.os.cert)}",
      // Talos' PEM label of its PKCS#8 ED25519 key, made the standard one for the tls provider.
      ca_private_key_pem: '${replace(base64decode(talos_machine_secrets.this.machine_secrets.certs.os.key), "ED25519 ", "")}',
      validity_period_hours: "${local.inputs.admin_cert_validity_hours}",
      early_renewal_hours: "${local.inputs.admin_cert_renewal_hours}",
      allowed_uses: ["digital_signature", "client_auth"],
      // A Talos upgrade makes provider 0.5.0 recompute the secrets: that must not re-sign it.
      lifecycle: { ignore_changes: ["ca_cert_pem", "ca_private_key_pem"] },
    });
    // Nothing talks to the nodes with the certificate provider 0.5.0 signed once, for a year.
    expect(json).not.toContain("talos_machine_secrets.this.client_configuration");
  });

  test("the kubeconfig is kept as read, so plans stay empty; a renewed client certificate or bootstrap reads it again", () => {
    // The data source signs a new client certificate at every read, i.e. at every plan.
    expect(config.resource.null_resource.kubeconfig).toEqual({
      triggers:
        '${sensitive({"kubeconfig_raw" = data.talos_cluster_kubeconfig.this.kubeconfig_raw, ' +
        '"kubernetes_client_configuration" = jsonencode(data.talos_cluster_kubeconfig.this.kubernetes_client_configuration)})}',
      lifecycle: { ignore_changes: ["triggers"], replace_triggered_by: ["talos_machine_bootstrap.this", "tls_locally_signed_cert.admin"] },
    });
  });

  test("wait until the cluster is healthy: talos_cluster_health of every node, after the applies, the bootstrap and the kubeconfig", () => {
    expect(config.data.talos_cluster_health.this).toEqual({
      count: '${local.inputs.health_wait ? 1 : 0}',
      client_configuration: ADMIN_CLIENT_CONFIGURATION,
      endpoints: "${local.inputs.nodes.controlplane}",
      control_plane_nodes: "${local.inputs.nodes.controlplane}",
      worker_nodes: "${local.inputs.nodes.worker}",
      timeouts: { read: "${local.inputs.health_timeout}" },
      depends_on: ["talos_machine_configuration_apply.controlplane", "talos_machine_configuration_apply.worker", "talos_machine_bootstrap.this", "null_resource.kubeconfig"],
    });
  });

  test("maintenance: the Talos roll after every apply and the bootstrap, the Kubernetes upgrade after the roll", () => {
    const { talos_upgrade, kubernetes_upgrade } = config.resource.null_resource as Record<string, Record<string, unknown>>;
    expect(talos_upgrade.triggers).toEqual({ talos_version: "${local.inputs.talos_version}" });
    expect(talos_upgrade.depends_on).toEqual([
      "talos_machine_configuration_apply.controlplane",
      "talos_machine_configuration_apply.worker",
      "talos_machine_bootstrap.this",
      "null_resource.deployed",
      "data.talos_cluster_health.this",
    ]);
    expect(kubernetes_upgrade.triggers).toEqual({ kubernetes_version: "${local.inputs.kubernetes_version}" });
    expect(kubernetes_upgrade.depends_on).toEqual(["null_resource.talos_upgrade"]);
    const roll = (talos_upgrade.provisioner as { "local-exec": { environment: Record<string, string>; command: string } }[])[0]["local-exec"];
    expect(roll.environment).toEqual({
      TALOS_VERSION: "${local.inputs.talos_version}",
      INSTALLER_IMAGE: "ghcr.io/siderolabs/installer:${local.inputs.talos_version}",
      CONTROL_PLANES: '${join(" ", local.inputs.nodes.controlplane)}',
      WORKERS: '${join(" ", local.inputs.nodes.worker)}',
      STAGE: '${local.inputs.talos_upgrade_stage ? "true" : "false"}',
      INSTALLED_VERSION: '${lookup(null_resource.deployed.triggers, "talos_version", "unrecorded")}',
      FIRST_DEPLOY: '${(null_resource.deployed.triggers.plan_time == plantimestamp()) ? "true" : "false"}',
      TALOSCONFIG_CONTENT: "${nonsensitive(data.talos_client_configuration.this.talos_config)}",
      TALOSCTL_INSTALL: TALOSCTL_INSTALL_HINT,
      HEALTH_WAIT: '${local.inputs.health_wait ? "true" : "false"}',
      HEALTH_TIMEOUT: "${local.inputs.health_timeout}",
      STACK: `cloudkoffer-${version}`,
      BACKUP_DIR: "${local.inputs.etcd_backup_dir}",
      BACKUP_KEEP: "${local.inputs.etcd_backup_keep}",
      BACKUP_SEAL: "false",
    });
    // An etcd backup before the first node is touched; none, and the roll does not start.
    expect(roll.command).toContain("no etcd backup could be taken, so no node is upgraded");
    expect(roll.command).toContain('talosctl upgrade --image="$INSTALLER_IMAGE" --nodes="$node" --endpoints="$node"');
    // What the cluster was installed with: a resumed first deploy compares with it.
    expect(config.resource.null_resource.deployed).toMatchObject({
      triggers: {
        plan_time: "${plantimestamp()}",
        talos_version: "${local.inputs.talos_version}",
        kubernetes_version: "${local.inputs.kubernetes_version}",
      },
      lifecycle: { ignore_changes: ["triggers"] },
    });
  });

  test("the secrets are on disk twice before any node is configured, and a state without them adopts the backup", () => {
    const backup = config.resource.null_resource.secrets_backup as {
      triggers: Record<string, string>;
      provisioner: { "local-exec": { environment: Record<string, string>; command: string } }[];
    };
    expect(backup.triggers).toEqual({
      secrets: "${sha256(jsonencode(talos_machine_secrets.this.machine_secrets))}",
      file: "${local.inputs.secrets_backup_file}",
    });
    const write = backup.provisioner[0]["local-exec"];
    expect(write.environment.SECRETS_BACKUP_FILE).toBe("${local.inputs.secrets_backup_file}");
    expect(write.environment.SECRETS_YAML).toMatch(/^\$\{yamlencode\(\{"cluster" = \{"id" = talos_machine_secrets\.this\.machine_secrets\.cluster\.id,/);
    expect(write.command).toContain("umask 077");
    for (const role of ["controlplane", "worker"]) {
      expect(config.resource.talos_machine_configuration_apply[role].depends_on).toEqual(["null_resource.secrets_backup"]);
    }
    expect((config as unknown as { import: unknown[] }).import).toEqual([
      {
        for_each: "${fileexists(local.inputs.secrets_backup_file) ? toset([local.inputs.secrets_backup_file]) : toset([])}",
        to: "talos_machine_secrets.this",
        id: "${each.value}",
      },
    ]);
  });

  test("outputs: the seed's names, all sensitive", () => {
    expect(config.output).toEqual({
      talosconfig: expect.objectContaining({ value: "${data.talos_client_configuration.this.talos_config}", sensitive: true }),
      kubeconfig_raw: expect.objectContaining({ value: "${null_resource.kubeconfig.triggers.kubeconfig_raw}", sensitive: true }),
      kubeconfig: expect.objectContaining({
        value: "${jsondecode(null_resource.kubeconfig.triggers.kubernetes_client_configuration)}",
        sensitive: true,
      }),
      machineconfig_controlplane: expect.objectContaining({
        value: "${data.talos_machine_configuration.controlplane.machine_configuration}",
        sensitive: true,
      }),
      machineconfig_worker: expect.objectContaining({
        value: "${data.talos_machine_configuration.worker.machine_configuration}",
        sensitive: true,
      }),
    });
  });

  test("self-contained: a relative state path outside cdktf.out and no path of this machine", () => {
    expect(config.terraform.backend).toEqual({ local: { path: `../../../terraform.cloudkoffer-${version}.tfstate` } });
    expect(json).not.toContain(process.cwd());
    expect(json).not.toMatch(/"\$\{file\(/);
  });
});

test("the three versions differ only in their nodes and install disk", () => {
  const [v1, v2, v3] = CLOUDKOFFER_VERSIONS.map((version) => synthCloudkoffer(version).json);
  const neutral = (json: string, version: string) =>
    json
      .replace(new RegExp(`cloudkoffer-${version}`, "g"), "cloudkoffer-vX")
      .replace(/\/dev\/(sda|nvme0n1)/g, "DISK")
      .replace(/"worker": \[[^\]]*\]/, '"worker": WORKERS');
  expect(neutral(v2, "v2")).toBe(neutral(v3, "v3"));
  expect(neutral(v1, "v1")).toBe(neutral(v3, "v3"));
});

test("without Talos' schema at hand, synth warns that patches were checked for YAML only", () => {
  const app = testingApp();
  const stack = new CloudkofferStack(app, "cloudkoffer-v3", {
    profile: CLOUDKOFFER_PROFILES.v3,
    talosChecks: talosChecks({ schemaFile: "/nonexistent/config.schema.json" }),
  });
  const warnings = stack.node.metadata.filter((entry) => entry.type === "@cdktf/warn").map((entry) => entry.data);
  expect(warnings).toEqual([
    "patches not checked against Talos' schema: /nonexistent/config.schema.json is missing (npm run setup writes it)",
  ]);
});

test("every stack requires exactly the provider releases npm run providers builds from their pinned sources", () => {
  const cdktfJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, "cdktf.json"), "utf8")) as { terraformProviders: string[] };
  expect(cdktfJson.terraformProviders).toEqual([`${TALOS_PROVIDER_SOURCE.name}@${TALOS_PROVIDER_SOURCE.version}`]);
  for (const version of CLOUDKOFFER_VERSIONS) {
    const { config } = synthCloudkoffer(version);
    expect(config.terraform.required_providers).toEqual({
      talos: { source: TALOS_PROVIDER_SOURCE.name, version: TALOS_PROVIDER_SOURCE.version },
      null: { source: "null", version: NULL_PROVIDER_SOURCE.version },
      tls: { source: TLS_PROVIDER_SOURCE.name, version: TLS_PROVIDER_SOURCE.version },
    });
  }
});

describe("state encryption (OpenTofu)", () => {
  const encryption = (props: Partial<CloudkofferStackProps>) =>
    (synthCloudkoffer("v1", props).config.terraform as unknown as { encryption?: Record<string, unknown> }).encryption;

  test("passphrase: a pbkdf2 key from the sensitive var.state_passphrase, AES-GCM, enforced for state and plans; no passphrase in the JSON", () => {
    const { config, json } = synthCloudkoffer("v1", { engine: "tofu", stateEncryption: "passphrase" });
    expect(encryption({ engine: "tofu", stateEncryption: "passphrase" })).toEqual({
      key_provider: { pbkdf2: { main: { passphrase: "${var.state_passphrase}" } } },
      method: { aes_gcm: { main: { keys: "${key_provider.pbkdf2.main}" } } },
      // OpenTofu 1.10 reads the method as a bare reference in JSON.
      state: { method: "method.aes_gcm.main", enforced: true },
      plan: { method: "method.aes_gcm.main", enforced: true },
    });
    expect(config.variable.state_passphrase).toMatchObject({ type: "string", nullable: false, sensitive: true });
    expect(config.variable.state_passphrase).not.toHaveProperty("default");
    expect(json).not.toContain("correct horse");
  });

  test("the secrets backup is sealed with var.state_passphrase, and has no import block: the provider imports plain files only", () => {
    type Backup = { triggers: Record<string, string>; provisioner: { "local-exec": { command: string; environment: Record<string, string> } }[] };
    const synthesized = (props: Partial<CloudkofferStackProps>) => synthCloudkoffer("v1", props).config as unknown as Record<string, unknown> & {
      resource: { null_resource: Record<string, Backup> };
    };
    const sealed = synthesized({ engine: "tofu", stateEncryption: "passphrase" });
    const plain = synthesized({ engine: "tofu" });
    const sealedBackup = sealed.resource.null_resource.secrets_backup;
    expect(sealedBackup.provisioner[0]["local-exec"].environment).toMatchObject({ CLOUDKOFFER_SECRETS_PASSPHRASE: "${var.state_passphrase}" });
    expect(sealedBackup.provisioner[0]["local-exec"].command).toContain('| "$tool" seal -file "$SECRETS_BACKUP_FILE"');
    // Turning encryption on replaces the step: the plain file is sealed by the next deploy.
    expect(sealedBackup.triggers).toMatchObject({ sealed: "pbkdf2-sha512 aes-256-gcm" });
    expect(sealed.import).toBeUndefined();
    const plainBackup = plain.resource.null_resource.secrets_backup;
    expect(plainBackup.triggers).not.toHaveProperty("sealed");
    expect(JSON.stringify(plainBackup)).not.toContain("passphrase");
    expect(plain.import).toHaveLength(1);
  });

  test("moving a plain state to encryption: OpenTofu's fallback reads it once, unenforced", () => {
    expect(encryption({ engine: "tofu", stateEncryption: "passphrase", stateEncryptionMigration: true })).toMatchObject({
      method: { aes_gcm: { main: { keys: "${key_provider.pbkdf2.main}" } }, unencrypted: { migrate: {} } },
      state: { method: "method.aes_gcm.main", fallback: { method: "method.unencrypted.migrate" } },
    });
  });

  test("none unless asked for; with terraform, asking is an error that names the fix", () => {
    expect(encryption({})).toBeUndefined();
    expect(() => synthCloudkoffer("v1", { stateEncryption: "passphrase" })).toThrow(
      "cloudkoffer-v1: state encryption needs OpenTofu: terraform cannot encrypt state. Run with TERRAFORM_BINARY_NAME=tofu (or CLOUDKOFFER_ENGINE=tofu), or unset CLOUDKOFFER_STATE_ENCRYPTION",
    );
  });
});

describe("the dependency lock a stack carries", () => {
  /** The lock a full synth writes into the stack's folder. */
  const carried = (props: Partial<CloudkofferStackProps> = {}): string => {
    const app = testingApp();
    const stack = new CloudkofferStack(app, "cloudkoffer-v1", { profile: CLOUDKOFFER_PROFILES.v1, ...props });
    const outdir = Testing.fullSynth(stack);
    try {
      return readFileSync(path.join(outdir, "stacks", "cloudkoffer-v1", ".terraform.lock.hcl"), "utf8");
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  };
  const providers = (lock: string) => lock.match(/^provider "[^"]+"/gm);

  test("the committed official hashes, the entries of the engine's registry only", () => {
    expect(providers(carried())).toEqual([
      'provider "registry.terraform.io/hashicorp/null"',
      'provider "registry.terraform.io/hashicorp/tls"',
      'provider "registry.terraform.io/siderolabs/talos"',
    ]);
    expect(providers(carried({ engine: "tofu" }))).toEqual([
      'provider "registry.opentofu.org/hashicorp/null"',
      'provider "registry.opentofu.org/hashicorp/tls"',
      'provider "registry.opentofu.org/siderolabs/talos"',
    ]);
    expect(carried()).toBe(lockFor(readFileSync(OFFICIAL_PROVIDER_LOCK, "utf8"), "terraform"));
  });

  test("the mirror's own lock where terraform installs from the project's mirror; a missing one names the fix", () => {
    expect(providerLockFor({ TF_CLI_CONFIG_FILE: MIRROR_CLI_CONFIG })).toBe(MIRROR_PROVIDER_LOCK);
    expect(providerLockFor({ TF_CLI_CONFIG_FILE: "/home/user/.terraformrc" })).toBe(OFFICIAL_PROVIDER_LOCK);
    expect(providerLockFor({})).toBe(OFFICIAL_PROVIDER_LOCK);
    expect(() => carried({ providerLockFile: "/nonexistent/terraform.lock.hcl" })).toThrow(
      "the provider lock /nonexistent/terraform.lock.hcl does not exist",
    );
  });
});
