/**
 * The cluster's Kubernetes nodes as `kubectl get nodes` lists them, read from
 * the API server with the stack's admin kubeconfig: the seed's last look at a
 * new cluster, without kubectl.
 */
import { request } from "https";
import { parse as parseYaml } from "yaml";

/** The parts of a kubeconfig this reads: the current context's cluster and user. */
interface Kubeconfig {
  readonly "current-context"?: string;
  readonly clusters?: { readonly name: string; readonly cluster: { readonly server: string; readonly "certificate-authority-data"?: string } }[];
  readonly users?: { readonly name: string; readonly user: { readonly "client-certificate-data"?: string; readonly "client-key-data"?: string } }[];
  readonly contexts?: { readonly name: string; readonly context: { readonly cluster: string; readonly user: string } }[];
}

/** The fields of a Kubernetes Node that `kubectl get nodes` shows. */
export interface KubernetesNode {
  readonly metadata: { readonly name: string; readonly creationTimestamp?: string; readonly labels?: Record<string, string> };
  readonly spec?: { readonly unschedulable?: boolean };
  readonly status?: {
    readonly conditions?: { readonly type: string; readonly status: string }[];
    readonly nodeInfo?: { readonly kubeletVersion?: string };
  };
}

/** Where and as whom a kubeconfig talks: its current context's server, CA and client certificate. */
export interface KubernetesAccess {
  readonly server: string;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

const fromBase64 = (data: string | undefined, what: string): string => {
  if (!data) throw new Error(`the kubeconfig has no ${what}`);
  return Buffer.from(data, "base64").toString("utf8");
};

/** The current context of a kubeconfig (as the provider's kubeconfig_raw writes it: embedded data). */
export function kubernetesAccess(kubeconfigText: string): KubernetesAccess {
  const config = parseYaml(kubeconfigText) as Kubeconfig;
  const context = config.contexts?.find((candidate) => candidate.name === config["current-context"])?.context;
  if (!context) throw new Error(`the kubeconfig names no context "${config["current-context"] ?? ""}"`);
  const cluster = config.clusters?.find((candidate) => candidate.name === context.cluster)?.cluster;
  const user = config.users?.find((candidate) => candidate.name === context.user)?.user;
  if (!cluster) throw new Error(`the kubeconfig has no cluster "${context.cluster}"`);
  if (!user) throw new Error(`the kubeconfig has no user "${context.user}"`);
  return {
    server: cluster.server,
    ca: fromBase64(cluster["certificate-authority-data"], "certificate-authority-data"),
    cert: fromBase64(user["client-certificate-data"], "client-certificate-data"),
    key: fromBase64(user["client-key-data"], "client-key-data"),
  };
}

/** An answer of the Kubernetes API: its status code and body. */
export interface KubernetesAnswer {
  readonly status: number;
  readonly body: string;
}

/**
 * One call of the Kubernetes API with the kubeconfig's client certificate,
 * the server's certificate checked against the cluster's CA.
 */
export function kubernetesCall(access: KubernetesAccess, method: string, apiPath: string, body?: unknown, timeoutMs = 10000): Promise<KubernetesAnswer> {
  const url = new URL(apiPath, access.server);
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { "Content-Type": "application/json" };
    // A connection of its own (agent: false): a kept-alive one may be to an API server that has restarted since.
    const call = request(url, { method, headers, ca: access.ca, cert: access.cert, key: access.key, timeout: timeoutMs, agent: false }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    call.on("timeout", () => call.destroy(new Error(`${method} ${url.href}: no answer within ${timeoutMs / 1000} s`)));
    call.on("error", (error) => reject(new Error(`${method} ${url.href}: ${error.message}`)));
    call.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** The cluster's nodes, as `kubectl get nodes` reads them. */
export async function listNodes(access: KubernetesAccess, timeoutMs = 10000): Promise<KubernetesNode[]> {
  const answer = await kubernetesCall(access, "GET", "/api/v1/nodes", undefined, timeoutMs);
  if (answer.status !== 200) throw new Error(`GET ${new URL("/api/v1/nodes", access.server).href}: ${answer.status} ${answer.body.trim()}`);
  return (JSON.parse(answer.body) as { items: KubernetesNode[] }).items;
}

/** An age as kubectl prints it (k8s.io/apimachinery's HumanDuration): 42s, 5m10s, 3h, 6h20m, 2d5h, 30d. */
export function kubectlAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const d = Math.floor(h / 24);
  const either = (whole: string, parts: string, exact: boolean) => (exact ? whole : parts);
  if (s < 120) return `${s}s`;
  if (m < 10) return either(`${m}m`, `${m}m${s % 60}s`, s % 60 === 0);
  if (m < 180) return `${m}m`;
  if (h < 8) return either(`${h}h`, `${h}h${m % 60}m`, m % 60 === 0);
  if (h < 48) return `${h}h`;
  if (h < 24 * 8) return either(`${d}d`, `${d}d${h % 24}h`, h % 24 === 0);
  return `${d}d`;
}

/** A node's STATUS column: Ready or NotReady (Unknown counts as not ready), and SchedulingDisabled when cordoned. */
function nodeStatus(node: KubernetesNode): string {
  const ready = node.status?.conditions?.find((condition) => condition.type === "Ready")?.status;
  const status = ready === "True" ? "Ready" : ready === undefined ? "Unknown" : "NotReady";
  return node.spec?.unschedulable ? `${status},SchedulingDisabled` : status;
}

/** A node's ROLES column: its node-role.kubernetes.io/<role> labels, or <none>. */
function nodeRoles(node: KubernetesNode): string {
  const prefix = "node-role.kubernetes.io/";
  const roles = Object.keys(node.metadata.labels ?? {})
    .filter((label) => label.startsWith(prefix))
    .map((label) => label.slice(prefix.length))
    .sort();
  return roles.join(",") || "<none>";
}

/** The nodes as `kubectl get nodes` prints them: NAME, STATUS, ROLES, AGE, VERSION. */
export function nodesTable(nodes: readonly KubernetesNode[], now: Date = new Date()): string {
  const rows = [
    ["NAME", "STATUS", "ROLES", "AGE", "VERSION"],
    ...[...nodes]
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name, undefined, { numeric: true }))
      .map((node) => {
        const created = node.metadata.creationTimestamp ? Date.parse(node.metadata.creationTimestamp) : now.getTime();
        return [node.metadata.name, nodeStatus(node), nodeRoles(node), kubectlAge((now.getTime() - created) / 1000), node.status?.nodeInfo?.kubeletVersion ?? ""];
      }),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join("   ").trimEnd()).join("\n");
}
