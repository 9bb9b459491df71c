/** The node addresses of a cluster, as the `nodes` variable holds them. */
export interface ClusterNodes {
  readonly controlplane: readonly string[];
  readonly worker: readonly string[];
}

/** The value of `TF_VAR_nodes` for these nodes, as the seed's `.envrc` writes it (HCL). */
export function formatNodesVariable(nodes: ClusterNodes): string {
  const list = (addresses: readonly string[]) => addresses.map((address) => `"${address}"`).join(",");
  return `{"controlplane"=[${list(nodes.controlplane)}],"worker"=[${list(nodes.worker)}]}`;
}

/** How to write `TF_VAR_nodes`, for error messages. */
export const NODES_EXAMPLE = `'${formatNodesVariable({ controlplane: ["192.168.1.1"], worker: ["192.168.1.4"] })}'`;

/**
 * Parses the value of `TF_VAR_nodes` as the seed's `.envrc` writes it: an HCL
 * object (`"controlplane"=[...]`) or JSON, with the lists `controlplane` and
 * `worker` of quoted strings. Throws one line that says what is wrong and how
 * to write it, so that a typo fails before terraform runs.
 *
 * @param text the variable's value
 * @param name what to call it in messages
 */
export function parseNodesVariable(text: string, name = "TF_VAR_nodes"): ClusterNodes {
  const parser = new NodesParser(text, name);
  const value = parser.object();
  parser.end();
  const unknown = Object.keys(value).filter((key) => key !== "controlplane" && key !== "worker");
  if (unknown.length > 0) {
    throw new Error(
      `${name} has ${unknown.map((key) => `"${key}"`).join(", ")}, but only "controlplane" and "worker"; write it as ${NODES_EXAMPLE}`,
    );
  }
  for (const key of ["controlplane", "worker"] as const) {
    if (!(key in value)) {
      throw new Error(`${name} has no "${key}" list; write it as ${NODES_EXAMPLE}`);
    }
  }
  return { controlplane: value.controlplane, worker: value.worker };
}

/** A recursive-descent parser for `{ key = [ "a", "b" ], ... }` (HCL) and its JSON twin. */
class NodesParser {
  private position = 0;

  constructor(
    private readonly text: string,
    private readonly name: string,
  ) {}

  object(): Record<string, string[]> {
    const result: Record<string, string[]> = {};
    this.expect("{");
    while (!this.take("}")) {
      const key = this.peek() === '"' ? this.string() : this.identifier();
      if (!this.take("=") && !this.take(":")) this.fail(`"=" after "${key}"`);
      result[key] = this.list(key);
      this.take(",");
    }
    return result;
  }

  end(): void {
    this.skipSpace();
    if (this.position < this.text.length) this.fail("the end after the closing }");
  }

  private list(key: string): string[] {
    const items: string[] = [];
    if (!this.take("[")) this.fail(`a list [...] of addresses for "${key}"`);
    while (!this.take("]")) {
      if (this.peek() !== '"') this.fail(`a quoted address or "]" in "${key}"`);
      items.push(this.string());
      this.take(",");
    }
    return items;
  }

  private string(): string {
    this.expect('"');
    const start = this.position;
    while (this.position < this.text.length && this.text[this.position] !== '"') this.position++;
    if (this.position >= this.text.length) this.fail('a closing "');
    const value = this.text.slice(start, this.position);
    this.position++;
    return value;
  }

  private identifier(): string {
    const match = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(this.text.slice(this.position));
    if (!match) this.fail('a key such as "controlplane"');
    this.position += match[0].length;
    return match[0];
  }

  private peek(): string {
    this.skipSpace();
    return this.text[this.position] ?? "";
  }

  private take(token: string): boolean {
    if (this.peek() !== token) return false;
    this.position++;
    return true;
  }

  private expect(token: string): void {
    if (!this.take(token)) this.fail(`"${token}"`);
  }

  private skipSpace(): void {
    while (/\s/.test(this.text[this.position] ?? "")) this.position++;
  }

  private fail(expected: string): never {
    const found = this.position < this.text.length ? `"${this.text[this.position]}"` : "the end";
    throw new Error(
      `${this.name} does not parse: expected ${expected} at character ${this.position + 1}, found ${found}; write it as ${NODES_EXAMPLE}`,
    );
  }
}
