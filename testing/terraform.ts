import { spawnSync } from "child_process";
import { cpSync, mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../lib/project-paths";
import { providerInstallEnvironment } from "../setup/setup";
import { stateAddresses } from "../operations/stack-workdir";
import { runProgram } from "../operations/program";
import { loopbackDeployEnvironment } from "./loopback";
import { ADDRESSES, addressText } from "../lib/addresses";

/** The terraform binary the tiers run: cdktf's TERRAFORM_BINARY_NAME, e.g. for OpenTofu. */
const TERRAFORM = process.env.TERRAFORM_BINARY_NAME ?? "terraform";

/**
 * `-target`s of the seed's local half: everything that needs no node (secrets,
 * client and machine configurations).
 */
export const LOCAL_HALF = [ADDRESSES.machineSecrets, ADDRESSES.clientConfiguration, ADDRESSES.controlPlaneConfiguration, ADDRESSES.workerConfiguration].map(
  (address) => `-target=${addressText(address)}`,
);

/** What a terraform command printed and how it ended. */
export interface TerraformResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A `terraform output -json` entry. */
export interface TerraformOutputValue {
  readonly sensitive: boolean;
  readonly value: unknown;
}

/**
 * The environment of a deploy that means only what it says: none of the
 * user's TF_VAR_* or TF_CLI_ARGS* (the seed's .envrc names the real case), no
 * checkpoint calls, no prompts.
 */
export function isolatedEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("TF_VAR_") && !key.startsWith("TF_CLI_ARGS")) env[key] = value;
  }
  return { ...env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0", ...extra };
}

/**
 * The environment the terraform tiers run in: {@link isolatedEnvironment},
 * with the providers the way setup found them (the project's mirror here; on
 * a machine without release sources, the user's configuration or the registry).
 */
export function terraformEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return providerInstallEnvironment(isolatedEnvironment(extra));
}

/**
 * Synthesizes the app (main.ts, as `npm run synth` does) into a temporary
 * folder.
 * @returns the `stacks` folder
 */
export function synthApp(extra: Record<string, string> = {}): string {
  const out = mkdtempSync(path.join(tmpdir(), "cdktf-out-"));
  const result = spawnSync("npm", ["run", "--silent", "synth"], {
    cwd: PROJECT_ROOT,
    // As terraform will install the providers: the stacks carry the lock of that way.
    env: { ...terraformEnvironment(), CDKTF_OUTDIR: out, ...extra },
    encoding: "utf8",
  });
  if (result.status !== 0) {
    throw new Error(`npm run synth failed (${result.status}):\n${result.stdout}${result.stderr}`);
  }
  return path.join(extra.CDKTF_OUTDIR ?? out, "stacks");
}

/**
 * A copy of a synthesized stack folder, run with plain terraform in a
 * temporary folder outside the project, its state beside it: the hand-off.
 */
export class TerraformWorkspace {
  /** Copies `stackFolder` into a new temporary folder. */
  static copyOf(stackFolder: string): TerraformWorkspace {
    const parent = mkdtempSync(path.join(tmpdir(), "handoff-"));
    const dir = path.join(parent, path.basename(stackFolder));
    cpSync(stackFolder, dir, { recursive: true });
    // The state and the secrets backup beside the copy, as a hand-off user sets them.
    return new TerraformWorkspace(parent, dir, path.join(parent, "terraform.tfstate"), {
      TF_VAR_secrets_backup_file: path.join(parent, "terraform.secrets.yaml"),
    });
  }

  /**
   * A copy of a whole folder tree, run in `workingDirectory` inside it (a
   * configuration that reads files beside its own folder), with terraform's
   * default local state in the copy.
   */
  static copyOfTree(tree: string, workingDirectory: string): TerraformWorkspace {
    const parent = mkdtempSync(path.join(tmpdir(), "handoff-"));
    cpSync(tree, parent, { recursive: true });
    return new TerraformWorkspace(parent, path.join(parent, workingDirectory), undefined);
  }

  /** A stack folder that `cdktf deploy` already initialised, with the state its backend names. */
  static deployed(stackFolder: string, env: Record<string, string>): TerraformWorkspace {
    return new TerraformWorkspace(undefined, stackFolder, undefined, env);
  }

  private constructor(
    private readonly parent: string | undefined,
    readonly dir: string,
    /** The state file, kept beside the copy, never the user's. */
    readonly statePath: string | undefined,
    private readonly env: Record<string, string> = {},
  ) {}

  /** Runs terraform; a failure is returned, not thrown. */
  run(args: readonly string[], env: Record<string, string> = {}): TerraformResult {
    // The workspace's engine: OpenTofu where its environment names it.
    const engine = env.TERRAFORM_BINARY_NAME ?? this.env.TERRAFORM_BINARY_NAME ?? TERRAFORM;
    return runProgram(engine, [...args], { cwd: this.dir, env: terraformEnvironment({ ...this.env, ...env }), maxBuffer: 64 * 1024 * 1024 });
  }

  /** Runs terraform and throws with everything it printed when it fails. */
  ok(args: readonly string[], env: Record<string, string> = {}): TerraformResult {
    const result = this.run(args, env);
    if (result.status !== 0) {
      throw new Error(`terraform ${args.join(" ")} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
    }
    return result;
  }

  /** `terraform init` from the mirror, with the state beside the copy. */
  init(): TerraformResult {
    return this.ok(["init", "-no-color", ...(this.statePath ? [`-backend-config=path=${this.statePath}`] : [])]);
  }

  /** `terraform output -json`, parsed. */
  outputs(): Record<string, TerraformOutputValue> {
    return JSON.parse(this.ok(["output", "-json"]).stdout) as Record<string, TerraformOutputValue>;
  }

  /** The values a resource or data source has in the state (`show -json`), or undefined. */
  values(address: string): Record<string, unknown> | undefined {
    const shown = JSON.parse(this.ok(["show", "-json"]).stdout) as {
      values?: { root_module: { resources?: { address: string; values: Record<string, unknown> }[] } };
    };
    return shown.values?.root_module.resources?.find((resource) => resource.address === address)?.values;
  }

  /** Addresses in the state; none where there is no state yet. */
  stateList(): string[] {
    return stateAddresses(this.dir, { env: terraformEnvironment(this.env), terraform: this.env.TERRAFORM_BINARY_NAME ?? TERRAFORM });
  }

  /** Removes the copy and its state. */
  remove(): void {
    if (this.parent) rmSync(this.parent, { recursive: true, force: true });
  }
}

/** What `cdktf deploy` did, and how long it took. */
export interface DeployResult extends TerraformResult {
  readonly seconds: number;
  /** stdout and stderr without terminal codes, whitespace runs (cdktf's wrapping) as one space. */
  readonly text: string;
}

/** A command line to run from the project, with its environment. */
export interface CommandLine {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

/**
 * `cdktf deploy <stack> --auto-approve` from the project, as a user runs it,
 * synthesizing into `<workdir>/cdktf.out` so that the stack's relative state
 * path puts the state in `<workdir>`, never in the project. The nodes and the
 * cluster VIP are loopback addresses, or this throws (see
 * {@link loopbackDeployEnvironment}).
 */
export function cdktfDeployCommand(
  stack: string,
  workdir: string,
  env: Record<string, string>,
  extraArgs: readonly string[] = [],
): CommandLine {
  return {
    command: path.join(PROJECT_ROOT, "node_modules", ".bin", "cdktf"),
    // --skip-provider-lock: `terraform providers lock` asks the registry, which only the mirror replaces here.
    args: ["deploy", stack, "--auto-approve", "--skip-provider-lock", "--no-color", "--output", path.join(workdir, "cdktf.out"), ...extraArgs],
    env: terraformEnvironment(loopbackDeployEnvironment(env)),
  };
}

/** Runs {@link cdktfDeployCommand} and waits for it. */
export function cdktfDeploy(
  stack: string,
  workdir: string,
  env: Record<string, string>,
  extraArgs: readonly string[] = [],
): DeployResult {
  const { command, args, env: environment } = cdktfDeployCommand(stack, workdir, env, extraArgs);
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd: PROJECT_ROOT, env: environment, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const text = `${result.stdout}\n${result.stderr}`
    .replace(/\x1b\[[0-9;]*[A-Za-z]/g, "") // eslint-disable-line no-control-regex -- terminal codes
    .replace(/\s+/g, " ");
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr, seconds, text };
}

/** Throws with everything cdktf printed unless the deploy succeeded. */
export function expectDeployed(result: DeployResult): DeployResult {
  if (result.status !== 0) {
    throw new Error(`cdktf deploy exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/** The stack folder {@link cdktfDeploy} deployed from `workdir`, to run terraform in. */
export function deployedStack(workdir: string, env: Record<string, string>, stack = "cloudkoffer-v3"): TerraformWorkspace {
  // With the environment it was deployed with: the same loopback VIP (none where no node is meant).
  const deployedWith = env.TF_VAR_nodes === undefined ? env : loopbackDeployEnvironment(env);
  return TerraformWorkspace.deployed(path.join(workdir, "cdktf.out", "stacks", stack), deployedWith);
}
