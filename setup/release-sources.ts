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
/** Whether {@link stopBuilds} was called: no build command starts after it. */
let stopped = false;

/** What a command printed and how it ended. */
interface Ran {
  readonly status: number;
  readonly output: string;
}

/** Runs a command to its end, collecting stdout and stderr together (after {@link stopBuilds}, none runs: it fails at once). */
function runCommand(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<Ran> {
  if (stopped) return Promise.resolve({ status: 130, output: `${command} not started: the builds were stopped\n` });
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
 * source and its staging folder as it ends; no build command starts after it
 * (a signal that comes between two of a build's commands stops it too). For a
 * signal to the set-up, which then ends.
 */
export function stopBuilds(): void {
  stopped = true;
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


/** A module version, pinned by its go.sum hash. */
export interface PinnedModule {
  readonly module: string;
  /** The version as go.mod writes it, with its leading "v". */
  readonly version: string;
  /** Its go.sum hash (h1:...), as the Go module proxy serves it. */
  readonly sum: string;
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
  /**
   * The modules the release's go.mod requires and replaces with a folder of
   * its own (`replace <module> => ./<folder>`) that its module zip lacks,
   * pinned: Kubernetes' staging modules, which the proxy serves as modules of
   * their own. Each is downloaded at its pinned version, checked against its
   * pinned hash, and copied into its folder; go.mod must name exactly these.
   * @default none
   */
  readonly placed?: readonly PinnedModule[];
  /** Folders of the release removed before the build, e.g. a vendor/ go would otherwise build from. */
  readonly remove?: readonly string[];
  /**
   * How go may treat the release's go.mod: "readonly", as it is; "mod", go may
   * raise its requirements (the placed modules' own go.mod files name their
   * published versions; the replacements still apply), but a build that
   * changes go.sum fails: nothing is resolved anew.
   * @default "readonly"
   */
  readonly mod?: "readonly" | "mod";
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
 * The linker flags of Kubernetes' hack/lib/version.sh for a release build: the
 * version k8s.io/component-base/version (and client-go's copy of it) reports.
 * Without them kube-apiserver calls itself v0.0.0-master.
 */
function kubernetesVersionFlags(version: string, commit: string, buildDate: string): string {
  const [major, minor] = version.split(".");
  const values = { buildDate, gitCommit: commit, gitTreeState: "clean", gitVersion: `v${version}`, gitMajor: major, gitMinor: minor };
  return Object.entries(values)
    .flatMap(([key, value]) => ["k8s.io/client-go/pkg/version", "k8s.io/component-base/version"].map((pkg) => `-X ${pkg}.${key}=${value}`))
    .join(" ");
}

/**
 * The staging modules of Kubernetes 1.30.1 that its go.mod requires (it
 * replaces each with ./staging/src/k8s.io/<name>, which the module zip
 * lacks), by name: their go.sum hashes at v0.30.1, the published copies of
 * those folders, as the Go module proxy serves them. go.mod replaces two more
 * that it does not require (sample-cli-plugin, which the proxy refuses, and
 * sample-controller): they are not needed.
 */
const KUBERNETES_STAGING_SUMS: Readonly<Record<string, string>> = {
  api: "h1:kCm/6mADMdbAxmIh0LBjS54nQBE+U4KmbCfIkF5CpJY=",
  "apiextensions-apiserver": "h1:4fAJZ9985BmpJG6PkoxVRpXv9vmPUOVzl614xarePws=",
  apimachinery: "h1:ZQStsEfo4n65yAdlGTfP/uSHMQSoYzU/oeEbkmF7P2U=",
  apiserver: "h1:BEWEe8bzS12nMtDKXzCF5Q5ovp6LjjYkSp8qOPk8LZ8=",
  "cli-runtime": "h1:kSBBpfrJGS6lllc24KeniI9JN7ckOOJKnmFYH1RpTOw=",
  "client-go": "h1:uC/Ir6A3R46wdkgCV3vbLyNOYyCJ8oZnjtJGKfytl/Q=",
  "cloud-provider": "h1:OslHpog97zG9Kr7/vV1ki8nLKq8xTPUkN/kepCxBqKI=",
  "cluster-bootstrap": "h1:WHh04Oh0YAWMsJ5TXXEF+LGu3g/2ymQOYsH8IopUHlQ=",
  "code-generator": "h1:ZsG++q5Vt0ScmKCeLhynUuWgcwFGg1Hl1AGfatqPJBI=",
  "component-base": "h1:bvAtlPh1UrdaZL20D9+sWxsJljMi0QZ3Lmw+kmZAaxQ=",
  "component-helpers": "h1:/UcxSLzZ0owluTE2WMDrFfZl2L+WVXKdYYYm68qnH7U=",
  "controller-manager": "h1:vrpfinHQWGf40U08Zmrt+QxK/2yTgjJl/9DKtjaB1gI=",
  "cri-api": "h1:AUM78wiC56B1WJ2c795AS0IG5T57CkEdkn0IuC+miAE=",
  "csi-translation-lib": "h1:fIBtNMQjyr7HFv3xGSSH9cWOQS1K1kIBmZ1zRsHuVKs=",
  "dynamic-resource-allocation": "h1:Orv5t34/PMUxi57Fgzr3UpeWUvp5RmM3HWeQKqzTnyw=",
  endpointslice: "h1:o7nd6yT8AdBKx31U4IUnukneT9bVtlMRPM9X9Rnq3+I=",
  kms: "h1:gEIbEeCbFiaN2tNfp/EUhFdGr5/CSj8Eyq6Mkr7cCiY=",
  "kube-aggregator": "h1:ymR2BsxDacTKwzKTuNhGZttuk009c+oZbSeD+IPX5q4=",
  "kube-controller-manager": "h1:9Do0dXhaWbmKgRFe6NynZ+BLKUr14JMhzZBRFFswRs8=",
  "kube-proxy": "h1:lDE510UHimfyRfh/c4Erlgg9OEDmHnZce3KKERV1JtI=",
  "kube-scheduler": "h1:bH7Ie+gSDHas0BVjtdEY87zGLCPA2WMZ+TV4/7lqXg0=",
  kubectl: "h1:sHFIRI3oP0FFZmBAVEE8ErjnTyXDPkBcvO88mH9RjuY=",
  kubelet: "h1:6gS1gWjrefUGfC/9n0ITOzxnKyt89FfkIhom70Bola4=",
  "legacy-cloud-providers": "h1:QGoeW4C7TQdsuMagqmzUVYhh7m0r4tyzgtmxU0iubqo=",
  metrics: "h1:PeA9cP0kxVtaC8Wkzp4sTkr7YSkd9R0UYP6cCHOOY1M=",
  "mount-utils": "h1:4HEFqo2bzRjCHHXRu7yQh6tvpMnplwWaqhuU7oE3710=",
  "pod-security-admission": "h1:r2NQSNXfnZDnm6KvLv1sYgai1ZXuO+m0qn11/Xymkf8=",
  "sample-apiserver": "h1:oUPnEPi/XJ26PfG+sUxULi9t8ik5EIK3sUNzJsBqGXY=",
};

/**
 * Kubernetes 1.30.1, the version the stacks install (lib/talos-versions.ts),
 * whose real kube-apiserver the tests and npm start run. The Go module proxy
 * serves k8s.io/kubernetes without its staging folder and with a vendor/ of
 * modules.txt only: the staging modules are placed from their own releases,
 * vendor/ goes, and go may raise go.mod's v0.0.0 requirements of them to the
 * v0.30.1 their go.mod files name (its go.sum stays as it is).
 */
export const KUBE_APISERVER_RELEASE: ModuleRelease = {
  name: "kubernetes",
  version: "1.30.1",
  module: "k8s.io/kubernetes",
  sum: "h1:XlqS6KslLEA5mQzLK2AJrhr4Z1m8oJfkhHiWJ5lue+I=",
  // The commit tag v1.30.1 names; the build date is the release's time as the Go module proxy gives it
  // (its .info), as SOURCE_DATE_EPOCH would: two builds make the same binary.
  ldflags: `-s -w ${kubernetesVersionFlags("1.30.1", "6911225c3f747e1cd9d109c305436d08b668f086", "2024-05-15T07:05:12Z")}`,
  pkg: "./cmd/kube-apiserver",
  placed: Object.entries(KUBERNETES_STAGING_SUMS).map(([name, sum]) => ({ module: `k8s.io/${name}`, version: "v0.30.1", sum })),
  remove: ["vendor"],
  mod: "mod",
};

/** `<module>@<version>`, as go names a module version. */
function moduleSpec(pinned: { readonly module: string; readonly version: string }): string {
  return `${pinned.module}@${pinned.version.startsWith("v") ? pinned.version : `v${pinned.version}`}`;
}

/** What a module release's stamp records: the module, its hash, and the placed modules' hashes. */
interface ModuleStamp {
  readonly module: string;
  readonly sum: string;
  readonly placed?: Readonly<Record<string, string>>;
}

/** The stamp of a binary built from `release` as pinned now. */
function moduleStamp(release: ModuleRelease): ModuleStamp {
  const placed = release.placed ?? [];
  return {
    module: moduleSpec(release),
    sum: release.sum,
    ...(placed.length > 0 ? { placed: Object.fromEntries(placed.map((pin) => [moduleSpec(pin), pin.sum])) } : {}),
  };
}

/**
 * Where `binary` came from, when it was built from the modules pinned in
 * `release` (the module and every placed one, as recorded in `stamp`); else
 * undefined: then {@link buildModuleRelease} builds it again.
 */
export function builtFromModule(release: ModuleRelease, binary: string, stamp: string): Provenance | undefined {
  if (!existsSync(binary) || !existsSync(stamp)) return undefined;
  let recorded: Partial<ModuleStamp>;
  try {
    recorded = JSON.parse(readFileSync(stamp, "utf8")) as Partial<ModuleStamp>;
  } catch {
    return undefined;
  }
  const pinned = moduleStamp(release);
  const entries = (placed: Readonly<Record<string, string>> | undefined) => JSON.stringify(Object.entries(placed ?? {}).sort());
  const same = recorded.module === pinned.module && recorded.sum === pinned.sum && entries(recorded.placed) === entries(pinned.placed);
  return same ? { module: pinned.module } : undefined;
}

/** What `go mod download -json` says of a module version. */
interface DownloadedModule {
  readonly Path?: string;
  readonly Version?: string;
  readonly Dir?: string;
  readonly Sum?: string;
  readonly Error?: string;
}

/**
 * Downloads module versions (`<module>@<version>` each) with one `go mod
 * download -json`: go's answer for each, by the version asked for, and all it
 * printed (a version it said nothing of has no answer).
 */
async function downloadModules(specs: readonly string[], env: NodeJS.ProcessEnv): Promise<{ answers: Map<string, DownloadedModule>; output: string }> {
  const download = await runCommand("go", ["mod", "download", "-json", ...specs], { env: goEnvironment(env, { GOFLAGS: "-mod=mod" }) });
  const answers = new Map<string, DownloadedModule>();
  // An indented JSON object per version, its closing brace alone at the start of a line; go's own lines around them.
  for (const [text] of download.output.matchAll(/^\{$[\s\S]*?^\}$/gm)) {
    try {
      const answer = JSON.parse(text) as DownloadedModule;
      answers.set(`${answer.Path}@${answer.Version}`, answer);
    } catch {
      // not go's answer: its output says what happened
    }
  }
  return { answers, output: download.output };
}

/** What a go.mod says, as `go mod edit -json` prints it (the parts read here). */
interface GoModJson {
  readonly Require?: readonly { readonly Path: string }[];
  readonly Replace?: readonly { readonly Old: { readonly Path: string }; readonly New: { readonly Path: string; readonly Version?: string } }[];
}

/**
 * The modules a main module's go.mod requires and replaces with a folder of
 * its own that `root` lacks (no go.mod there): module path to the folder, as
 * go.mod writes it.
 * @throws GoBuildError when go cannot read the go.mod
 */
async function missingReplacements(root: string, env: NodeJS.ProcessEnv): Promise<Map<string, string>> {
  const edit = await runCommand("go", ["mod", "edit", "-json", path.join(root, "go.mod")], { env: goEnvironment(env, {}) });
  if (edit.status !== 0) throw new GoBuildError(`go mod edit -json ${path.join(root, "go.mod")} failed`, edit.output);
  const goMod = JSON.parse(edit.output) as GoModJson;
  const required = new Set((goMod.Require ?? []).map((requirement) => requirement.Path));
  return new Map(
    (goMod.Replace ?? [])
      .filter(({ Old, New }) => required.has(Old.Path) && New.Version === undefined && /^\.\.?\//.test(New.Path))
      .filter(({ New }) => !existsSync(path.join(root, New.Path, "go.mod")))
      .map(({ Old, New }) => [Old.Path, New.Path]),
  );
}

/**
 * Downloads and checks the modules a release places into its copy (see
 * {@link ModuleRelease.placed}), and copies each into its folder of `copy`.
 * @returns undefined when all are in place, else what became of the build
 */
async function placeModules(release: ModuleRelease, downloaded: string, copy: string, env: NodeJS.ProcessEnv): Promise<BuildOutcome | undefined> {
  const spec = moduleSpec(release);
  const pins = release.placed ?? [];
  const folders = await missingReplacements(downloaded, env);
  const unpinned = [...folders].filter(([module]) => !pins.some((pin) => pin.module === module));
  if (unpinned.length > 0) {
    const named = unpinned.map(([module, folder]) => `${module} with ${folder}`).join(", ");
    return { status: "failed", message: `${spec}'s go.mod replaces ${named}, which the module lacks, and setup/release-sources.ts pins no version of it` };
  }
  const unneeded = pins.filter((pin) => !folders.has(pin.module));
  if (unneeded.length > 0) {
    return {
      status: "failed",
      message: `${unneeded.map(moduleSpec).join(", ")} is pinned in setup/release-sources.ts, but ${spec}'s go.mod replaces no module it requires by that name with a folder the module lacks`,
    };
  }
  if (pins.length === 0) return undefined;
  const { answers, output } = await downloadModules(pins.map(moduleSpec), env);
  for (const pin of pins) {
    const answer = answers.get(moduleSpec(pin));
    if (!answer?.Dir) {
      return { status: "unavailable", message: `the Go module proxy has no ${moduleSpec(pin)}, which ${spec} needs in ${folders.get(pin.module)}: ${answer?.Error ?? output.trim()}` };
    }
    if (answer.Sum !== pin.sum) {
      return { status: "failed", message: `${moduleSpec(pin)} has hash ${answer.Sum}, but ${pin.sum} is pinned in setup/release-sources.ts` };
    }
    const folder = path.resolve(copy, folders.get(pin.module) as string);
    if (path.relative(copy, folder).startsWith("..")) {
      return { status: "failed", message: `${spec}'s go.mod replaces ${pin.module} with ${folders.get(pin.module)}, outside the module` };
    }
    cpSync(answer.Dir, folder, { recursive: true });
  }
  return undefined;
}

/**
 * Makes a folder copied out of the module cache writable by its owner.
 * @throws GoBuildError when chmod fails (or the builds were stopped)
 */
async function makeWritable(folder: string): Promise<void> {
  const chmod = await runCommand("chmod", ["-R", "u+w", folder], {});
  if (chmod.status !== 0) throw new GoBuildError(`cannot make ${folder} writable`, chmod.output);
}

/**
 * Builds a module release as the main module into `binary` (its provenance in
 * `stamp`), or finds it built from the pinned modules already: the release's
 * module, checked against its pinned hash, is copied where it can be written
 * (the module cache is read-only), the modules it places are put into their
 * folders (each checked against its pinned hash), and its `remove` folders go.
 */
export async function buildModuleRelease(release: ModuleRelease, binary: string, stamp: string, env: NodeJS.ProcessEnv): Promise<BuildOutcome> {
  const spec = moduleSpec(release);
  const cached = builtFromModule(release, binary, stamp);
  if (cached) return { status: "cached", from: cached, seconds: 0 };
  const started = process.hrtime.bigint();
  const { answers, output } = await downloadModules([spec], env);
  const module = answers.get(spec);
  if (!module) return { status: "unavailable", message: `go mod download ${spec} failed: ${output.trim()}` };
  if (!module.Dir) return { status: "unavailable", message: `the Go module proxy has no ${spec}: ${module.Error ?? output.trim()}` };
  if (module.Sum !== release.sum) {
    return { status: "failed", message: `${spec} has hash ${module.Sum}, but ${release.sum} is pinned in setup/release-sources.ts` };
  }
  mkdirSync(path.dirname(binary), { recursive: true });
  const work = mkdtempSync(path.join(tmpdir(), "module-release-"));
  // Beside the binary, so that the rename into place stays on one filesystem.
  const built = `${binary}.${process.pid}`;
  try {
    const copy = path.join(work, path.basename(release.module));
    cpSync(module.Dir, copy, { recursive: true });
    // The copies keep the module cache's read-only modes: modules are placed into the copy, go may
    // write its go.mod, folders of it go, and all of it goes at the end.
    await makeWritable(copy);
    if (release.placed) {
      const placing = await placeModules(release, module.Dir, copy, env);
      if (placing) return placing;
      await makeWritable(copy);
    }
    for (const folder of release.remove ?? []) rmSync(path.join(copy, folder), { recursive: true, force: true });
    const goSum = path.join(copy, "go.sum");
    const sums = new Set(existsSync(goSum) ? readFileSync(goSum, "utf8").split("\n") : []);
    const build = await runCommand("go", ["build", "-trimpath", "-ldflags", release.ldflags, "-o", built, release.pkg], {
      cwd: copy,
      env: goEnvironment(env, { GOFLAGS: `-mod=${release.mod ?? "readonly"}` }),
    });
    if (build.status !== 0) return { status: "failed", message: `go build of ${spec} failed`, output: build.output };
    const resolved = (existsSync(goSum) ? readFileSync(goSum, "utf8") : "").split("\n").filter((line) => line && !sums.has(line));
    if (resolved.length > 0) {
      return { status: "failed", message: `go build of ${spec} resolved modules its go.sum does not name (nothing may be resolved anew)`, output: resolved.join("\n") };
    }
    installBuilt(built, binary, stamp, moduleStamp(release));
    return { status: "built", from: { module: spec }, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } catch (error) {
    if (error instanceof GoBuildError) return { status: "failed", message: error.message, output: error.output };
    throw error;
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(built, { force: true });
  }
}
