/**
 * The background build npm start compiles talosctl with, off the way to its
 * table. The real build takes minutes of CPU, so bash commands stand in for it
 * here; npm run bench's cold quick start runs the real one.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { BackgroundBuild } from "../setup/background-build";

/** Runs `script` with bash as a background build; what it reported. */
function build(script: string) {
  const events: string[] = [];
  const running = new BackgroundBuild("bash", ["-c", script], {
    ready: (output) => events.push(`ready: ${output}`),
    failed: (status, output) => events.push(`failed ${status}: ${output}`),
  });
  return { running, events };
}

/** Resolves once `condition` holds; fails saying `what` after 4 s. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 20) {
    if (waited >= 4000) throw new Error(`waited 4 s for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whether a process has ended: gone (reaped, maybe while this reads), or a zombie nobody reaped yet. */
function ended(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z") === true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "ESRCH") return true;
    throw error;
  }
}

describe("a background build", () => {
  const dirs: string[] = [];
  /** Children a failing test may have left running. */
  const children: number[] = [];
  afterAll(() => {
    dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
    children.filter((pid) => !ended(pid)).forEach((pid) => process.kill(pid, "SIGKILL"));
  });

  test("runs at the lowest CPU priority and reports its output when it succeeds", async () => {
    const { running, events } = build('echo "built at niceness $(nice)"');
    await running.ended;
    expect(events).toEqual(["ready: built at niceness 19\n"]);
    expect(running.stop()).toBe(false);
  });

  test("reports the exit status and everything it printed when it fails", async () => {
    const { running, events } = build("echo compiling; echo 'go: build failed' >&2; exit 3");
    await running.ended;
    expect(events).toEqual(["failed 3: compiling\ngo: build failed\n"]);
  });

  test("stop() ends its whole process group, compilers included, and reports nothing more", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "background-build-"));
    dirs.push(dir);
    const pidFile = path.join(dir, "compiler.pid");
    // A child of the build, as go's compile processes are; its pid written once it runs.
    const { running, events } = build(`sleep 300 & echo $! > ${pidFile}.partial && mv ${pidFile}.partial ${pidFile}; wait`);
    await until(() => existsSync(pidFile), "the build's child to start");
    const compiler = Number(readFileSync(pidFile, "utf8"));
    children.push(compiler);
    expect(ended(compiler)).toBe(false);

    expect(running.stop()).toBe(true);
    await until(() => ended(compiler), "the build's child to end with it");
    await running.ended;
    expect(events).toEqual([]);
    expect(running.stop()).toBe(false);
  });
});
