/** npm run validate-patches: the merged machine configurations, validated as Talos does (its help: `command` below). */
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { App } from "cdktf";
import { CloudkofferStack, DEFAULT_KUBERNETES_VERSION, DEFAULT_TALOS_VERSION } from "../lib/cloudkoffer-stack";
import { selectStack, SelectedStack } from "../operations/stack-selection";
import { patchVerdict } from "../lib/patch-verdict";
import { talosChecks } from "../operations/talos-checks";
import { TalosTool } from "../operations/talos-tool";
import { ensureSetup } from "../setup/setup";
import { CommandArguments, CommandSpec, STACK_ARGUMENT } from "../operations/command-line";
import { runCommand } from "./command";

export const command: CommandSpec = {
  name: "validate-patches",
  summary: "Validate the patched machine configurations",
  usage: ["<stack>"],
  description: [
    "Without a cache: the configuration talos_machine_configuration generates for each role, the stack's patches merged in order (patches/all.yaml, then the role's), validated by Talos for a metal node. Versions and VIP as a deploy would use them.",
  ],
  arguments: [STACK_ARGUMENT],
  environment: [
    { name: "TF_VAR_talos_version", description: "the Talos version (default: the stack's)" },
    { name: "TF_VAR_kubernetes_version", description: "the Kubernetes version (default: the stack's)" },
    { name: "TF_VAR_cluster_vip", description: "the VIP the endpoint and {{ cluster_vip }} follow" },
  ],
  exitStatuses: [
    { name: "0", description: "valid" },
    { name: "1", description: "Talos rejects a configuration" },
    { name: "2", description: "bad input, or the command could not run" },
  ],
};

async function main(args: CommandArguments): Promise<number> {
  const selected = selectStack(args.positionals[0]);
  await ensureSetup(["talos-schema", "talos-tool"]);
  const outdir = mkdtempSync(path.join(tmpdir(), "validate-patches-"));
  try {
    return validate(selected, outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function validate(selected: SelectedStack, outdir: string): number {
  // The VIP the deploy would use: the endpoint and {{ cluster_vip }} follow it.
  // Talos asked afresh: no verdict remembered from an earlier synth answers.
  const stack = new CloudkofferStack(new App({ outdir }), selected.name, {
    profile: selected.profile,
    clusterVip: process.env.TF_VAR_cluster_vip || undefined,
    talosChecks: talosChecks({ verdicts: undefined }),
  });
  const versions = {
    talosVersion: process.env.TF_VAR_talos_version ?? DEFAULT_TALOS_VERSION,
    kubernetesVersion: process.env.TF_VAR_kubernetes_version ?? DEFAULT_KUBERNETES_VERSION,
  };
  const job = stack.patchPipeline.job(versions);
  const tool = new TalosTool();
  if (!tool.built) throw new Error(`the Talos tool ${tool.path} is not built; run npm run setup`);
  const results = tool.validate([job]);
  for (const result of results.filter((candidate) => candidate.valid)) {
    const patches = job.roles[result.role].map((patch) => patch.source).join(", ");
    console.log(`${result.name} ${result.role}: valid for Talos ${job.talosVersion}, Kubernetes ${job.kubernetesVersion} (${patches})`);
    for (const warning of result.warnings ?? []) console.log(`  warning: ${warning}`);
  }
  // Talos decides what is refused; where only its schema is stricter, a warning names the fix.
  const verdict = patchVerdict(stack.patches.files, job, results);
  for (const warning of verdict.warnings) console.log(`warning: ${warning}`);
  for (const error of verdict.errors) console.log(error);
  return verdict.errors.length === 0 ? 0 : 1;
}

if (require.main === module) runCommand(command, main);
