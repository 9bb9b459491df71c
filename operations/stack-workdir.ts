import { mkdirSync } from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../lib/project-paths";
import { terraformCliEnvironment } from "../setup/setup";
import { engineBinary } from "./engine";
import { runProgram } from "./program";

/** Runs a command, returning stdout; one that cannot be started or fails throws, naming the command and why. */
export function run(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): string {
  const result = runProgram(command, args, { ...options, stdio: ["inherit", "pipe", "pipe"] });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (${result.status}):\n${result.stderr.trim()}`);
  }
  // What the command said besides its answer (warnings), as it said it.
  if (result.stderr) process.stderr.write(result.stderr);
  return result.stdout;
}

/** How {@link stateAddresses} runs terraform. */
export interface StateListOptions {
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default the engine the environment asks for (operations/engine.ts) */
  readonly terraform?: string;
}

/** The addresses in the state of the stack folder `dir`; none where there is no state yet. */
export function stateAddresses(dir: string, options: StateListOptions = {}): string[] {
  const list = runProgram(options.terraform ?? engineBinary(options.env), ["state", "list"], { cwd: dir, env: options.env });
  if (list.status !== 0 && /No state file was found/.test(list.stderr)) return [];
  if (list.status !== 0) throw new Error(`terraform state list exited ${list.status}:\n${list.stderr.trim()}`);
  return list.stdout.split("\n").filter((line) => line !== "");
}

/**
 * Synthesizes the app into `output` (as cdktf deploy would, with this
 * environment) and initialises the stack's folder, for the commands that run
 * terraform on a deployed stack by hand.
 * @returns the stack's folder
 */
export function initialisedStack(stack: string, output: string, env: NodeJS.ProcessEnv = process.env): string {
  mkdirSync(output, { recursive: true });
  run(process.execPath, [path.join(PROJECT_ROOT, "commands", "synth.js")], {
    cwd: PROJECT_ROOT,
    env: { ...env, CDKTF_OUTDIR: output },
  });
  const dir = path.join(output, "stacks", stack);
  const engineEnv = terraformCliEnvironment(env);
  run(engineBinary(engineEnv), ["init", "-input=false", "-no-color"], { cwd: dir, env: engineEnv });
  return dir;
}
