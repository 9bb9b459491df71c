import { Fn, IResolvable, ITerraformDependable, TerraformCount, Token } from "cdktf";
import { Construct } from "constructs";
import { DataTalosClusterHealth } from "../.gen/providers/talos/data-talos-cluster-health";
import { TalosClientConfiguration } from "./admin-client-certificate";
import { ADDRESSES } from "./addresses";
import { atAddress } from "./terraform-address";

/** How long a deploy waits for the cluster to be healthy, unless told otherwise. */
export const DEFAULT_HEALTH_TIMEOUT = "10m";

/** Properties of a {@link ClusterHealth}. */
export interface ClusterHealthProps {
  /** The admin client certificate the checks talk to the nodes with. */
  readonly clientConfiguration: TalosClientConfiguration;
  /** Control-plane addresses (a token): the endpoints, and the etcd members there must be. */
  readonly controlPlaneNodes: string[];
  /** Worker addresses (a token). */
  readonly workerNodes: string[];
  /** How long to wait for health before the deploy fails (a duration token). */
  readonly timeout: string;
  /** Whether to wait at all (a boolean token): off for a partial case. */
  readonly wait: IResolvable;
  /** What the cluster is deployed by: every apply, the bootstrap and the kubeconfig. */
  readonly deployedAfter: ITerraformDependable[];
}

/**
 * The seed's last installation step, "Wait until cluster is healthy"
 * (`talosctl health`), in the stack: provider 0.5.0's `talos_cluster_health`,
 * which runs Talos' own checks on a control plane (etcd healthy and its
 * members the control planes, apid, memory and disks, kubelet, the boot
 * sequence; every Kubernetes node reported, ready and schedulable; the
 * control-plane static pods and components) until they pass or the timeout
 * fails the deploy, naming the check and the node.
 *
 * It depends on the applies and the bootstrap: on the deploy that changes
 * them it is read after them, at apply; on a deploy that changes nothing it is
 * read at plan, one round of checks on a healthy cluster. The upgrades depend
 * on it, so none starts on a cluster that is not healthy.
 */
export class ClusterHealth extends Construct {
  /** `data.talos_cluster_health.this` (none when the wait is off). */
  readonly check: DataTalosClusterHealth;

  constructor(scope: Construct, id: string, props: ClusterHealthProps) {
    super(scope, id);
    this.check = atAddress(
      new DataTalosClusterHealth(this, "check", {
        count: TerraformCount.of(Token.asNumber(Fn.conditional(props.wait, 1, 0))),
        clientConfiguration: props.clientConfiguration,
        // The VIP comes up only after bootstrap: talk to the control planes themselves.
        endpoints: props.controlPlaneNodes,
        controlPlaneNodes: props.controlPlaneNodes,
        workerNodes: props.workerNodes,
        timeouts: { read: props.timeout },
        dependsOn: props.deployedAfter,
      }),
      ADDRESSES.clusterHealth,
    );
  }
}
