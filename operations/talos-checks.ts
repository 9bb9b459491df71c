/**
 * The checks of the patches against Talos itself that `npm run synth` gives
 * the stacks (lib/talos-checks.ts): Talos' machine-configuration schema,
 * which `npm run setup` copies out of Talos' Go module, and Talos' own
 * validation of the merged configurations by the project's Talos tool. Both
 * remember their verdicts by input under `.build/`: synth runs on every
 * deploy, and patches rarely change.
 */
import { existsSync, readFileSync } from "fs";
import { projectPath } from "../lib/project-paths";
import { TalosChecks } from "../lib/talos-checks";
import { TalosConfigSchema } from "../lib/talos-config-schema";
import { TalosValidationJob, TalosValidationResult } from "../lib/talos-contract";
import { TalosTool } from "./talos-tool";
import { VerdictCache } from "./verdict-cache";

/** Where `npm run setup` puts Talos' own machine-configuration schema (setup/talos-config-schema.sh). */
export const DEFAULT_TALOS_CONFIG_SCHEMA = projectPath(".build", "talos", "config.schema.json");
/** Where the schema check remembers what it found in each patch text. */
export const DEFAULT_SCHEMA_VERDICTS = projectPath(".build", "talos", "schema-valid");
/** Where Talos' verdicts are kept, by input. */
export const DEFAULT_VALIDATION_CACHE = projectPath(".build", "talos", "validated");

/** Where the checks find what they need. */
export interface TalosCheckOptions {
  /** @default DEFAULT_TALOS_CONFIG_SCHEMA */
  readonly schemaFile?: string;
  /** @default the project's Talos tool, `.build/bin/cloudkoffer-talos` */
  readonly tool?: TalosTool;
  /**
   * Where verdicts are remembered; undefined to ask every time.
   * @default `.build/talos/validated` and `.build/talos/schema-valid`
   */
  readonly verdicts?: { readonly validation: string; readonly schema: string } | undefined;
}

/** Schemas read once per file and process: three stacks share one. */
const schemas = new Map<string, TalosConfigSchema>();

/**
 * Talos' schema in `file`, or undefined when the file is not there (npm run setup writes it).
 * @param verdicts where what each patch text was found to break is remembered @default nothing remembered
 */
export function loadTalosConfigSchema(file: string = DEFAULT_TALOS_CONFIG_SCHEMA, verdicts?: string): TalosConfigSchema | undefined {
  let schema = schemas.get(file);
  if (!schema && existsSync(file)) {
    schema = new TalosConfigSchema(readFileSync(file, "utf8"), verdicts === undefined ? undefined : new VerdictCache(verdicts));
    schemas.set(file, schema);
  }
  return schema;
}

/** The checks backed by Talos' schema and the project's Talos tool. */
export function talosChecks(options: TalosCheckOptions = {}): TalosChecks {
  const schemaFile = options.schemaFile ?? DEFAULT_TALOS_CONFIG_SCHEMA;
  const tool = options.tool ?? new TalosTool();
  const verdicts = "verdicts" in options ? options.verdicts : { validation: DEFAULT_VALIDATION_CACHE, schema: DEFAULT_SCHEMA_VERDICTS };
  const schema = loadTalosConfigSchema(schemaFile, verdicts?.schema);
  return {
    schema: schema ?? { missing: `${schemaFile} is missing (npm run setup writes it)` },
    validate: (jobs, remember) => {
      if (!tool.built) return { unavailable: `${tool.path} is missing (npm run setup builds it)` };
      return validateRemembering(jobs, tool, remember && verdicts ? new VerdictCache(verdicts.validation) : undefined);
    },
  };
}

/** Talos' verdicts on the jobs, those given before for the same input (and the same tool) from `cache`. */
function validateRemembering(jobs: readonly TalosValidationJob[], tool: TalosTool, cache: VerdictCache | undefined): TalosValidationResult[] {
  const identity = tool.identity;
  const key = (job: TalosValidationJob) => [identity.size, identity.mtimeMs, job];
  const known = new Map<TalosValidationJob, TalosValidationResult[]>();
  for (const job of jobs) {
    const results = cache?.get<TalosValidationResult[]>(key(job));
    if (results) known.set(job, results);
  }
  const missing = jobs.filter((job) => !known.has(job));
  if (missing.length > 0) {
    const fresh = tool.validate(missing);
    for (const job of missing) {
      const results = fresh.filter((result) => result.name === job.name);
      known.set(job, results);
      cache?.set(key(job), results);
    }
  }
  return jobs.flatMap((job) => known.get(job) ?? []);
}
