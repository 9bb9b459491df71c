/** npm run credentials: when the stack's credentials expire (its help: `command` below). */
import { selectStack } from "../operations/stack-selection";
import { credentialExpiries, describeExpiry } from "../operations/credential-expiry";
import { readStackState } from "../operations/stack-state";
import { CommandSpec, OUTPUT_OPTION, STACK_ARGUMENT, STATE_ENVIRONMENT } from "../operations/command-line";
import { runCommand } from "./command";

export const command: CommandSpec = {
  name: "credentials",
  summary: "Show when the admin credentials expire",
  usage: ["<stack> [options]"],
  description: [
    "The admin client certificate (the talosconfig, and every deploy's access to the nodes) and the admin kubeconfig, each with the date from which a deploy renews it. Reads the local state file without terraform; with the pg backend, or an encrypted state, it pulls the state.",
  ],
  arguments: [STACK_ARGUMENT],
  options: { output: OUTPUT_OPTION },
  environment: STATE_ENVIRONMENT,
  exitStatuses: [
    { name: "0", description: "shown" },
    { name: "1", description: "the state holds no cluster" },
    { name: "2", description: "bad input" },
  ],
};

if (require.main === module) {
  runCommand(command, (args) => {
    const stack = selectStack(args.positionals[0]);
    const { state, where } = readStackState(stack.name, args.outputFolder());
    const expiries = credentialExpiries(state);
    if (expiries.length === 0) {
      console.error(`credentials: ${stack.name} has no deployed cluster in ${where}`);
      return 1;
    }
    for (const expiry of expiries) console.log(`${stack.name} ${describeExpiry(expiry)}`);
    return 0;
  });
}
