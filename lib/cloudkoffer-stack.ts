import { isIP } from "net";
import { Annotations, Fn, LocalBackend, PgBackend, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import { TalosProvider } from "../.gen/providers/talos/provider";
import { CloudkofferProfile, defaultStatePath } from "./cloudkoffer-profile";
import { ClusterHealth, DEFAULT_HEALTH_TIMEOUT } from "./cluster-health";
import { DEFAULT_ETCD_BACKUP_DIR } from "./etcd-backups";
import { clusterEndpointOf, ClusterVariables, DEFAULT_CILIUM_CLI_IMAGE, DEFAULT_CLUSTER_VIP } from "./cluster-variables";
import { MachineConfigPatches } from "./machine-config-patches";
import { PatchPipeline, ValidationVersions } from "./patch-pipeline";
import { TalosChecks } from "./talos-checks";
import { projectPath } from "./project-paths";
import { ProviderLock } from "./provider-lock";
import { defaultSecretsBackupPath } from "./secrets-backup";
import { DEFAULT_CLUSTER_NAME, DEFAULT_NODE_TIMEOUT, TalosCluster } from "./talos-cluster";
import { StateEncryption, STATE_ENCRYPTIONS, StateEncryptionKind } from "./state-encryption";
import { TalosMaintenance } from "./talos-maintenance";
import { DEFAULT_KUBERNETES_VERSION, DEFAULT_TALOS_VERSION } from "./talos-versions";
import { Engine } from "./terraform-engine";
import { VERSION_PATTERN } from "./variable-validations";

export { DEFAULT_KUBERNETES_VERSION, DEFAULT_TALOS_VERSION };
/** The folder of the patch files users edit. */
export const DEFAULT_PATCHES_DIRECTORY = projectPath("patches");

/** The state backends a stack can use. */
export const STATE_BACKENDS = ["local", "pg"] as const;
/** A state backend: `local` or `pg`. */
export type StateBackend = (typeof STATE_BACKENDS)[number];

/** Properties of a {@link CloudkofferStack}. */
export interface CloudkofferStackProps {
  /** The Cloudkoffer hardware: default nodes and install disk. */
  readonly profile: CloudkofferProfile;
  /**
   * Default of the `talos_version` variable, with or without the leading "v".
   * @default "v1.7.4"
   */
  readonly talosVersion?: string;
  /**
   * Default of the `kubernetes_version` variable.
   * @default "1.30.1"
   */
  readonly kubernetesVersion?: string;
  /**
   * Name of the Talos Kubernetes cluster.
   * @default "cloudkoffer"
   */
  readonly clusterName?: string;
  /**
   * Default of the `cluster_vip` variable: the control planes' shared virtual
   * IP, which the Kubernetes API endpoint, the API server's certificate SAN and
   * the VIP of `controlplane.yaml` (`{{ cluster_vip }}`) follow.
   * @default "192.168.1.101"
   */
  readonly clusterVip?: string;
  /**
   * URL of the Kubernetes API, where it is not the VIP's (e.g. a DNS name).
   * @default "https://<cluster_vip>:6443"
   */
  readonly clusterEndpoint?: string;
  /**
   * Folder of the patch files.
   * @default the project's `patches/` folder
   */
  readonly patchesDirectory?: string;
  /**
   * Patch files for control planes, relative to `patchesDirectory`, applied in order
   * after the install patch.
   * @default ["controlplane.yaml", "all.yaml"]
   */
  readonly controlPlanePatchFiles?: readonly string[];
  /**
   * Patch files for workers, relative to `patchesDirectory`, applied in order
   * after the install patch.
   * @default ["all.yaml"]
   */
  readonly workerPatchFiles?: readonly string[];
  /**
   * Path of the local state file as Terraform sees it from the synthesized
   * stack folder (`cdktf.out/stacks/<stack>`). Kept relative so that the
   * synthesized JSON names no path of this machine and the state outlives
   * `cdktf.out`.
   * @default "../../../terraform.<stack>.tfstate" (the project root)
   */
  readonly statePath?: string;
  /**
   * Where the state lives: `local` (a file, see statePath) or `pg`, Terraform's
   * PostgreSQL backend, which locks the state so that a team can share a
   * cluster. With `pg` the connection string comes from the environment
   * (PG_CONN_STR, password e.g. in PGPASSWORD), never from the synthesized
   * JSON; each stack has its own schema (`cloudkoffer_v3`).
   * @default "local"
   */
  readonly backend?: StateBackend;
  /**
   * What checks the patches against Talos itself at synth: Talos' schema for
   * each patch, and Talos' own validation of the merged configurations, which
   * decides what stops the synth (main.ts gives the one backed by
   * `.build/talos/config.schema.json` and `.build/bin/cloudkoffer-talos`).
   * @default no checks against Talos: synth warns, and checks the YAML, the
   * top-level sections, references and interface names only
   */
  readonly talosChecks?: TalosChecks;
  /**
   * Where the cluster secrets are backed up (Talos' secrets.yaml) before any
   * node is configured, and adopted from when the state has none; default of
   * the `secrets_backup_file` variable, relative to the synthesized stack folder.
   * @default "../../../terraform.<stack>.secrets.yaml" (beside the default local state)
   */
  readonly secretsBackupFile?: string;
  /**
   * Refuse to destroy or replace the cluster secrets. Turn it off only to
   * destroy a cluster for good, after `npm run secrets -- export <stack>`.
   * @default true
   */
  readonly protectSecrets?: boolean;
  /**
   * The engine the stack is synthesized for; state encryption needs OpenTofu.
   * @default "terraform"
   */
  readonly engine?: Engine;
  /**
   * Encrypt the state and saved plans at rest (OpenTofu only): `passphrase`,
   * the key derived from `var.state_passphrase` (TF_VAR_state_passphrase).
   * @default no encryption
   */
  readonly stateEncryption?: StateEncryptionKind;
  /**
   * With stateEncryption: read a state that is not encrypted yet, once, to
   * move it to encryption (OpenTofu's fallback).
   * @default false
   */
  readonly stateEncryptionMigration?: boolean;
  /**
   * The dependency lock the stack carries into its synthesized folder
   * (`.terraform.lock.hcl`), so that terraform installs only the pinned
   * provider binaries.
   * @default the committed lock with the official releases' hashes (lib/provider-lock.ts)
   */
  readonly providerLockFile?: string;
}

/**
 * One Cloudkoffer's Talos cluster as a Terraform stack: the seed's variables,
 * graph and outputs, with patches read from `patches/`.
 */
export class CloudkofferStack extends TerraformStack {
  /** The cluster graph. */
  readonly cluster: TalosCluster;
  /** The stack's variables (`talos_version`, `kubernetes_version`, `nodes`). */
  readonly variables: ClusterVariables;
  /** The wait for the cluster to be healthy. */
  readonly health: ClusterHealth;

  /** The stack's patches, per role. */
  readonly patches: MachineConfigPatches;
  /** Reading, checking and validating the patches (asked at synth). */
  readonly patchPipeline: PatchPipeline;
  private readonly clusterName: string;

  constructor(scope: Construct, id: string, props: CloudkofferStackProps) {
    super(scope, id);
    checkProps(id, props);
    this.clusterName = props.clusterName ?? DEFAULT_CLUSTER_NAME;
    const clusterVip = props.clusterVip ?? DEFAULT_CLUSTER_VIP;

    const defaults: ValidationVersions = {
      talosVersion: props.talosVersion ?? DEFAULT_TALOS_VERSION,
      kubernetesVersion: props.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION,
    };
    this.patchPipeline = new PatchPipeline(
      {
        stackName: id,
        clusterName: this.clusterName,
        clusterEndpoint: props.clusterEndpoint ?? clusterEndpointOf(clusterVip),
        directory: props.patchesDirectory ?? DEFAULT_PATCHES_DIRECTORY,
        controlPlaneFiles: props.controlPlanePatchFiles ?? ["controlplane.yaml", "all.yaml"],
        workerFiles: props.workerPatchFiles ?? ["all.yaml"],
        installDisk: props.profile.installDisk,
        placeholders: { cilium_cli_image: DEFAULT_CILIUM_CLI_IMAGE, cluster_vip: clusterVip },
        talos: props.talosChecks,
      },
      defaults.talosVersion,
    );
    this.patches = this.patchPipeline.patches;
    for (const warning of this.patchPipeline.readWarnings) Annotations.of(this).addWarning(warning);
    // What a node would say of the merged configurations, asked at synth: a patch Talos rejects
    // stops the deploy before any node is touched; where only Talos' schema is stricter, synth warns.
    this.node.addValidation({
      validate: () => {
        const verdict = this.patchPipeline.judge(defaults);
        for (const warning of verdict.warnings) Annotations.of(this).addWarning(warning);
        return [...verdict.errors];
      },
    });

    if ((props.backend ?? "local") === "pg") {
      new PgBackend(this, { connStr: "", schemaName: id.replace(/[^a-z0-9]/g, "_") });
      // Unset, terraform reads PG_CONN_STR: the credentials stay out of the JSON.
      this.addOverride("terraform.backend.pg.conn_str", undefined);
    } else {
      new LocalBackend(this, { path: props.statePath ?? defaultStatePath(id) });
    }
    const encryption =
      props.stateEncryption === undefined ? undefined : new StateEncryption(this, { kind: props.stateEncryption, migrateFromPlain: props.stateEncryptionMigration });
    // Variable validations read other variables and name the values: Terraform 1.9 and later.
    this.addOverride("terraform.required_version", ">= 1.9.0");
    // The bindings require the releases they were generated for: siderolabs/talos 0.5.0, hashicorp/null 3.2.4, hashicorp/tls 4.1.0.
    new TalosProvider(this, "talos");
    new NullProvider(this, "null");
    new TlsProvider(this, "tls");
    new ProviderLock(this, "provider-lock", { file: props.providerLockFile, engine: props.engine });

    this.variables = new ClusterVariables(this, "variables", {
      ...defaults,
      controlPlanes: props.profile.controlPlanes,
      workers: props.profile.workers,
      nodeTimeout: DEFAULT_NODE_TIMEOUT,
      healthTimeout: DEFAULT_HEALTH_TIMEOUT,
      etcdBackupDir: DEFAULT_ETCD_BACKUP_DIR,
      secretsBackupFile: props.secretsBackupFile ?? defaultSecretsBackupPath(id),
      clusterVip,
    });

    const patches = this.patches.forTerraform(this.variables.talosVersion, this.variables.patchPlaceholders);
    this.cluster = new TalosCluster(this, "cluster", {
      clusterName: this.clusterName,
      clusterEndpoint: props.clusterEndpoint ?? this.variables.clusterEndpoint,
      talosVersion: this.variables.talosVersion,
      kubernetesVersion: this.variables.kubernetesVersion,
      controlPlaneNodes: this.variables.controlPlaneNodes,
      workerNodes: this.variables.workerNodes,
      controlPlanePatches: patches.controlPlane,
      workerPatches: patches.worker,
      nodeTimeout: this.variables.nodeTimeout,
      protectSecrets: props.protectSecrets,
      secretsBackupFile: this.variables.secretsBackupFile,
      // The secrets backup is encrypted at rest as the state is.
      sealSecretsBackupWith: encryption?.passphrase.stringValue,
      adminCertValidityHours: this.variables.adminCertValidityHours,
      adminCertRenewalHours: this.variables.adminCertRenewalHours,
    });

    // The seed's last step: wait until the cluster is healthy.
    this.health = new ClusterHealth(this, "health", {
      clientConfiguration: this.cluster.adminCertificate.clientConfiguration,
      controlPlaneNodes: this.variables.controlPlaneNodes,
      workerNodes: this.variables.workerNodes,
      timeout: this.variables.healthTimeout,
      wait: this.variables.healthWait,
      deployedAfter: [this.cluster.controlPlaneApply, this.cluster.workerApply, this.cluster.bootstrap, this.cluster.adminKubeconfig],
    });

    new TalosMaintenance(this, "maintenance", {
      talosVersion: this.variables.talosVersion,
      kubernetesVersion: this.variables.kubernetesVersion,
      controlPlaneNodes: this.variables.controlPlaneNodes,
      workerNodes: this.variables.workerNodes,
      talosconfig: this.cluster.clientConfiguration.talosConfig,
      stage: this.variables.talosUpgradeStage,
      deployedAfter: [this.cluster.controlPlaneApply, this.cluster.workerApply, this.cluster.bootstrap],
      healthy: this.health.check,
      healthTimeout: this.variables.healthTimeout,
      healthWait: this.variables.healthWait,
      stackName: id,
      etcdBackupDir: this.variables.etcdBackupDir,
      etcdBackupKeep: this.variables.etcdBackupKeep,
      sealBackups: props.stateEncryption !== undefined,
    });

    // Outputs keep the seed's names; every one of them carries credentials.
    const output = (name: string, value: unknown, description: string) =>
      new TerraformOutput(this, name, { value, description, sensitive: true });
    output("talosconfig", this.cluster.clientConfiguration.talosConfig, "talosconfig for talosctl (endpoints: the control planes).");
    const adminKubeconfig = this.cluster.adminKubeconfig.triggers;
    output("kubeconfig_raw", Fn.lookup(adminKubeconfig, "kubeconfig_raw"), "Admin kubeconfig of the cluster.");
    output(
      "kubeconfig",
      Fn.jsondecode(Fn.lookup(adminKubeconfig, "kubernetes_client_configuration")),
      "Admin client configuration: host, CA certificate, client certificate and key.",
    );
    output(
      "machineconfig_controlplane",
      this.cluster.controlPlaneConfiguration.machineConfiguration,
      "Machine configuration applied to the control planes.",
    );
    output("machineconfig_worker", this.cluster.workerConfiguration.machineConfiguration, "Machine configuration applied to the workers.");
  }
}

/** Rejects props that cannot make a cluster, naming the stack and the prop. */
function checkProps(id: string, props: CloudkofferStackProps): void {
  const fail = (what: string) => {
    throw new Error(`${id}: ${what}`);
  };
  if (props.backend !== undefined && !STATE_BACKENDS.includes(props.backend)) {
    fail(`state backend "${props.backend}" is none of ${STATE_BACKENDS.join(", ")}`);
  }
  if (props.stateEncryption !== undefined) {
    if (!STATE_ENCRYPTIONS.includes(props.stateEncryption)) {
      fail(`state encryption "${props.stateEncryption}" is none of ${STATE_ENCRYPTIONS.join(", ")} (CLOUDKOFFER_STATE_ENCRYPTION)`);
    }
    if ((props.engine ?? "terraform") !== "tofu") {
      fail(
        "state encryption needs OpenTofu: terraform cannot encrypt state. Run with TERRAFORM_BINARY_NAME=tofu (or CLOUDKOFFER_ENGINE=tofu), or unset CLOUDKOFFER_STATE_ENCRYPTION",
      );
    }
  }
  const version = new RegExp(VERSION_PATTERN);
  if (props.talosVersion !== undefined && !version.test(props.talosVersion)) {
    fail(`talosVersion "${props.talosVersion}" is not a version such as 1.7.4 or v1.7.4`);
  }
  if (props.kubernetesVersion !== undefined && !version.test(props.kubernetesVersion)) {
    fail(`kubernetesVersion "${props.kubernetesVersion}" is not a version such as 1.30.1`);
  }
  if (props.clusterName !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(props.clusterName)) {
    fail(`clusterName "${props.clusterName}" is not a DNS label (lower-case letters, digits and "-")`);
  }
  if (props.clusterVip !== undefined && isIP(props.clusterVip) === 0) {
    fail(`clusterVip "${props.clusterVip}" is not an IPv4 or IPv6 address such as 192.168.1.101`);
  }
  if (props.clusterEndpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(props.clusterEndpoint);
    } catch {
      url = undefined;
    }
    if (!url || url.protocol !== "https:" || !url.hostname) {
      fail(`clusterEndpoint "${props.clusterEndpoint}" is not an https URL such as https://192.168.1.101:6443`);
    }
  }
  const { controlPlanes, workers, installDisk } = props.profile;
  if (controlPlanes.length === 0) {
    fail(`profile ${props.profile.version} has no control plane`);
  }
  const seen = new Set<string>();
  for (const address of [...controlPlanes, ...workers]) {
    if (isIP(address) === 0) fail(`profile ${props.profile.version}: "${address}" is not an IPv4 or IPv6 address`);
    if (seen.has(address)) fail(`profile ${props.profile.version}: ${address} is listed twice`);
    seen.add(address);
  }
  if (!/^\/dev\/\S+$/.test(installDisk)) {
    fail(`profile ${props.profile.version}: install disk "${installDisk}" is not a device path such as /dev/sda`);
  }
}
