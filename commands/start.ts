/** npm start: the stack deployed to a simulated Cloudkoffer on loopback (testing/demo.ts). Its help: `command` below. */
import { CommandSpec, STACK_ARGUMENT } from "../operations/command-line";
import { start } from "../testing/demo";
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
    prefix: { type: "string", value: "127.X.Y", default: "127.77.0", description: "the loopback /24 of the simulated nodes" },
    stack: { type: "string", value: "STACK", description: "the stack (the old spelling)", hidden: true },
  },
  exitStatuses: [
    { name: "0", description: "after the table (--once) or after Ctrl-C" },
    { name: "1", description: "the deploy failed" },
    { name: "2", description: "bad input" },
    { name: "3", description: "no way to the providers" },
  ],
};

if (require.main === module) runCommand(command, () => start(process.argv.slice(2)));
