/** npm run setup: what the project builds before a command needs it (setup/setup.ts), by hand. Its help: `command` below. */
import { ensureSetup, SETUP_STEP_ALIASES, SETUP_STEPS, SetupStep } from "../setup/setup";
import { stopBuilds } from "../setup/release-sources";
import { CommandSpec, UsageError } from "../operations/command-line";
import { runCommand } from "./command";

export const command: CommandSpec = {
  name: "setup",
  summary: "Set up the providers and build the Talos tools",
  usage: ["[<step> ...]"],
  description: [
    "Every command sets up what it needs first; this does it by hand: every step, or the ones named. Each is a no-op when done; one line per step with its time.",
  ],
  arguments: [
    { name: "providers", description: "where siderolabs/talos, hashicorp/null and hashicorp/tls come from: the registry, your terraform configuration, or built from release sources (PROVIDER_SOURCES) into .providers/mirror" },
    { name: "talos-schema", description: "Talos' machine-configuration schema that synth checks patches against" },
    { name: "talos-tool", description: "the project's Talos tool, etcd snapshot checker and node simulator, in .build/bin" },
    { name: "talosctl", description: "yours of Talos v1.7 on PATH, else built from Talos 1.7.4's release source" },
    { name: "tofu", description: "OpenTofu, built when it is the engine and not on PATH" },
    { name: "kube-apiserver", description: "the real kube-apiserver 1.30.1 for simulated clusters" },
  ],
  maxPositionals: SETUP_STEPS.length,
  environment: [
    { name: "PROVIDER_SOURCES", description: "the folder with the providers' release archives (docs/offline.md)" },
    { name: "TF_CLI_CONFIG_FILE", description: "your terraform configuration (a mirror, or the registry)" },
  ],
  exitStatuses: [
    { name: "0", description: "ready" },
    { name: "1", description: "a build failed" },
    { name: "2", description: "an unknown step" },
    { name: "3", description: "no way to the providers, or a release source is missing" },
    { name: "130", description: "stopped by a signal" },
  ],
};

if (require.main === module) {
  runCommand(
    command,
    async (args) => {
      const asked = args.positionals.map((step) => SETUP_STEP_ALIASES[step] ?? step);
      const unknown = asked.filter((step) => !(SETUP_STEPS as readonly string[]).includes(step));
      if (unknown.length > 0) throw new UsageError(`unknown step ${unknown.join(", ")}; the steps are ${SETUP_STEPS.join(", ")}`);
      // Stopped (Ctrl-C, or npm start's background build at its exit): the builds end first, and
      // clean up after themselves, so that no unpacked release source is left behind.
      let stoppedBy: NodeJS.Signals | undefined;
      for (const signal of ["SIGINT", "SIGTERM"] as const) {
        process.once(signal, () => {
          stoppedBy = signal;
          stopBuilds();
        });
      }
      try {
        await ensureSetup(asked.length > 0 ? (asked as SetupStep[]) : SETUP_STEPS);
        return 0;
      } catch (error) {
        if (!stoppedBy) throw error;
        console.error(`setup: stopped (${stoppedBy}); what Go compiled stays in its build cache`);
        return 130;
      }
    },
    1,
  );
}
