/** npm run configs: the stack's talosconfig and kubeconfig as files (operations/stack-configs.ts). Its help: `command` below. */
import * as path from "path";
import { PROJECT_ROOT } from "../lib/project-paths";
import { CommandSpec, OUTPUT_OPTION, STACK_ARGUMENT, STATE_ENVIRONMENT, userPath } from "../operations/command-line";
import { shellWord, writeStackConfigs } from "../operations/stack-configs";
import { selectStack } from "../operations/stack-selection";
import { runCommand } from "./command";

export const command: CommandSpec = {
  name: "configs",
  summary: "Write talosconfig and kubeconfig, print exports",
  usage: ["<stack> [options]"],
  description: [
    "The admin talosconfig and kubeconfig from the state, as the last deploy left them, written to DIR with mode 0600; then the two export lines for talosctl and kubectl, on standard output: eval \"$(npm run -s configs -- v3)\" sets them in your shell. Run it again after a deploy that renewed the credentials.",
  ],
  arguments: [STACK_ARGUMENT],
  options: {
    dir: { type: "string", value: "DIR", description: "where the files go, relative to where npm runs (default: configs/<stack> in the project)" },
    output: OUTPUT_OPTION,
  },
  environment: STATE_ENVIRONMENT,
  exitStatuses: [
    { name: "0", description: "written" },
    { name: "1", description: "the state holds no deployed cluster" },
    { name: "2", description: "bad input" },
  ],
};

if (require.main === module) {
  runCommand(
    command,
    (args) => {
      const stack = selectStack(args.positionals[0]);
      const given = args.string("dir");
      const directory = given !== undefined ? userPath(given) : path.join(PROJECT_ROOT, "configs", stack.name);
      const written = writeStackConfigs(stack.name, args.outputFolder(), directory);
      console.error(`configs: wrote ${written.talosconfig} and ${written.kubeconfig} (mode 0600) for ${stack.name}`);
      console.log(`export TALOSCONFIG=${shellWord(written.talosconfig)}`);
      console.log(`export KUBECONFIG=${shellWord(written.kubeconfig)}`);
      return 0;
    },
    1,
  );
}
