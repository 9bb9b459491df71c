import { existsSync } from "fs";
import * as path from "path";

/**
 * The project's root folder: the nearest folder above this module that holds
 * cdktf.json. Found, not assumed, because this code also runs bundled from
 * .build/app (see commands/synth.js).
 */
export const PROJECT_ROOT = ((): string => {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "cdktf.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no cdktf.json above ${__dirname}`);
  }
})();

/** A path inside the project. */
export function projectPath(...segments: string[]): string {
  return path.join(PROJECT_ROOT, ...segments);
}
