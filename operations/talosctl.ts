/**
 * The talosctl the project drives (npm start, npm run deploy's maintenance
 * scripts, the tests): the user's own on PATH when its client is Talos v1.7.x,
 * else the one `npm run setup -- talosctl` built from Talos' release source,
 * else none (TALOSCTL_INSTALL_HINT says how to install it).
 */
import { spawnSync } from "child_process";
import { accessSync, constants } from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../lib/project-paths";
import { TALOSCTL_INSTALL_HINT } from "../lib/talosctl-install";
import { builtFrom, findArchive, sourceFolders, TALOS_SOURCE } from "../setup/release-sources";
import { Finished, runProgram } from "./program";
import { ClientConfiguration } from "./state";
import { withTalosconfig } from "./talosconfig";

export { TALOSCTL_INSTALL_HINT };

/** The real talosctl, built from Talos' release source (npm run setup -- talosctl) where the archive is. */
export const TALOSCTL = path.join(PROJECT_ROOT, ".build", "bin", "talosctl");
/** Where {@link TALOSCTL}'s provenance is recorded. */
export const TALOSCTL_STAMP = path.join(PROJECT_ROOT, ".build", "built", `talosctl-${TALOS_SOURCE.version}.json`);

/** Whether {@link TALOSCTL} is built from the pinned Talos release: the talosctl step is then a no-op. */
export function talosctlBuilt(): boolean {
  return builtFrom(TALOS_SOURCE, TALOSCTL, TALOSCTL_STAMP) !== undefined;
}

/** A talosctl to drive, and where it came from. */
export interface FoundTalosctl {
  /** The command: an absolute path. */
  readonly command: string;
  /** `PATH`: the user's own; `built`: built here from Talos' release source. */
  readonly origin: "PATH" | "built";
  /** Its client's Talos version, e.g. v1.7.4. */
  readonly version: string;
}

/** The Talos release line whose talosctl the project drives. */
const TALOS_LINE = /^v1\.7\.\d+$/;

/** The client version a talosctl reports (`talosctl version --client --short`), or undefined when it does not run. */
export function talosctlClientVersion(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const run = spawnSync(command, ["version", "--client", "--short"], { env, encoding: "utf8", timeout: 10000 });
  if (run.status !== 0) return undefined;
  return /Talos (v\S+)/.exec(run.stdout)?.[1];
}

/** The absolute path of `talosctl` on PATH, or undefined. */
function onPath(env: NodeJS.ProcessEnv): string | undefined {
  for (const folder of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    const candidate = path.resolve(folder, "talosctl");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** The talosctl to drive, or undefined when there is none (see the module's comment). */
export function findTalosctl(env: NodeJS.ProcessEnv = process.env): FoundTalosctl | undefined {
  const own = onPath(env);
  const version = own && talosctlClientVersion(own, env);
  if (own && version && TALOS_LINE.test(version)) return { command: own, origin: "PATH", version };
  if (talosctlBuilt()) return { command: TALOSCTL, origin: "built", version: TALOS_SOURCE.tag };
  return undefined;
}

/** Whether talosctl can be built here: Talos' release source archive is there. */
export function talosctlBuildable(env: NodeJS.ProcessEnv = process.env): boolean {
  return findArchive(TALOS_SOURCE, sourceFolders(env)) !== undefined;
}

/** Why there is no talosctl to drive, and how to get one. */
export function noTalosctlMessage(env: NodeJS.ProcessEnv = process.env): string {
  const own = onPath(env);
  const version = own && talosctlClientVersion(own, env);
  const found = own ? `${own} is talosctl ${version ?? "that does not run"}, not a Talos v1.7 client` : "no talosctl on PATH";
  return `${found}, and no Talos release source to build one: ${TALOSCTL_INSTALL_HINT}`;
}

/** talosctl for one stack: its client certificate, and the node a call goes to as its endpoint. */
export class StackTalosctl {
  constructor(
    private readonly talosctl: string,
    private readonly client: ClientConfiguration,
  ) {}

  /** Runs talosctl against one node (its own endpoint), returning how it ended. */
  run(node: string, args: readonly string[], timeoutMs = 120000): Promise<Finished> {
    return withTalosconfig(this.client, [node], [node], (talosconfig) =>
      runProgram(this.talosctl, ["--talosconfig", talosconfig, ...args, `--nodes=${node}`, `--endpoints=${node}`], { timeout: timeoutMs }),
    );
  }

  /** Runs talosctl and throws with what it said when it fails. */
  async ok(node: string, args: readonly string[], timeoutMs?: number): Promise<string> {
    const finished = await this.run(node, args, timeoutMs);
    if (finished.status !== 0) {
      throw new Error(`talosctl ${args.join(" ")} on ${node} failed: ${(finished.stderr || finished.stdout).trim().split("\n").slice(-3).join(" ")}`);
    }
    return finished.stdout;
  }
}
