import { SetupError } from "../setup/setup";

/**
 * How every command ends: the exit status its main returns, or for an error
 * one line `<command>: <message>` and a status: a set-up step's own (3: no
 * way to the providers or a release source; 1: a build failed), else
 * `failure` (2 by default: bad input, or a state that cannot be deployed
 * safely; nothing was touched).
 */
export function runCommand(name: string, main: () => number | Promise<number>, failure = 2): void {
  Promise.resolve()
    .then(main)
    .then(
      (status) => {
        process.exitCode = status;
      },
      (error: unknown) => {
        console.error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = error instanceof SetupError ? error.status : failure;
      },
    );
}
