import { spawnSync } from "child_process";
import { mkdirSync } from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../lib/project-paths";

/** Runs a command, returning stdout; a failure throws naming the command. */
export function run(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): string {
  const result = spawnSync(command, args, { ...options, encoding: "utf8", stdio: ["inherit", "pipe", "inherit"] });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (${result.status ?? result.signal})`);
  }
  return result.stdout;
}

/**
 * Synthesizes the app into `output` (as cdktf deploy would, with this
 * environment) and initialises the stack's folder, for the commands that run
 * terraform on a deployed stack by hand.
 * @returns the stack's folder
 */
export function initialisedStack(stack: string, output: string): string {
  mkdirSync(output, { recursive: true });
  run(process.execPath, [path.join(PROJECT_ROOT, "tools", "app.js")], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, CDKTF_OUTDIR: output },
  });
  const dir = path.join(output, "stacks", stack);
  run("terraform", ["init", "-input=false", "-no-color"], { cwd: dir });
  return dir;
}
