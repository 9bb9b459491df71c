import { execFile, ExecFileOptions, spawnSync, SpawnSyncOptions } from "child_process";
import * as path from "path";

/** How a program ended, and what it printed. */
export interface Finished {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A program that could not be started, or that failed: the message names it and says why. */
export class ProgramError extends Error {
  constructor(
    readonly program: string,
    message: string,
    readonly finished?: Finished,
  ) {
    super(message);
    this.name = "ProgramError";
  }
}

/** The error of a program that did not start (ENOENT, EACCES, ...), named. */
function notStarted(command: string, error: Error): ProgramError {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === "ENOENT" ? "it is not there (not on PATH, or no such file)" : code === "EACCES" ? "it may not be run" : error.message;
  return new ProgramError(command, `${command} could not be started: ${why}`);
}

/**
 * Runs a program to its end.
 * @throws ProgramError naming it when it cannot be started, or when it ends by a signal or its timeout
 */
export function runProgram(command: string, args: readonly string[], options: SpawnSyncOptions = {}): Finished {
  const result = spawnSync(command, args, { maxBuffer: 64 * 1024 * 1024, ...options, encoding: "utf8" });
  if (result.error && result.status === null) throw notStarted(command, result.error);
  const finished = { status: result.status ?? 128, stdout: String(result.stdout ?? ""), stderr: String(result.stderr ?? "") };
  if (result.status === null) throw new ProgramError(command, `${command} ${args[0] ?? ""} was stopped (${result.signal})`.replace("  ", " "), finished);
  return finished;
}

/** {@link runProgram}, without blocking. */
export function runProgramAsync(command: string, args: readonly string[], options: ExecFileOptions = {}): Promise<Finished> {
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { ...options, encoding: "utf8" }, (error, stdout, stderr) => {
      const code = (error as (NodeJS.ErrnoException & { code?: unknown }) | null)?.code;
      if (error && typeof code === "string") return reject(notStarted(command, error));
      const finished = { status: typeof code === "number" ? code : error ? 128 : 0, stdout: String(stdout), stderr: String(stderr) };
      if (error && (error as { killed?: boolean }).killed) return reject(new ProgramError(command, `${command} ${args[0] ?? ""} took too long and was stopped`, finished));
      resolve(finished);
    });
  });
}

/** A program's name as messages say it: its file name. */
export function programName(command: string): string {
  return path.basename(command);
}
