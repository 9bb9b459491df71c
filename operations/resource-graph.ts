import { rmSync } from "fs";
import { Testing } from "cdktf";
import { CLOUDKOFFER_PROFILES } from "../lib/cloudkoffer-profile";
import { CloudkofferStack } from "../lib/cloudkoffer-stack";

/** A synthesized Terraform JSON configuration, as far as its graph goes. */
export interface TerraformConfigJson {
  readonly variable?: Record<string, unknown>;
  readonly locals?: Record<string, unknown>;
  readonly data?: Record<string, Record<string, unknown>>;
  readonly resource?: Record<string, Record<string, unknown>>;
  readonly output?: Record<string, unknown>;
}

/** Every string in a value, depth first. */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === "object") {
    return Object.entries(value)
      .filter(([key]) => key !== "//")
      .flatMap(([, child]) => strings(child));
  }
  return [];
}

/**
 * The dependency graph of a synthesized stack as a Mermaid flowchart: each
 * variable, local, data source, resource and output, with an arrow from what
 * it reads (references, depends_on, replace_triggered_by) to itself.
 */
export function resourceGraph(config: TerraformConfigJson): string {
  const nodes = new Map<string, { label: string; shape: [string, string] }>();
  const add = (address: string, shape: [string, string]) => nodes.set(address, { label: address, shape });
  for (const name of Object.keys(config.variable ?? {})) add(`var.${name}`, ["[/", "/]"]);
  for (const name of Object.keys(config.locals ?? {})) add(`local.${name}`, ["(", ")"]);
  for (const [type, blocks] of Object.entries(config.data ?? {})) {
    for (const name of Object.keys(blocks)) add(`data.${type}.${name}`, ["[(", ")]"]);
  }
  for (const [type, blocks] of Object.entries(config.resource ?? {})) {
    for (const name of Object.keys(blocks)) add(`${type}.${name}`, ["[", "]"]);
  }
  for (const name of Object.keys(config.output ?? {})) add(`output.${name}`, [">", "]"]);

  const bodies: [string, unknown][] = [
    ...Object.entries(config.locals ?? {}).map(([name, body]): [string, unknown] => [`local.${name}`, body]),
    ...Object.entries(config.data ?? {}).flatMap(([type, blocks]) =>
      Object.entries(blocks).map(([name, body]): [string, unknown] => [`data.${type}.${name}`, body]),
    ),
    ...Object.entries(config.resource ?? {}).flatMap(([type, blocks]) =>
      Object.entries(blocks).map(([name, body]): [string, unknown] => [`${type}.${name}`, body]),
    ),
    ...Object.entries(config.output ?? {}).map(([name, body]): [string, unknown] => [`output.${name}`, body]),
  ];
  const addresses = [...nodes.keys()].sort((a, b) => b.length - a.length);
  const edges = new Set<string>();
  for (const [to, body] of bodies) {
    const text = strings(body).join("\n");
    for (const from of addresses) {
      if (from === to || from.startsWith("output.")) continue;
      const pattern = new RegExp(`(^|[^\\w.])${from.replace(/\./g, "\\.")}(?![\\w])`);
      if (pattern.test(text)) edges.add(`${from} --> ${to}`);
    }
  }

  const id = (address: string) => address.replace(/[^\w]/g, "_");
  const lines = ["flowchart LR"];
  for (const [address, { label, shape }] of nodes) lines.push(`  ${id(address)}${shape[0]}"${label}"${shape[1]}`);
  for (const edge of [...edges].sort()) {
    const [from, to] = edge.split(" --> ");
    lines.push(`  ${id(from)} --> ${id(to)}`);
  }
  return lines.join("\n");
}

/** Markers around the generated graph in docs/architecture.md. */
export const GRAPH_START = "<!-- resource-graph:start (npm run graph) -->";
export const GRAPH_END = "<!-- resource-graph:end -->";

/** The document (docs/architecture.md) with the graph between the markers replaced. */
export function withGraph(readme: string, graph: string): string {
  const start = readme.indexOf(GRAPH_START);
  const end = readme.indexOf(GRAPH_END);
  if (start < 0 || end < start) {
    throw new Error(`docs/architecture.md has no ${GRAPH_START} ... ${GRAPH_END} block`);
  }
  return `${readme.slice(0, start + GRAPH_START.length)}\n\`\`\`mermaid\n${graph}\n\`\`\`\n${readme.slice(end)}`;
}

/** The graph of the cloudkoffer-v3 stack, as synthesized. */
export function cloudkofferGraph(): string {
  const app = Testing.app();
  try {
    const stack = new CloudkofferStack(app, "cloudkoffer-v3", { profile: CLOUDKOFFER_PROFILES.v3 });
    return resourceGraph(JSON.parse(Testing.synth(stack)) as TerraformConfigJson);
  } finally {
    rmSync(app.outdir, { recursive: true, force: true });
  }
}
