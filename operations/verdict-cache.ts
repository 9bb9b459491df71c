import { createHash } from "crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "fs";
import * as path from "path";

/**
 * A folder of verdicts, one file per input: synth runs on every deploy, and
 * the inputs it checks (patches, versions, the checking tool) rarely change.
 * Everything the verdict depends on must be part of the key.
 */
export class VerdictCache {
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
    mkdirSync(this.directory, { recursive: true });
    // Written beside and renamed into place: a concurrent or interrupted synth never reads half an entry.
    const file = this.file(key);
    const partial = `${file}.${process.pid}`;
    writeFileSync(partial, JSON.stringify(verdict));
    renameSync(partial, file);
  }

  private file(key: unknown): string {
    return path.join(this.directory, `${createHash("sha256").update(JSON.stringify(key)).digest("hex")}.json`);
  }
}
