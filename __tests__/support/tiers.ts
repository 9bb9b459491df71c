import { spawnSync } from "child_process";
import { existsSync, readdirSync, readFileSync } from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../../lib/project-paths";
import { DEFAULT_TALOS_CONFIG_SCHEMA } from "../../operations/talos-checks";
import { DEFAULT_TALOS_TOOL } from "../../operations/talos-tool";
import { TALOS_SIM } from "../../testing/simulator";
import { TEST_REGISTRY } from "../../testing/registry";
import { PINNED_PROVIDERS, PROVIDERS_DIRECTORY } from "../../setup/providers";
import { localProviderPath, ProviderPath } from "../../setup/provider-source";
import { PROVIDER_PATH_RECORD } from "../../setup/setup";
import { engineBinary } from "../../operations/engine";
import { findTalosctl } from "../../operations/talosctl";
import { KUBE_APISERVER, kubeApiserverBuilt } from "../../setup/kube-apiserver";
import { NULL_PROVIDER_SOURCE, ReleaseSource, TALOS_PROVIDER_SOURCE, TLS_PROVIDER_SOURCE } from "../../setup/release-sources";

export { PROJECT_ROOT };
const PROVIDER_MIRROR = path.join(PROVIDERS_DIRECTORY, "mirror");

/** Something a test tier needs from the machine, and how to get it. */
export type Need =
  | "terraform"
  | "go"
  | "talos provider"
  | "null provider"
  | "tls provider"
  | "provider built from source"
  | "talos schema"
  | "simulator"
  | "talosctl"
  | "kube-apiserver"
  | "tofu"
  | "openssl"
  | "shellcheck"
  | "postgresql";

const HOW_TO_GET: Record<Need, string> = {
  terraform: "terraform 1.11 on PATH",
  go: "Go on PATH",
  "talos provider": `siderolabs/talos ${TALOS_PROVIDER_SOURCE.version}: in .providers/mirror, or from the registry or your CLI configuration (npm run setup)`,
  "null provider": `hashicorp/null ${NULL_PROVIDER_SOURCE.version}: in .providers/mirror, or from the registry or your CLI configuration (npm run setup)`,
  "tls provider": `hashicorp/tls ${TLS_PROVIDER_SOURCE.version}: in .providers/mirror, or from the registry or your CLI configuration (npm run setup)`,
  "provider built from source": `siderolabs/talos ${TALOS_PROVIDER_SOURCE.version} built from its release source into .providers/mirror (PROVIDER_SOURCES; npm run setup)`,
  "talos schema": ".build/talos/config.schema.json (npm run setup)",
  simulator: ".build/bin/talos-sim, .build/bin/cloudkoffer-talos and .build/bin/test-registry (npm run setup)",
  talosctl: "talosctl of Talos v1.7 on PATH, or .build/bin/talosctl built from Talos' release source (npm run setup -- talosctl)",
  "kube-apiserver": `the real kube-apiserver the simulated cluster serves Kubernetes with: ${KUBE_APISERVER} (npm run setup -- kube-apiserver)`,
  tofu: "OpenTofu: tofu on PATH, or .build/bin/tofu (npm run setup -- tofu)",
  openssl: "openssl on PATH",
  shellcheck: "shellcheck on PATH (Debian package shellcheck)",
  postgresql: "a PostgreSQL server named by TEST_PG_CONN_STR (testing/test-postgres.sh start)",
};

function onPath(command: string): boolean {
  return spawnSync(command, ["version"], { stdio: "ignore" }).status === 0;
}

function has(need: Need): boolean {
  switch (need) {
    case "terraform":
      return onPath(process.env.TERRAFORM_BINARY_NAME ?? "terraform");
    case "go":
      return onPath("go");
    case "talos provider":
      return installable(TALOS_PROVIDER_SOURCE);
    case "null provider":
      return installable(NULL_PROVIDER_SOURCE);
    case "tls provider":
      return installable(TLS_PROVIDER_SOURCE);
    case "provider built from source":
      return mirrored(TALOS_PROVIDER_SOURCE);
    case "talos schema":
      return existsSync(DEFAULT_TALOS_CONFIG_SCHEMA);
    case "simulator":
      return [TALOS_SIM, DEFAULT_TALOS_TOOL, TEST_REGISTRY].every((binary) => existsSync(binary));
    case "talosctl":
      return findTalosctl() !== undefined;
    case "kube-apiserver":
      return kubeApiserverBuilt();
    case "tofu":
      return onPath(engineBinary({ CLOUDKOFFER_ENGINE: "tofu" }));
    case "openssl":
      return onPath("openssl");
    case "shellcheck":
      return spawnSync("shellcheck", ["--version"], { stdio: "ignore" }).status === 0;
    case "postgresql":
      return (
        process.env.TEST_PG_CONN_STR !== undefined &&
        spawnSync("psql", [process.env.TEST_PG_CONN_STR, "-tAc", "select 1"], { stdio: "ignore" }).status === 0
      );
  }
}

/**
 * Whether terraform can install a provider the way the tiers run it: from the
 * mirror where the release sources are, else the way the last set-up found
 * (the user's CLI configuration, or the registry that answered).
 */
function installable(source: ReleaseSource): boolean {
  if (localProviderPath(PINNED_PROVIDERS, process.env)?.kind === "archives") return mirrored(source);
  return existsSync(PROVIDER_PATH_RECORD) && (JSON.parse(readFileSync(PROVIDER_PATH_RECORD, "utf8")) as ProviderPath).kind !== "archives";
}

/** Whether the pinned release of a provider is in the mirror. */
function mirrored(source: ReleaseSource): boolean {
  return mirroredProviderBinary(source) !== undefined;
}

/** The binary of a provider's pinned release in the mirror, or undefined. */
export function mirroredProviderBinary(source: ReleaseSource): string | undefined {
  const version = path.join(PROVIDER_MIRROR, "registry.terraform.io", ...source.name.split("/"), source.version);
  const [platform] = existsSync(version) ? readdirSync(version) : [];
  const binary = platform && path.join(version, platform, `terraform-provider-${source.name.split("/")[1]}_v${source.version}`);
  return binary && existsSync(binary) ? binary : undefined;
}

/**
 * `describe` for a tier that needs tools from the machine. Where one is missing
 * the tier skips, loudly, naming it; in CI (CI=true) every tier is mandatory,
 * so a missing tool fails the run instead.
 */
export function describeWith(needs: readonly Need[]): jest.Describe {
  const missing = needs.filter((need) => !has(need));
  if (missing.length === 0) {
    return describe;
  }
  const what = missing.map((need) => `${need} (${HOW_TO_GET[need]})`).join(", ");
  if (process.env.CI === "true") {
    throw new Error(`CI=true and this tier needs what the machine lacks: ${what}`);
  }
  console.warn(`SKIPPING a test tier: it needs ${what}`);
  return describe.skip;
}
