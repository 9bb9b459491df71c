import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { createInterface } from "readline";

/**
 * A long-running program of the test scaffolding (the simulator, the test
 * registry) that prints one JSON line once it is ready, and runs until it is
 * stopped.
 */
export class ReadyProcess<T> {
  /**
   * Starts the program and waits for its ready line.
   * @throws Error naming the program, with what it printed, when it ends or cannot start first
   */
  static async start<T>(command: string, args: readonly string[]): Promise<ReadyProcess<T>> {
    const name = path.basename(command);
    const child = spawn(command, [...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const ready = await new Promise<T>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! }); // eslint-disable-line @typescript-eslint/no-non-null-assertion -- stdio is "pipe"
      lines.once("line", (line) => resolve(JSON.parse(line) as T));
      child.once("error", (error) => reject(new Error(`${name} could not be started: ${error.message}`)));
      child.once("exit", (code) => reject(new Error(`${name} exited ${code} before it was ready:\n${stderr}`)));
    });
    return new ReadyProcess(child, ready);
  }

  private constructor(
    private readonly child: ChildProcess,
    /** What it printed once ready. */
    readonly ready: T,
  ) {}

  /** Stops it: SIGTERM, and SIGKILL if it has not ended within 10 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGTERM");
    const killer = setTimeout(() => this.child.kill("SIGKILL"), 10000);
    await exited;
    clearTimeout(killer);
  }
}
