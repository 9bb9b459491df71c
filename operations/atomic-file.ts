import { mkdirSync, renameSync, rmSync, writeFileSync } from "fs";
import * as path from "path";

/**
 * Writes a file atomically: into a temporary file beside it, then renamed
 * into place, so that a reader (terraform, a concurrent command, the next
 * deploy after a kill) finds the old content or the new, never half of it.
 * @param mode the file's mode @default 0o600: readable by its owner only
 */
export function writeFileAtomically(file: string, content: string, mode = 0o600): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  try {
    writeFileSync(partial, content, { mode });
    renameSync(partial, file);
  } finally {
    rmSync(partial, { force: true });
  }
}
