/**
 * npm run deploy -- <stack> [cdktf deploy options]
 *
 * `cdktf deploy <stack>` with what cdktf cannot do itself:
 * - checks first: cdktf hides TF_VAR_* from the app, so a TF_VAR_nodes that
 *   does not parse would only reach terraform, which names neither the problem
 *   nor the fix. Here an unknown stack or an unparseable TF_VAR_nodes fails in
 *   one line, before anything runs;
 * - an interrupted or faulted deploy never costs the secrets, and the next
 *   one converges by itself (operations/deploy-recovery.ts): a state file left empty
 *   or truncated is set aside and restored from terraform's backup; a state
 *   without secrets adopts the backup the stack wrote before any node was
 *   configured, or, without one, stops before touching configured nodes; a
 *   missing backup is written again; a bootstrap that took effect but is
 *   missing from the state is adopted, also while a deploy waits for its lost
 *   reply (terraform is interrupted, and the deploy run once more); a Talos
 *   roll that was killed half way is resumed;
 * - the state holds every key of the cluster: terraform runs with umask 077,
 *   and the local state file (and its backup) end up with mode 0600;
 * - the maintenance scripts get the project's own Talos client
 *   (CLOUDKOFFER_TALOS_TOOL), to ask the nodes what they run without talosctl,
 *   and the talosctl to upgrade with (CLOUDKOFFER_TALOSCTL: the user's own of
 *   Talos v1.7, else the one built here; operations/talosctl.ts);
 * - it sets up what it needs first (npm run setup: a no-op when done), and
 *   lets terraform install the providers the way setup decided
 *   (setup/provider-source.ts: the project's mirror, the user's CLI
 *   configuration, or the registry), pinned by the lock the stack carries;
 *   so it adds --skip-provider-lock (`terraform providers lock` would only
 *   ask the registry again, which a mirror cannot answer).
 * Exit status: cdktf's, or 2 for bad input or a state that cannot be deployed safely.
 */
import * as path from "path";
import { selectStack } from "../operations/stack-selection";
import { PROJECT_ROOT } from "../lib/project-paths";
import { ensureSetup } from "../setup/setup";
import { StackDeploy } from "../operations/stack-deploy";
import { runCommand } from "./command";

async function main(): Promise<number> {
  const [name, ...rest] = process.argv.slice(2);
  const stack = selectStack(name);
  await ensureSetup();
  const outputFlag = rest.findIndex((arg) => arg === "--output" || arg === "-o");
  const output = path.resolve(PROJECT_ROOT, outputFlag >= 0 ? rest[outputFlag + 1] : "cdktf.out");
  process.umask(0o077);
  return new StackDeploy({ stack, output, cdktfArgs: rest }).run();
}

runCommand("deploy", main);
