import * as path from "path";
import { Annotations, LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { TalosProvider } from "../.gen/providers/talos/provider";
import { CloudkofferProfile } from "./cloudkoffer-profile";
import { ClusterVariables } from "./cluster-variables";
import { installPatch } from "./install-patch";
import { DEFAULT_NODE_TIMEOUT, TalosCluster } from "./talos-cluster";
import { DEFAULT_TALOS_CONFIG_SCHEMA, TalosConfigSchema } from "./talos-config-schema";
import { readTalosPatch, terraformLiteral } from "./talos-patch";

/** The Talos version the seed installs. */
export const DEFAULT_TALOS_VERSION = "v1.7.4";
/** The Kubernetes version the seed installs. */
export const DEFAULT_KUBERNETES_VERSION = "1.30.1";
/** The siderolabs/talos release the bindings in .gen/ were generated for (cdktf.json). */
export const TALOS_PROVIDER_VERSION = "0.5.0";
/** The folder of the patch files users edit. */
export const DEFAULT_PATCHES_DIRECTORY = path.join(__dirname, "..", "patches");

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
   * URL of the Kubernetes API.
   * @default "https://192.168.1.101:6443"
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
   * Exact siderolabs/talos release the stack requires. Another release than
   * the one the bindings were generated for is a deliberate choice (e.g. the
   * stand-in that `npm run providers` builds where 0.5.0 is not served), so
   * synth warns about it.
   * @default "0.5.0"
   */
  readonly talosProviderVersion?: string;
  /**
   * Talos' machine-configuration JSON schema that every patch is checked
   * against at synth. When the file is missing, synth warns and checks only
   * the YAML and the top-level sections.
   * @default `.build/talos/config.schema.json`, written by `npm run setup`
   */
  readonly talosConfigSchemaFile?: string;
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

  constructor(scope: Construct, id: string, props: CloudkofferStackProps) {
    super(scope, id);
    const patchesDirectory = props.patchesDirectory ?? DEFAULT_PATCHES_DIRECTORY;
    const schemaFile = props.talosConfigSchemaFile ?? DEFAULT_TALOS_CONFIG_SCHEMA;
    const schema = TalosConfigSchema.load(schemaFile);
    if (!schema) {
      Annotations.of(this).addWarning(
        `patches not checked against Talos' schema: ${schemaFile} is missing (npm run setup writes it)`,
      );
    }
    const patchesFrom = (files: readonly string[]): string[] =>
      files.map((file) => terraformLiteral(readTalosPatch(path.resolve(patchesDirectory, file), { schema }).yaml));
    const controlPlanePatches = patchesFrom(props.controlPlanePatchFiles ?? ["controlplane.yaml", "all.yaml"]);
    const workerPatches = patchesFrom(props.workerPatchFiles ?? ["all.yaml"]);

    new LocalBackend(this, { path: props.statePath ?? `../../../terraform.${id}.tfstate` });
    new TalosProvider(this, "talos");
    const talosProviderVersion = props.talosProviderVersion ?? TALOS_PROVIDER_VERSION;
    if (!/^\d+\.\d+\.\d+$/.test(talosProviderVersion)) {
      throw new Error(
        `${id}: siderolabs/talos provider version "${talosProviderVersion}" is not an exact release such as ${TALOS_PROVIDER_VERSION}`,
      );
    }
    if (talosProviderVersion !== TALOS_PROVIDER_VERSION) {
      this.addOverride("terraform.required_providers.talos.version", talosProviderVersion);
      Annotations.of(this).addWarning(
        `requires siderolabs/talos ${talosProviderVersion}; the bindings were generated for ${TALOS_PROVIDER_VERSION}`,
      );
    }

    this.variables = new ClusterVariables(this, "variables", {
      talosVersion: props.talosVersion ?? DEFAULT_TALOS_VERSION,
      kubernetesVersion: props.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION,
      controlPlanes: props.profile.controlPlanes,
      workers: props.profile.workers,
      nodeTimeout: DEFAULT_NODE_TIMEOUT,
    });

    const install = installPatch(props.profile.installDisk, this.variables.talosVersion);
    this.cluster = new TalosCluster(this, "cluster", {
      clusterName: props.clusterName,
      clusterEndpoint: props.clusterEndpoint,
      talosVersion: this.variables.talosVersion,
      kubernetesVersion: this.variables.kubernetesVersion,
      controlPlaneNodes: this.variables.controlPlaneNodes,
      workerNodes: this.variables.workerNodes,
      controlPlanePatches: [install, ...controlPlanePatches],
      workerPatches: [install, ...workerPatches],
      nodeTimeout: this.variables.nodeTimeout,
    });

    // Outputs keep the seed's names; every one of them carries credentials.
    const output = (name: string, value: unknown, description: string) =>
      new TerraformOutput(this, name, { value, description, sensitive: true });
    output("talosconfig", this.cluster.clientConfiguration.talosConfig, "talosconfig for talosctl (endpoints: the control planes).");
    const adminKubeconfig = this.cluster.adminKubeconfig.output;
    output("kubeconfig_raw", adminKubeconfig.lookup("kubeconfig_raw"), "Admin kubeconfig of the cluster.");
    output(
      "kubeconfig",
      adminKubeconfig.lookup("kubernetes_client_configuration"),
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
