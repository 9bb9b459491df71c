/**
 * npm run deploy -- <stack> [options] [-- <cdktf deploy options>]
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
 */
import { selectStack } from "../operations/stack-selection";
import { ensureSetup } from "../setup/setup";
import { StackDeploy } from "../operations/stack-deploy";
import { BAD_INPUT_STATUS, CommandSpec, OUTPUT_OPTION, STACK_ARGUMENT, STACK_ENVIRONMENT } from "../operations/command-line";
import { runCommand } from "./command";

export const command: CommandSpec = {
  name: "deploy",
  summary: "Provision the cluster, or converge it",
  usage: ["<stack> [options] [-- <cdktf deploy options>]"],
  description: [
    "cdktf deploy <stack> after one-line input checks: secrets, machine configurations, every node, bootstrap, kubeconfig, and a wait until the cluster is healthy. A changed TF_VAR_talos_version or TF_VAR_kubernetes_version upgrades, node by node (docs/upgrades.md).",
    "An interrupted or failed deploy keeps the secrets; the next deploy converges by itself (docs/recovery.md).",
  ],
  arguments: [STACK_ARGUMENT],
  options: {
    "auto-approve": { type: "boolean", description: "apply without asking" },
    "no-color": { type: "boolean", description: "no colours in terraform's output" },
    output: { ...OUTPUT_OPTION, short: "o" },
  },
  passThrough: "cdktf deploy",
  environment: [
    ...STACK_ENVIRONMENT,
    { name: "PATH", description: "your talosctl of Talos v1.7 upgrades the nodes; without one, the one built here" },
  ],
  exitStatuses: [{ name: "0", description: "deployed and healthy" }, { name: "1", description: "the deploy failed (cdktf's status)" }, BAD_INPUT_STATUS],
};

if (require.main === module) {
  runCommand(command, async (args) => {
    const stack = selectStack(args.positionals[0]);
    await ensureSetup();
    const output = args.outputFolder();
    const cdktfArgs = [
      ...(args.flag("auto-approve") ? ["--auto-approve"] : []),
      ...(args.flag("no-color") ? ["--no-color"] : []),
      ...["--output", output],
      ...args.passThrough,
    ];
    process.umask(0o077);
    return new StackDeploy({ stack, output, cdktfArgs }).run();
  });
}
