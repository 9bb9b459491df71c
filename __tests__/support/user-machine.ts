import { execFileSync, spawnSync } from "child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { isolatedEnvironment } from "../../testing/terraform";
import { PROJECT_ROOT } from "./tiers";

/** How a command in the clone ended, and what it printed (stdout and stderr, as they came). */
export interface Ran {
  readonly status: number | null;
  readonly output: string;
}

/**
 * A fresh clone of the project as a user has it: in a folder of its own with
 * no `../shared` beside it (so no release source archive is visible to the
 * code under test), a home folder without a terraform CLI configuration, no
 * PROVIDER_SOURCES, and the project's files as they are in this working tree
 * (tracked, and new ones git does not ignore). `npm ci` installs from the npm
 * cache, and Go builds from the module cache only (GOPROXY=off): the tests run
 * in a loopback-only namespace.
 */
export class UserMachine {
  readonly root = mkdtempSync(path.join(tmpdir(), "user-machine-"));
  readonly clone = path.join(this.root, "cloudkoffer");
  readonly home = path.join(this.root, "home");
  private readonly caches: Record<string, string>;

  constructor() {
    const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: PROJECT_ROOT, encoding: "utf8" })
      .split("\0")
      .filter((file) => file !== "" && existsSync(path.join(PROJECT_ROOT, file)));
    for (const file of files) {
      mkdirSync(path.dirname(path.join(this.clone, file)), { recursive: true });
      copyFileSync(path.join(PROJECT_ROOT, file), path.join(this.clone, file));
    }
    mkdirSync(this.home);
    // The caches stay where this machine's are, though HOME moves: they hold what npm ci and go need offline.
    const go = execFileSync("go", ["env", "GOMODCACHE", "GOCACHE", "GOPATH"], { encoding: "utf8" }).trim().split("\n");
    const npmCache = execFileSync("npm", ["config", "get", "cache"], { encoding: "utf8" }).trim();
    this.caches = { GOMODCACHE: go[0], GOCACHE: go[1], GOPATH: go[2], GOPROXY: "off", npm_config_cache: npmCache };
  }

  /**
   * The user's environment: none of this machine's terraform configuration or
   * release sources, plus `extra` (their registry settings, their PATH).
   */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const dropped = new Set(["PROVIDER_SOURCES", "TF_PLUGIN_CACHE_DIR", ...(extra.TF_CLI_CONFIG_FILE ? [] : ["TF_CLI_CONFIG_FILE"])]);
    return Object.fromEntries(
      Object.entries(isolatedEnvironment({ HOME: this.home, ...this.caches, ...extra })).filter(([key]) => !dropped.has(key)),
    );
  }

  /** Replaces a file of the clone. */
  write(file: string, content: string): void {
    writeFileSync(path.join(this.clone, file), content);
  }

  /** Runs a command in the clone and waits for it. */
  run(command: string, args: readonly string[], env: NodeJS.ProcessEnv, timeout = 600000): Ran {
    const run = spawnSync(command, args, { cwd: this.clone, env, encoding: "utf8", timeout, maxBuffer: 64 * 1024 * 1024 });
    return { status: run.status, output: `${run.stdout}${run.stderr}${run.error ? `\n${run.error.message}` : ""}` };
  }

  /** `npm ci` from the npm cache, as the README's first step. */
  npmCi(): void {
    const ci = this.run("npm", ["ci", "--offline", "--no-audit", "--no-fund"], this.env());
    if (ci.status !== 0) throw new Error(`npm ci in the clone failed (${ci.status}):\n${ci.output}`);
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
