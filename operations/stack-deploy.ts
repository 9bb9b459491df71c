/**
 * A stack's deploy as `npm run deploy` runs it (commands/deploy.ts), and `npm
 * start` on its simulated Cloudkoffer: `cdktf deploy <stack>`, with what cdktf
 * cannot do itself (see commands/deploy.ts).
 */
import { spawn } from "child_process";
import { chmodSync, existsSync } from "fs";
import * as path from "path";
import { defaultStatePath } from "../lib/cloudkoffer-profile";
import { SelectedStack } from "./stack-selection";
import { PROJECT_ROOT } from "../lib/project-paths";
import { defaultSecretsBackupPath } from "../lib/secrets-backup";
import { DEFAULT_TALOS_TOOL } from "./talos-tool";
import { BOOTSTRAP_ADDRESS, KUBECONFIG_ADDRESS, SECRETS_ADDRESS, TALOS_UPGRADE_ADDRESS } from "../lib/addresses";
import { configuredNodes, isBootstrapped, nodesNotAt, watchForLostBootstrap } from "./deploy-recovery";
import { importResources, isEncryptedState, pullState, readLocalState, repairLocalState, StackState, undecryptable, writeSecretsBackup } from "./state";
import { credentialExpiries, describeExpiry, shownDate } from "./credential-expiry";
import { descendants } from "./process-tree";
import { terraformCliEnvironment } from "../setup/setup";
import { initialisedStack, run } from "./stack-workdir";
import { findTalosctl } from "./talosctl";
import { engineBinary } from "./engine";
import { sealSecretsBackup } from "./sealed-backup";
import { adoptSecrets } from "./secrets";
import { secretsYaml } from "./secrets-yaml";

const say = (line: string) => console.log(`deploy: ${line}`);

/** A deploy that must not run: nothing was touched; the message says what to do. */
export class UnsafeDeploy extends Error {}

/** Options of a {@link StackDeploy}. */
export interface StackDeployOptions {
  /** The stack, and the nodes it deploys to. */
  readonly stack: SelectedStack;
  /** cdktf's output folder; the local state is three levels above the stack's folder in it. */
  readonly output: string;
  /** Options for `cdktf deploy <stack>`, e.g. `--auto-approve`. */
  readonly cdktfArgs: readonly string[];
  /**
   * The environment of cdktf and terraform (TF_VAR_*, CLOUDKOFFER_BACKEND).
   * @default process.env
   */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * The project's Talos tool, to ask the nodes.
   * @default `.build/bin/cloudkoffer-talos`
   */
  readonly talosTool?: string;
}

/**
 * One stack's deploy, as `npm run deploy` runs it: cdktf deploy, with what it
 * takes to converge after an interrupted or faulted deploy (see
 * deploy-recovery.ts), the state kept readable by its owner only.
 */
export class StackDeploy {
  private initialised?: string;
  private readonly stackDir: string;
  readonly statePath: string;
  private readonly backupFile: string;
  private env: NodeJS.ProcessEnv;

  private readonly stack: SelectedStack;
  private readonly output: string;
  private readonly talosTool: string;
  private readonly cdktfArgs: readonly string[];

  constructor(options: StackDeployOptions) {
    this.stack = options.stack;
    this.output = options.output;
    this.talosTool = options.talosTool ?? DEFAULT_TALOS_TOOL;
    const env = terraformCliEnvironment(options.env ?? process.env);
    // The stack carries its dependency lock (lib/provider-lock.ts): `terraform providers lock` would
    // only ask the registry again, and a mirror cannot answer it.
    this.cdktfArgs = [...(options.cdktfArgs.includes("--skip-provider-lock") ? [] : ["--skip-provider-lock"]), ...options.cdktfArgs];
    this.stackDir = path.join(this.output, "stacks", this.stack.name);
    this.statePath = path.resolve(this.stackDir, defaultStatePath(this.stack.name));
    this.backupFile = path.resolve(this.stackDir, env.TF_VAR_secrets_backup_file || defaultSecretsBackupPath(this.stack.name));
    // The maintenance scripts' talosctl: the user's own of Talos v1.7, else the one built here (operations/talosctl.ts).
    const talosctl = findTalosctl(env);
    this.env = { ...env, CLOUDKOFFER_TALOS_TOOL: this.talosTool, ...(talosctl ? { CLOUDKOFFER_TALOSCTL: talosctl.command } : {}) };
  }

  private get pg(): boolean {
    return this.env.CLOUDKOFFER_BACKEND === "pg";
  }

  /**
   * The whole deploy: prepare, cdktf deploy, and once more after adopting a
   * bootstrap whose reply was lost. The state files end up mode 0600.
   * @returns cdktf's exit status
   * @throws UnsafeDeploy when deploying would lock the owner out; nothing was touched
   */
  async run(): Promise<number> {
    try {
      await this.prepare();
      let status = await this.cdktfDeploy();
      // A Bootstrap whose reply was lost: adopt it and go on (terraform may have recorded it after all).
      if (status !== 0 && ((await this.adoptBootstrapAfterFailure()) || this.interruptedForBootstrap)) {
        say("deploying again");
        status = await this.cdktfDeploy();
      }
      if (status === 0) this.reportCredentials();
      return status;
    } finally {
      this.protectStateFiles();
    }
  }

  /**
   * After a failed cdktf deploy: {@link adoptBootstrap}, unless the state
   * cannot be read now (terraform stopped while writing it: the next deploy
   * repairs it, and says so).
   */
  private async adoptBootstrapAfterFailure(): Promise<boolean> {
    try {
      return await this.adoptBootstrap();
    } catch (error) {
      say(error instanceof Error ? error.message : String(error));
      return false;
    }
  }

  /** Whether cdktf deploy ran in this process: then its stack folder is synthesized and initialised. */
  private cdktfRan = false;
  /** Whether the last cdktf deploy was interrupted here, to adopt a bootstrap. */
  private interruptedForBootstrap = false;

  /**
   * The synthesized and initialised stack folder, made once, only when a
   * repair needs terraform; after cdktf deploy ran, the folder it initialised.
   */
  private dir(): string {
    this.initialised ??=
      this.cdktfRan && existsSync(path.join(this.stackDir, ".terraform")) ? this.stackDir : initialisedStack(this.stack.name, this.output, this.env);
    return this.initialised;
  }

  private state(): StackState {
    return this.pg || isEncryptedState(this.statePath) ? pullState(this.dir(), this.env) : readLocalState(this.statePath);
  }

  private get toolBuilt(): boolean {
    return existsSync(this.talosTool);
  }

  /** Before cdktf deploy: a sound state, with the secrets the nodes hold, and the bootstrap they had. */
  private async prepare(): Promise<void> {
    if (!this.pg) repairLocalState(this.statePath).forEach(say);
    // An encrypted state was read to check its passphrase: each read costs tofu a key derivation.
    let state = this.checkEncryption() ?? this.state();
    if (!state.has(SECRETS_ADDRESS) && this.adoptSecrets()) state = this.state();
    this.restoreSecretsBackup(state);
    if (await this.adoptBootstrap(state)) state = this.state();
    await this.resumeTalosRoll(state);
    this.renewKubeconfigNearExpiry(state);
  }

  /**
   * The admin kubeconfig renews with the admin certificate; one whose own
   * certificate is inside the renewal window anyway (Talos signed it for
   * less, or it was read before the stack renewed certificates) is read again.
   */
  private renewKubeconfigNearExpiry(state: StackState): void {
    const kubeconfig = credentialExpiries(state).find((expiry) => expiry.credential === "admin kubeconfig");
    if (!kubeconfig?.due || !state.has(KUBECONFIG_ADDRESS)) return;
    say(`the admin kubeconfig ${kubeconfig.expired ? "expired" : "expires"} ${shownDate(kubeconfig.notAfter)}: reading it again`);
    run(engineBinary(this.env), ["taint", "-no-color", KUBECONFIG_ADDRESS], { cwd: this.dir(), env: this.env });
  }

  /**
   * After a deploy: until when the credentials are valid, and a warning with
   * the date for one that only another deploy renews before it expires.
   */
  private reportCredentials(): void {
    for (const expiry of credentialExpiries(this.state())) {
      if (expiry.due) {
        say(`warning: the ${describeExpiry(expiry)}. Deploy again before ${shownDate(expiry.notAfter)}, or it stops working.`);
      } else {
        say(describeExpiry(expiry));
      }
    }
  }

  /**
   * With state encryption asked for (OpenTofu): the passphrase is set, and a
   * state that is not encrypted yet moves to encryption in this deploy (the
   * stack is synthesized with OpenTofu's fallback to read it once). An
   * encrypted state without encryption asked for stops here.
   * @returns the state, when checking read it
   * @throws UnsafeDeploy naming what is missing; nothing was touched
   */
  private checkEncryption(): StackState | undefined {
    const asked = this.env.CLOUDKOFFER_STATE_ENCRYPTION;
    const encrypted = !this.pg && isEncryptedState(this.statePath);
    if (encrypted && !asked) {
      throw new UnsafeDeploy(
        `${this.statePath} is encrypted: deploy with CLOUDKOFFER_STATE_ENCRYPTION=passphrase, TF_VAR_state_passphrase and OpenTofu. Nothing was touched.`,
      );
    }
    if (!asked) return undefined;
    if (!this.env.TF_VAR_state_passphrase) {
      throw new UnsafeDeploy(`CLOUDKOFFER_STATE_ENCRYPTION=${asked}: TF_VAR_state_passphrase is not set, and the state's passphrase is needed. Nothing was touched.`);
    }
    if (encrypted) {
      try {
        return pullState(this.dir(), this.env);
      } catch (error) {
        const explained = undecryptable(this.statePath, error instanceof Error ? error.message : String(error), this.env);
        throw explained ? new UnsafeDeploy(explained) : error;
      }
    }
    if (!this.pg && existsSync(this.statePath)) {
      say(`${this.statePath} is not encrypted yet: this deploy moves it to encryption (OpenTofu reads it once without)`);
      this.env = { ...this.env, CLOUDKOFFER_STATE_ENCRYPTION_MIGRATE: "yes" };
    }
    return undefined;
  }

  /**
   * Writes the secrets backup again when the state has secrets and the file is
   * gone (deleted, or a kill before the stack's backup step wrote it), before
   * any node is configured with them.
   */
  private restoreSecretsBackup(state: StackState): void {
    const secrets = state.machineSecrets;
    if (!secrets || existsSync(this.backupFile)) return;
    const passphrase = this.sealingPassphrase;
    if (passphrase === undefined) {
      writeSecretsBackup(this.backupFile, secrets);
      say(`wrote the missing backup of the cluster secrets, ${this.backupFile} (mode 0600)`);
    } else if (this.toolBuilt) {
      sealSecretsBackup(this.backupFile, secretsYaml(secrets), passphrase, this.talosTool);
      say(`wrote the missing backup of the cluster secrets, ${this.backupFile} (mode 0600, sealed with the state's passphrase)`);
    } else {
      say(`the backup of the cluster secrets, ${this.backupFile}, is missing; the deploy seals it (with ${this.talosTool}, which npm run setup builds)`);
    }
  }

  /** The state's passphrase, when the state is encrypted: the secrets backup is sealed with it. */
  private get sealingPassphrase(): string | undefined {
    return this.env.CLOUDKOFFER_STATE_ENCRYPTION ? this.env.TF_VAR_state_passphrase : undefined;
  }

  /** Imports the secrets backup, unsealed for the import when it is sealed; nothing is touched when it cannot be. */
  private importSecretsBackup(): void {
    adoptSecrets(this.dir(), this.backupFile, this.env, this.talosTool, `the backup ${this.backupFile}`);
  }

  /**
   * Terraform records an upgrade resource before its script has run, so a roll
   * killed half way looks finished: asks the nodes, and replaces the upgrade
   * step when one runs another version than the roll was for.
   */
  private async resumeTalosRoll(state: StackState): Promise<void> {
    const target = state.talosRollTarget;
    const client = state.clientConfiguration;
    if (!target || !client || !this.toolBuilt) return;
    const behind = await nodesNotAt(target, this.stack.nodes, client, this.talosTool);
    if (Object.keys(behind).length === 0) return;
    const list = Object.entries(behind).map(([node, version]) => `${node} runs ${version}`).join(", ");
    say(`the roll to Talos ${target} did not finish (${list}): resuming it`);
    run(engineBinary(this.env), ["taint", "-no-color", TALOS_UPGRADE_ADDRESS], { cwd: this.dir(), env: this.env });
  }

  /**
   * A state without secrets: adopts the backup, or stops when nodes hold
   * secrets that nobody has here.
   * @returns whether it adopted the backup
   */
  private adoptSecrets(): boolean {
    if (existsSync(this.backupFile)) {
      say(`the state of ${this.stack.name} has no cluster secrets: adopting the backup ${this.backupFile}`);
      this.importSecretsBackup();
      return true;
    }
    if (!this.toolBuilt) {
      say(`cannot ask the nodes whether they are configured already: ${this.talosTool} is not built (npm run setup)`);
      return false;
    }
    const configured = configuredNodes(this.stack.nodes, this.talosTool);
    if (configured.length > 0) {
      throw new UnsafeDeploy(
        [
          `the state of ${this.stack.name} (${this.pg ? "pg backend" : this.statePath}) has no cluster secrets and there is no backup of them at ${this.backupFile},`,
          `but ${configured.join(", ")} ${configured.length === 1 ? "is" : "are"} configured already, with secrets this state does not have.`,
          "A deploy would make new secrets that no configured node accepts. Nothing was touched. Recover with one of:",
          `  - the cluster's secrets.yaml (from npm run secrets -- export, talosctl gen secrets, or a copy of the backup): npm run secrets -- import ${this.stack.name} --file secrets.yaml, then deploy again;`,
          `  - an older copy of the state (${this.statePath}.backup or ${this.statePath}.corrupt-*) moved to ${this.statePath};`,
          "  - or re-image the nodes (they boot into maintenance mode) and deploy again, for a new cluster.",
        ].join("\n"),
      );
    }
    return false;
  }

  /**
   * Adopts a bootstrap the state lacks when the first control plane says its
   * cluster is bootstrapped.
   * @returns whether it adopted one
   */
  private async adoptBootstrap(state: StackState = this.state()): Promise<boolean> {
    const client = state.clientConfiguration;
    if (!client || state.has(BOOTSTRAP_ADDRESS) || !this.toolBuilt) return false;
    const first = this.stack.nodes.controlplane[0];
    if ((await isBootstrapped(first, client, this.talosTool)) !== true) return false;
    say(`${first} is bootstrapped already, but the state lacks ${BOOTSTRAP_ADDRESS}: adopting it instead of bootstrapping again`);
    importResources(this.dir(), [{ address: BOOTSTRAP_ADDRESS, id: "machine_bootstrap" }], this.env);
    return true;
  }

  /**
   * Runs cdktf deploy; returns its exit status. While the state lacks the
   * bootstrap, it watches for a Bootstrap whose reply was lost: the first
   * control plane says it is bootstrapped, yet terraform records nothing.
   * Provider 0.5.0 would ask again until node_timeout (Talos answers
   * AlreadyExists), so terraform is interrupted, gracefully, to adopt it.
   */
  private async cdktfDeploy(): Promise<number> {
    const child = spawn(path.join(PROJECT_ROOT, "node_modules", ".bin", "cdktf"), ["deploy", this.stack.name, ...this.cdktfArgs], {
      cwd: PROJECT_ROOT,
      stdio: "inherit",
      env: this.env,
    });
    const exited = new Promise<number>((resolve) => {
      child.once("error", (error) => say(`cdktf could not be started: ${error.message}`));
      child.once("close", (status) => resolve(status ?? 1));
    });
    // The watch reads the local state file every second: not an encrypted one (a lost reply then costs node_timeout).
    const encrypted = Boolean(this.env.CLOUDKOFFER_STATE_ENCRYPTION) || isEncryptedState(this.statePath);
    const watching = !this.pg && !encrypted && this.toolBuilt && !this.state().has(BOOTSTRAP_ADDRESS);
    const stopWatching = watching
      ? watchForLostBootstrap(this.statePath, this.stack.nodes, this.talosTool, () => {
          this.interruptedForBootstrap = true;
          say(
            `${this.stack.nodes.controlplane[0]} is bootstrapped, but terraform is still asking for it (its reply was lost): interrupting terraform to adopt the bootstrap`,
          );
          for (const { pid, command } of descendants(child.pid as number)) {
            if (command === path.basename(engineBinary(this.env))) process.kill(pid, "SIGINT");
          }
        })
      : () => undefined;
    try {
      return await exited;
    } finally {
      stopWatching();
      this.cdktfRan = true;
    }
  }

  /** The state holds every key of the cluster: readable by its owner only. */
  private protectStateFiles(): void {
    for (const file of [this.statePath, `${this.statePath}.backup`]) {
      if (existsSync(file)) chmodSync(file, 0o600);
    }
  }
}
