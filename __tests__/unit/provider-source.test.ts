import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { MIRROR_CLI_CONFIG, PROVIDER_MIRROR_DIRECTORY } from "../../lib/provider-lock";
import {
  decideProviderPath,
  describeProviderPath,
  localProviderPath,
  NO_PROVIDER_PATH_STATUS,
  NoProviderPath,
  ProviderPath,
  registryHost,
  registryReachable,
} from "../../setup/provider-source";
import { NULL_PROVIDER_SOURCE, ReleaseSource, SHARED_SOURCES, TALOS_PROVIDER_SOURCE, TLS_PROVIDER_SOURCE } from "../../setup/release-sources";

/*
 * localProviderPath also looks for the providers' archives in
 * ../shared/third_party (SHARED_SOURCES), which exists on this project's
 * machines and nowhere else. So that these tests say the same everywhere:
 *  - where a rule is tested that comes after the archives in that folder
 *    (the user's .terraformrc, .tofurc, TF_PLUGIN_CACHE_DIR, nothing), the
 *    providers asked for are releases no folder has an archive of
 *    (UNARCHIVED), so the folder has no say whether it exists or not;
 *  - where archives are expected, the folders are PROVIDER_SOURCES (an empty
 *    temporary folder) followed by the shared folder only where it exists;
 *  - a user's own TF_CLI_CONFIG_FILE is tested with the pinned providers: it
 *    comes before the shared folder, so it wins either way.
 */
const PINNED: readonly ReleaseSource[] = [TALOS_PROVIDER_SOURCE, NULL_PROVIDER_SOURCE, TLS_PROVIDER_SOURCE];
const UNARCHIVED: readonly ReleaseSource[] = PINNED.map((source) => ({ ...source, version: "0.0.0-unit-test" }));
/** The shared folder where it exists: after PROVIDER_SOURCES, or alone. */
const SHARED: readonly string[] = existsSync(SHARED_SOURCES) ? [SHARED_SOURCES] : [];

let dir: string;
/** A home folder without any terraform configuration (until a test writes one). */
let home: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "provider-source-"));
  home = path.join(dir, "home");
  mkdirSync(home);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A file with some content, made in the temporary folder. */
function file(name: string, content = 'provider_installation {\n  direct {}\n}\n'): string {
  const where = path.join(dir, name);
  mkdirSync(path.dirname(where), { recursive: true });
  writeFileSync(where, content);
  return where;
}

/** An empty folder in the temporary folder. */
function folder(name: string): string {
  const where = path.join(dir, name);
  mkdirSync(where, { recursive: true });
  return where;
}

describe("localProviderPath", () => {
  test("PROVIDER_SOURCES names the archives' folder, searched before the shared one, whatever else is configured", () => {
    const sources = folder("sources");
    file("home/.terraformrc");
    const env = { HOME: home, PROVIDER_SOURCES: sources, TF_CLI_CONFIG_FILE: file("user.tfrc"), TF_PLUGIN_CACHE_DIR: folder("cache") };
    expect(localProviderPath(PINNED, env)).toEqual<ProviderPath>({ kind: "archives", folders: [sources, ...SHARED] });
  });

  test("PROVIDER_SOURCES is the archives' path even when the folder holds none of them", () => {
    const sources = folder("empty");
    expect(localProviderPath(UNARCHIVED, { HOME: home, PROVIDER_SOURCES: sources })).toEqual<ProviderPath>({ kind: "archives", folders: [sources, ...SHARED] });
  });

  test("a relative PROVIDER_SOURCES is named by its absolute path", () => {
    const sources = folder("relative");
    const relative = path.relative(process.cwd(), sources);
    expect(localProviderPath(UNARCHIVED, { HOME: home, PROVIDER_SOURCES: relative })).toEqual<ProviderPath>({ kind: "archives", folders: [sources, ...SHARED] });
  });

  test("a PROVIDER_SOURCES that names no folder throws, naming it", () => {
    const missing = path.join(dir, "no-such-folder");
    expect(() => localProviderPath(PINNED, { HOME: home, PROVIDER_SOURCES: missing })).toThrow(new Error(`PROVIDER_SOURCES=${missing} is not a folder`));
    const notAFolder = file("archive.tar.gz", "");
    expect(() => localProviderPath(PINNED, { HOME: home, PROVIDER_SOURCES: notAFolder })).toThrow(new Error(`PROVIDER_SOURCES=${notAFolder} is not a folder`));
  });

  test("a TF_CLI_CONFIG_FILE that names the project's mirror configuration is the archives' path", () => {
    expect(localProviderPath(UNARCHIVED, { HOME: home, TF_CLI_CONFIG_FILE: MIRROR_CLI_CONFIG })).toEqual<ProviderPath>({ kind: "archives", folders: [...SHARED] });
    const roundabout = path.join(PROVIDER_MIRROR_DIRECTORY, "mirror", "..", "terraformrc");
    expect(localProviderPath(UNARCHIVED, { HOME: home, TF_CLI_CONFIG_FILE: roundabout })).toEqual<ProviderPath>({ kind: "archives", folders: [...SHARED] });
  });

  test("the mirror configuration with PROVIDER_SOURCES searches PROVIDER_SOURCES first", () => {
    const sources = folder("sources");
    expect(localProviderPath(PINNED, { HOME: home, TF_CLI_CONFIG_FILE: MIRROR_CLI_CONFIG, PROVIDER_SOURCES: sources })).toEqual<ProviderPath>({
      kind: "archives",
      folders: [sources, ...SHARED],
    });
  });

  test("an existing TF_CLI_CONFIG_FILE of the user's is their configuration, before any archives in the shared folder and their ~/.terraformrc", () => {
    const config = file("user.tfrc");
    file("home/.terraformrc");
    expect(localProviderPath(PINNED, { HOME: home, TF_CLI_CONFIG_FILE: config })).toEqual<ProviderPath>({
      kind: "configuration",
      source: `TF_CLI_CONFIG_FILE=${config}`,
    });
  });

  test("a TF_CLI_CONFIG_FILE that does not exist counts for nothing", () => {
    const missing = path.join(dir, "missing.tfrc");
    expect(localProviderPath(UNARCHIVED, { HOME: home, TF_CLI_CONFIG_FILE: missing })).toBeUndefined();
    const terraformrc = file("home/.terraformrc");
    expect(localProviderPath(UNARCHIVED, { HOME: home, TF_CLI_CONFIG_FILE: missing })).toEqual<ProviderPath>({ kind: "configuration", source: terraformrc });
  });

  test("a ~/.terraformrc is the user's configuration, for either engine", () => {
    const terraformrc = file("home/.terraformrc");
    expect(localProviderPath(UNARCHIVED, { HOME: home })).toEqual<ProviderPath>({ kind: "configuration", source: terraformrc });
    expect(localProviderPath(UNARCHIVED, { HOME: home, CLOUDKOFFER_ENGINE: "tofu" })).toEqual<ProviderPath>({ kind: "configuration", source: terraformrc });
  });

  test("a ~/.tofurc counts only for tofu", () => {
    const tofurc = file("home/.tofurc");
    expect(localProviderPath(UNARCHIVED, { HOME: home })).toBeUndefined();
    expect(localProviderPath(UNARCHIVED, { HOME: home, CLOUDKOFFER_ENGINE: "terraform" })).toBeUndefined();
    expect(localProviderPath(UNARCHIVED, { HOME: home, CLOUDKOFFER_ENGINE: "tofu" })).toEqual<ProviderPath>({ kind: "configuration", source: tofurc });
    expect(localProviderPath(UNARCHIVED, { HOME: home, TERRAFORM_BINARY_NAME: "/opt/tofu/bin/tofu" })).toEqual<ProviderPath>({
      kind: "configuration",
      source: tofurc,
    });
  });

  test("for tofu, ~/.terraformrc comes before ~/.tofurc", () => {
    const terraformrc = file("home/.terraformrc");
    file("home/.tofurc");
    expect(localProviderPath(UNARCHIVED, { HOME: home, CLOUDKOFFER_ENGINE: "tofu" })).toEqual<ProviderPath>({ kind: "configuration", source: terraformrc });
  });

  test("TF_PLUGIN_CACHE_DIR is the user's configuration, after their ~/.terraformrc", () => {
    const cache = folder("plugin-cache");
    expect(localProviderPath(UNARCHIVED, { HOME: home, TF_PLUGIN_CACHE_DIR: cache })).toEqual<ProviderPath>({
      kind: "configuration",
      source: `TF_PLUGIN_CACHE_DIR=${cache}`,
    });
    const terraformrc = file("home/.terraformrc");
    expect(localProviderPath(UNARCHIVED, { HOME: home, TF_PLUGIN_CACHE_DIR: cache })).toEqual<ProviderPath>({ kind: "configuration", source: terraformrc });
  });

  test("without archives or any configuration of the user's, only the registry is left: undefined", () => {
    expect(localProviderPath(UNARCHIVED, { HOME: home })).toBeUndefined();
    expect(localProviderPath(UNARCHIVED, { HOME: home, PROVIDER_SOURCES: "", TF_CLI_CONFIG_FILE: "", TF_PLUGIN_CACHE_DIR: "" })).toBeUndefined();
  });
});

describe("decideProviderPath", () => {
  /** A registry check that answers `why`, recording whom it was asked about. */
  function reachableSaying(why: string | undefined) {
    const asked: string[] = [];
    const reachable = (host: string) => {
      asked.push(host);
      return Promise.resolve(why);
    };
    return { asked, reachable };
  }

  test("a local path is decided without asking the registry", async () => {
    const { asked, reachable } = reachableSaying("must not be asked");
    const sources = folder("sources");
    await expect(decideProviderPath(PINNED, { HOME: home, PROVIDER_SOURCES: sources }, reachable)).resolves.toEqual({ kind: "archives", folders: [sources, ...SHARED] });
    const terraformrc = file("home/.terraformrc");
    await expect(decideProviderPath(UNARCHIVED, { HOME: home }, reachable)).resolves.toEqual({ kind: "configuration", source: terraformrc });
    expect(asked).toEqual([]);
  });

  test("otherwise terraform's registry, once it answers", async () => {
    const { asked, reachable } = reachableSaying(undefined);
    await expect(decideProviderPath(UNARCHIVED, { HOME: home }, reachable)).resolves.toEqual({ kind: "registry", host: "registry.terraform.io" });
    expect(asked).toEqual(["registry.terraform.io"]);
  });

  test("tofu asks OpenTofu's registry", async () => {
    const { asked, reachable } = reachableSaying(undefined);
    await expect(decideProviderPath(UNARCHIVED, { HOME: home, CLOUDKOFFER_ENGINE: "tofu" }, reachable)).resolves.toEqual({
      kind: "registry",
      host: "registry.opentofu.org",
    });
    expect(asked).toEqual(["registry.opentofu.org"]);
  });

  test("the check is given the environment it decides for", async () => {
    const seen: NodeJS.ProcessEnv[] = [];
    const env = { HOME: home, HTTPS_PROXY: "http://proxy.example:3128" };
    await decideProviderPath(UNARCHIVED, env, (_host, given) => {
      seen.push(given);
      return Promise.resolve(undefined);
    });
    expect(seen).toEqual([env]);
  });

  test("when the registry does not answer either, NoProviderPath names both ways out", async () => {
    const { reachable } = reachableSaying("registry.terraform.io: getaddrinfo ENOTFOUND registry.terraform.io");
    const decided = decideProviderPath(UNARCHIVED, { HOME: home }, reachable);
    await expect(decided).rejects.toBeInstanceOf(NoProviderPath);
    await expect(decided).rejects.toMatchObject({ name: "NoProviderPath" });
    await expect(decided).rejects.toThrow(
      [
        "no way to install siderolabs/talos 0.0.0-unit-test, hashicorp/null 0.0.0-unit-test, hashicorp/tls 0.0.0-unit-test: registry.terraform.io cannot be reached (registry.terraform.io: getaddrinfo ENOTFOUND registry.terraform.io), and there are no release source archives.",
        "Either let terraform reach registry.terraform.io (the network, an HTTPS_PROXY, or a CLI configuration of your own in TF_CLI_CONFIG_FILE or ~/.terraformrc that names a mirror),",
        "or put the release source archives terraform-provider-talos-0.0.0-unit-test.tar.gz, terraform-provider-null-0.0.0-unit-test.tar.gz, terraform-provider-tls-0.0.0-unit-test.tar.gz in a folder and name it in PROVIDER_SOURCES",
        `(or ../shared/third_party): docs/offline.md lists them with their sha256.`,
      ].join("\n"),
    );
  });

  test("for tofu the message names OpenTofu's registry", async () => {
    const { reachable } = reachableSaying("no answer within 10 s");
    await expect(decideProviderPath(UNARCHIVED, { HOME: home, CLOUDKOFFER_ENGINE: "tofu" }, reachable)).rejects.toThrow(
      /^no way to install .*: registry\.opentofu\.org cannot be reached \(no answer within 10 s\), and there are no release source archives\.\nEither let tofu reach registry\.opentofu\.org \(the network, an HTTPS_PROXY, or a CLI configuration of your own in TF_CLI_CONFIG_FILE or ~\/\.tofurc /,
    );
  });

  test("a command that finds no way to the providers exits 3", () => {
    expect(NO_PROVIDER_PATH_STATUS).toBe(3);
  });
});

describe("registryReachable", () => {
  test("behind an HTTPS proxy the registry counts as reachable, without asking it", async () => {
    await expect(registryReachable("registry.terraform.io", { HTTPS_PROXY: "http://proxy.example:3128" })).resolves.toBeUndefined();
    await expect(registryReachable("registry.opentofu.org", { https_proxy: "http://proxy.example:3128" })).resolves.toBeUndefined();
  });
});

describe("describeProviderPath", () => {
  test("archives: the release sources", () => {
    expect(describeProviderPath({ kind: "archives", folders: [SHARED_SOURCES] }, PINNED, {})).toBe(
      "release sources: siderolabs/talos 0.5.0, hashicorp/null 3.2.4, hashicorp/tls 4.1.0 from their archives",
    );
  });

  test("configuration: the engine installs as the user's configuration says, pinned by the lock", () => {
    expect(describeProviderPath({ kind: "configuration", source: "TF_CLI_CONFIG_FILE=/home/user/mirror.tfrc" }, PINNED, {})).toBe(
      "your terraform configuration (TF_CLI_CONFIG_FILE=/home/user/mirror.tfrc): terraform installs siderolabs/talos 0.5.0, hashicorp/null 3.2.4, hashicorp/tls 4.1.0, pinned by .terraform.lock.hcl",
    );
    expect(describeProviderPath({ kind: "configuration", source: "/home/user/.tofurc" }, PINNED, { CLOUDKOFFER_ENGINE: "tofu" })).toBe(
      "your tofu configuration (/home/user/.tofurc): tofu installs siderolabs/talos 0.5.0, hashicorp/null 3.2.4, hashicorp/tls 4.1.0, pinned by .terraform.lock.hcl",
    );
  });

  test("registry: the engine installs from the registry's host, pinned by the lock", () => {
    expect(describeProviderPath({ kind: "registry", host: "registry.terraform.io" }, PINNED, {})).toBe(
      "the registry: terraform installs siderolabs/talos 0.5.0, hashicorp/null 3.2.4, hashicorp/tls 4.1.0 from registry.terraform.io, pinned by .terraform.lock.hcl",
    );
    expect(describeProviderPath({ kind: "registry", host: "registry.opentofu.org" }, PINNED, { TERRAFORM_BINARY_NAME: "tofu" })).toBe(
      "the registry: tofu installs siderolabs/talos 0.5.0, hashicorp/null 3.2.4, hashicorp/tls 4.1.0 from registry.opentofu.org, pinned by .terraform.lock.hcl",
    );
  });
});

describe("registryHost", () => {
  test("terraform installs from registry.terraform.io", () => {
    expect(registryHost({})).toBe("registry.terraform.io");
    expect(registryHost({ CLOUDKOFFER_ENGINE: "terraform" })).toBe("registry.terraform.io");
    expect(registryHost({ TERRAFORM_BINARY_NAME: "/usr/local/bin/terraform" })).toBe("registry.terraform.io");
  });

  test("tofu installs from registry.opentofu.org, whether CLOUDKOFFER_ENGINE or TERRAFORM_BINARY_NAME asks for it", () => {
    expect(registryHost({ CLOUDKOFFER_ENGINE: "tofu" })).toBe("registry.opentofu.org");
    expect(registryHost({ TERRAFORM_BINARY_NAME: "/opt/bin/tofu-1.10" })).toBe("registry.opentofu.org");
  });

  test("CLOUDKOFFER_ENGINE wins over TERRAFORM_BINARY_NAME", () => {
    expect(registryHost({ CLOUDKOFFER_ENGINE: "terraform", TERRAFORM_BINARY_NAME: "tofu" })).toBe("registry.terraform.io");
  });

  test("an engine that is neither throws, naming the variable", () => {
    expect(() => registryHost({ CLOUDKOFFER_ENGINE: "opentofu" })).toThrow(new Error("CLOUDKOFFER_ENGINE=opentofu is neither terraform nor tofu"));
  });
});
