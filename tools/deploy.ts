/**
 * npm run deploy -- <stack> [cdktf deploy options]
 *
 * `cdktf deploy <stack>` with what cdktf cannot do itself:
 * - checks first: cdktf hides TF_VAR_* from the app, so a TF_VAR_nodes that
 *   does not parse would only reach terraform, which names neither the problem
 *   nor the fix. Here an unknown stack or an unparseable TF_VAR_nodes fails in
 *   one line, before anything runs;
 * - the state holds every key of the cluster: terraform runs with umask 077,
 *   and the local state file (and its backup) end up with mode 0600;
 * - with this project's provider mirror (TF_CLI_CONFIG_FILE set to
 *   .providers/terraformrc) it adds --skip-provider-lock, because
 *   `terraform providers lock` asks the registry, not the mirror.
 * Exit status: cdktf's, or 2 for bad input.
 */
import { spawnSync } from "child_process";
import { chmodSync, existsSync } from "fs";
import * as path from "path";
import { defaultStatePath } from "../lib/cloudkoffer-profile";
import { selectStack } from "../lib/deploy-target";
import { PROJECT_ROOT } from "../lib/project-paths";

const [name, ...rest] = process.argv.slice(2);
try {
  const stack = selectStack(name);
  const mirrorOnly = process.env.TF_CLI_CONFIG_FILE === path.join(PROJECT_ROOT, ".providers", "terraformrc");
  const args = ["deploy", stack.name, ...(mirrorOnly && !rest.includes("--skip-provider-lock") ? ["--skip-provider-lock"] : []), ...rest];
  process.umask(0o077);
  const run = spawnSync(path.join(PROJECT_ROOT, "node_modules", ".bin", "cdktf"), args, { cwd: PROJECT_ROOT, stdio: "inherit" });
  const outputFlag = rest.findIndex((arg) => arg === "--output" || arg === "-o");
  const output = path.resolve(PROJECT_ROOT, outputFlag >= 0 ? rest[outputFlag + 1] : "cdktf.out");
  const state = path.resolve(output, "stacks", stack.name, defaultStatePath(stack.name));
  for (const file of [state, `${state}.backup`]) {
    if (existsSync(file)) chmodSync(file, 0o600);
  }
  process.exitCode = run.status ?? 1;
} catch (error) {
  console.error(`deploy: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}
