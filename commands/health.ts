/**
 * npm run health -- <stack> [--server=false] [--wait-timeout 10m] [--output cdktf.out]
 *
 * The seed's `talosctl health` on the deployed stack: Talos' own checks (etcd,
 * apid, memory and disks, kubelet, the boot sequence; every Kubernetes node
 * reported, ready and schedulable; the control-plane static pods and
 * components), printed as talosctl prints them, with the state's client
 * certificate and the stack's nodes (TF_VAR_nodes, or the profile's). By
 * default the first control plane runs the checks; --server=false runs them
 * in talosctl. talosctl: yours of Talos v1.7, else the one built here.
 * Exit status: talosctl's (0 healthy); 1 no deployed cluster or no talosctl;
 * 2 for bad input.
 */
import * as path from "path";
import { parseArgs } from "util";
import { PROJECT_ROOT } from "../lib/project-paths";
import { checkHealth } from "../operations/health";
import { clusterAccess } from "../operations/stack-state";
import { selectStack } from "../operations/stack-selection";
import { runCommand } from "./command";

runCommand("health", async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { server: { type: "string", default: "true" }, "wait-timeout": { type: "string", default: "10m" }, output: { type: "string", default: "cdktf.out" } },
  });
  if (values.server !== "true" && values.server !== "false") throw new Error(`--server=${values.server}: say true or false`);
  const stack = selectStack(positionals[0]);
  const access = clusterAccess(stack.name, path.resolve(PROJECT_ROOT, values.output));
  if ("missing" in access) {
    console.error(`health: ${access.missing}`);
    return 1;
  }
  return checkHealth(stack.nodes, access.client, { talosctl: access.talosctl, server: values.server === "true", waitTimeout: values["wait-timeout"] });
});
