import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { projectPath } from "../lib/project-paths";
import { lockEntry, REGISTRY_HOSTS } from "../lib/provider-lock";
import { PROVIDERS_DIRECTORY } from "../setup/providers";
import { ReadyProcess } from "./ready-process";

/**
 * The test-registry binary `npm run setup` builds (go,
 * cmd/test-registry): the Terraform provider registry protocol over HTTPS on
 * loopback, serving the providers built from their release sources as release
 * zips (SHA256SUMS signed with a key it makes at start). A double of
 * registry.terraform.io and registry.opentofu.org, which cannot be reached
 * from the machines this project is built on; terraform and tofu are real.
 */
export const TEST_REGISTRY = projectPath(".build", "bin", "test-registry");

/** One release zip the registry serves, with the sha256 its SHA256SUMS lists. */
export interface RegistryPackage {
  readonly namespace: string;
  readonly type: string;
  readonly version: string;
  readonly os: string;
  readonly arch: string;
  readonly filename: string;
  readonly sha256: string;
}

/** The line `test-registry` prints once it listens. */
export interface RegistryReady {
  readonly url: string;
  /** The providers.v1 service URL. */
  readonly providers: string;
  readonly ca_file: string;
  readonly packages: RegistryPackage[];
}

/** Options of {@link TestRegistry.start}. */
export interface TestRegistryOptions {
  /**
   * The filesystem mirror whose providers it serves.
   * @default the project's `.providers/mirror`
   */
  readonly mirror?: string;
  /**
   * Providers (namespace/type) served with one byte of their zip changed.
   * @default none
   */
  readonly corrupt?: readonly string[];
}

/** A running test registry. */
export class TestRegistry {
  /** Starts the registry and waits until it listens. */
  static async start(options: TestRegistryOptions = {}): Promise<TestRegistry> {
    const folder = mkdtempSync(path.join(tmpdir(), "test-registry-"));
    // The request log goes to a file: a test blocked in spawnSync reads no pipe meanwhile.
    const log = path.join(folder, "requests.log");
    const args = ["-mirror", options.mirror ?? path.join(PROVIDERS_DIRECTORY, "mirror"), "-ca-file", path.join(folder, "ca.pem"), "-log", log];
    if (options.corrupt?.length) args.push("-corrupt", options.corrupt.join(","));
    const process = await ReadyProcess.start<RegistryReady>(TEST_REGISTRY, args);
    const { providers, ca_file, packages } = process.ready;
    return new TestRegistry(process, log, folder, providers, ca_file, packages);
  }

  private constructor(
    private readonly process: ReadyProcess<RegistryReady>,
    /** Its request log: a request a line. */
    private readonly log: string,
    private readonly folder: string,
    /** The providers.v1 service URL. */
    readonly providersUrl: string,
    /** The CA certificate (PEM) of its TLS certificate: SSL_CERT_FILE for terraform and tofu. */
    readonly caFile: string,
    /** What it serves. */
    readonly packages: readonly RegistryPackage[],
  ) {}

  /**
   * A terraform CLI configuration that reaches this registry under both
   * registries' names (and installs the ordinary way otherwise), written
   * into the registry's folder.
   * @returns its path
   */
  cliConfiguration(): string {
    const file = path.join(this.folder, "terraformrc");
    writeFileSync(
      file,
      Object.values(REGISTRY_HOSTS)
        .map((host) => `host "${host}" {\n  services = {\n    "providers.v1" = "${this.providersUrl}"\n  }\n}\n`)
        .join("\n"),
    );
    return file;
  }

  /**
   * The dependency lock of what it serves, for both registries' names: the
   * `zh:` hash of each zip, as SHA256SUMS lists it. It stands in for the
   * committed official lock, whose hashes these local builds cannot have.
   */
  lockFile(): string {
    const entries = Object.values(REGISTRY_HOSTS).flatMap((host) => {
      const releases = new Map<string, RegistryPackage[]>();
      for (const pkg of this.packages) {
        const key = `${pkg.namespace}/${pkg.type} ${pkg.version}`;
        releases.set(key, [...(releases.get(key) ?? []), pkg]);
      }
      return [...releases.values()].map((packages) => {
        const [{ namespace, type, version }] = packages;
        return lockEntry(`${host}/${namespace}/${type}`, version, packages.map((pkg) => `zh:${pkg.sha256}`));
      });
    });
    return `# The lock of the test registry's release zips.\n\n${entries.join("\n\n")}\n`;
  }

  /** The environment terraform and tofu reach it with: its CLI configuration, and its CA trusted. */
  environment(): Record<string, string> {
    return { TF_CLI_CONFIG_FILE: this.cliConfiguration(), SSL_CERT_FILE: this.caFile };
  }

  /** The requests it served, as `<method> <path> <status>`. */
  requests(): string[] {
    return existsSync(this.log) ? readFileSync(this.log, "utf8").split("\n").filter(Boolean) : [];
  }

  /** Stops it and removes its folder. */
  async stop(): Promise<void> {
    await this.process.stop();
    rmSync(this.folder, { recursive: true, force: true });
  }
}
