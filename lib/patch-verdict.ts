import { describeSchemaViolation, PatchSchemaViolation, TalosPatch } from "./talos-patch";
import { TalosValidationJob, TalosValidationResult } from "./talos-contract";

/** One line per problem, naming stack, role and patch. */
export function describeTalosRejection(result: TalosValidationResult): string {
  const where = `${result.name} ${result.role}${result.source ? `, after ${result.source}` : ""}`;
  return `Talos rejects the ${where}: ${(result.errors ?? []).join("; ")}`;
}

/** What synth says of a stack's patches: errors stop it, warnings name a fix. */
export interface PatchVerdict {
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

/**
 * Decides what stops a synth: only what Talos itself refuses.
 *
 * Talos' JSON schema is stricter than Talos' own loader in places: the schema
 * says kubelet arguments are strings, and the loader reads the seed's
 * unquoted `rotate-server-certificates: true` as the string "true". So a
 * schema violation is an error only where Talos' loader and validator (the
 * Talos tool's verdict on the merged configurations) did not accept its
 * file; where they did, it is a warning with the fix. Without Talos' verdict
 * every violation is an error.
 *
 * @param files the stack's patch files, each once, with their schema violations
 * @param job what Talos was asked to validate: the patches per role, in order
 * @param results Talos' verdicts, or undefined when the Talos tool is not built
 */
export function patchVerdict(
  files: readonly TalosPatch[],
  job: TalosValidationJob,
  results: readonly TalosValidationResult[] | undefined,
): PatchVerdict {
  const rejections = (results ?? []).filter((result) => !result.valid);
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const { source, schemaViolations } of files) {
    const accepted = results !== undefined && acceptedByTalos(source, job, results);
    for (const violation of schemaViolations) {
      if (accepted) warnings.push(`${describeSchemaViolation(source, violation)}; ${fixFor(violation)}`);
      else errors.push(describeSchemaViolation(source, violation));
    }
  }
  return { errors: [...errors, ...rejections.map(describeTalosRejection)], warnings };
}

/**
 * Whether Talos loaded and validated the merged configuration of every role
 * that applies `source`, past that patch (a rejection names the first patch
 * after which the configuration no longer loads or validates).
 */
function acceptedByTalos(source: string, job: TalosValidationJob, results: readonly TalosValidationResult[]): boolean {
  const roles = (["controlplane", "worker"] as const).filter((role) => job.roles[role].some((patch) => patch.source === source));
  return (
    roles.length > 0 &&
    roles.every((role) => {
      const result = results.find((candidate) => candidate.role === role);
      if (!result) return false;
      if (result.valid) return true;
      const order = job.roles[role].map((patch) => patch.source);
      return result.source !== undefined && order.indexOf(result.source) > order.indexOf(source);
    })
  );
}

/** What to write instead, for a violation Talos' loader accepts. */
function fixFor({ field, message, value }: PatchSchemaViolation): string {
  const key = field.split(".").pop() ?? field;
  if (message === "must be string" && (typeof value === "boolean" || typeof value === "number")) {
    return `Talos reads ${String(value)} as the string "${String(value)}": quote it, ${key}: "${String(value)}"`;
  }
  return "Talos' own loader and validator accept it, but write it as its schema says";
}
