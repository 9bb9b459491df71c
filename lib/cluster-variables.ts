import { Fn, IResolvable, TerraformLocal, TerraformVariable, TerraformVariableConfig, Token, VariableType } from "cdktf";
import { Construct } from "constructs";
import { DEFAULT_ADMIN_CERT_RENEWAL_HOURS, DEFAULT_ADMIN_CERT_VALIDITY_HOURS } from "./admin-client-certificate";
import {
  adminCertValidations,
  clusterVipValidations,
  imageValidations,
  kubernetesVersionValidations,
  nodesValidations,
  nodeTimeoutValidations,
  talosVersionValidations,
  healthTimeoutValidations,
  backupKeepValidations,
} from "./variable-validations";
import { atAddress } from "./terraform-address";
import { DEFAULT_ETCD_BACKUP_KEEP } from "./etcd-backups";

/**
 * The Cilium CLI image the install job of controlplane.yaml runs: a release,
 * where the seed ran quay.io/cilium/cilium-cli-ci:latest.
 */
export const DEFAULT_CILIUM_CLI_IMAGE = "quay.io/cilium/cilium-cli:v0.16.10";

/** The control planes' shared virtual IP, which the Kubernetes API endpoint names (the seed's). */
export const DEFAULT_CLUSTER_VIP = "192.168.1.101";

/** The Kubernetes API endpoint on a VIP: `https://192.168.1.101:6443`, `https://[fd00::101]:6443`. */
export function clusterEndpointOf(vip: string): string {
  return `https://${vip.includes(":") ? `[${vip}]` : vip}:6443`;
}

/** Defaults of the cluster variables, taken from a Cloudkoffer profile. */
export interface ClusterVariablesProps {
  /** Default of `talos_version`, with or without the leading "v". */
  readonly talosVersion: string;
  /** Default of `kubernetes_version`. */
  readonly kubernetesVersion: string;
  /** Default of `nodes.controlplane`. */
  readonly controlPlanes: readonly string[];
  /** Default of `nodes.worker`. */
  readonly workers: readonly string[];
  /** Default of `node_timeout`. */
  readonly nodeTimeout: string;
  /** Default of `health_timeout`. */
  readonly healthTimeout: string;
  /** Default of `secrets_backup_file`, relative to the stack's working directory. */
  readonly secretsBackupFile: string;
  /** Default of `etcd_backup_dir`, relative to the stack's working directory. */
  readonly etcdBackupDir: string;
  /** Default of `cluster_vip`. */
  readonly clusterVip: string;
}

/**
 * The seed's Terraform variables `talos_version`, `kubernetes_version` and
 * `nodes`, so that its `.envrc` (`TF_VAR_talos_version=1.7.4`, `TF_VAR_nodes=...`)
 * drives `cdktf deploy` and the handed-off Terraform alike.
 *
 * Unlike the seed they default to the profile's values, so a stack deploys
 * without an `.envrc` too.
 */
export class ClusterVariables extends Construct {
  /** `var.talos_version` as the user spelled it. */
  readonly talosVersionVariable: TerraformVariable;
  /** `var.kubernetes_version`. */
  readonly kubernetesVersionVariable: TerraformVariable;
  /** `var.nodes`. */
  readonly nodesVariable: TerraformVariable;
  /** `var.node_timeout`. */
  readonly nodeTimeoutVariable: TerraformVariable;
  /** `var.talos_upgrade_stage`. */
  readonly talosUpgradeStageVariable: TerraformVariable;
  /** `var.cilium_cli_image`. */
  readonly ciliumCliImageVariable: TerraformVariable;
  /** `var.secrets_backup_file`. */
  readonly secretsBackupFileVariable: TerraformVariable;
  /** `var.cluster_vip`. */
  readonly clusterVipVariable: TerraformVariable;
  /** `var.admin_cert_validity_hours`. */
  readonly adminCertValidityHoursVariable: TerraformVariable;
  /** `var.admin_cert_renewal_hours`. */
  readonly adminCertRenewalHoursVariable: TerraformVariable;
  /** `var.health_timeout`. */
  readonly healthTimeoutVariable: TerraformVariable;
  /** `var.etcd_backup_dir`. */
  readonly etcdBackupDirVariable: TerraformVariable;
  /** `var.etcd_backup_keep`. */
  readonly etcdBackupKeepVariable: TerraformVariable;
  /** `var.health_wait`. */
  readonly healthWaitVariable: TerraformVariable;
  /** `local.inputs.talos_version`: the Talos version in the "v1.7.4" form provider 0.5.0 requires. */
  readonly talosVersion: string;
  /** The Kubernetes version. */
  readonly kubernetesVersion: string;
  /** `var.nodes.controlplane`. */
  readonly controlPlaneNodes: string[];
  /** `var.nodes.worker`. */
  readonly workerNodes: string[];
  /** How long the provider waits for a node. */
  readonly nodeTimeout: string;
  /** Whether Talos upgrades are staged (`--stage`, then a reboot); a boolean token. */
  readonly talosUpgradeStage: IResolvable;
  /** Where the cluster secrets are backed up, relative to the working directory. */
  readonly secretsBackupFile: string;
  /** The control planes' shared virtual IP (a token). */
  readonly clusterVip: string;
  /** The Kubernetes API endpoint on that VIP, `https://<vip>:6443` (a token). */
  readonly clusterEndpoint: string;
  /** Values of the patch placeholders (`{{ name }}`), by name: tokens. */
  readonly patchPlaceholders: Record<string, string>;
  /** How long a deploy waits for the cluster to be healthy (a duration token). */
  readonly healthTimeout: string;
  /** Whether a deploy waits for the cluster to be healthy (a boolean token). */
  readonly healthWait: IResolvable;
  /** Where the upgrades keep their etcd backups (a token), relative to the working directory. */
  readonly etcdBackupDir: string;
  /** How many etcd backups of the stack stay (a token). */
  readonly etcdBackupKeep: number;
  /** How long the admin client certificate is valid, in hours (a token). */
  readonly adminCertValidityHours: number;
  /** How long before expiry a deploy renews it, in hours (a token). */
  readonly adminCertRenewalHours: number;

  constructor(scope: Construct, id: string, props: ClusterVariablesProps) {
    super(scope, id);
    // The seed's names are the contract: TF_VAR_<name>, var.<name>.
    const variable = (name: string, config: TerraformVariableConfig) => atAddress(new TerraformVariable(this, name, config), name);

    this.talosVersionVariable = variable("talos_version", {
      description: "The talos version for the Talos cluster.",
      type: VariableType.STRING,
      nullable: false,
      default: props.talosVersion,
      validation: talosVersionValidations(),
    });

    this.kubernetesVersionVariable = variable("kubernetes_version", {
      description: "The kubernetes version for the Talos cluster.",
      type: VariableType.STRING,
      nullable: false,
      default: props.kubernetesVersion,
      validation: kubernetesVersionValidations(),
    });

    this.nodesVariable = variable("nodes", {
      description: "A map of node data.",
      type: VariableType.object({
        controlplane: VariableType.list(VariableType.STRING),
        worker: VariableType.list(VariableType.STRING),
      }),
      nullable: false,
      default: { controlplane: [...props.controlPlanes], worker: [...props.workers] },
      validation: nodesValidations(),
    });

    this.nodeTimeoutVariable = variable("node_timeout", {
      description:
        "How long to wait for a node's Talos API when applying its configuration, bootstrapping and reading the kubeconfig (a duration such as 10m or 90s).",
      type: VariableType.STRING,
      nullable: false,
      default: props.nodeTimeout,
      validation: nodeTimeoutValidations(),
    });

    this.talosUpgradeStageVariable = variable("talos_upgrade_stage", {
      description:
        "Upgrade Talos with --stage and then talosctl reboot --wait, for nodes where a process holds a file open and a plain upgrade fails.",
      type: VariableType.BOOL,
      nullable: false,
      default: false,
    });

    this.ciliumCliImageVariable = variable("cilium_cli_image", {
      description:
        "Image of the Cilium CLI that the cilium-install job of controlplane.yaml runs ({{ cilium_cli_image }}): a release, pinned by tag or digest.",
      type: VariableType.STRING,
      nullable: false,
      default: DEFAULT_CILIUM_CLI_IMAGE,
      validation: imageValidations("cilium_cli_image"),
    });

    this.secretsBackupFileVariable = variable("secrets_backup_file", {
      description:
        "Where the cluster secrets are backed up as Talos' secrets.yaml before any node is configured, and adopted from when the state has none; relative to the working directory. Delete the file to start with new secrets.",
      type: VariableType.STRING,
      nullable: false,
      default: props.secretsBackupFile,
      validation: [
        {
          condition: '${trimspace(var.secrets_backup_file) != ""}',
          errorMessage: "secrets_backup_file is empty: name the file the cluster secrets are backed up to (secrets_backup_file).",
        },
      ],
    });

    this.clusterVipVariable = variable("cluster_vip", {
      description:
        "The control planes' shared virtual IP: the Kubernetes API endpoint (https://<vip>:6443), the API server's certificate SAN and the VIP of controlplane.yaml ({{ cluster_vip }}). An address of the nodes' subnet that no node has.",
      type: VariableType.STRING,
      nullable: false,
      default: props.clusterVip,
      validation: clusterVipValidations(),
    });

    this.adminCertValidityHoursVariable = variable("admin_cert_validity_hours", {
      description:
        "How long the admin client certificate (talosconfig, and every deploy's access to the nodes) is valid, in hours: at most 8760, the life of the admin kubeconfig Talos signs.",
      type: VariableType.NUMBER,
      nullable: false,
      default: DEFAULT_ADMIN_CERT_VALIDITY_HOURS,
      validation: adminCertValidations().validity,
    });

    this.adminCertRenewalHoursVariable = variable("admin_cert_renewal_hours", {
      description:
        "How long before the admin client certificate expires any deploy renews it (and reads the admin kubeconfig again), in hours; equal to admin_cert_validity_hours, every deploy renews.",
      type: VariableType.NUMBER,
      nullable: false,
      default: DEFAULT_ADMIN_CERT_RENEWAL_HOURS,
      validation: adminCertValidations().renewal,
    });

    this.healthTimeoutVariable = variable("health_timeout", {
      description:
        "How long a deploy waits for the cluster to be healthy (Talos' own checks, as talosctl health), after installing it and after each node of a Talos upgrade (a duration such as 10m).",
      type: VariableType.STRING,
      nullable: false,
      default: props.healthTimeout,
      validation: healthTimeoutValidations(),
    });

    this.healthWaitVariable = variable("health_wait", {
      description:
        "Whether a deploy waits for the cluster to be healthy, and upgrades wait for it between nodes; false for a partial case that cannot become healthy.",
      type: VariableType.BOOL,
      nullable: false,
      default: true,
    });

    this.etcdBackupDirVariable = variable("etcd_backup_dir", {
      description:
        "Where an etcd backup is written before every Talos or Kubernetes upgrade (as npm run backup writes them), relative to the working directory; mode 0600, sealed with the state's passphrase when the state is encrypted.",
      type: VariableType.STRING,
      nullable: false,
      default: props.etcdBackupDir,
      validation: [
        {
          condition: '${trimspace(var.etcd_backup_dir) != ""}',
          errorMessage: "etcd_backup_dir is empty: name the folder the etcd backups go to (etcd_backup_dir).",
        },
      ],
    });

    this.etcdBackupKeepVariable = variable("etcd_backup_keep", {
      description: "How many etcd backups of the stack stay in etcd_backup_dir: the newest, the older ones are removed.",
      type: VariableType.NUMBER,
      nullable: false,
      default: DEFAULT_ETCD_BACKUP_KEEP,
      validation: backupKeepValidations(),
    });

    // Every value the graph uses goes through local.inputs, which reads all the variables: a
    // variable that fails its validation then stops the plan before anything is planned, and
    // the error is all terraform prints (cdktf deploy drops the end of a long partial plan).
    const inputs = new TerraformLocal(this, "inputs", {
      // The seed's .envrc says 1.7.4, talosctl and provider 0.5.0 want v1.7.4: accept both.
      talos_version: `v${Fn.trimprefix(this.talosVersionVariable.stringValue, "v")}`,
      kubernetes_version: this.kubernetesVersionVariable.stringValue,
      nodes: this.nodesVariable.value,
      node_timeout: this.nodeTimeoutVariable.stringValue,
      talos_upgrade_stage: this.talosUpgradeStageVariable.booleanValue,
      cilium_cli_image: this.ciliumCliImageVariable.stringValue,
      secrets_backup_file: this.secretsBackupFileVariable.stringValue,
      cluster_vip: this.clusterVipVariable.stringValue,
      admin_cert_validity_hours: this.adminCertValidityHoursVariable.numberValue,
      admin_cert_renewal_hours: this.adminCertRenewalHoursVariable.numberValue,
      health_timeout: this.healthTimeoutVariable.stringValue,
      health_wait: this.healthWaitVariable.booleanValue,
      etcd_backup_dir: this.etcdBackupDirVariable.stringValue,
      etcd_backup_keep: this.etcdBackupKeepVariable.numberValue,
    });
    atAddress(inputs, "inputs");
    const input = (...path: string[]): unknown => Fn.lookupNested(inputs.asAnyMap, path);
    this.talosVersion = Token.asString(input("talos_version"));
    this.kubernetesVersion = Token.asString(input("kubernetes_version"));
    this.nodeTimeout = Token.asString(input("node_timeout"));
    this.talosUpgradeStage = Token.asAny(input("talos_upgrade_stage"));
    this.secretsBackupFile = Token.asString(input("secrets_backup_file"));
    this.clusterVip = Token.asString(input("cluster_vip"));
    this.clusterEndpoint = `https://${Fn.conditional(Fn.strcontains(this.clusterVip, ":"), Fn.format("[%s]", [this.clusterVip]), this.clusterVip)}:6443`;
    this.patchPlaceholders = { cilium_cli_image: Token.asString(input("cilium_cli_image")), cluster_vip: this.clusterVip };
    this.adminCertValidityHours = Token.asNumber(input("admin_cert_validity_hours"));
    this.adminCertRenewalHours = Token.asNumber(input("admin_cert_renewal_hours"));
    this.healthTimeout = Token.asString(input("health_timeout"));
    this.healthWait = Token.asAny(input("health_wait"));
    this.etcdBackupDir = Token.asString(input("etcd_backup_dir"));
    this.etcdBackupKeep = Token.asNumber(input("etcd_backup_keep"));
    this.controlPlaneNodes = Token.asList(input("nodes", "controlplane"));
    this.workerNodes = Token.asList(input("nodes", "worker"));
  }
}
