import { Resource } from "@cdktf/provider-null/lib/resource";
import { Fn, TerraformIterator } from "cdktf";
import { Construct } from "constructs";
import { DataTalosClientConfiguration } from "../.gen/providers/talos/data-talos-client-configuration";
import { DataTalosClusterKubeconfig } from "../.gen/providers/talos/data-talos-cluster-kubeconfig";
import { DataTalosMachineConfiguration } from "../.gen/providers/talos/data-talos-machine-configuration";
import { MachineBootstrap } from "../.gen/providers/talos/machine-bootstrap";
import { MachineConfigurationApply } from "../.gen/providers/talos/machine-configuration-apply";
import { MachineSecrets } from "../.gen/providers/talos/machine-secrets";
import { AdminClientCertificate, DEFAULT_ADMIN_CERT_RENEWAL_HOURS, DEFAULT_ADMIN_CERT_VALIDITY_HOURS } from "./admin-client-certificate";
import { SecretsBackup } from "./secrets-backup";
import { Address, ADDRESSES } from "./addresses";
import { addressOf, atAddress } from "./terraform-address";

/** The default cluster name, as in the seed. */
export const DEFAULT_CLUSTER_NAME = "cloudkoffer";
/** How long the provider waits for a node by default (its own default). */
export const DEFAULT_NODE_TIMEOUT = "10m";

/** Properties of a {@link TalosCluster}. */
export interface TalosClusterProps {
  /**
   * Name of the Talos Kubernetes cluster.
   * @default "cloudkoffer"
   */
  readonly clusterName?: string;
  /** URL of the Kubernetes API that every node is configured with, e.g. `https://192.168.1.101:6443` (a token). */
  readonly clusterEndpoint: string;
  /** Talos version with its leading "v", e.g. `v1.7.4` (provider 0.5.0 rejects `1.7.4`). */
  readonly talosVersion: string;
  /** Kubernetes version, e.g. `1.30.1`. */
  readonly kubernetesVersion: string;
  /** Control-plane node addresses; the first one is bootstrapped. */
  readonly controlPlaneNodes: string[];
  /** Worker node addresses. */
  readonly workerNodes: string[];
  /** Machine-config patches (YAML, Terraform-escaped) for control planes, applied in order. */
  readonly controlPlanePatches: string[];
  /** Machine-config patches (YAML, Terraform-escaped) for workers, applied in order. */
  readonly workerPatches: string[];
  /**
   * How long the provider waits for a node's Talos API when it applies a
   * configuration, bootstraps or reads the kubeconfig (a Go duration; a
   * node that is down fails the deploy after this long).
   * @default "10m"
   */
  readonly nodeTimeout?: string;
  /**
   * Refuse to destroy or replace `talos_machine_secrets.this` (Terraform's
   * prevent_destroy). Losing the secrets locks the owner out of the cluster.
   * @default true
   */
  readonly protectSecrets?: boolean;
  /**
   * Where the secrets are backed up before any node is configured, and adopted
   * from into a state without them, relative to the working directory (see
   * {@link SecretsBackup}).
   */
  readonly secretsBackupFile: string;
  /**
   * The state's passphrase when the state is encrypted: the secrets backup is
   * sealed with it (see {@link SecretsBackup}).
   * @default a plain secrets.yaml
   */
  readonly sealSecretsBackupWith?: string;
  /**
   * How long the admin client certificate is valid, in hours (a number token allowed).
   * @default 8760
   */
  readonly adminCertValidityHours?: number;
  /**
   * How long before it expires any deploy renews the admin client certificate, in hours.
   * @default 720
   */
  readonly adminCertRenewalHours?: number;
}

/**
 * A Talos Linux Kubernetes cluster on bare metal, in the seed's steps:
 * machine secrets, client and machine configurations, a configuration apply
 * per node, bootstrap of the first control plane, then the kubeconfig.
 *
 * The Terraform addresses are the seed's (`talos_machine_secrets.this`,
 * `talos_machine_configuration_apply.controlplane["<node>"]`, ...), so a
 * state made with the seed's plain Terraform keeps working. For that reason
 * a stack holds at most one TalosCluster.
 */
export class TalosCluster extends Construct {
  /** `talos_machine_secrets.this`: the cluster PKI and tokens. */
  readonly machineSecrets: MachineSecrets;
  /** `null_resource.secrets_backup` and the import block that adopts the backup. */
  readonly secretsBackup: SecretsBackup;
  /** The admin client certificate every talos resource talks to the nodes with, renewed before it expires. */
  readonly adminCertificate: AdminClientCertificate;
  /** `data.talos_client_configuration.this`: the talosconfig. */
  readonly clientConfiguration: DataTalosClientConfiguration;
  /** `data.talos_machine_configuration.controlplane`. */
  readonly controlPlaneConfiguration: DataTalosMachineConfiguration;
  /** `data.talos_machine_configuration.worker`. */
  readonly workerConfiguration: DataTalosMachineConfiguration;
  /** `talos_machine_configuration_apply.controlplane`, one instance per control plane. */
  readonly controlPlaneApply: MachineConfigurationApply;
  /** `talos_machine_configuration_apply.worker`, one instance per worker. */
  readonly workerApply: MachineConfigurationApply;
  /** `talos_machine_bootstrap.this`: etcd bootstrap on the first control plane. */
  readonly bootstrap: MachineBootstrap;
  /** `data.talos_cluster_kubeconfig.this`: reads the admin kubeconfig from the first control plane. */
  readonly kubeconfig: DataTalosClusterKubeconfig;
  /**
   * `null_resource.kubeconfig`: the admin kubeconfig as first read (triggers
   * `kubeconfig_raw`, and `kubernetes_client_configuration` as JSON). The data
   * source signs a new client certificate at every read (every plan), which
   * would change the outputs on every run; this keeps the one read until the
   * admin client certificate renews or bootstrap is replaced (or
   * `-replace=null_resource.kubeconfig`, which npm run deploy adds when its
   * own certificate nears expiry).
   */
  readonly adminKubeconfig: Resource;

  constructor(scope: Construct, id: string, props: TalosClusterProps) {
    super(scope, id);
    const clusterName = props.clusterName ?? DEFAULT_CLUSTER_NAME;
    const clusterEndpoint = props.clusterEndpoint;
    const firstControlPlane = Fn.element(props.controlPlaneNodes, 0);
    const nodeTimeout = props.nodeTimeout ?? DEFAULT_NODE_TIMEOUT;

    this.machineSecrets = atAddress(
      new MachineSecrets(this, "machine-secrets", {
        talosVersion: props.talosVersion,
        // Losing the secrets locks the owner out of the cluster: no destroy, no replacement.
        lifecycle: { preventDestroy: props.protectSecrets ?? true },
      }),
      ADDRESSES.machineSecrets,
    );
    // Not the secrets' own client_configuration: provider 0.5.0 signs that once, for a year.
    this.adminCertificate = new AdminClientCertificate(this, "admin-certificate", {
      machineSecrets: this.machineSecrets,
      validityHours: props.adminCertValidityHours ?? DEFAULT_ADMIN_CERT_VALIDITY_HOURS,
      renewalHours: props.adminCertRenewalHours ?? DEFAULT_ADMIN_CERT_RENEWAL_HOURS,
    });
    const clientConfiguration = this.adminCertificate.clientConfiguration;
    this.secretsBackup = new SecretsBackup(this, "secrets-backup", {
      machineSecrets: this.machineSecrets,
      file: props.secretsBackupFile,
      sealedWith: props.sealSecretsBackupWith,
    });

    this.clientConfiguration = atAddress(
      new DataTalosClientConfiguration(this, "client-configuration", {
        clientConfiguration,
        clusterName,
        // The VIP comes up only after bootstrap: talk to the control planes themselves.
        endpoints: props.controlPlaneNodes,
        nodes: [firstControlPlane],
      }),
      ADDRESSES.clientConfiguration,
    );

    const machineConfiguration = (id: string, machineType: "controlplane" | "worker", configPatches: string[]) =>
      atAddress(
        new DataTalosMachineConfiguration(this, id, {
          clusterEndpoint,
          clusterName,
          machineSecrets: this.machineSecrets.machineSecrets,
          machineType,
          configPatches,
          docs: false,
          examples: false,
          kubernetesVersion: props.kubernetesVersion,
          talosVersion: this.machineSecrets.talosVersion,
        }),
        machineType === "controlplane" ? ADDRESSES.controlPlaneConfiguration : ADDRESSES.workerConfiguration,
      );
    this.controlPlaneConfiguration = machineConfiguration(
      "controlplane-configuration",
      "controlplane",
      props.controlPlanePatches,
    );
    this.workerConfiguration = machineConfiguration("worker-configuration", "worker", props.workerPatches);

    const apply = (id: string, address: Address, nodes: string[], configuration: DataTalosMachineConfiguration) => {
      const node = TerraformIterator.fromList(nodes);
      return atAddress(
        new MachineConfigurationApply(this, id, {
          forEach: node,
          clientConfiguration,
          machineConfigurationInput: configuration.machineConfiguration,
          nodeAttribute: node.key,
          timeouts: { create: nodeTimeout, update: nodeTimeout },
          // No node receives a configuration before its secrets are on disk twice.
          dependsOn: [this.secretsBackup.resource],
        }),
        address,
      );
    };
    this.controlPlaneApply = apply("controlplane-apply", ADDRESSES.controlPlaneApply, props.controlPlaneNodes, this.controlPlaneConfiguration);
    this.workerApply = apply("worker-apply", ADDRESSES.workerApply, props.workerNodes, this.workerConfiguration);

    this.bootstrap = atAddress(
      new MachineBootstrap(this, "bootstrap", {
        clientConfiguration,
        nodeAttribute: firstControlPlane,
        dependsOn: [this.controlPlaneApply],
        timeouts: { create: nodeTimeout },
      }),
      ADDRESSES.bootstrap,
    );

    this.kubeconfig = atAddress(
      new DataTalosClusterKubeconfig(this, "kubeconfig", {
        clientConfiguration,
        nodeAttribute: firstControlPlane,
        // Without this ordering the data source is read before bootstrap and
        // retries for up to ten minutes.
        dependsOn: [this.bootstrap],
        timeouts: { read: nodeTimeout },
      }),
      ADDRESSES.kubeconfig,
    );

    this.adminKubeconfig = atAddress(
      new Resource(this, "admin-kubeconfig", {
        // A null_resource, not terraform_data: terraform_data keeps no sensitivity on its output,
        // so a plan that replaces it would print the client key. Here the plan says
        // "(sensitive value)".
        triggers: Fn.sensitive({
          kubeconfig_raw: this.kubeconfig.kubeconfigRaw,
          kubernetes_client_configuration: Fn.jsonencode(this.kubeconfig.kubernetesClientConfiguration),
        }),
        // A plain address: cdktf 0.21 writes a construct here as "${...}", which terraform rejects.
        lifecycle: {
          ignoreChanges: ["triggers"],
          // A renewed client certificate reads it again, so it never outlives the admin certificate.
          replaceTriggeredBy: [addressOf(this.bootstrap), addressOf(this.adminCertificate.certificate)],
        },
      }),
      ADDRESSES.adminKubeconfig,
    );
  }
}
