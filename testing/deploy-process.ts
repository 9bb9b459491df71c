import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { PROJECT_ROOT } from "../lib/project-paths";
import { descendants } from "../operations/process-tree";
import { loopbackDeployEnvironment } from "./loopback";
import { terraformEnvironment } from "./terraform";

/** How a command ended, and what it printed. */
export interface Finished {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  /** stdout and stderr, terminal codes removed, whitespace runs as one space. */
  readonly text: string;
  readonly seconds: number;
}

/**
 * `npm run deploy -- <stack> --auto-approve --output <workdir>/cdktf.out` as a
 * process of its own that a test can kill, as a closed laptop lid or a dead
 * battery would, at a moment the simulator's holds make exact.
 */
export class DeployProcess {
  private readonly child: ChildProcess;
  private readonly started = process.hrtime.bigint();
  private output = "";
  private readonly exited: Promise<Finished>;

  /**
   * @param command another npm script and its options, for a command on the
   * stack that a test kills as well (npm run restore)
   * @default ["deploy", "--auto-approve", "--no-color"]
   */
  constructor(stack: string, workdir: string, env: Record<string, string>, command: readonly string[] = ["deploy", "--auto-approve", "--no-color"]) {
    const [script, ...options] = command;
    this.child = spawn("npm", ["run", "--silent", script, "--", stack, ...options, "--output", path.join(workdir, "cdktf.out")], {
      cwd: PROJECT_ROOT,
      env: terraformEnvironment(loopbackDeployEnvironment(env)),
      detached: true, // its own process group
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) =>
      this.child.once("close", (status, signal) =>
        resolve({
          status,
          signal,
          text: this.output.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").replace(/\s+/g, " "), // eslint-disable-line no-control-regex -- terminal codes
          seconds: Number(process.hrtime.bigint() - this.started) / 1e9,
        }),
      ),
    );
  }

  /** Runs a deploy to its end. */
  static run(stack: string, workdir: string, env: Record<string, string>): Promise<Finished> {
    return new DeployProcess(stack, workdir, env).finished();
  }

  finished(): Promise<Finished> {
    return this.exited;
  }

  /**
   * Sends a signal to the deploy's process group and to everything below it:
   * cdktf runs terraform in a pseudo-terminal, in a session of its own, which a
   * signal to the group would miss. SIGKILL: nothing gets to clean up.
   */
  async kill(signal: NodeJS.Signals): Promise<Finished> {
    const pid = this.child.pid as number;
    const tree = descendants(pid);
    process.kill(-pid, signal);
    for (const { pid: descendant } of tree) {
      try {
        process.kill(descendant, signal);
      } catch {
        // exited already
      }
    }
    return this.exited;
  }

  /**
   * Ctrl-C in a terminal: SIGINT to the foreground process group, which is
   * npm's; cdktf hands it on to terraform, which stops gracefully.
   */
  interrupt(): void {
    process.kill(-(this.child.pid as number), "SIGINT");
  }
}
