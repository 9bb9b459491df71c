/**
 * What `npm run deploy` does around `cdktf deploy` so that an interrupted or
 * faulted deploy never loses the cluster's secrets and the next one converges
 * by itself:
 *
 * - a local state file that terraform left empty or truncated (it rewrites the
 *   file in place) is kept aside, and terraform's own backup restored;
 * - a state without `talos_machine_secrets.this` adopts the secrets backup
 *   that the stack writes before any node is configured; without a backup,
 *   nodes that are already configured stop the deploy before anything is
 *   touched, with what to do;
 * - a state without `talos_machine_bootstrap.this`, whose first control plane
 *   is already bootstrapped (a kill right after Bootstrap, or its reply lost),
 *   adopts the bootstrap instead of asking for it again: provider 0.5.0 would
 *   retry Bootstrap until node_timeout, and Talos answers AlreadyExists;
 * - a Talos roll that was killed half way is resumed: terraform records the
 *   upgrade resource before its script has run, so nothing else would.
 */
import { BOOTSTRAP_ADDRESS, CONTROL_PLANE_APPLY_ADDRESS } from "../lib/addresses";
import { ClusterNodes } from "./nodes-input";
import { nodesWithRoles, probeNode } from "./preflight";
import { ClientConfiguration, readLocalState } from "./state";
import { withTalosconfig } from "./talosconfig";
import { TalosTool } from "./talos-tool";

/**
 * The nodes that answer as configured (their Talos API refuses a client
 * without the cluster's certificate): nodes a state without secrets must not
 * be deployed to, since new secrets would lock the owner out of them.
 */
export function configuredNodes(nodes: ClusterNodes, talosTool: string): string[] {
  return nodesWithRoles(nodes)
    .map(({ node, role }) => probeNode(node, role, { talosTool }))
    .filter((probe) => probe.answers && probe.mode === "configured")
    .map((probe) => probe.node);
}

/**
 * Whether a control plane's cluster is bootstrapped (etcd runs on it), asked
 * with the state's client certificate; undefined when it does not say.
 */
export async function isBootstrapped(node: string, client: ClientConfiguration, talosTool: string): Promise<boolean | undefined> {
  const said = await withTalosconfig(client, [node], [node], (talosconfig) => new TalosTool(talosTool).bootstrapped(node, talosconfig));
  return said.error ? undefined : said.bootstrapped;
}

/**
 * The nodes that answer with another Talos version than `target`, by address:
 * a roll to `target` that did not finish. Nodes that do not answer are left
 * to the roll itself.
 */
export async function nodesNotAt(
  target: string,
  nodes: ClusterNodes,
  client: ClientConfiguration,
  talosTool: string,
): Promise<Record<string, string>> {
  // All at once: this runs before every deploy whose state has had a roll.
  const versions = await Promise.all(
    nodesWithRoles(nodes).map(async ({ node }): Promise<[string, string | undefined]> => {
      const probed = await withTalosconfig(client, [node], [node], (talosconfig) =>
        new TalosTool(talosTool).probeAsync(node, { talosconfig, strict: true, timeout: "3s" }),
      );
      return [node, probed.version];
    }),
  );
  return Object.fromEntries(versions.filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== target));
}

/** How often a running deploy is watched for a lost Bootstrap reply. */
const WATCH_INTERVAL_MS = 1000;
/**
 * How long the first control plane must say it is bootstrapped while the state
 * still lacks the bootstrap: terraform records a resource as soon as the
 * provider answers, so this long means the answer was lost.
 */
const LOST_REPLY_AFTER_MS = 4000;

/**
 * Watches a running deploy for a Bootstrap whose reply was lost: the first
 * control plane says its cluster is bootstrapped, yet the local state never
 * records it. Provider 0.5.0 would ask again until node_timeout (Talos answers
 * AlreadyExists), so `onLost` is called, once, to stop terraform.
 * @returns a function that stops watching
 */
export function watchForLostBootstrap(statePath: string, nodes: ClusterNodes, talosTool: string, onLost: () => void): () => void {
  const first = nodes.controlplane[0];
  let bootstrappedSince: number | undefined;
  let asking = false;
  let stopped = false;
  const look = async () => {
    const state = readLocalState(statePath);
    const client = state.clientConfiguration;
    if (state.has(BOOTSTRAP_ADDRESS)) return clearInterval(watch);
    // Bootstrap comes after every control plane is configured: nothing to ask before.
    if (!client || state.instances(CONTROL_PLANE_APPLY_ADDRESS) < nodes.controlplane.length) return;
    if ((await isBootstrapped(first, client, talosTool)) !== true) return;
    bootstrappedSince ??= Date.now();
    if (Date.now() - bootstrappedSince < LOST_REPLY_AFTER_MS || stopped) return;
    stopped = true;
    clearInterval(watch);
    onLost();
  };
  const watch = setInterval(() => {
    if (asking) return;
    asking = true;
    // A round the Talos tool could not answer tells nothing; the next one asks again.
    look()
      .catch(() => undefined)
      .finally(() => (asking = false));
  }, WATCH_INTERVAL_MS);
  return () => {
    stopped = true;
    clearInterval(watch);
  };
}
