/**
 * The release sources this project builds its Go tools from, pinned.
 *
 * There is no Terraform registry on the machines this project is built on, and
 * the Go module proxy refuses the module versions of the pinned providers
 * (siderolabs/terraform-provider-talos v0.5.0: 403; hashicorp/terraform-provider-null
 * v3.2.4: its module path lacks /v3). Their dependencies are served. So each
 * is built from the release's own source: the `git archive` of its tag, as
 * `<repository>-<version>.tar.gz`, checked against the sha256 pinned here, and
 * built with the archive's own go.mod and go.sum, unedited.
 */
import { ChildProcess, spawn } from "child_process";
import { createHash } from "crypto";
import { cpSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../lib/project-paths";

/** One release, pinned by the sha256 of its source archive. */
export interface ReleaseSource {
  /** What users call it, e.g. `siderolabs/talos`. */
  readonly name: string;
  /** The release, without the leading "v". */
  readonly version: string;
  /** Where its source lives, e.g. `github.com/siderolabs/terraform-provider-talos`. */
  readonly repository: string;
  /** The release tag. */
  readonly tag: string;
  /** The commit the tag names. */
  readonly commit: string;
  /** sha256 of `<repository name>-<version>.tar.gz`, the `git archive` of the tag. */
  readonly sha256: string;
  /** The Go module path in the release's go.mod (for the module proxy, where it serves the release). */
  readonly module: string;
  /** The release's own linker flags (its .goreleaser.yml), so the build says what release it is. */
  readonly ldflags: string;
}

/** siderolabs/talos 0.5.0, the provider the seed pins and the bindings in .gen/ are generated from. */
export const TALOS_PROVIDER_SOURCE: ReleaseSource = {
  name: "siderolabs/talos",
  version: "0.5.0",
  repository: "github.com/siderolabs/terraform-provider-talos",
  tag: "v0.5.0",
  commit: "0548d94aa59ffa26e1c274c6e96cda486a492fad",
  sha256: "40b3a38c7a29fcc729c3290aef98dc8bfd5bc0b026278d8c12bfe43246a6ac29",
  module: "github.com/siderolabs/terraform-provider-talos",
  ldflags: "-s -w -X main.version=0.5.0 -X main.commit=0548d94aa59ffa26e1c274c6e96cda486a492fad",
};

/** hashicorp/null 3.2.4, the release @cdktf/provider-null 11.0.1 binds. */
export const NULL_PROVIDER_SOURCE: ReleaseSource = {
  name: "hashicorp/null",
  version: "3.2.4",
  repository: "github.com/hashicorp/terraform-provider-null",
  tag: "v3.2.4",
  commit: "01034f80eb238732fd9e8673582e0e770cfab578",
  sha256: "f10281d9bc0ca3e5b0dcc2dd1a27f411d018a009cecd91eb73d83e1166da7d6a",
  module: "github.com/terraform-providers/terraform-provider-null",
  ldflags: "-s -w -X main.Version=3.2.4",
};

/** hashicorp/tls 4.1.0, the release @cdktf/provider-tls 11.0.1 binds: it signs the admin client certificate. */
export const TLS_PROVIDER_SOURCE: ReleaseSource = {
  name: "hashicorp/tls",
  version: "4.1.0",
  repository: "github.com/hashicorp/terraform-provider-tls",
  tag: "v4.1.0",
  commit: "eefba144662d715aa78a1ec051d88037b141826c",
  sha256: "0ff7d1f0699f365e58e1b9b594d8fed665537979874c7ec5a8b0c73499945f44",
  module: "github.com/hashicorp/terraform-provider-tls",
  ldflags: "-s -w -X main.Version=4.1.0",
};

/**
 * Talos 1.7.4, whose talosctl the tests and npm start use as a real client
 * (users install talosctl themselves). Its go.mod has replace directives, so
 * it builds only as the main module, never through the Go module proxy.
 */
export const TALOS_SOURCE: ReleaseSource = {
  name: "siderolabs/talos",
  version: "1.7.4",
  repository: "github.com/siderolabs/talos",
  tag: "v1.7.4",
  commit: "cb3a83088068eccdc036dffd6eb24b52da929408",
  sha256: "ad1afbece8be7e9e4bc1f819ac9d7876541300bd15fee675f160c4057a831e7c",
  module: "github.com/siderolabs/talos",
  // The tag is embedded (pkg/machinery/gendata/data/tag); the release's own build sets nothing else that talosctl reports.
  ldflags: "-s -w",
};

/** The archive's file name: `<repository name>-<version>.tar.gz`. */
export function archiveName(source: ReleaseSource): string {
  return `${path.basename(source.repository)}-${source.version}.tar.gz`;
}

/** The folder beside the project that holds release sources on this project's build machines. */
export const SHARED_SOURCES = path.resolve(PROJECT_ROOT, "..", "shared", "third_party");

/**
 * The folders searched for release archives, in order: `PROVIDER_SOURCES`
 * when set (e.g. where an air-gapped user put the downloads), then
 * `../shared/third_party` when it exists.
 */
export function sourceFolders(env: NodeJS.ProcessEnv = process.env): string[] {
  const folders: string[] = [];
  if (env.PROVIDER_SOURCES) {
    const folder = path.resolve(env.PROVIDER_SOURCES);
    if (!existsSync(folder) || !statSync(folder).isDirectory()) {
      throw new Error(`PROVIDER_SOURCES=${env.PROVIDER_SOURCES} is not a folder`);
    }
    folders.push(folder);
  }
  if (existsSync(SHARED_SOURCES)) folders.push(SHARED_SOURCES);
  return folders;
}

/** The release's archive in the first folder that has it, or undefined. */
export function findArchive(source: ReleaseSource, folders: readonly string[]): string | undefined {
  return folders.map((folder) => path.join(folder, archiveName(source))).find((file) => existsSync(file));
}

/** sha256 of a file, hex. */
export async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** The commands of the builds running now. */
const running = new Set<ChildProcess>();

/** What a command printed and how it ended. */
interface Ran {
  readonly status: number;
  readonly output: string;
}

/** Runs a command to its end, collecting stdout and stderr together. */
function runCommand(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code, signal) => {
      running.delete(child);
      resolve({ status: code ?? (signal ? 128 : 1), output });
    });
  });
}

/**
 * Stops every build running now: each then fails, and removes its unpacked
 * source and its staging folder as it ends. For a signal to the set-up.
 */
export function stopBuilds(): void {
  for (const child of running) child.kill("SIGTERM");
}

/**
 * The environment of every Go build here: no cgo, the local toolchain only
 * (never a downloaded one), no workspace file from a parent folder, and no VCS
 * stamping (an archive is no repository).
 */
function goEnvironment(env: NodeJS.ProcessEnv, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...env,
    CGO_ENABLED: "0",
    GOTOOLCHAIN: "local",
    GOWORK: "off",
    GOFLAGS: `-buildvcs=false ${extra.GOFLAGS ?? ""}`.trim(),
    ...Object.fromEntries(Object.entries(extra).filter(([key]) => key !== "GOFLAGS")),
  };
}

/** A build that failed; `output` is what go printed. */
export class GoBuildError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
    this.name = "GoBuildError";
  }
}

/**
 * Builds `./<pkg>` of a release's source archive into `binary`, with the
 * archive's own go.mod and go.sum (`-mod=readonly`: nothing is edited or
 * resolved anew; every dependency comes from the Go module proxy, checked
 * against the release's go.sum). The dependencies are fetched first; the
 * compile starts once `compileAfter` has settled.
 */
export async function buildFromArchive(
  source: ReleaseSource,
  archive: string,
  binary: string,
  env: NodeJS.ProcessEnv = process.env,
  pkg = ".",
  compileAfter: Promise<unknown> = Promise.resolve(),
): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), "release-source-"));
  try {
    const untar = await runCommand("tar", ["-xzf", archive, "-C", work], {});
    if (untar.status !== 0) throw new GoBuildError(`${archive}: cannot unpack it`, untar.output);
    const [root, ...others] = readdirSync(work);
    if (root === undefined || others.length > 0) {
      throw new GoBuildError(`${archive}: not one folder at the top, as git archive makes it`, readdirSync(work).join("\n"));
    }
    // Loading the packages downloads exactly the modules the build needs, and compiles nothing.
    const inSource = { cwd: path.join(work, root), env: goEnvironment(env, { GOFLAGS: "-mod=readonly" }) };
    const fetch = await runCommand("go", ["list", "-deps", "-f", "", pkg], inSource);
    if (fetch.status !== 0) throw new GoBuildError(`go list of ${archiveName(source)} failed: its dependencies cannot be fetched`, fetch.output);
    await compileAfter.catch(() => undefined);
    const build = await runCommand("go", ["build", "-trimpath", "-ldflags", source.ldflags, "-o", binary, pkg], inSource);
    if (build.status !== 0) throw new GoBuildError(`go build of ${archiveName(source)} failed`, build.output);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The module proxy has no such release (or cannot be reached); `reason` is go's line about it. */
export class ModuleUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "ModuleUnavailableError";
  }
}

/**
 * `go install <module>@v<version>` into `bin`: the release from the Go module
 * proxy, where the proxy serves it.
 * @returns the binary go installed
 * @throws ModuleUnavailableError when the proxy refuses the module version or cannot be reached
 */
export async function buildFromModuleProxy(source: ReleaseSource, bin: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const spec = `${source.module}@v${source.version}`;
  const install = await runCommand("go", ["install", "-trimpath", "-ldflags", source.ldflags, spec], {
    // The checksum database answers 404 for these providers' modules; their dependencies are checked.
    env: goEnvironment(env, { GOBIN: bin, GOFLAGS: "-mod=mod", GONOSUMDB: source.module }),
  });
  if (install.status === 0) return path.join(bin, path.basename(source.module));
  // go reports a module it cannot fetch as "go: <module>@<version>: <why>"; anything else is the build.
  const lines = install.output.split("\n");
  const at = lines.findIndex((line) => line.startsWith(`go: ${spec}:`));
  if (at >= 0) {
    const response = lines[at + 1]?.match(/^\s+server response: (.*)/)?.[1];
    const reason = lines[at].slice(`go: ${spec}: `.length).replace(`${spec}: `, "");
    throw new ModuleUnavailableError(`${spec}: ${reason}${response ? ` (${response})` : ""}`);
  }
  throw new GoBuildError(`go install ${spec} failed`, install.output);
}

/** Where a provider binary came from. */
export type Provenance =
  | { readonly archive: string; readonly sha256: string }
  | { readonly module: string };

/** What became of one release's build. */
export type BuildOutcome =
  | { readonly status: "built" | "cached"; readonly from: Provenance; readonly seconds: number }
  | { readonly status: "unavailable"; readonly message: string }
  | { readonly status: "failed"; readonly message: string; readonly output?: string };

/** A file path as the user best reads it: relative to the project when that is shorter. */
export function shown(file: string): string {
  const relative = path.relative(PROJECT_ROOT, file);
  return relative.length < file.length ? relative : file;
}

/** Where a binary came from, as the lines of npm run providers and setup say it. */
export function describeProvenance(from: Provenance): string {
  return "archive" in from ? `archive ${shown(from.archive)} sha256 ${from.sha256}` : `module ${from.module}`;
}

/** What to download, and where to put it, when neither an archive nor the proxy has a release; `why` ends the first sentence. */
function downloadAdvice(source: ReleaseSource, why: string): string {
  return (
    `no release source archive, ${why}. ` +
    `Download the source archive of tag ${source.tag} (commit ${source.commit}) of https://${source.repository}, ` +
    `e.g. https://${source.repository}/archive/refs/tags/${source.tag}.tar.gz, ` +
    `save it as ${archiveName(source)} (sha256 ${source.sha256}) in the folder named by PROVIDER_SOURCES ` +
    `(or in ${shown(SHARED_SOURCES)}), and run npm run setup again.`
  );
}

/** What {@link buildRelease} builds, and from where. */
export interface BuildReleaseOptions {
  readonly source: ReleaseSource;
  /** Where the binary goes. */
  readonly binary: string;
  /** Where its provenance is recorded: a binary without it counts as not built. */
  readonly stamp: string;
  /** Where to look for the release's source archive, in order. */
  readonly folders: readonly string[];
  /** Go's environment. */
  readonly env: NodeJS.ProcessEnv;
  /**
   * The Go package to build, relative to the archive's root.
   * @default "."
   */
  readonly pkg?: string;
  /**
   * Whether to ask the Go module proxy for the release where there is no archive.
   * @default true
   */
  readonly moduleProxy?: boolean;
  /**
   * Settles when the compile may start: builds that share packages compile one
   * after another (the later ones find them in Go's build cache), each having
   * fetched its dependencies meanwhile.
   * @default at once
   */
  readonly compileAfter?: Promise<unknown>;
}

/** Where `binary` came from, when it was built from the pinned source (recorded in `stamp`); else undefined. */
export function builtFrom(source: ReleaseSource, binary: string, stamp: string): Provenance | undefined {
  if (!existsSync(binary) || !existsSync(stamp)) return undefined;
  const from = JSON.parse(readFileSync(stamp, "utf8")) as Provenance;
  // Only a binary built from the pinned source counts; anything else is built again.
  return ("archive" in from ? from.sha256 === source.sha256 : from.module === `${source.module}@v${source.version}`) ? from : undefined;
}

/**
 * Puts a built binary into place by rename, and records where it came from
 * after: an interrupted build never looks built.
 */
function installBuilt(built: string, binary: string, stamp: string, provenance: unknown): void {
  mkdirSync(path.dirname(binary), { recursive: true });
  renameSync(built, binary);
  mkdirSync(path.dirname(stamp), { recursive: true });
  writeFileSync(stamp, `${JSON.stringify(provenance)}\n`);
}

/**
 * Builds a pinned release from its source archive (sha256 checked), else from
 * the Go module proxy, or finds it built from the pinned source already.
 */
export async function buildRelease(options: BuildReleaseOptions): Promise<BuildOutcome> {
  const { source, binary, stamp, folders, env } = options;
  const directory = path.dirname(stamp);
  const spec = `${source.module}@v${source.version}`;

  const cached = builtFrom(source, binary, stamp);
  if (cached) return { status: "cached", from: cached, seconds: 0 };

  const started = process.hrtime.bigint();
  mkdirSync(directory, { recursive: true });
  const staging = mkdtempSync(path.join(directory, ".staging-"));
  try {
    const archive = findArchive(source, folders);
    let from: Provenance;
    let built: string;
    if (archive) {
      const sha256 = await sha256Of(archive);
      if (sha256 !== source.sha256) {
        return {
          status: "failed",
          message: `${shown(archive)} has sha256 ${sha256}, but the release source of ${source.repository} ${source.tag} has ${source.sha256} (pinned in setup/release-sources.ts): replace the file with the release's source archive`,
        };
      }
      built = path.join(staging, path.basename(binary));
      await buildFromArchive(source, archive, built, env, options.pkg, options.compileAfter);
      from = { archive, sha256 };
    } else if (options.moduleProxy ?? true) {
      await options.compileAfter?.catch(() => undefined);
      built = await buildFromModuleProxy(source, staging, env);
      from = { module: spec };
    } else {
      return { status: "unavailable", message: downloadAdvice(source, "and it builds from its source archive only") };
    }
    installBuilt(built, binary, stamp, from);
    return { status: "built", from, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } catch (error) {
    if (error instanceof ModuleUnavailableError) return { status: "unavailable", message: downloadAdvice(source, `and the Go module proxy refuses it (${error.reason})`) };
    if (error instanceof GoBuildError) return { status: "failed", message: error.message, output: error.output };
    throw error;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}


/** A release the Go module proxy serves, pinned by its module hash, built as the main module. */
export interface ModuleRelease {
  readonly name: string;
  /** The release, without the leading "v". */
  readonly version: string;
  readonly module: string;
  /** The module's go.sum hash (h1:...), which the module proxy and the checksum database agree on. */
  readonly sum: string;
  /** The release's own linker flags. */
  readonly ldflags: string;
  /** The package of the binary. */
  readonly pkg: string;
}

/**
 * OpenTofu 1.10.10, the second engine (and the one that encrypts state). Its
 * go.mod has replace directives, so `go install` refuses it: the module is
 * downloaded and built as the main module, with its own go.mod and go.sum.
 */
export const TOFU_RELEASE: ModuleRelease = {
  name: "opentofu",
  version: "1.10.10",
  module: "github.com/opentofu/opentofu",
  sum: "h1:ELFHOkY0x/bHvkgBP4KK3i7Y19CSFuHOyeZOLc0cqWY=",
  // .goreleaser.yaml of the release: without version.dev=no, tofu calls itself 1.10.10-dev.
  ldflags: "-s -w -X github.com/opentofu/opentofu/version.dev=no",
  pkg: "./cmd/tofu",
};

/**
 * Builds a module release as the main module into `binary` (its provenance in
 * `stamp`), or finds it built from the pinned module already.
 */
export async function buildModuleRelease(release: ModuleRelease, binary: string, stamp: string, env: NodeJS.ProcessEnv): Promise<BuildOutcome> {
  const spec = `${release.module}@v${release.version}`;
  if (existsSync(binary) && existsSync(stamp)) {
    const from = JSON.parse(readFileSync(stamp, "utf8")) as { module?: string; sum?: string };
    if (from.module === spec && from.sum === release.sum) return { status: "cached", from: { module: spec }, seconds: 0 };
  }
  const started = process.hrtime.bigint();
  const download = await runCommand("go", ["mod", "download", "-json", spec], { env: goEnvironment(env, { GOFLAGS: "-mod=mod" }) });
  let module: { Dir?: string; Sum?: string; Error?: string };
  try {
    module = JSON.parse(download.output) as typeof module;
  } catch {
    return { status: "unavailable", message: `go mod download ${spec} failed: ${download.output.trim()}` };
  }
  if (download.status !== 0 || !module.Dir) return { status: "unavailable", message: `the Go module proxy has no ${spec}: ${module.Error ?? download.output.trim()}` };
  if (module.Sum !== release.sum) {
    return { status: "failed", message: `${spec} has hash ${module.Sum}, but ${release.sum} is pinned in setup/release-sources.ts` };
  }
  mkdirSync(path.dirname(binary), { recursive: true });
  const work = mkdtempSync(path.join(tmpdir(), "module-release-"));
  try {
    // The module cache is read-only, and a main module is built where it can be written.
    const copy = path.join(work, path.basename(release.module));
    cpSync(module.Dir, copy, { recursive: true });
    // Beside the binary, so that the rename into place stays on one filesystem.
    const built = `${binary}.${process.pid}`;
    const build = await runCommand("go", ["build", "-trimpath", "-ldflags", release.ldflags, "-o", built, release.pkg], {
      cwd: copy,
      env: goEnvironment(env, { GOFLAGS: "-mod=readonly" }),
    });
    if (build.status !== 0) return { status: "failed", message: `go build of ${spec} failed`, output: build.output };
    installBuilt(built, binary, stamp, { module: spec, sum: release.sum });
    return { status: "built", from: { module: spec }, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(`${binary}.${process.pid}`, { force: true });
  }
}
