/**
 * The seed's "Wait until cluster is healthy": `talosctl health` on a deployed
 * stack, with the state's client certificate, for the stack's nodes. By
 * default the first control plane runs Talos' checks (`--server`, as the
 * stack's own wait does); with `server: false` talosctl runs them itself.
 */
import { ClusterNodes } from "./nodes-input";
import { runProgram } from "./program";
import { ClientConfiguration } from "./state";
import { withTalosconfig } from "./talosconfig";

/** How {@link checkHealth} runs. */
export interface HealthOptions {
  /** The talosctl to run. */
  readonly talosctl: string;
  /**
   * Run the checks on the first control plane (true) or in talosctl (false).
   * @default true
   */
  readonly server?: boolean;
  /**
   * How long to wait for the cluster to be healthy (a Go duration).
   * @default "10m"
   */
  readonly waitTimeout?: string;
}

/** talosctl health's arguments for the nodes: through the first control plane, every node named. */
export function healthArguments(nodes: ClusterNodes, options: Pick<HealthOptions, "server" | "waitTimeout">): string[] {
  const first = nodes.controlplane[0];
  return [
    "health",
    `--nodes=${first}`,
    `--endpoints=${first}`,
    `--control-plane-nodes=${nodes.controlplane.join(",")}`,
    ...(nodes.worker.length > 0 ? [`--worker-nodes=${nodes.worker.join(",")}`] : []),
    `--server=${options.server ?? true}`,
    `--wait-timeout=${options.waitTimeout ?? "10m"}`,
  ];
}

/**
 * Runs `talosctl health` for the cluster, printing its checks as it goes.
 * @returns talosctl's exit status
 */
export async function checkHealth(nodes: ClusterNodes, client: ClientConfiguration, options: HealthOptions): Promise<number> {
  return withTalosconfig(client, nodes.controlplane, [nodes.controlplane[0]], (talosconfig) =>
    runProgram(options.talosctl, ["--talosconfig", talosconfig, ...healthArguments(nodes, options)], { stdio: "inherit" }).status,
  );
}
