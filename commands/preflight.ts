/**
 * npm run preflight -- <stack> [--timeout 10m] [--interval 5s] [--talosconfig FILE]
 *                              [--require-maintenance] [--probe]
 *
 * The seed's "wait until the nodes have entered maintenance mode": asks every
 * node of the stack (TF_VAR_nodes when set, else the stack's defaults) whether
 * its Talos API answers, and whether it is in maintenance mode or already
 * configured, until all answer or the timeout passes. Asks with talosctl (the
 * seed's command) when it is on PATH, else with the project's probe
 * (.build/bin/cloudkoffer-talos probe); --probe forces the latter.
 * Exit status: 0 every node answers, 1 some did not in time, 2 bad input.
 */
import { parseArgs } from "util";
import { preflightTable, talosctlOnPath, waitForNodes } from "../operations/preflight";
import { selectStack } from "../operations/stack-selection";
import { ensureSetup } from "../setup/setup";
import { runCommand } from "./command";

/** Milliseconds of "90s", "10m", "1h" or plain seconds. */
function duration(flag: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value);
  if (!match) throw new Error(`--${flag} "${value}" is not a duration such as 90s, 10m or 300`);
  const unit = { ms: 1, s: 1000, m: 60000, h: 3600000 }[(match[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Number(match[1]) * unit;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      timeout: { type: "string", default: "10m" },
      interval: { type: "string", default: "5s" },
      talosconfig: { type: "string" },
      "require-maintenance": { type: "boolean", default: false },
      probe: { type: "boolean", default: false },
    },
  });
  const stack = selectStack(positionals[0]);
  const talosctl = values.probe ? undefined : talosctlOnPath();
  if (!talosctl) await ensureSetup(["talos tool"]);
  console.log(
    `preflight ${stack.name}: asking ${stack.nodes.controlplane.length + stack.nodes.worker.length} nodes with ${talosctl ? "talosctl" : "the project's probe"}`,
  );
  let lastWaiting = "";
  const { ready, probes } = await waitForNodes(stack.nodes, {
    talosctl,
    talosconfig: values.talosconfig,
    timeoutMs: duration("timeout", values.timeout),
    intervalMs: duration("interval", values.interval),
    requireMaintenance: values["require-maintenance"],
    onRound: (round, done) => {
      const waiting = round
        .filter((probe) => !probe.answers || (values["require-maintenance"] && probe.mode !== "maintenance"))
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

runCommand("preflight", main);
