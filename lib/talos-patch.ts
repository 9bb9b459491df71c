import { readFileSync } from "fs";
import * as path from "path";
import { Document, isMap, isPair, isScalar, isSeq, LineCounter, Node, parseAllDocuments } from "yaml";
import { TalosConfigSchema } from "./talos-config-schema";

/** The top-level sections of a v1alpha1 machine configuration. */
const TOP_LEVEL_SECTIONS = ["version", "debug", "persist", "machine", "cluster"];

/**
 * A Talos machine-configuration patch (a strategic merge patch in YAML),
 * as handed to `talos_machine_configuration.config_patches`.
 */
export interface TalosPatch {
  /** Where the patch came from, for error messages, e.g. `patches/all.yaml`. */
  readonly source: string;
  /** The YAML text of the patch. */
  readonly yaml: string;
  /**
   * Where the patch breaks Talos' JSON schema. The schema is stricter than
   * Talos' own loader in places, so whether a violation stops the synth is
   * decided with Talos' verdict (see patch-verdict.ts).
   */
  readonly schemaViolations: readonly PatchSchemaViolation[];
}

/** A place where a patch breaks Talos' machine-configuration schema. */
export interface PatchSchemaViolation {
  /** 1-based line of the offending field. */
  readonly line: number;
  /** Path of the field, e.g. `machine.kubelet.extraArgs.rotate-server-certificates`; empty for the document. */
  readonly field: string;
  /** What the schema says, e.g. `must be string`. */
  readonly message: string;
  /** The value found there. */
  readonly value: unknown;
}

/** `patches/all.yaml:31: machine.kubelet.extraArgs.rotate-server-certificates: must be string` */
export function describeSchemaViolation(source: string, violation: PatchSchemaViolation): string {
  return `${source}:${violation.line}: ${violation.field ? `${violation.field}: ` : ""}${violation.message}`;
}

/** A patch file that cannot be used, named with file and line. */
export class TalosPatchError extends Error {
  constructor(
    readonly source: string,
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super(`${line === undefined ? source : `${source}:${line}`}: ${reason}`);
    this.name = "TalosPatchError";
  }
}

/** How {@link readTalosPatch} reads and checks a patch. */
export interface ReadTalosPatchOptions {
  /**
   * Directory that error messages name the file relative to.
   * @default the current working directory
   */
  readonly displayRoot?: string;
  /**
   * Talos' machine-configuration schema to check every document against
   * (unknown fields, wrong types).
   * @default no schema check; the YAML and the top-level sections are checked anyway
   */
  readonly schema?: TalosConfigSchema;
  /**
   * What the text is checked as: the file with its placeholders filled in
   * with their defaults (line by line, so lines stay where they are).
   * @default the text as it is
   */
  readonly fill?: (yaml: string) => string;
}

/**
 * Reads a patch file and checks it as far as it can be checked without a
 * node: YAML whose documents are mappings with known sections (a broken patch
 * fails at synth, naming file and line, and never reaches a node) and, given
 * Talos' schema, where it has unknown fields or wrong types.
 *
 * @param file path of the patch file
 */
export function readTalosPatch(file: string, options: ReadTalosPatchOptions = {}): TalosPatch {
  const source = path.relative(options.displayRoot ?? process.cwd(), file) || file;
  let yaml: string;
  try {
    yaml = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TalosPatchError(
      source,
      undefined,
      code === "ENOENT" ? "patch file not found; create it or remove it from the stack's patches" : String(error),
    );
  }
  const checked = options.fill ? options.fill(yaml) : yaml;
  return { source, yaml, schemaViolations: checkPatchYaml(source, checked, options.schema) };
}

/**
 * Throws a {@link TalosPatchError} when `yaml` is not a usable patch.
 * @returns where it breaks Talos' schema, when a schema is given
 */
export function checkPatchYaml(source: string, yaml: string, schema?: TalosConfigSchema): PatchSchemaViolation[] {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(yaml, { lineCounter, prettyErrors: false });
  if (!Array.isArray(documents)) {
    throw new TalosPatchError(source, undefined, "not a YAML document");
  }
  const lineOf = (offset: number): number => lineCounter.linePos(offset).line;
  const recalled = schema?.recalled(yaml);
  const violations: PatchSchemaViolation[] = [];
  for (const document of documents) {
    const [error] = document.errors;
    if (error) {
      throw new TalosPatchError(source, lineOf(error.pos[0]), `invalid YAML: ${firstLine(error.message)}`);
    }
    const contents = document.contents;
    if (contents === null) {
      continue;
    }
    if (!isMap(contents)) {
      const offset = contents.range ? contents.range[0] : 0;
      throw new TalosPatchError(source, lineOf(offset), "a patch must be a YAML mapping (e.g. `machine:` or `cluster:`)");
    }
    const content: unknown = document.toJS();
    const isOtherKind = typeof (content as Record<string, unknown>).kind === "string";
    for (const pair of contents.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (!isOtherKind && !TOP_LEVEL_SECTIONS.includes(key)) {
        throw new TalosPatchError(source, lineOf(nodeOffset(pair.key)), unknownSectionMessage(key));
      }
    }
    for (const { path, message } of schema && !recalled ? schema.check(content) : []) {
      const value: unknown = document.getIn(path);
      violations.push({
        line: lineOf(offsetOfPath(document, path)),
        field: dottedPath(path),
        message,
        // Scalars only: what a fix may quote.
        value: typeof value === "object" && value !== null ? undefined : value,
      });
    }
  }
  if (documents.every((document) => document.contents === null)) {
    throw new TalosPatchError(source, undefined, "the patch is empty");
  }
  if (recalled) return recalled;
  schema?.remember(yaml, violations);
  return violations;
}

/** `machine.network.interfaces[0].dhcp` */
function dottedPath(path: readonly (string | number)[]): string {
  return path.map((segment, i) => (typeof segment === "number" ? `[${segment}]` : i === 0 ? segment : `.${segment}`)).join("");
}

function unknownSectionMessage(key: string): string {
  const near = TOP_LEVEL_SECTIONS.find((section) => editDistance(section, key) <= 2);
  return `unknown top-level section "${key}"${near ? ` (did you mean "${near}"?)` : ""}; a machine configuration has ${TOP_LEVEL_SECTIONS.join(", ")}`;
}

/** Levenshtein distance, for "did you mean". */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

function nodeOffset(node: unknown): number {
  const range = (node as Node | null)?.range;
  return range ? range[0] : 0;
}

/** Offset of the deepest node of `path` in the document: a map key where the path names one. */
function offsetOfPath(document: Document, path: readonly (string | number)[]): number {
  let node: unknown = document.contents;
  let offset = nodeOffset(node);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === segment);
      if (!pair) break;
      offset = nodeOffset(pair.key);
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number" && node.items[segment] !== undefined) {
      node = node.items[segment];
      offset = nodeOffset(node);
    } else {
      break;
    }
  }
  return offset;
}

/** The yaml library's message without its own position and code excerpt. */
function firstLine(message: string): string {
  return message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
}
