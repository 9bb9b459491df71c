import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { TalosSimulator } from "../../testing/simulator";

/** How a {@link SimulatedCase} starts. */
export interface SimulatedCaseOptions {
  /** The start of its folder's name in the temporary folder, e.g. "maintenance". */
  readonly folderPrefix: string;
  /** How long a simulated reboot takes. @default the simulator's */
  readonly rebootDelay?: string;
}

/**
 * Simulated nodes for the tests of one describe block, and a folder for the
 * stack's state as a user's project would hold it: started before the
 * block's tests, stopped and removed after them.
 */
export class SimulatedCase {
  private running?: { simulator: TalosSimulator; workdir: string };

  /** Registers the beforeAll and afterAll hooks: construct it in a describe block. */
  constructor(nodes: readonly string[], options: SimulatedCaseOptions) {
    beforeAll(async () => {
      this.running = {
        simulator: await TalosSimulator.start({ nodes: [...nodes], ...(options.rebootDelay ? { rebootDelay: options.rebootDelay } : {}) }),
        workdir: mkdtempSync(path.join(tmpdir(), `${options.folderPrefix}-`)),
      };
    });
    afterAll(async () => {
      await this.running?.simulator.stop();
      if (this.running) rmSync(this.running.workdir, { recursive: true, force: true });
    });
  }

  private get started(): { simulator: TalosSimulator; workdir: string } {
    if (!this.running) throw new Error("the simulated cluster starts in beforeAll");
    return this.running;
  }

  get simulator(): TalosSimulator {
    return this.started.simulator;
  }

  get workdir(): string {
    return this.started.workdir;
  }
}
