/**
 * npm run providers: builds the pinned Terraform providers and lays them out
 * as a filesystem mirror, because there is no Terraform registry to download
 * them from.
 *
 * Each provider is built from its release source archive (setup/release-sources.ts:
 * found in PROVIDER_SOURCES, else in ../shared/third_party; sha256 checked
 * against the pin), else from the Go module proxy where it serves the release.
 * They fetch their dependencies in parallel and compile one after another
 * (see COMPILE_ORDER). A provider already built from the pinned
 * source is not built again. Prints one line per provider: name, version,
 * where it came from, built or cached.
 *
 * Writes (all git-ignored):
 *   .providers/mirror/registry.terraform.io/<namespace>/<type>/<version>/<os>_<arch>/
 *   .providers/mirror/registry.opentofu.org/...   the same binaries, for OpenTofu (hard links)
 *   .providers/built/<namespace>-<type>-<version>.json   where each binary came from
 *   .providers/terraformrc   terraform CLI config that installs from the mirror only
 *   .providers/terraform.lock.hcl   the dependency lock of these builds (their own h1: hashes);
 *                            stacks carry it instead of the committed official lock when
 *                            terraform installs from the mirror (lib/provider-lock.ts)
 *
 * Exit status: 0 every pinned provider is in the mirror; 3 a provider has no
 * release source and the Go module proxy refuses it (the message names the
 * file to download and where to put it); 1 any other failure.
 */
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import { copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "fs";
import * as path from "path";
import { writeFileAtomically } from "../operations/atomic-file";
import { lockEntry, MIRROR_CLI_CONFIG, MIRROR_PROVIDER_LOCK, PROVIDER_MIRROR_DIRECTORY } from "../lib/provider-lock";
import {
  BuildOutcome,
  buildRelease,
  describeProvenance,
  NULL_PROVIDER_SOURCE,
  ReleaseSource,
  sourceFolders,
  TALOS_PROVIDER_SOURCE,
  TLS_PROVIDER_SOURCE,
} from "./release-sources";

/** The providers the stacks require, at the releases their bindings were generated for. */
export const PINNED_PROVIDERS: readonly ReleaseSource[] = [TALOS_PROVIDER_SOURCE, NULL_PROVIDER_SOURCE, TLS_PROVIDER_SOURCE];

/** The registry host terraform installs the providers under. */
const REGISTRY = "registry.terraform.io";
/** The registry host OpenTofu installs the same providers under: the mirror serves it the same binaries. */
const OPENTOFU_REGISTRY = "registry.opentofu.org";

/** Options of {@link provideProviders}. */
export interface ProvideOptions {
  /**
   * The folder that holds `mirror/`, `built/` and `terraformrc`.
   * @default the project's `.providers`
   */
  readonly directory?: string;
  /**
   * The providers to provide.
   * @default PINNED_PROVIDERS
   */
  readonly providers?: readonly ReleaseSource[];
  /**
   * The environment: PROVIDER_SOURCES, and Go's settings for the builds.
   * @default process.env
   */
  readonly env?: NodeJS.ProcessEnv;
  /** Called with each provider's line as soon as it is known. */
  readonly report?: (line: string) => void;
}

/** The directory of the project's provider mirror and its terraform CLI config. */
export const PROVIDERS_DIRECTORY = PROVIDER_MIRROR_DIRECTORY;

/** The Go platform the binaries are built for, e.g. `linux_amd64`. */
function goPlatform(): string {
  const env = spawnSync("go", ["env", "GOOS", "GOARCH"], { encoding: "utf8" });
  if (env.status !== 0) throw new Error(`go env failed: is Go on PATH? ${env.stderr ?? ""}`.trim());
  return env.stdout.trim().split("\n").join("_");
}

/** The provider's folder in the mirror, holding one folder per version. */
function mirrorFolder(directory: string, source: ReleaseSource): string {
  return path.join(directory, "mirror", REGISTRY, ...source.name.split("/"));
}


/** The line `npm run providers` prints for a provider. */
export function outcomeLine(source: ReleaseSource, outcome: BuildOutcome): string {
  const name = `${source.name} ${source.version}`;
  switch (outcome.status) {
    case "built":
      return `providers: ${name}: built from ${describeProvenance(outcome.from)} (${outcome.seconds.toFixed(1)} s)`;
    case "cached":
      return `providers: ${name}: cached, built from ${describeProvenance(outcome.from)}`;
    case "unavailable":
    case "failed":
      return `providers: ${name}: ${outcome.status === "unavailable" ? "UNAVAILABLE" : "FAILED"}: ${outcome.message}`;
  }
}

/**
 * The order the providers compile in. On two cores a parallel compile only
 * compiles the packages they share twice: null's packages are most of tls',
 * and talos finds the plugin framework's compiled. Measured from an empty Go
 * build cache, modules downloaded: side by side 233 s and 433 CPU-s, in this
 * order 145 s and 274 CPU-s.
 */
const COMPILE_ORDER: readonly string[] = [NULL_PROVIDER_SOURCE.name, TLS_PROVIDER_SOURCE.name, TALOS_PROVIDER_SOURCE.name];

/** Builds one provider into the mirror, or finds it there; its compile starts once `compileAfter` settles. */
function provide(
  source: ReleaseSource,
  directory: string,
  platform: string,
  folders: readonly string[],
  env: NodeJS.ProcessEnv,
  compileAfter: Promise<unknown>,
): Promise<BuildOutcome> {
  const type = source.name.split("/")[1];
  return buildRelease({
    source,
    binary: path.join(mirrorFolder(directory, source), source.version, platform, `terraform-provider-${type}_v${source.version}`),
    stamp: path.join(directory, "built", `${source.name.replace("/", "-")}-${source.version}.json`),
    folders,
    env,
    compileAfter,
  });
}

/**
 * OpenTofu resolves "siderolabs/talos" on its own registry's host name, and
 * does not follow a symbolic link in a filesystem mirror: the same binaries,
 * hard-linked (copied across filesystems), under registry.opentofu.org.
 */
function mirrorForOpenTofu(directory: string, source: ReleaseSource): void {
  const from = mirrorFolder(directory, source);
  const to = path.join(directory, "mirror", OPENTOFU_REGISTRY, ...source.name.split("/"));
  const opentofuRoot = path.join(directory, "mirror", OPENTOFU_REGISTRY);
  if (existsSync(opentofuRoot) && lstatSync(opentofuRoot).isSymbolicLink()) rmSync(opentofuRoot);
  if (existsSync(to)) {
    for (const version of readdirSync(to)) if (version !== source.version) rmSync(path.join(to, version), { recursive: true, force: true });
  }
  // Only what differs is replaced, by rename: a tofu running meanwhile never finds a binary missing.
  for (const file of readdirSync(from, { recursive: true, encoding: "utf8" })) {
    const original = path.join(from, file);
    const mirrored = path.join(to, file);
    if (!statSync(original).isFile() || isSameBinary(original, mirrored)) continue;
    mkdirSync(path.dirname(mirrored), { recursive: true });
    const partial = `${mirrored}.${process.pid}`;
    try {
      linkSync(original, partial);
    } catch {
      copyFileSync(original, partial);
    }
    renameSync(partial, mirrored);
  }
}

/** Whether `copy` is `original`: the same file (a hard link), or a copy made after it was built. */
function isSameBinary(original: string, copy: string): boolean {
  if (!existsSync(copy)) return false;
  const [a, b] = [statSync(original), statSync(copy)];
  return (a.dev === b.dev && a.ino === b.ino) || (a.size === b.size && b.mtimeMs >= a.mtimeMs);
}

/** Writes a file only when its content changes, by rename: a terraform reading it meanwhile never finds it half written. */
function writeWhenChanged(file: string, content: string): void {
  if (existsSync(file) && readFileSync(file, "utf8") === content) return;
  writeFileAtomically(file, content, 0o644);
}

/**
 * The `h1:` hash terraform records for an unpacked provider package: Go's
 * dirhash "Hash1" of its folder (a sha256 of the lines `<sha256 hex>  <name>`).
 */
export function packageHash(folder: string): string {
  const summary = readdirSync(folder)
    .sort()
    .map((name) => `${createHash("sha256").update(readFileSync(path.join(folder, name))).digest("hex")}  ${name}\n`)
    .join("");
  return `h1:${createHash("sha256").update(summary).digest("base64")}`;
}

/**
 * The dependency lock of the mirrored providers, as terraform writes one: the
 * version, the constraint the stacks require, and the `h1:` hash of each
 * platform folder built here, for both registries' names (the mirror serves
 * OpenTofu the same binaries).
 */
export function mirrorLock(directory: string, providers: readonly ReleaseSource[]): string {
  const entries = [REGISTRY, OPENTOFU_REGISTRY].flatMap((host) =>
    providers.map((source) => {
      const version = path.join(mirrorFolder(directory, source), source.version);
      const hashes = readdirSync(version)
        .sort()
        .map((platform) => packageHash(path.join(version, platform)));
      return lockEntry(`${host}/${source.name}`, source.version, hashes);
    }),
  );
  return [
    "# Written by npm run providers for the providers built here from their release sources: their own",
    "# hashes, not the official releases' (those are in the project's .terraform.lock.hcl).",
    "",
    entries.sort().join("\n\n"),
    "",
  ].join("\n");
}

/** Removes versions of a provider from the mirror that are not its pinned one. */
function pruneMirror(directory: string, source: ReleaseSource, report: (line: string) => void): void {
  const folder = mirrorFolder(directory, source);
  if (!existsSync(folder)) return;
  for (const version of readdirSync(folder)) {
    if (version === source.version) continue;
    rmSync(path.join(folder, version), { recursive: true, force: true });
    report(`providers: ${source.name} ${version}: removed from the mirror, the pinned release is ${source.version}`);
  }
}

/** The terraform CLI config that installs providers from the mirror only. */
export function terraformCliConfig(directory: string): string {
  return [
    "# Written by npm run providers. Installs providers from the local mirror only.",
    "provider_installation {",
    "  filesystem_mirror {",
    `    path    = "${path.join(directory, "mirror")}"`,
    `    include = ["${REGISTRY}/*/*", "${OPENTOFU_REGISTRY}/*/*"]`,
    "  }",
    "}",
    "",
  ].join("\n");
}

/**
 * Builds every pinned provider that is not in the mirror yet, and writes the
 * terraform CLI config that points at the mirror. Each fetches its
 * dependencies at once, in parallel; they compile one after another, in
 * {@link COMPILE_ORDER}.
 * @returns each provider's outcome, in the order of `providers`
 */
export async function provideProviders(options: ProvideOptions = {}): Promise<BuildOutcome[]> {
  const directory = options.directory ?? PROVIDERS_DIRECTORY;
  const providers = options.providers ?? PINNED_PROVIDERS;
  const report = options.report ?? (() => undefined);
  const env = options.env ?? process.env;
  const folders = sourceFolders(env);
  const platform = goPlatform();
  mkdirSync(path.join(directory, "mirror", REGISTRY), { recursive: true });
  // Every npm run deploy and npm start sets up: while other deploys and tests run terraform.
  writeWhenChanged(directory === PROVIDERS_DIRECTORY ? MIRROR_CLI_CONFIG : path.join(directory, "terraformrc"), terraformCliConfig(directory));
  for (const source of providers) pruneMirror(directory, source, report);
  const rank = (source: ReleaseSource) => (COMPILE_ORDER.includes(source.name) ? COMPILE_ORDER.indexOf(source.name) : COMPILE_ORDER.length);
  const builds: Promise<BuildOutcome>[] = [];
  let previous: Promise<unknown> = Promise.resolve();
  for (const i of providers.map((_, index) => index).sort((a, b) => rank(providers[a]) - rank(providers[b]))) {
    previous = builds[i] = provide(providers[i], directory, platform, folders, env, previous);
  }
  const outcomes = await Promise.all(
    providers.map(async (source, i) => {
      const outcome = await builds[i];
      if (outcome.status === "built" || outcome.status === "cached") mirrorForOpenTofu(directory, source);
      report(outcomeLine(source, outcome));
      if (outcome.status === "failed" && outcome.output) {
        report(outcome.output.trimEnd().replace(/^/gm, "providers:   "));
      }
      return outcome;
    }),
  );
  if (exitStatus(outcomes) === 0) {
    writeWhenChanged(directory === PROVIDERS_DIRECTORY ? MIRROR_PROVIDER_LOCK : path.join(directory, "terraform.lock.hcl"), mirrorLock(directory, providers));
  }
  return outcomes;
}

/** The exit status for a set of outcomes: 1 on any failure, else 3 when one is unavailable, else 0. */
export function exitStatus(outcomes: readonly BuildOutcome[]): number {
  if (outcomes.some((outcome) => outcome.status === "failed")) return 1;
  if (outcomes.some((outcome) => outcome.status === "unavailable")) return 3;
  return 0;
}
