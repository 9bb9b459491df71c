/**
 * npm run setup [-- <step> ...]: what the project builds before a command
 * needs it (setup/setup.ts), by hand: every step, or the ones named.
 * Exit status: 0 ready; 3 no way to the providers, or a release source is
 * missing; 1 a build failed; 2 an unknown step; 130 stopped by a signal.
 */
import { ensureSetup, SETUP_STEPS, SetupStep } from "../setup/setup";
import { stopBuilds } from "../setup/release-sources";
import { runCommand } from "./command";

runCommand(
  "setup",
  async () => {
    const asked = process.argv.slice(2);
    const unknown = asked.filter((step) => !(SETUP_STEPS as readonly string[]).includes(step));
    if (unknown.length > 0) throw new Error(`unknown step ${unknown.join(", ")}; the steps are ${SETUP_STEPS.join(", ")}`);
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
