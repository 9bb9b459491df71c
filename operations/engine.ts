/**
 * The engine that runs the synthesized Terraform: terraform (the default) or
 * OpenTofu. Chosen as cdktf chooses it, with TERRAFORM_BINARY_NAME (a command
 * or a path, e.g. `tofu`), or with the project's CLOUDKOFFER_ENGINE=tofu,
 * which also finds the tofu `npm run setup` builds when none is on PATH.
 * Every project command runs the chosen engine, and hands it to cdktf.
 */
import { spawnSync } from "child_process";
import { existsSync } from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../lib/project-paths";
import { engineOf } from "../lib/terraform-engine";

export { engineOf };

/** Where `npm run setup` puts the OpenTofu it builds when none is on PATH. */
export const BUILT_TOFU = path.join(PROJECT_ROOT, ".build", "bin", "tofu");

/** What `runs` found, by command: asked once per process, not before every engine command. */
const answered = new Map<string, boolean>();

/** Whether a command answers `version` (on PATH, or a path). */
function runs(command: string): boolean {
  let found = answered.get(command);
  if (found === undefined) {
    found = spawnSync(command, ["version"], { stdio: "ignore" }).status === 0;
    answered.set(command, found);
  }
  return found;
}

/** Whether the asked-for engine needs the tofu that `npm run setup` builds: tofu, and none on PATH. */
export function needsBuiltTofu(env: NodeJS.ProcessEnv = process.env): boolean {
  if (engineOf(env) !== "tofu") return false;
  const binary = env.TERRAFORM_BINARY_NAME;
  return !(binary && binary !== "tofu" ? runs(binary) : runs("tofu"));
}

/**
 * The command that runs the asked-for engine: TERRAFORM_BINARY_NAME when it
 * runs, else `terraform`, or for tofu the one on PATH, else the one built.
 */
export function engineBinary(env: NodeJS.ProcessEnv = process.env): string {
  const engine = engineOf(env);
  const binary = env.TERRAFORM_BINARY_NAME;
  if (binary && engineOf({ TERRAFORM_BINARY_NAME: binary }) === engine && (binary !== "tofu" || runs(binary))) return binary;
  if (engine === "terraform") return "terraform";
  return runs("tofu") ? "tofu" : BUILT_TOFU;
}

/** The environment with the engine settled: TERRAFORM_BINARY_NAME names the binary, for cdktf too. */
export function withEngine(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const binary = engineBinary(env);
  if (engineOf(env) === "tofu" && binary === BUILT_TOFU && !existsSync(BUILT_TOFU)) {
    throw new Error(`OpenTofu was asked for, but there is no tofu on PATH and ${path.relative(PROJECT_ROOT, BUILT_TOFU)} is not built: npm run setup -- tofu`);
  }
  return { ...env, TERRAFORM_BINARY_NAME: binary };
}
