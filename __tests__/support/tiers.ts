import { spawnSync } from "child_process";
import { existsSync, readdirSync } from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../../lib/project-paths";
import { DEFAULT_TALOS_CONFIG_SCHEMA } from "../../lib/talos-config-schema";
import { DEFAULT_TALOS_TOOL } from "../../lib/talos-validation";
import { TALOS_SIM } from "../../tools/harness/simulator";
import { PROVIDERS_DIRECTORY } from "../../tools/providers";
import { engineBinary } from "../../tools/engine";
import { TALOSCTL } from "../../tools/setup";
import { NULL_PROVIDER_SOURCE, ReleaseSource, TALOS_PROVIDER_SOURCE, TLS_PROVIDER_SOURCE } from "../../tools/release-sources";

export { PROJECT_ROOT };
const PROVIDER_MIRROR = path.join(PROVIDERS_DIRECTORY, "mirror");

/** Something a test tier needs from the machine, and how to get it. */
export type Need =
  | "terraform"
  | "go"
  | "talos provider"
  | "null provider"
  | "tls provider"
  | "talos schema"
  | "simulator"
  | "talosctl"
  | "tofu"
  | "openssl"
  | "shellcheck"
  | "postgresql";

const HOW_TO_GET: Record<Need, string> = {
  terraform: "terraform 1.11 on PATH",
  go: "Go on PATH",
  "talos provider": `siderolabs/talos ${TALOS_PROVIDER_SOURCE.version} in .providers/mirror (npm run setup)`,
  "null provider": `hashicorp/null ${NULL_PROVIDER_SOURCE.version} in .providers/mirror (npm run setup)`,
  "tls provider": `hashicorp/tls ${TLS_PROVIDER_SOURCE.version} in .providers/mirror (npm run setup)`,
  "talos schema": ".build/talos/config.schema.json (npm run setup)",
  simulator: ".build/bin/talos-sim and .build/bin/cloudkoffer-talos (npm run setup)",
  talosctl: ".build/bin/talosctl, the real talosctl of Talos 1.7.4 (npm run setup)",
  tofu: "OpenTofu: tofu on PATH, or .build/bin/tofu (npm run setup -- tofu)",
  openssl: "openssl on PATH",
  shellcheck: "shellcheck on PATH (Debian package shellcheck)",
  postgresql: "a PostgreSQL server named by TEST_PG_CONN_STR (tools/test-postgres.sh start)",
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
      return mirrored(TALOS_PROVIDER_SOURCE);
    case "null provider":
      return mirrored(NULL_PROVIDER_SOURCE);
    case "tls provider":
      return mirrored(TLS_PROVIDER_SOURCE);
    case "talos schema":
      return existsSync(DEFAULT_TALOS_CONFIG_SCHEMA);
    case "simulator":
      return existsSync(TALOS_SIM) && existsSync(DEFAULT_TALOS_TOOL);
    case "talosctl":
      return existsSync(TALOSCTL);
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
