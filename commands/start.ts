/** npm start: the stack deployed to a simulated Cloudkoffer on loopback (testing/demo.ts). Its help: `command` below. */
import { CommandSpec, STACK_ARGUMENT } from "../operations/command-line";
import { DEFAULT_PREFIX, start } from "../testing/demo";
import { runCommand } from "./command";

export const command: CommandSpec = {
  name: "start",
  summary: "Deploy to a simulated Cloudkoffer, no hardware",
  usage: ["[<stack>] [options]"],
  description: [
    "No hardware needed: simulated Talos nodes on loopback addresses, the stack deployed to them with the real providers and terraform, talosctl health and a table of the Kubernetes nodes; the simulated case stays up until Ctrl-C. Runs in a loopback-only network namespace: nothing it starts can reach another address.",
  ],
  arguments: [{ ...STACK_ARGUMENT, description: `${STACK_ARGUMENT.description} (default: cloudkoffer-v3)` }],
  options: {
    once: { type: "boolean", description: "exit after the table" },
    "demo-dir": { type: "string", value: "DIR", description: "where the demo's state, talosconfig and kubeconfig go (default: .demo/<stack>)" },
    prefix: { type: "string", value: "127.X.Y", default: DEFAULT_PREFIX, description: "the loopback /24 of the simulated nodes" },
    stack: { type: "string", value: "STACK", description: "the stack (the old spelling)", hidden: true },
  },
  exitStatuses: [
    { name: "0", description: "after the table (--once) or after Ctrl-C" },
    { name: "1", description: "the deploy failed" },
    { name: "2", description: "bad input" },
    { name: "3", description: "no way to the providers" },
  ],
};

if (require.main === module) {
  runCommand(command, (args) =>
    start(
      { stack: args.positionals[0] ?? args.string("stack") ?? "cloudkoffer-v3", once: args.flag("once"), demoDir: args.string("demo-dir"), prefix: args.value("prefix") },
      process.argv.slice(2),
    ),
  );
}
