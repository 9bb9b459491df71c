import { createHash } from "crypto";
import { readFileSync } from "fs";
import * as path from "path";
import { VerdictStore } from "../lib/talos-checks";
import { writeFileAtomically } from "./atomic-file";

/**
 * A folder of verdicts, one file per input: synth runs on every deploy, and
 * the inputs it checks (patches, versions, the checking tool) rarely change.
 * Everything the verdict depends on must be part of the key.
 */
export class VerdictCache implements VerdictStore {
  /** @param directory the folder, created on the first verdict */
  constructor(readonly directory: string) {}

  /** The verdict kept for this key, or undefined; an entry that does not parse counts as none. */
  get<T>(key: unknown): T | undefined {
    try {
      return JSON.parse(readFileSync(this.file(key), "utf8")) as T;
    } catch {
      return undefined;
    }
  }

  /** Keeps the verdict for this key. */
  set(key: unknown, verdict: unknown): void {
    // A concurrent or interrupted synth never reads half an entry.
    writeFileAtomically(this.file(key), JSON.stringify(verdict), 0o644);
  }

  private file(key: unknown): string {
    return path.join(this.directory, `${createHash("sha256").update(JSON.stringify(key)).digest("hex")}.json`);
  }
}
