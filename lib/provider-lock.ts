import { existsSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { addCustomSynthesis } from "cdktf/lib/synthesize/synthesizer";
import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { projectPath } from "./project-paths";
import { Engine } from "./terraform-engine";

/**
 * The committed dependency lock of the three providers: the official
 * releases' hashes (a `zh:` hash for every zip in each release's SHA256SUMS,
 * `h1:` where known; docs name where each came from). Terraform refuses any
 * other binary under these names.
 */
export const OFFICIAL_PROVIDER_LOCK = projectPath(".terraform.lock.hcl");
/** The project's provider mirror folder (`npm run providers`, on machines with the release sources). */
export const PROVIDER_MIRROR_DIRECTORY = projectPath(".providers");
/** The terraform CLI configuration that installs from the mirror only. */
export const MIRROR_CLI_CONFIG = path.join(PROVIDER_MIRROR_DIRECTORY, "terraformrc");
/**
 * The lock of the providers built from their release sources: their own
 * hashes, written by `npm run providers`, never into the committed lock.
 */
export const MIRROR_PROVIDER_LOCK = path.join(PROVIDER_MIRROR_DIRECTORY, "terraform.lock.hcl");

/**
 * The lock a stack carries: the mirror's where terraform installs from the
 * project's mirror (TF_CLI_CONFIG_FILE names its configuration), else the
 * official one.
 */
export function providerLockFor(env: NodeJS.ProcessEnv): string {
  const config = env.TF_CLI_CONFIG_FILE;
  return config !== undefined && path.resolve(config) === MIRROR_CLI_CONFIG ? MIRROR_PROVIDER_LOCK : OFFICIAL_PROVIDER_LOCK;
}

/** The registry host each engine resolves `siderolabs/talos` and `hashicorp/*` on. */
export const REGISTRY_HOSTS: Readonly<Record<Engine, string>> = { terraform: "registry.terraform.io", tofu: "registry.opentofu.org" };

/**
 * A lock file's text for one engine: its leading comment and the entries of
 * that engine's registry host (the committed lock has both registries'
 * entries; OpenTofu's registry serves its own builds of the hashicorp
 * providers, with other hashes).
 * @throws Error when the lock has no entry for that host
 */
export function lockFor(text: string, engine: Engine): string {
  const host = REGISTRY_HOSTS[engine];
  // A lock checked out with CRLF line endings (git's autocrlf) reads the same.
  text = text.replace(/\r\n/g, "\n");
  const comment = /^(#.*\n)*/.exec(text)?.[0] ?? "";
  const entries = [...text.matchAll(/^provider "([^"]+)" \{\n[\s\S]*?^\}$/gm)].filter((entry) => entry[1].startsWith(`${host}/`));
  if (entries.length === 0) throw new Error(`it has no provider of ${host}`);
  return `${comment}\n${entries.map((entry) => entry[0]).join("\n\n")}\n`;
}

/** One provider's entry of a lock file, as terraform writes it: the version, the constraint the stacks require, the hashes. */
export function lockEntry(address: string, version: string, hashes: readonly string[]): string {
  return [
    `provider "${address}" {`,
    `  version     = "${version}"`,
    `  constraints = "${version}"`,
    "  hashes = [",
    ...hashes.map((hash) => `    "${hash}",`),
    "  ]",
    "}",
  ].join("\n");
}

/** Properties of a {@link ProviderLock}. */
export interface ProviderLockProps {
  /**
   * The dependency lock to carry.
   * @default the committed official lock, {@link OFFICIAL_PROVIDER_LOCK}
   */
  readonly file?: string;
  /**
   * The engine the stack is synthesized for: its registry's host names the providers.
   * @default "terraform"
   */
  readonly engine?: Engine;
}

/**
 * The stack's dependency lock, `.terraform.lock.hcl` in its synthesized
 * folder: `cdktf deploy` and a plain `terraform init` of the handed-off
 * folder then install only the pinned binaries.
 */
export class ProviderLock extends Construct {
  constructor(scope: TerraformStack, id: string, props: ProviderLockProps = {}) {
    super(scope, id);
    const file = props.file ?? OFFICIAL_PROVIDER_LOCK;
    if (!existsSync(file)) throw new Error(`the provider lock ${file} does not exist${file === MIRROR_PROVIDER_LOCK ? ": npm run setup writes it" : ""}`);
    let text: string;
    try {
      text = lockFor(readFileSync(file, "utf8"), props.engine ?? "terraform");
    } catch (error) {
      throw new Error(`the provider lock ${file} cannot be used: ${error instanceof Error ? error.message : String(error)}`);
    }
    addCustomSynthesis(this, {
      onSynthesize: (session) => {
        const manifest = session.manifest.forStack(scope);
        writeFileSync(path.join(session.outdir, manifest.workingDirectory, ".terraform.lock.hcl"), text);
      },
    });
  }
}
