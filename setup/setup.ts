/**
 * npm run setup [-- <step> ...]: what the project builds before a command
 * needs it, and the module every such command calls first. Idempotent, a
 * no-op when done; one line per step with its time:
 *
 *   providers     where siderolabs/talos, hashicorp/null and hashicorp/tls come from
 *                 (setup/provider-source.ts): built from their release sources into the
 *                 mirror (setup/providers.ts), or installed by terraform itself as the
 *                 user's CLI configuration says or from the registry
 *   talos-schema  Talos' machine-configuration schema that synth checks patches against
 *   talos-tool    .build/bin/cloudkoffer-talos, the project's Talos tool (validate, probe,
 *                 bootstrapped), .build/bin/cloudkoffer-etcd, which checks etcd snapshots (npm run
 *                 backup and restore), .build/bin/talos-sim, the node simulator, and
 *                 .build/bin/test-registry, a provider registry for the tests (go),
 *                 built again when one of their Go sources is newer
 *   talosctl      the talosctl the tests and npm start drive simulated nodes with (operations/talosctl.ts):
 *                 the user's own on PATH when it is a Talos v1.7 client, else .build/bin/talosctl,
 *                 built from Talos 1.7.4's release source. Only asked for by those commands.
 *   tofu          .build/bin/tofu, OpenTofu 1.10.10 built from its Go module, when OpenTofu is the
 *                 engine (operations/engine.ts) and no tofu is on PATH; npm run setup (all steps)
 *                 builds it for the tests unless tofu is on PATH.
 *   kube-apiserver .build/bin/kube-apiserver, the real kube-apiserver of Kubernetes 1.30.1 (the version
 *                 the stacks install) built from Go modules (setup/kube-apiserver.ts): k8s.io/kubernetes and
 *                 its staging modules, each pinned by its hash. Only asked for by the tests and npm start
 *                 (npm run setup with every step builds it); no deploy needs it.
 *
 * Exit status: 0 ready; 3 no way to the providers (no release source archives,
 * no CLI configuration of the user's, and the registry does not answer: the
 * message names both ways out) or a release source is missing (the message
 * says what to download); 1 any other failure.
 */
import { spawn } from "child_process";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../lib/project-paths";
import { MIRROR_CLI_CONFIG } from "../lib/provider-lock";
import { DEFAULT_TALOS_CONFIG_SCHEMA } from "../operations/talos-checks";
import { DEFAULT_TALOS_TOOL } from "../operations/talos-tool";
import { exitStatus, outcomeLine, PINNED_PROVIDERS, provideProviders } from "./providers";
import { decideProviderPath, describeProviderPath, localProviderPath, NO_PROVIDER_PATH_STATUS, NoProviderPath, ProviderPath } from "./provider-source";
import { BUILT_TOFU, needsBuiltTofu, withEngine } from "../operations/engine";
import { findTalosctl, noTalosctlMessage, TALOSCTL, TALOSCTL_STAMP, talosctlBuildable } from "../operations/talosctl";
import { buildModuleRelease, buildRelease, BuildOutcome, describeProvenance, KUBE_APISERVER_RELEASE, sourceFolders, TALOS_SOURCE, TOFU_RELEASE } from "./release-sources";
import { buildKubeApiserver, KUBE_APISERVER } from "./kube-apiserver";

/** What a command may need built. */
export const SETUP_STEPS = ["providers", "talos-schema", "talos-tool", "talosctl", "tofu", "kube-apiserver"] as const;
/** One of {@link SETUP_STEPS}. */
export type SetupStep = (typeof SETUP_STEPS)[number];
/** The steps' old names, with a space, which scripts may still use. */
export const SETUP_STEP_ALIASES: Readonly<Record<string, SetupStep>> = { "talos schema": "talos-schema", "talos tool": "talos-tool" };
/** What commands that deploy to nodes need: not talosctl, which on real hardware is the user's own, nor kube-apiserver. */
export const DEPLOY_STEPS: readonly SetupStep[] = ["providers", "talos-schema", "talos-tool"];
/** The steps that build a Go release from source, slow the first time: they run beside the others. */
const BESIDE: readonly SetupStep[] = ["talosctl", "tofu", "kube-apiserver"];

/** What a deploying command needs here: {@link DEPLOY_STEPS}, and tofu when it is the engine and not on PATH. */
export function deploySteps(env: NodeJS.ProcessEnv = process.env): SetupStep[] {
  return [...DEPLOY_STEPS, ...(needsBuiltTofu(env) ? (["tofu"] as const) : [])];
}

/** The line of a release build, or the error it is. */
function releaseLine(what: string, binary: string, outcome: BuildOutcome): string {
  switch (outcome.status) {
    case "cached":
      return `up to date, built from ${describeProvenance(outcome.from)}`;
    case "built":
      return `built ${path.relative(PROJECT_ROOT, binary)} from ${describeProvenance(outcome.from)}`;
    case "unavailable":
      throw new SetupError(`${what}: UNAVAILABLE: ${outcome.message}`, 3);
    case "failed":
      throw new SetupError(`${what}: FAILED: ${outcome.message}${outcome.output ? `\n${outcome.output.trim()}` : ""}`, 1);
  }
}

/** Where the last set-up found the providers (setup/provider-source.ts), for the test tiers. */
export const PROVIDER_PATH_RECORD = path.join(PROJECT_ROOT, ".build", "provider-path.json");

function recordProviderPath(provider: ProviderPath): void {
  mkdirSync(path.dirname(PROVIDER_PATH_RECORD), { recursive: true });
  writeFileSync(PROVIDER_PATH_RECORD, `${JSON.stringify(provider)}\n`);
}

/** A step that could not be done; `status` is the exit status the command should end with. */
export class SetupError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "SetupError";
  }
}

/** The Go module of the Talos tool. */
const TALOS_MODULE = path.join(PROJECT_ROOT, "go");

/** The newest modification time of the Talos tool's sources. */
function newestTalosSource(): number {
  return Math.max(
    ...readdirSync(TALOS_MODULE, { recursive: true, encoding: "utf8" })
      .filter((file) => /\.go$|^go\.(mod|sum)$/.test(file) && !file.endsWith("_test.go"))
      .map((file) => statSync(path.join(TALOS_MODULE, file)).mtimeMs),
  );
}

/** What the talos-tool step builds. */
const TALOS_BINARIES = [DEFAULT_TALOS_TOOL, ...["cloudkoffer-etcd", "talos-sim", "test-registry"].map((name) => path.join(PROJECT_ROOT, ".build", "bin", name))];

/** Whether `file` exists and is newer than `than` (a modification time). */
function upToDate(file: string, than: number): boolean {
  return existsSync(file) && statSync(file).mtimeMs >= than;
}

/** Runs a project script, its output kept unless it fails. */
function runScript(script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(PROJECT_ROOT, "setup", script), [], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", reject);
    child.once("close", (status) => (status === 0 ? resolve() : reject(new SetupError(`setup/${script} failed (${status}):\n${output.trim()}`, 1))));
  });
}

/** Does one step, or finds it done; returns what to say of it. */
async function runStep(step: SetupStep, report: (line: string) => void): Promise<string> {
  switch (step) {
    case "providers": {
      const provider = await decideProviderPath(PINNED_PROVIDERS, process.env).catch((error: unknown) => {
        throw error instanceof NoProviderPath ? new SetupError(`UNAVAILABLE: ${error.message}`, NO_PROVIDER_PATH_STATUS) : error;
      });
      const said = describeProviderPath(provider, PINNED_PROVIDERS, process.env);
      recordProviderPath(provider);
      if (provider.kind !== "archives") return said;
      const outcomes = await provideProviders();
      // What was built, and from what: a provider line each (cached ones only in the step's line).
      outcomes.forEach((outcome, i) => outcome.status === "built" && report(outcomeLine(PINNED_PROVIDERS[i], outcome)));
      const status = exitStatus(outcomes);
      if (status !== 0) {
        const lines = outcomes.map((outcome, i) => outcomeLine(PINNED_PROVIDERS[i], outcome)).filter((line) => /UNAVAILABLE|FAILED/.test(line));
        throw new SetupError(lines.join("\n"), status);
      }
      const built = outcomes.filter((outcome) => outcome.status === "built").length;
      return `${said}, ${built === 0 ? "in the mirror" : "built into the mirror"}`;
    }
    case "talos-schema":
      if (upToDate(DEFAULT_TALOS_CONFIG_SCHEMA, statSync(path.join(TALOS_MODULE, "go.mod")).mtimeMs)) return "up to date";
      await runScript("talos-config-schema.sh");
      return `copied out of Talos' machinery into ${path.relative(PROJECT_ROOT, DEFAULT_TALOS_CONFIG_SCHEMA)}`;
    case "talos-tool":
      if (TALOS_BINARIES.every((binary) => upToDate(binary, newestTalosSource()))) return "up to date";
      await runScript("talos-build.sh");
      return `built ${TALOS_BINARIES.map((binary) => path.relative(PROJECT_ROOT, binary)).join(" and ")}`;
    case "talosctl": {
      // The user's own talosctl of Talos v1.7 serves as it is; without the release source there is nothing to build.
      const found = findTalosctl();
      if (found?.origin === "PATH") return `your own ${found.command} (Talos ${found.version}), nothing to build`;
      if (!talosctlBuildable()) throw new SetupError(`talosctl: UNAVAILABLE: ${noTalosctlMessage()}`, 3);
      const outcome = await buildRelease({
        source: TALOS_SOURCE,
        binary: TALOSCTL,
        stamp: TALOSCTL_STAMP,
        folders: sourceFolders(),
        env: process.env,
        pkg: "./cmd/talosctl",
        // Talos' go.mod has replace directives: it builds as the main module only.
        moduleProxy: false,
      });
      return releaseLine(`talosctl ${TALOS_SOURCE.version}`, TALOSCTL, outcome);
    }
    case "tofu": {
      // One on PATH is the user's engine; the tests and deploys use it as it is.
      if (!needsBuiltTofu({ CLOUDKOFFER_ENGINE: "tofu" })) return "tofu is on PATH, nothing to build";
      const stamp = path.join(PROJECT_ROOT, ".build", "built", `tofu-${TOFU_RELEASE.version}.json`);
      return releaseLine(`OpenTofu ${TOFU_RELEASE.version}`, BUILT_TOFU, await buildModuleRelease(TOFU_RELEASE, BUILT_TOFU, stamp, process.env));
    }
    case "kube-apiserver":
      return releaseLine(`kube-apiserver ${KUBE_APISERVER_RELEASE.version}`, KUBE_APISERVER, await buildKubeApiserver(process.env));
  }
}

/**
 * Makes sure the steps a command needs are done, in order (the release builds,
 * BESIDE, beside them), printing one line per step with its time.
 * @throws SetupError when a step cannot be done
 */
export async function ensureSetup(steps: readonly SetupStep[] = deploySteps(), report: (line: string) => void = console.log): Promise<void> {
  const timed = async (step: SetupStep): Promise<void> => {
    const started = process.hrtime.bigint();
    const said = await runStep(step, report);
    report(`setup: ${step}: ${said} (${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s)`);
  };
  // talosctl, tofu and kube-apiserver depend on nothing else here, and their builds wait on downloads: they run beside the others.
  const beside = Promise.all(BESIDE.filter((step) => steps.includes(step)).map(timed));
  // Whatever happens to the others, never leave those builds running unobserved.
  beside.catch(() => undefined);
  for (const step of SETUP_STEPS.filter((candidate) => !BESIDE.includes(candidate) && steps.includes(candidate))) {
    await timed(step);
  }
  await beside;
}

/**
 * The environment for installing the providers the way they come
 * (setup/provider-source.ts): pointed at the project's provider mirror when
 * they are built from release sources; else terraform's own installation, as
 * the user's CLI configuration says or from the registry (a TF_CLI_CONFIG_FILE
 * that names no file is dropped: terraform would then read no configuration at all).
 */
export function providerInstallEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (localProviderPath(PINNED_PROVIDERS, env)?.kind === "archives") return { ...env, TF_CLI_CONFIG_FILE: MIRROR_CLI_CONFIG };
  const { TF_CLI_CONFIG_FILE: configFile, ...rest } = env;
  return configFile && existsSync(configFile) ? env : rest;
}

/** The environment for terraform: the engine settled (operations/engine.ts), the providers' way to it set. */
export function terraformCliEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return providerInstallEnvironment(withEngine(env));
}
