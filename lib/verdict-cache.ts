import { createHash } from "crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";

/**
 * A folder of verdicts, one file per input: synth runs on every deploy, and
 * the inputs it checks (patches, versions, the checking tool) rarely change.
 * Everything the verdict depends on must be part of the key.
 */
export class VerdictCache {
  /** @param directory the folder, created on the first verdict */
  constructor(readonly directory: string) {}

  /** The verdict kept for this key, or undefined. */
  get<T>(key: unknown): T | undefined {
    const file = this.file(key);
    return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as T) : undefined;
  }

  /** Keeps the verdict for this key. */
  set(key: unknown, verdict: unknown): void {
    mkdirSync(this.directory, { recursive: true });
    writeFileSync(this.file(key), JSON.stringify(verdict));
  }

  private file(key: unknown): string {
    return path.join(this.directory, `${createHash("sha256").update(JSON.stringify(key)).digest("hex")}.json`);
  }
}
