import { readFileSync } from "fs";
import * as path from "path";
import {
  lockFor,
  MIRROR_CLI_CONFIG,
  MIRROR_PROVIDER_LOCK,
  OFFICIAL_PROVIDER_LOCK,
  PROVIDER_MIRROR_DIRECTORY,
  providerLockFor,
  REGISTRY_HOSTS,
} from "../../lib/provider-lock";
import { PROJECT_ROOT } from "../../lib/project-paths";

/** The committed lock. */
const COMMITTED = readFileSync(path.join(PROJECT_ROOT, ".terraform.lock.hcl"), "utf8");

/** One provider entry of a lock text. */
interface LockEntry {
  readonly address: string;
  readonly version: string | undefined;
  readonly constraints: string | undefined;
  readonly hashes: readonly string[];
}

/** The provider entries of a lock text, read line by line (independently of lockFor's own pattern). */
function entriesOf(text: string): LockEntry[] {
  const entries: LockEntry[] = [];
  let current: { address: string; version?: string; constraints?: string; hashes: string[] } | undefined;
  for (const line of text.split("\n")) {
    const start = /^provider "([^"]+)" \{$/.exec(line);
    if (start) current = { address: start[1], hashes: [] };
    else if (current && line === "}") {
      entries.push({ address: current.address, version: current.version, constraints: current.constraints, hashes: current.hashes });
      current = undefined;
    } else if (current) {
      const attribute = /^\s+(version|constraints)\s+=\s+"([^"]*)"$/.exec(line);
      if (attribute?.[1] === "version") current.version = attribute[2];
      if (attribute?.[1] === "constraints") current.constraints = attribute[2];
      const hash = /^\s+"((?:zh|h1):[^"]+)",$/.exec(line)?.[1];
      if (hash) current.hashes.push(hash);
    }
  }
  return entries;
}

const SMALL_LOCK = [
  "# A lock for both engines.",
  "# Second line of the comment.",
  "",
  'provider "registry.opentofu.org/hashicorp/null" {',
  '  version     = "3.2.4"',
  '  constraints = "3.2.4"',
  "  hashes = [",
  '    "zh:1111111111111111111111111111111111111111111111111111111111111111",',
  "  ]",
  "}",
  "",
  'provider "registry.terraform.io/hashicorp/null" {',
  '  version     = "3.2.4"',
  '  constraints = "3.2.4"',
  "  hashes = [",
  '    "zh:2222222222222222222222222222222222222222222222222222222222222222",',
  "  ]",
  "}",
  "",
  'provider "registry.terraform.io/hashicorp/tls" {',
  '  version     = "4.1.0"',
  "}",
  "",
].join("\n");

describe("lockFor", () => {
  test("keeps the leading comment and only terraform's registry entries, each whole, in their order", () => {
    expect(lockFor(SMALL_LOCK, "terraform")).toBe(
      [
        "# A lock for both engines.",
        "# Second line of the comment.",
        "",
        'provider "registry.terraform.io/hashicorp/null" {',
        '  version     = "3.2.4"',
        '  constraints = "3.2.4"',
        "  hashes = [",
        '    "zh:2222222222222222222222222222222222222222222222222222222222222222",',
        "  ]",
        "}",
        "",
        'provider "registry.terraform.io/hashicorp/tls" {',
        '  version     = "4.1.0"',
        "}",
        "",
      ].join("\n"),
    );
  });

  test("keeps only OpenTofu's registry entries for tofu", () => {
    expect(lockFor(SMALL_LOCK, "tofu")).toBe(
      [
        "# A lock for both engines.",
        "# Second line of the comment.",
        "",
        'provider "registry.opentofu.org/hashicorp/null" {',
        '  version     = "3.2.4"',
        '  constraints = "3.2.4"',
        "  hashes = [",
        '    "zh:1111111111111111111111111111111111111111111111111111111111111111",',
        "  ]",
        "}",
        "",
      ].join("\n"),
    );
  });

  test("a lock with CRLF line endings (git's autocrlf) reads the same", () => {
    const official = readFileSync(OFFICIAL_PROVIDER_LOCK, "utf8");
    expect(lockFor(official.replace(/\n/g, "\r\n"), "terraform")).toBe(lockFor(official, "terraform"));
  });

  test("throws when the engine's registry host has no entry", () => {
    const terraformOnly = SMALL_LOCK.split("\n\n").filter((block) => !block.includes("registry.opentofu.org")).join("\n\n");
    expect(() => lockFor(terraformOnly, "tofu")).toThrow(new Error("it has no provider of registry.opentofu.org"));
    expect(() => lockFor("# only a comment\n", "terraform")).toThrow(new Error("it has no provider of registry.terraform.io"));
    expect(() => lockFor("", "terraform")).toThrow(new Error("it has no provider of registry.terraform.io"));
  });

  test("a host is matched whole: a host that merely starts like the registry's is not it", () => {
    const lookalike = 'provider "registry.terraform.io.example.org/hashicorp/null" {\n  version = "3.2.4"\n}\n';
    expect(() => lockFor(lookalike, "terraform")).toThrow(new Error("it has no provider of registry.terraform.io"));
  });

  test("the committed lock gives each engine its comment and its registry's three providers", () => {
    for (const engine of ["terraform", "tofu"] as const) {
      const text = lockFor(COMMITTED, engine);
      expect(text.startsWith("# The dependency lock of the stacks' providers")).toBe(true);
      expect(entriesOf(text).map((entry) => entry.address)).toEqual(
        ["hashicorp/null", "hashicorp/tls", "siderolabs/talos"].map((name) => `${REGISTRY_HOSTS[engine]}/${name}`),
      );
      // Each entry exactly as committed.
      for (const entry of entriesOf(text)) expect(entriesOf(COMMITTED)).toContainEqual(entry);
    }
  });
});

describe("the committed lock", () => {
  const terraformEntries = entriesOf(COMMITTED).filter((entry) => entry.address.startsWith("registry.terraform.io/"));
  const zh = (entry: LockEntry) => entry.hashes.filter((hash) => hash.startsWith("zh:"));

  test.each([
    ["siderolabs/talos", "0.5.0", 15],
    ["hashicorp/null", "3.2.4", 12],
    ["hashicorp/tls", "4.1.0", 12],
  ])("registry.terraform.io/%s %s has a zh: hash for each of its %i release zips", (name, version, count) => {
    const entry = terraformEntries.find((candidate) => candidate.address === `registry.terraform.io/${name}`);
    expect(entry?.version).toBe(version);
    expect(entry && zh(entry)).toHaveLength(count);
    expect(new Set(entry && zh(entry)).size).toBe(count);
    for (const hash of entry ? zh(entry) : []) expect(hash).toMatch(/^zh:[0-9a-f]{64}$/);
  });

  test("registry.terraform.io has exactly the three providers", () => {
    expect(terraformEntries.map((entry) => entry.address).sort()).toEqual([
      "registry.terraform.io/hashicorp/null",
      "registry.terraform.io/hashicorp/tls",
      "registry.terraform.io/siderolabs/talos",
    ]);
  });

  test("every entry is constrained to exactly its version", () => {
    const entries = entriesOf(COMMITTED);
    expect(entries).toHaveLength(6);
    for (const entry of entries) {
      expect(entry.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(entry.constraints).toBe(entry.version);
    }
  });

  test("the official lock is the committed file", () => {
    expect(OFFICIAL_PROVIDER_LOCK).toBe(path.join(PROJECT_ROOT, ".terraform.lock.hcl"));
  });
});

describe("providerLockFor", () => {
  test("the official lock, unless terraform installs from the project's mirror", () => {
    expect(providerLockFor({})).toBe(OFFICIAL_PROVIDER_LOCK);
    expect(providerLockFor({ TF_CLI_CONFIG_FILE: "/home/user/.terraformrc" })).toBe(OFFICIAL_PROVIDER_LOCK);
  });

  test("the mirror's own lock where TF_CLI_CONFIG_FILE names the mirror's configuration, however the path is written", () => {
    expect(MIRROR_PROVIDER_LOCK).toBe(path.join(PROVIDER_MIRROR_DIRECTORY, "terraform.lock.hcl"));
    expect(providerLockFor({ TF_CLI_CONFIG_FILE: MIRROR_CLI_CONFIG })).toBe(MIRROR_PROVIDER_LOCK);
    expect(providerLockFor({ TF_CLI_CONFIG_FILE: path.join(PROVIDER_MIRROR_DIRECTORY, "mirror", "..", "terraformrc") })).toBe(MIRROR_PROVIDER_LOCK);
  });
});
