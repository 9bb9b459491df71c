/** npm run destroy: the stack's resources destroyed, the secrets backup kept (operations/stack-destroy.ts). Its help: `command` below. */
import { CommandSpec, OUTPUT_OPTION, STACK_ARGUMENT, STATE_ENVIRONMENT } from "../operations/command-line";
import { askOnTerminal } from "../operations/confirmation";
import { destroyStack } from "../operations/stack-destroy";
import { selectStack } from "../operations/stack-selection";
import { ensureSetup } from "../setup/setup";
import { runCommand } from "./command";

export const command: CommandSpec = {
  name: "destroy",
  summary: "Destroy the stack, keeping the secrets backup",
  usage: ["<stack> [options]"],
  description: [
    "Asks first, naming the nodes and what is lost: every resource of the stack, the secrets and PKI in the state, the talosconfig and kubeconfig they sign. The nodes are not touched (the provider's destroy does nothing to them): they keep running until re-imaged. The secrets backup beside the state is kept, so that the next deploy adopts it and manages the running nodes again; --delete-secrets-backup deletes it too.",
  ],
  arguments: [STACK_ARGUMENT],
  options: {
    yes: { type: "boolean", description: "do not ask (for scripts)" },
    "delete-secrets-backup": { type: "boolean", description: "delete the secrets backup and terraform's backup of the state too" },
    output: OUTPUT_OPTION,
  },
  environment: STATE_ENVIRONMENT,
  exitStatuses: [
    { name: "0", description: "destroyed, or nothing was deployed" },
    { name: "1", description: "the engine's destroy failed" },
    { name: "2", description: "bad input, or not confirmed; nothing was destroyed" },
  ],
};

if (require.main === module) {
  process.umask(0o077); // the state holds every key of the cluster
  runCommand(command, async (args) => {
    const stack = selectStack(args.positionals[0]);
    await ensureSetup();
    return destroyStack({
      stack: stack.name,
      nodes: stack.nodes,
      output: args.outputFolder(),
      deleteSecretsBackup: args.flag("delete-secrets-backup"),
      confirm: args.flag("yes") ? () => Promise.resolve(true) : (question) => askOnTerminal("destroy", question),
    });
  });
}
