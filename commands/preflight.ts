/**
 * npm run preflight: the seed's wait for the nodes' maintenance mode, with
 * talosctl or the project's probe (.build/bin/cloudkoffer-talos probe). Its
 * help: `command` below.
 */
import { preflightTable, talosctlOnPath, waitForNodes } from "../operations/preflight";
import { selectStack } from "../operations/stack-selection";
import { ensureSetup } from "../setup/setup";
import { CommandArguments, CommandSpec, STACK_ARGUMENT, UsageError } from "../operations/command-line";
import { runCommand } from "./command";

export const command: CommandSpec = {
  name: "preflight",
  summary: "Wait until every node's Talos API answers",
  usage: ["<stack> [options]"],
  description: [
    "The seed's \"wait until the nodes have entered maintenance mode\": asks every node of the stack whether its Talos API answers, and whether it is in maintenance mode or configured, until all answer or the timeout passes; then a table. Asks with your talosctl when it is on PATH, else with the project's probe.",
  ],
  arguments: [STACK_ARGUMENT],
  options: {
    timeout: { type: "string", value: "DURATION", default: "10m", description: "how long to wait, e.g. 90s, 10m" },
    interval: { type: "string", value: "DURATION", default: "5s", description: "how long between rounds" },
    "require-maintenance": { type: "boolean", description: "ready means in maintenance mode (a fresh install), not only answering" },
    talosconfig: { type: "string", value: "FILE", description: "talosctl's talosconfig, to ask configured nodes with a client certificate" },
    probe: { type: "boolean", description: "ask with the project's probe, even when talosctl is on PATH" },
  },
  environment: [{ name: "TF_VAR_nodes", description: "the nodes, when not the Cloudkoffer's" }, { name: "PATH", description: "where your talosctl is looked for" }],
  exitStatuses: [
    { name: "0", description: "every node answers" },
    { name: "1", description: "some did not in time" },
    { name: "2", description: "bad input" },
  ],
};

/** Milliseconds of "90s", "10m", "1h" or plain seconds. */
function duration(flag: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value);
  if (!match) throw new UsageError(`--${flag} "${value}" is not a duration such as 90s, 10m or 300`);
  const unit = { ms: 1, s: 1000, m: 60000, h: 3600000 }[(match[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Number(match[1]) * unit;
}

async function main(args: CommandArguments): Promise<number> {
  const requireMaintenance = args.flag("require-maintenance");
  const stack = selectStack(args.positionals[0]);
  const timeoutMs = duration("timeout", args.value("timeout"));
  const intervalMs = duration("interval", args.value("interval"));
  const talosctl = args.flag("probe") ? undefined : talosctlOnPath();
  if (!talosctl) await ensureSetup(["talos-tool"]);
  console.log(
    `preflight ${stack.name}: asking ${stack.nodes.controlplane.length + stack.nodes.worker.length} nodes with ${talosctl ? "talosctl" : "the project's probe"}`,
  );
  let lastWaiting = "";
  const { ready, probes } = await waitForNodes(stack.nodes, {
    talosctl,
    talosconfig: args.string("talosconfig"),
    timeoutMs,
    intervalMs,
    requireMaintenance,
    onRound: (round, done) => {
      const waiting = round
        .filter((probe) => !probe.answers || (requireMaintenance && probe.mode !== "maintenance"))
        .map((probe) => probe.node)
        .join(", ");
      if (!done && waiting !== lastWaiting) console.log(`waiting for ${waiting}`);
      lastWaiting = waiting;
    },
  });
  console.log(preflightTable(probes));
  console.log(ready ? "every node is ready" : `not ready in time: ${lastWaiting}`);
  return ready ? 0 : 1;
}

if (require.main === module) runCommand(command, main);
