import { Fn, TerraformLocal, TerraformVariable, Token, VariableType } from "cdktf";
import { Construct } from "constructs";

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
  /** `local.talos_version`: the Talos version in the "v1.7.4" form provider 0.5.0 requires. */
  readonly talosVersion: string;
  /** The Kubernetes version. */
  readonly kubernetesVersion: string;
  /** `var.nodes.controlplane`. */
  readonly controlPlaneNodes: string[];
  /** `var.nodes.worker`. */
  readonly workerNodes: string[];
  /** How long the provider waits for a node. */
  readonly nodeTimeout: string;

  constructor(scope: Construct, id: string, props: ClusterVariablesProps) {
    super(scope, id);

    this.talosVersionVariable = new TerraformVariable(this, "talos_version", {
      description: "The talos version for the Talos cluster.",
      type: VariableType.STRING,
      nullable: false,
      default: props.talosVersion,
    });
    this.talosVersionVariable.overrideLogicalId("talos_version");

    this.kubernetesVersionVariable = new TerraformVariable(this, "kubernetes_version", {
      description: "The kubernetes version for the Talos cluster.",
      type: VariableType.STRING,
      nullable: false,
      default: props.kubernetesVersion,
    });
    this.kubernetesVersionVariable.overrideLogicalId("kubernetes_version");

    this.nodesVariable = new TerraformVariable(this, "nodes", {
      description: "A map of node data.",
      type: VariableType.object({
        controlplane: VariableType.list(VariableType.STRING),
        worker: VariableType.list(VariableType.STRING),
      }),
      nullable: false,
      default: { controlplane: [...props.controlPlanes], worker: [...props.workers] },
    });
    this.nodesVariable.overrideLogicalId("nodes");

    this.nodeTimeoutVariable = new TerraformVariable(this, "node_timeout", {
      description:
        "How long to wait for a node's Talos API when applying its configuration, bootstrapping and reading the kubeconfig (a duration such as 10m or 90s).",
      type: VariableType.STRING,
      nullable: false,
      default: props.nodeTimeout,
    });
    this.nodeTimeoutVariable.overrideLogicalId("node_timeout");

    // The seed's .envrc says 1.7.4, talosctl and provider 0.5.0 want v1.7.4: accept both.
    const talosVersion = new TerraformLocal(
      this,
      "talos_version_local",
      `v${Fn.trimprefix(this.talosVersionVariable.stringValue, "v")}`,
    );
    talosVersion.overrideLogicalId("talos_version");
    this.talosVersion = talosVersion.asString;
    this.kubernetesVersion = this.kubernetesVersionVariable.stringValue;
    this.nodeTimeout = this.nodeTimeoutVariable.stringValue;
    this.controlPlaneNodes = Token.asList(Fn.lookupNested(this.nodesVariable.value, ["controlplane"]));
    this.workerNodes = Token.asList(Fn.lookupNested(this.nodesVariable.value, ["worker"]));
  }
}
