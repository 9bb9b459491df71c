/**
 * The one client of the project's Talos tool, `cloudkoffer-talos` (go/):
 * every call it makes, typed by lib/talos-contract.ts. A call that fails
 * throws, naming the tool and what it said; nothing is turned into undefined
 * here, callers decide what a failure means.
 */
import { existsSync, statSync } from "fs";
import { projectPath } from "../lib/project-paths";
import { BootstrapAnswer, ProbeResult, TalosValidationJob, TalosValidationResult } from "../lib/talos-contract";
import { Finished, ProgramError, programName, runProgram, runProgramAsync } from "./program";

/** The project's Talos tool, built by `npm run setup` (the talos-tool step). */
export const DEFAULT_TALOS_TOOL = projectPath(".build", "bin", "cloudkoffer-talos");

/** How a node is asked (`probe`). */
export interface ProbeRequest {
  /** talosconfig with the client certificate (mTLS); without it the node is asked without one (maintenance mode). */
  readonly talosconfig?: string;
  /** With a talosconfig: do not ask again without a certificate when the node refuses it. */
  readonly strict?: boolean;
  /** How long to wait for an answer, a Go duration, e.g. `3s`. */
  readonly timeout?: string;
}

/** The project's Talos tool at a path. */
export class TalosTool {
  /** @param path the binary @default DEFAULT_TALOS_TOOL */
  constructor(readonly path: string = DEFAULT_TALOS_TOOL) {}

  /** Whether it is there. */
  get built(): boolean {
    return existsSync(this.path);
  }

  /** What identifies this build, for cached verdicts: a rebuilt tool may judge differently. */
  get identity(): { readonly size: number; readonly mtimeMs: number } {
    const { size, mtimeMs } = statSync(this.path);
    return { size, mtimeMs };
  }

  /** `validate`: Talos' verdicts on merged configurations, one per job and role. */
  validate(jobs: readonly TalosValidationJob[]): TalosValidationResult[] {
    const run = runProgram(this.path, ["validate"], { input: JSON.stringify(jobs) });
    // Exit status 1 with verdicts on stdout means "invalid"; anything else is the tool failing.
    if (run.status === 0 || (run.status === 1 && run.stdout.startsWith("["))) return this.parsed<TalosValidationResult[]>("validate", run);
    throw this.failed("validate", run);
  }

  /** `probe`: whether a node's Talos API answers, and in which mode. */
  probe(node: string, request: ProbeRequest = {}): ProbeResult {
    return this.parsed<ProbeResult>("probe", runProgram(this.path, this.probeArgs(node, request), { timeout: 30000 }));
  }

  /** {@link probe}, without blocking: many nodes are asked at once. */
  async probeAsync(node: string, request: ProbeRequest = {}): Promise<ProbeResult> {
    return this.parsed<ProbeResult>("probe", await runProgramAsync(this.path, this.probeArgs(node, request), { timeout: 30000 }));
  }

  /** `bootstrapped`: whether etcd runs on a control plane, asked with the talosconfig's certificate. */
  async bootstrapped(node: string, talosconfig: string): Promise<BootstrapAnswer> {
    const run = await runProgramAsync(this.path, ["bootstrapped", "-node", node, "-talosconfig", talosconfig], { timeout: 30000 });
    return this.parsed<BootstrapAnswer>("bootstrapped", run);
  }

  /**
   * `seal`: a secrets.yaml (or an etcd snapshot) sealed into `file`
   * (atomically, mode 0600) with the passphrase, which never reaches a command line.
   */
  seal(file: string, content: string | Buffer, passphrase: string): void {
    this.succeeded("seal", runProgram(this.path, ["seal", "-file", file], { input: content, env: withPassphrase(passphrase) }));
  }

  /** `unseal`: the secrets.yaml sealed in `file`, written to `out` (mode 0600). */
  unseal(file: string, out: string, passphrase: string): void {
    this.succeeded("unseal", runProgram(this.path, ["unseal", "-file", file, "-out", out], { env: withPassphrase(passphrase) }));
  }

  private probeArgs(node: string, request: ProbeRequest): string[] {
    return [
      "probe",
      "-node",
      node,
      ...(request.talosconfig ? ["-talosconfig", request.talosconfig] : ["-insecure"]),
      ...(request.strict ? ["-strict"] : []),
      ...(request.timeout ? ["-timeout", request.timeout] : []),
    ];
  }

  private parsed<T>(command: string, run: Finished): T {
    try {
      return JSON.parse(run.stdout) as T;
    } catch {
      throw this.failed(command, run);
    }
  }

  private succeeded(command: string, run: Finished): void {
    if (run.status !== 0) throw this.failed(command, run);
  }

  private failed(command: string, run: Finished): ProgramError {
    return new ProgramError(this.path, `${programName(this.path)} ${command} failed (${run.status}): ${run.stderr.trim() || run.stdout.trim()}`, run);
  }
}

function withPassphrase(passphrase: string): NodeJS.ProcessEnv {
  return { ...process.env, CLOUDKOFFER_SECRETS_PASSPHRASE: passphrase };
}
