import * as path from "path";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { TalosProvider } from "../.gen/providers/talos/provider";
import { CloudkofferProfile } from "./cloudkoffer-profile";
import { ClusterVariables } from "./cluster-variables";
import { installPatch } from "./install-patch";
import { TalosCluster } from "./talos-cluster";
import { readTalosPatch, terraformLiteral } from "./talos-patch";

/** The Talos version the seed installs. */
export const DEFAULT_TALOS_VERSION = "v1.7.4";
/** The Kubernetes version the seed installs. */
export const DEFAULT_KUBERNETES_VERSION = "1.30.1";
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
    const patchesFrom = (files: readonly string[]): string[] =>
      files.map((file) => terraformLiteral(readTalosPatch(path.resolve(patchesDirectory, file)).yaml));
    const controlPlanePatches = patchesFrom(props.controlPlanePatchFiles ?? ["controlplane.yaml", "all.yaml"]);
    const workerPatches = patchesFrom(props.workerPatchFiles ?? ["all.yaml"]);

    new LocalBackend(this, { path: props.statePath ?? `../../../terraform.${id}.tfstate` });
    new TalosProvider(this, "talos");

    this.variables = new ClusterVariables(this, "variables", {
      talosVersion: props.talosVersion ?? DEFAULT_TALOS_VERSION,
      kubernetesVersion: props.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION,
      controlPlanes: props.profile.controlPlanes,
      workers: props.profile.workers,
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
    });

    // Outputs keep the seed's names; every one of them carries credentials.
    const output = (name: string, value: unknown, description: string) =>
      new TerraformOutput(this, name, { value, description, sensitive: true });
    output("talosconfig", this.cluster.clientConfiguration.talosConfig, "talosconfig for talosctl (endpoints: the control planes).");
    output("kubeconfig_raw", this.cluster.kubeconfig.kubeconfigRaw, "Admin kubeconfig of the cluster.");
    output(
      "kubeconfig",
      this.cluster.kubeconfig.kubernetesClientConfiguration,
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
