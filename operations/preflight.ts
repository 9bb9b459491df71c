import { spawnSync } from "child_process";
import { ClusterNodes } from "./nodes-input";
import { runProgram } from "./program";
import { TalosTool } from "./talos-tool";

/** What a node's Talos API said. */
export interface NodeProbe {
  readonly node: string;
  readonly role: "controlplane" | "worker";
  /** Its Talos API answers (in maintenance mode or configured). */
  readonly answers: boolean;
  /** `maintenance`, `configured`, or talosctl's machine stage (e.g. `running`). */
  readonly mode?: string;
  /** Why it does not answer, or what it said besides. */
  readonly detail?: string;
  /** Who asked: talosctl or the project's own probe. */
  readonly via: "talosctl" | "cloudkoffer-talos probe";
}

/** How the nodes are asked. */
export interface ProbeOptions {
  /**
   * talosctl to ask with, the seed's way; undefined uses the project's probe.
   * @default talosctl when on PATH
   */
  readonly talosctl?: string;
  /**
   * The project's Talos tool (`cloudkoffer-talos probe`).
   * @default `.build/bin/cloudkoffer-talos`
   */
  readonly talosTool?: string;
  /**
   * talosconfig for configured nodes (mTLS).
   * @default none: a configured node is recognised by its refusal, not asked
   */
  readonly talosconfig?: string;
}

/** Every node of the cluster with its role, control planes first. */
export function nodesWithRoles(nodes: ClusterNodes): { node: string; role: "controlplane" | "worker" }[] {
  return [
    ...nodes.controlplane.map((node) => ({ node, role: "controlplane" as const })),
    ...nodes.worker.map((node) => ({ node, role: "worker" as const })),
  ];
}

/** talosctl on PATH, or undefined. */
export function talosctlOnPath(): string | undefined {
  return spawnSync("talosctl", ["version", "--client"], { stdio: "ignore" }).error ? undefined : "talosctl";
}

/** A dial that reached nothing, as opposed to a Talos API that refused us. */
function unreachable(message: string): boolean {
  return /dial tcp|connection refused|no route to host|i\/o timeout|deadline exceeded/i.test(message);
}

/** Asks one node, with talosctl (the seed's command) or the project's probe. */
export function probeNode(node: string, role: "controlplane" | "worker", options: ProbeOptions): NodeProbe {
  if (options.talosctl) {
    // The seed's step: talosctl get machinestatus --nodes=<n> --output=jsonpath='{.spec.stage}' --insecure
    const stage = (args: string[]) =>
      runProgram(options.talosctl as string, ["get", "machinestatus", `--nodes=${node}`, "--output=jsonpath={.spec.stage}", ...args], { timeout: 15000 });
    let run = stage(["--insecure"]);
    if (run.status !== 0 && options.talosconfig) {
      run = stage([`--talosconfig=${options.talosconfig}`, `--endpoints=${node}`]);
    }
    const output = run.stdout.trim();
    const error = run.stderr.trim().split("\n").pop() ?? "";
    if (run.status === 0) return { node, role, answers: true, mode: output || "unknown", via: "talosctl" };
    return unreachable(error)
      ? { node, role, answers: false, detail: error, via: "talosctl" }
      : { node, role, answers: true, mode: "configured", detail: error, via: "talosctl" };
  }
  const result = new TalosTool(options.talosTool).probe(node, { talosconfig: options.talosconfig });
  return { node, role, answers: result.answers, mode: result.mode, detail: result.error, via: "cloudkoffer-talos probe" };
}

/** The probes as a table, one node per line. */
export function preflightTable(probes: readonly NodeProbe[]): string {
  const rows = [
    ["NODE", "ROLE", "TALOS API", "MODE", "DETAIL"],
    ...probes.map((probe) => [
      probe.node,
      probe.role,
      probe.answers ? "answers" : "no answer",
      probe.mode ?? "-",
      probe.detail ?? "",
    ]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd()).join("\n");
}

/** How long {@link waitForNodes} polls. */
export interface WaitOptions extends ProbeOptions {
  /** Give up after this long. */
  readonly timeoutMs: number;
  /** Ask again after this long. */
  readonly intervalMs: number;
  /** Also require every node to be in maintenance mode (not configured yet). */
  readonly requireMaintenance?: boolean;
  /** Called after every round. */
  readonly onRound?: (probes: readonly NodeProbe[], ready: boolean) => void;
}

/**
 * Asks every node until all answer (and, if required, are in maintenance
 * mode) or the timeout passes: the seed's "wait until the nodes have entered
 * maintenance mode".
 */
export async function waitForNodes(
  nodes: ClusterNodes,
  options: WaitOptions,
): Promise<{ ready: boolean; probes: NodeProbe[] }> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const probes = nodesWithRoles(nodes).map(({ node, role }) => probeNode(node, role, options));
    const ready = probes.every((probe) => probe.answers && (!options.requireMaintenance || probe.mode === "maintenance"));
    options.onRound?.(probes, ready);
    if (ready || Date.now() + options.intervalMs > deadline) {
      return { ready, probes };
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
}
