import { readFileSync } from "fs";
import * as path from "path";
import { isMap, LineCounter, parseAllDocuments } from "yaml";

/**
 * A Talos machine-configuration patch (a strategic merge patch in YAML),
 * as handed to `talos_machine_configuration.config_patches`.
 */
export interface TalosPatch {
  /** Where the patch came from, for error messages, e.g. `patches/all.yaml`. */
  readonly source: string;
  /** The YAML text of the patch. */
  readonly yaml: string;
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

/**
 * Reads a patch file and checks that it is YAML whose documents are mappings,
 * so that a broken patch fails at synth and never reaches a node.
 *
 * @param file path of the patch file
 * @param displayRoot directory that error messages name the file relative to
 * @default displayRoot the current working directory
 */
export function readTalosPatch(file: string, displayRoot: string = process.cwd()): TalosPatch {
  const source = path.relative(displayRoot, file) || file;
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
  checkPatchYaml(source, yaml);
  return { source, yaml };
}

/** Throws a {@link TalosPatchError} when `yaml` is not a usable patch. */
export function checkPatchYaml(source: string, yaml: string): void {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(yaml, { lineCounter, prettyErrors: false });
  if (!Array.isArray(documents)) {
    throw new TalosPatchError(source, undefined, "not a YAML document");
  }
  const lineOf = (offset: number): number => lineCounter.linePos(offset).line;
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
  }
  if (documents.every((document) => document.contents === null)) {
    throw new TalosPatchError(source, undefined, "the patch is empty");
  }
}

/** The yaml library's message without its own position and code excerpt. */
function firstLine(message: string): string {
  return message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
}

/**
 * Escapes text for a Terraform string literal: Terraform reads `${` and `%{`
 * in any string as template syntax, which a patch must never trigger.
 */
export function terraformLiteral(text: string): string {
  return text.replace(/([$%])\{/g, (_match, sigil: string) => `${sigil}${sigil}{`);
}
