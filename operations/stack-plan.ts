import { terraformCliEnvironment } from "../setup/setup";
import { engineBinary } from "./engine";
import { runProgram } from "./program";
import { initialisedStack } from "./stack-workdir";

/** How {@link planStack} runs. */
export interface StackPlanOptions {
  /** No colours in the engine's output. @default false */
  readonly noColor?: boolean;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * What a deploy of the stack would change: the freshly synthesized stack,
 * initialised with the providers the way setup decided (the project's
 * mirror, the user's CLI configuration, or the registry), planned by the
 * engine against its state, wherever that is (local, pg, encrypted). A plan
 * reads what a deploy's plan reads (the nodes' kubeconfig and health, when
 * the cluster is deployed) and writes nothing: no state, no node.
 * @returns the engine's exit status (0: planned, changes or not)
 */
export function planStack(stack: string, output: string, options: StackPlanOptions = {}): number {
  const env = terraformCliEnvironment(options.env ?? process.env);
  const dir = initialisedStack(stack, output, env);
  const plan = runProgram(engineBinary(env), ["plan", "-input=false", ...(options.noColor ? ["-no-color"] : [])], { cwd: dir, env, stdio: "inherit" });
  return plan.status;
}
