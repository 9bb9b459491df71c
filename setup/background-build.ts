/**
 * A build that runs beside a command instead of before it: in its own process
 * group at the lowest CPU priority (nice 19), so that it takes only the CPU
 * the command leaves idle, and can be stopped whole. npm start builds
 * talosctl this way, off the way to its table.
 */
import { ChildProcess, spawn } from "child_process";

/** What becomes of a {@link BackgroundBuild}; each is called at most once, never after stop(). */
export interface BackgroundBuildEvents {
  /** The build ended with exit 0; `output` is what it printed. */
  readonly ready: (output: string) => void;
  /** The build ended otherwise; `status` is its exit status, or the signal that ended it. */
  readonly failed: (status: number | NodeJS.Signals, output: string) => void;
}

/** `command args...` under `nice -n 19`, in its own process group, its output kept. */
export class BackgroundBuild {
  private readonly child: ChildProcess;
  private output = "";
  private running = true;
  private stopped = false;
  /** Settles when the build has ended, however it ended. */
  readonly ended: Promise<void>;

  constructor(command: string, args: readonly string[], events: BackgroundBuildEvents) {
    this.child = spawn("nice", ["-n", "19", command, ...args], { detached: true, stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.ended = new Promise((resolve) => {
      this.child.once("close", (status, signal) => {
        this.running = false;
        if (status === 0) events.ready(this.output);
        else if (!this.stopped) events.failed(status ?? signal ?? 1, this.output);
        resolve();
      });
    });
  }

  /**
   * Stops the build, its whole process group, if it still runs (SIGTERM: it
   * may clean up after itself).
   * @returns whether it was still running
   */
  stop(): boolean {
    if (!this.running) return false;
    this.stopped = true;
    process.kill(-(this.child.pid as number), "SIGTERM");
    return true;
  }
}
