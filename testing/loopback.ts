import { isIP } from "net";
import { parseNodesVariable } from "../operations/nodes-input";

/**
 * Whether an address is on loopback: 127.0.0.0/8 or ::1. Simulated nodes live
 * there, and nothing a test or the demo starts may reach anything else.
 */
export function isLoopback(address: string): boolean {
  return isIP(address) === 4 ? address.startsWith("127.") : address === "::1";
}

/** A loopback VIP for simulated nodes: the first node's /24 at .254, an address no node has. */
export function loopbackVip(nodes: readonly string[]): string {
  const [first] = nodes;
  const vip = `${first.split(".").slice(0, 3).join(".")}.254`;
  if (nodes.includes(vip)) throw new Error(`${vip}, the simulated cluster's VIP, is a node's address too`);
  return vip;
}

/**
 * The environment of a deploy to simulated nodes, checked: the cluster VIP
 * (which the kubeconfig's server and every node's configuration name) is set
 * to a loopback address when the caller left it out, and every node address
 * and the VIP must be loopback addresses, else this throws before anything
 * runs. A real client follows the endpoints it is handed: with a real
 * address here, the provider, talosctl or kubectl would connect there.
 * (A value that is no address at all is left to the stack's validation, which
 * refuses it before any node is contacted.)
 */
export function loopbackDeployEnvironment(env: Readonly<Record<string, string>>): Record<string, string> {
  const nodes = env.TF_VAR_nodes === undefined ? undefined : tryParseNodes(env.TF_VAR_nodes);
  if (!nodes) {
    if (env.TF_VAR_nodes === undefined) throw new Error("a deploy to simulated nodes must set TF_VAR_nodes: the defaults are real addresses");
    return env.TF_VAR_cluster_vip === undefined ? { ...env, TF_VAR_cluster_vip: "127.0.0.254" } : { ...env };
  }
  const addresses = [...nodes.controlplane, ...nodes.worker];
  const vip = env.TF_VAR_cluster_vip ?? loopbackVip(addresses.filter((address) => isIP(address) !== 0));
  const real = [...addresses, vip].filter((address) => isIP(address) !== 0 && !isLoopback(address));
  if (real.length > 0) {
    throw new Error(`refusing a deploy that names addresses outside loopback: ${real.join(", ")} (TF_VAR_nodes, TF_VAR_cluster_vip)`);
  }
  return { ...env, TF_VAR_cluster_vip: vip };
}

function tryParseNodes(text: string) {
  try {
    return parseNodesVariable(text);
  } catch {
    return undefined; // a test of the refusal: the deploy stops at its own check
  }
}

/** Throws unless every endpoint and node a talosconfig names is a loopback address. */
export function assertLoopbackTalosconfig(talosconfig: { contexts?: Record<string, { endpoints?: string[]; nodes?: string[] }> }, file: string): void {
  const named = Object.values(talosconfig.contexts ?? {}).flatMap((context) => [...(context.endpoints ?? []), ...(context.nodes ?? [])]);
  const real = named.map((address) => address.replace(/:\d+$/, "")).filter((address) => !isLoopback(address));
  if (real.length > 0) throw new Error(`refusing to hand ${file} to a client: it names ${real.join(", ")}, outside loopback`);
}

/** Throws unless a URL's host (a kubeconfig's server) is a loopback address. */
export function assertLoopbackUrl(url: string, file: string): void {
  const host = new URL(url).hostname.replace(/^\[(.*)\]$/, "$1");
  if (!isLoopback(host)) throw new Error(`refusing to call ${url} from ${file}: ${host} is outside loopback`);
}
