/**
 * npm run deploy -- <stack> [cdktf deploy options]
 *
 * `cdktf deploy <stack>` with the checks cdktf cannot make: cdktf hides TF_VAR_*
 * from the app, so a TF_VAR_nodes that does not parse would only reach
 * terraform, which names neither the problem nor the fix. Here an unknown
 * stack or an unparseable TF_VAR_nodes fails in one line, before anything
 * runs. With this project's provider mirror (TF_CLI_CONFIG_FILE set to
 * .providers/terraformrc) it adds --skip-provider-lock, because
 * `terraform providers lock` asks the registry, not the mirror.
 * Exit status: cdktf's, or 2 for bad input.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { selectStack } from "../lib/deploy-target";

const root = path.resolve(__dirname, "..");
const [name, ...rest] = process.argv.slice(2);
try {
  const stack = selectStack(name);
  const mirrorOnly = process.env.TF_CLI_CONFIG_FILE === path.join(root, ".providers", "terraformrc");
  const args = ["deploy", stack.name, ...(mirrorOnly && !rest.includes("--skip-provider-lock") ? ["--skip-provider-lock"] : []), ...rest];
  const run = spawnSync(path.join(root, "node_modules", ".bin", "cdktf"), args, { cwd: root, stdio: "inherit" });
  process.exitCode = run.status ?? 1;
} catch (error) {
  console.error(`deploy: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}
