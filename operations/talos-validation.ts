import { spawnSync } from "child_process";
import { existsSync, statSync } from "fs";
import { projectPath } from "../lib/project-paths";
import { VerdictCache } from "./verdict-cache";

/** The project's Talos tool, `cloudkoffer-talos` (go), built by `npm run setup`: validate, probe, bootstrapped. */
export const DEFAULT_TALOS_TOOL = projectPath(".build", "bin", "cloudkoffer-talos");
/** Where verdicts are kept, by input: patches rarely change, synth runs on every deploy. */
export const DEFAULT_VALIDATION_CACHE = projectPath(".build", "talos", "validated");

/** A patch and where it came from. */
export interface TalosPatchSource {
  /** e.g. `patches/all.yaml` */
  readonly source: string;
  /** The YAML as Talos receives it (not Terraform-escaped). */
  readonly yaml: string;
}

/** One stack's machine configurations, as talos_machine_configuration generates them. */
export interface TalosValidationJob {
  /** e.g. `cloudkoffer-v3` */
  readonly name: string;
  readonly clusterName: string;
  readonly clusterEndpoint: string;
  /** With its leading "v". */
  readonly talosVersion: string;
  readonly kubernetesVersion: string;
  /** Patches per role, in the order they are applied. */
  readonly roles: { readonly controlplane: readonly TalosPatchSource[]; readonly worker: readonly TalosPatchSource[] };
}

/** Talos' verdict on one role's merged configuration (go/internal/validation). */
export interface TalosValidationResult {
  readonly name: string;
  readonly role: "controlplane" | "worker";
  readonly valid: boolean;
  /** The first patch after which the configuration no longer loads or validates. */
  readonly source?: string;
  readonly errors?: string[];
  readonly warnings?: string[];
}

/** How {@link validateWithTalos} runs. */
export interface TalosValidationOptions {
  /**
   * The project's Talos tool.
   * @default `.build/bin/cloudkoffer-talos`
   */
  readonly tool?: string;
  /**
   * Folder of cached verdicts; undefined to always ask Talos.
   * @default `.build/talos/validated`
   */
  readonly cacheDirectory?: string | undefined;
}

/**
 * Merges each job's patches onto the configuration the provider generates
 * and validates it for a metal node with Talos' own code, as a node does
 * before it accepts a configuration.
 *
 * @returns the verdicts, or undefined when the tool is not built
 */
export function validateWithTalos(
  jobs: readonly TalosValidationJob[],
  options: TalosValidationOptions = {},
): TalosValidationResult[] | undefined {
  const tool = options.tool ?? DEFAULT_TALOS_TOOL;
  if (!existsSync(tool)) {
    return undefined;
  }
  const cacheDirectory = "cacheDirectory" in options ? options.cacheDirectory : DEFAULT_VALIDATION_CACHE;
  const verdicts = cacheDirectory === undefined ? undefined : new VerdictCache(cacheDirectory);
  // A rebuilt tool may judge differently: its identity is part of the key.
  const { size, mtimeMs } = statSync(tool);
  const key = (job: TalosValidationJob) => [size, mtimeMs, job];

  const cached = new Map<TalosValidationJob, TalosValidationResult[]>();
  for (const job of jobs) {
    const results = verdicts?.get<TalosValidationResult[]>(key(job));
    if (results) cached.set(job, results);
  }
  const missing = jobs.filter((job) => !cached.has(job));
  if (missing.length > 0) {
    const fresh = runTool(tool, missing);
    for (const job of missing) {
      const results = fresh.filter((result) => result.name === job.name);
      cached.set(job, results);
      verdicts?.set(key(job), results);
    }
  }
  return jobs.flatMap((job) => cached.get(job) ?? []);
}

function runTool(tool: string, jobs: readonly TalosValidationJob[]): TalosValidationResult[] {
  const run = spawnSync(tool, ["validate"], { input: JSON.stringify(jobs), encoding: "utf8" });
  // Exit status 1 with verdicts on stdout means "invalid"; anything else is the tool failing.
  if (run.status === 0 || (run.status === 1 && run.stdout.startsWith("["))) {
    return JSON.parse(run.stdout) as TalosValidationResult[];
  }
  throw new Error(`${tool} validate failed (${run.status ?? run.signal}): ${run.stderr.trim()}`);
}

/** One line per problem, naming stack, role and patch. */
export function describeTalosRejection(result: TalosValidationResult): string {
  const where = `${result.name} ${result.role}${result.source ? `, after ${result.source}` : ""}`;
  return `Talos rejects the ${where}: ${(result.errors ?? []).join("; ")}`;
}
