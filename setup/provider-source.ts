/**
 * Where the pinned providers come from, decided once per command, in this
 * order:
 *  1. archives: PROVIDER_SOURCES names a folder, or `../shared/third_party`
 *     holds the pinned release source archives (air-gapped sites, and this
 *     project's own machines): they are built into the project's filesystem
 *     mirror (setup/providers.ts), and terraform installs from it only;
 *  2. configuration: the user's own terraform CLI configuration (an existing
 *     TF_CLI_CONFIG_FILE, `~/.terraformrc` or `~/.tofurc`, or
 *     TF_PLUGIN_CACHE_DIR): installation is terraform's (or tofu's), as that
 *     configuration says;
 *  3. registry: terraform installs the providers from registry.terraform.io
 *     (tofu from registry.opentofu.org) the ordinary way, once the registry
 *     answers.
 * A TF_CLI_CONFIG_FILE that names the project's own mirror configuration is
 * the archives' path. Only the registry's path asks the network, and only
 * once per command (ensureSetup). Every path pins what terraform installs
 * with the stack's dependency lock (lib/provider-lock.ts).
 */
import { existsSync } from "fs";
import { homedir } from "os";
import * as path from "path";
import { request } from "https";
import { MIRROR_CLI_CONFIG, OFFICIAL_PROVIDER_LOCK } from "../lib/provider-lock";
import { engineOf } from "../lib/terraform-engine";
import { archiveName, findArchive, ReleaseSource, shown, sourceFolders, SHARED_SOURCES } from "./release-sources";

/** How the providers reach terraform. */
export type ProviderPath =
  | { readonly kind: "archives"; readonly folders: readonly string[] }
  | { readonly kind: "configuration"; readonly source: string }
  | { readonly kind: "registry"; readonly host: string };

/** The registry host the engine installs providers from. */
export function registryHost(env: NodeJS.ProcessEnv = process.env): string {
  return engineOf(env) === "tofu" ? "registry.opentofu.org" : "registry.terraform.io";
}

/** The user's own terraform CLI configuration, said as where it is; undefined when there is none. */
export function userCliConfiguration(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = env.TF_CLI_CONFIG_FILE;
  if (file && existsSync(file)) return `TF_CLI_CONFIG_FILE=${file}`;
  const home = env.HOME ?? homedir();
  const candidates = [path.join(home, ".terraformrc"), ...(engineOf(env) === "tofu" ? [path.join(home, ".tofurc")] : [])];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found) return found;
  if (env.TF_PLUGIN_CACHE_DIR) return `TF_PLUGIN_CACHE_DIR=${env.TF_PLUGIN_CACHE_DIR}`;
  return undefined;
}

/**
 * The path that needs no network to decide: archives or the user's
 * configuration; undefined when only the registry is left.
 * @throws Error when PROVIDER_SOURCES names no folder
 */
export function localProviderPath(providers: readonly ReleaseSource[], env: NodeJS.ProcessEnv = process.env): ProviderPath | undefined {
  const configFile = env.TF_CLI_CONFIG_FILE;
  const mirrorConfig = configFile !== undefined && path.resolve(configFile) === MIRROR_CLI_CONFIG;
  const folders = sourceFolders(env);
  if (env.PROVIDER_SOURCES || mirrorConfig) return { kind: "archives", folders };
  // An explicit configuration of the user's is theirs; the shared folder exists on this project's machines only.
  if (configFile && existsSync(configFile)) return { kind: "configuration", source: `TF_CLI_CONFIG_FILE=${configFile}` };
  if (providers.some((source) => findArchive(source, folders))) return { kind: "archives", folders };
  const own = userCliConfiguration(env);
  return own ? { kind: "configuration", source: own } : undefined;
}

/**
 * Whether the registry answers its service discovery
 * (`https://<host>/.well-known/terraform.json`); the reason when it does not.
 * Behind an HTTPS proxy (which terraform honours and this check does not),
 * the registry counts as reachable.
 */
export function registryReachable(host: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = 10000): Promise<string | undefined> {
  if (env.HTTPS_PROXY || env.https_proxy) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const req = request({ host, path: "/.well-known/terraform.json", method: "GET", timeout: timeoutMs }, (response) => {
      response.resume();
      resolve(response.statusCode === 200 ? undefined : `https://${host}/.well-known/terraform.json answered ${response.statusCode}`);
    });
    req.once("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.once("error", (error) => resolve(`${host}: ${error.message}`));
    req.end();
  });
}

/** Exit status of a command that finds no way to the providers. */
export const NO_PROVIDER_PATH_STATUS = 3;

/** The one error when neither archives nor a registry can provide the providers: it names both ways out. */
export function noProviderPathMessage(providers: readonly ReleaseSource[], host: string, why: string): string {
  const names = providers.map((source) => `${source.name} ${source.version}`).join(", ");
  return [
    `no way to install ${names}: ${host} cannot be reached (${why}), and there are no release source archives.`,
    `Either let ${host === "registry.opentofu.org" ? "tofu" : "terraform"} reach ${host} (the network, an HTTPS_PROXY, or a CLI configuration of your own in TF_CLI_CONFIG_FILE or ${host === "registry.opentofu.org" ? "~/.tofurc" : "~/.terraformrc"} that names a mirror),`,
    `or put the release source archives ${providers.map(archiveName).join(", ")} in a folder and name it in PROVIDER_SOURCES`,
    `(or ${shown(SHARED_SOURCES)}): docs/offline.md lists them with their sha256.`,
  ].join("\n");
}

/** No way to the providers: the message names both ways out. */
export class NoProviderPath extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NoProviderPath";
  }
}

/**
 * Decides the path: archives or the user's configuration when there are, else
 * the registry once it answers.
 * @throws NoProviderPath when the registry does not answer either
 */
export async function decideProviderPath(
  providers: readonly ReleaseSource[],
  env: NodeJS.ProcessEnv = process.env,
  reachable: (host: string, env: NodeJS.ProcessEnv) => Promise<string | undefined> = registryReachable,
): Promise<ProviderPath> {
  const local = localProviderPath(providers, env);
  if (local) return local;
  const host = registryHost(env);
  const why = await reachable(host, env);
  if (why !== undefined) throw new NoProviderPath(noProviderPathMessage(providers, host, why));
  return { kind: "registry", host };
}

/** What the setup line says of a path: which one, and what installs the providers. */
export function describeProviderPath(provider: ProviderPath, providers: readonly ReleaseSource[], env: NodeJS.ProcessEnv = process.env): string {
  const names = providers.map((source) => `${source.name} ${source.version}`).join(", ");
  const engine = engineOf(env);
  const lock = `pinned by ${path.basename(OFFICIAL_PROVIDER_LOCK)}`;
  switch (provider.kind) {
    case "archives":
      return `release sources: ${names} from their archives`;
    case "configuration":
      return `your ${engine} configuration (${provider.source}): ${engine} installs ${names}, ${lock}`;
    case "registry":
      return `the registry: ${engine} installs ${names} from ${provider.host}, ${lock}`;
  }
}
