/** npm run health: the seed's `talosctl health` on the deployed stack (its help: `command` below). */
import { checkHealth } from "../operations/health";
import { clusterAccess } from "../operations/stack-state";
import { selectStack } from "../operations/stack-selection";
import { CommandSpec, OUTPUT_OPTION, STACK_ARGUMENT, STATE_ENVIRONMENT, UsageError } from "../operations/command-line";
import { runCommand } from "./command";

export const command: CommandSpec = {
  name: "health",
  summary: "Check the deployed cluster as talosctl health does",
  usage: ["<stack> [options]"],
  description: [
    "Talos' own checks: etcd, apid, memory and disks, kubelet, the boot sequence, every Kubernetes node ready, the control-plane components. With the state's client certificate and the stack's nodes; talosctl is yours of Talos v1.7 on PATH, else the one built here.",
  ],
  arguments: [STACK_ARGUMENT],
  options: {
    server: { type: "string", value: "BOOL", default: "true", description: "true: the first control plane runs the checks; false: talosctl runs them" },
    "wait-timeout": { type: "string", value: "DURATION", default: "10m", description: "how long to wait for the cluster to be healthy" },
    output: OUTPUT_OPTION,
  },
  environment: STATE_ENVIRONMENT,
  exitStatuses: [
    { name: "0", description: "healthy" },
    { name: "1", description: "unhealthy (talosctl's status), no deployed cluster, or no talosctl" },
    { name: "2", description: "bad input" },
  ],
};

if (require.main === module) {
  runCommand(command, async (args) => {
    const server = args.string("server");
    if (server !== "true" && server !== "false") throw new UsageError(`--server=${server}: say true or false`);
    const stack = selectStack(args.positionals[0]);
    const access = clusterAccess(stack.name, args.outputFolder());
    if ("missing" in access) {
      console.error(`health: ${access.missing}`);
      return 1;
    }
    return checkHealth(stack.nodes, access.client, { talosctl: access.talosctl, server: server === "true", waitTimeout: args.value("wait-timeout") });
  });
}
