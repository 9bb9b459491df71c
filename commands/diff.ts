/** npm run diff: what a deploy of the stack would change (operations/stack-plan.ts). Its help: `command` below. */
import { CommandSpec, OUTPUT_OPTION, STACK_ARGUMENT, STACK_ENVIRONMENT } from "../operations/command-line";
import { planStack } from "../operations/stack-plan";
import { selectStack } from "../operations/stack-selection";
import { ensureSetup } from "../setup/setup";
import { runCommand } from "./command";

export const command: CommandSpec = {
  name: "diff",
  summary: "Show what a deploy would change",
  usage: ["<stack> [options]"],
  description: [
    "terraform plan (or tofu plan) of the freshly synthesized stack, with the providers as setup decided (the project's mirror, your terraform configuration, or the registry) and the state wherever it is. Writes nothing: no state, no node. Like a deploy's plan, it reads the kubeconfig and the cluster's health from a deployed cluster.",
  ],
  arguments: [STACK_ARGUMENT],
  options: { "no-color": { type: "boolean", description: "no colours in the plan" }, output: OUTPUT_OPTION },
  environment: STACK_ENVIRONMENT,
  exitStatuses: [
    { name: "0", description: "planned, with changes or without" },
    { name: "1", description: "the plan failed" },
    { name: "2", description: "bad input" },
  ],
};

if (require.main === module) {
  runCommand(command, async (args) => {
    const stack = selectStack(args.positionals[0]);
    await ensureSetup();
    return planStack(stack.name, args.outputFolder(), { noColor: args.flag("no-color") }) === 0 ? 0 : 1;
  });
}
