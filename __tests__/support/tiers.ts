import { spawnSync } from "child_process";
import { existsSync, readdirSync } from "fs";
import * as path from "path";
import { NULL_PROVIDER_VERSION, TALOS_PROVIDER_VERSION } from "../../lib/cloudkoffer-stack";
import { PROJECT_ROOT } from "../../lib/project-paths";
import { DEFAULT_TALOS_CONFIG_SCHEMA } from "../../lib/talos-config-schema";
import { DEFAULT_TALOS_TOOL } from "../../lib/talos-validation";

export { PROJECT_ROOT };
export const PROVIDER_MIRROR = path.join(PROJECT_ROOT, ".providers", "mirror");
export const TERRAFORM_CLI_CONFIG = path.join(PROJECT_ROOT, ".providers", "terraformrc");
const TALOS_MIRROR = path.join(PROVIDER_MIRROR, "registry.terraform.io", "siderolabs", "talos");
const NULL_MIRROR = path.join(PROVIDER_MIRROR, "registry.terraform.io", "hashicorp", "null");

/** Something a test tier needs from the machine, and how to get it. */
export type Need =
  | "terraform"
  | "go"
  | "talos provider"
  | "null provider"
  | "talos schema"
  | "simulator"
  | "openssl"
  | "postgresql";

const HOW_TO_GET: Record<Need, string> = {
  terraform: "terraform 1.11 on PATH",
  go: "Go on PATH",
  "talos provider": "a siderolabs/talos build in .providers/mirror (npm run setup)",
  "null provider": "a hashicorp/null build in .providers/mirror (npm run setup)",
  "talos schema": ".build/talos/config.schema.json (npm run setup)",
  simulator: ".build/bin/talos-sim (npm run setup)",
  openssl: "openssl on PATH",
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
      return talosProviderVersion() !== undefined;
    case "null provider":
      return nullProviderVersion() !== undefined;
    case "talos schema":
      return existsSync(DEFAULT_TALOS_CONFIG_SCHEMA);
    case "simulator":
      return existsSync(DEFAULT_TALOS_TOOL);
    case "openssl":
      return onPath("openssl");
    case "postgresql":
      return (
        process.env.TEST_PG_CONN_STR !== undefined &&
        spawnSync("psql", [process.env.TEST_PG_CONN_STR, "-tAc", "select 1"], { stdio: "ignore" }).status === 0
      );
  }
}

/**
 * The siderolabs/talos release the terraform tiers run against: 0.5.0 when it
 * is in the mirror, otherwise the stand-in `npm run providers` built.
 */
export function talosProviderVersion(): string | undefined {
  return mirrored(TALOS_MIRROR, TALOS_PROVIDER_VERSION);
}

/** The hashicorp/null release the terraform tiers run against, likewise. */
function nullProviderVersion(): string | undefined {
  return mirrored(NULL_MIRROR, NULL_PROVIDER_VERSION);
}

/** The pinned release in a provider's mirror folder, else the stand-in there. */
function mirrored(folder: string, pinned: string): string | undefined {
  const versions = existsSync(folder) ? readdirSync(folder).sort() : [];
  return versions.includes(pinned) ? pinned : versions[versions.length - 1];
}

/**
 * TALOS_PROVIDER_VERSION and NULL_PROVIDER_VERSION for the app, where the
 * mirror holds stand-ins instead of the pinned releases.
 */
export function providerVersionEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  const talos = talosProviderVersion();
  const nullVersion = nullProviderVersion();
  if (talos && talos !== TALOS_PROVIDER_VERSION) env.TALOS_PROVIDER_VERSION = talos;
  if (nullVersion && nullVersion !== NULL_PROVIDER_VERSION) env.NULL_PROVIDER_VERSION = nullVersion;
  return env;
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
