import type { TalosConfigSchema } from "./talos-config-schema";
import type { TalosValidationJob, TalosValidationResult } from "./talos-contract";

/** Verdicts kept by their input, so that an unchanged synth asks nobody (operations/verdict-cache.ts keeps them on disk). */
export interface VerdictStore {
  /** The verdict kept for this key, or undefined. */
  get<T>(key: unknown): T | undefined;
  /** Keeps the verdict for this key. */
  set(key: unknown, verdict: unknown): void;
}

/**
 * What checks the patches against Talos itself, handed to a stack: main.ts
 * gives the one backed by Talos' schema and the project's Talos tool
 * (operations/talos-checks.ts); without one, a construct synthesizes the same
 * on every machine, checking YAML, sections, references and interface names only.
 */
export interface TalosChecks {
  /** Talos' machine-configuration schema each patch document is checked against, or why there is none (synth warns). */
  readonly schema: TalosConfigSchema | { readonly missing: string };
  /**
   * Talos' verdicts on the merged configurations, or why Talos was not asked (synth warns).
   * @param remember whether verdicts given before for the same input may answer
   */
  validate(jobs: readonly TalosValidationJob[], remember: boolean): readonly TalosValidationResult[] | { readonly unavailable: string };
}

/** No checks against Talos: what a stack synthesizes with unless it is given some. */
export const WITHOUT_TALOS: TalosChecks = {
  schema: { missing: "no schema was given to the stack (npm run synth gives it .build/talos/config.schema.json)" },
  validate: () => ({ unavailable: "no Talos tool was given to the stack (npm run synth gives it .build/bin/cloudkoffer-talos)" }),
};
