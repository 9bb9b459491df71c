import { spawnSync } from "child_process";
import { createHash } from "crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { exitStatus, PINNED_PROVIDERS, provideProviders } from "../setup/providers";
import { archiveName, NULL_PROVIDER_SOURCE, ReleaseSource, SHARED_SOURCES, TALOS_PROVIDER_SOURCE } from "../setup/release-sources";
import { describeWith, PROJECT_ROOT } from "./support/tiers";

/** Runs provideProviders into a fresh folder, collecting its lines. */
async function provide(providers: readonly ReleaseSource[], env: NodeJS.ProcessEnv) {
  const directory = mkdtempSync(path.join(tmpdir(), "providers-"));
  const lines: string[] = [];
  try {
    const outcomes = await provideProviders({ directory, providers, env, report: (line) => lines.push(line) });
    const mirrored = (source: ReleaseSource) =>
      existsSync(path.join(directory, "mirror", "registry.terraform.io", ...source.name.split("/"), source.version));
    return { outcomes, lines, status: exitStatus(outcomes), mirrored };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

describeWith(["go"])("npm run providers: the pinned providers from their release sources", () => {
  const folders: string[] = [];
  const folder = () => {
    const made = mkdtempSync(path.join(tmpdir(), "release-sources-"));
    folders.push(made);
    return made;
  };
  afterAll(() => folders.forEach((made) => rmSync(made, { recursive: true, force: true })));

  test("an archive whose sha256 is not the pin is refused, naming the file and both sums; nothing is mirrored", async () => {
    const sources = folder();
    const archive = path.join(sources, "terraform-provider-null-3.2.4.tar.gz");
    writeFileSync(archive, "not the release\n");
    const sha256 = createHash("sha256").update("not the release\n").digest("hex");

    const { status, lines, mirrored } = await provide([NULL_PROVIDER_SOURCE], { ...process.env, PROVIDER_SOURCES: sources });
    expect(status).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^providers: hashicorp\/null 3\.2\.4: FAILED: /);
    expect(lines[0]).toContain(`terraform-provider-null-3.2.4.tar.gz has sha256 ${sha256}`);
    expect(lines[0]).toContain(`has ${NULL_PROVIDER_SOURCE.sha256} (pinned in setup/release-sources.ts)`);
    expect(mirrored(NULL_PROVIDER_SOURCE)).toBe(false);
  });

  test("without an archive, and with the Go module proxy refusing, it exits 3 naming the file to download and where to put it", async () => {
    const unreleased: ReleaseSource = { ...NULL_PROVIDER_SOURCE, version: "3.2.99", tag: "v3.2.99" };
    const { status, lines, mirrored } = await provide([unreleased], { ...process.env, PROVIDER_SOURCES: folder(), GOPROXY: "off" });
    expect(status).toBe(3);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^providers: hashicorp\/null 3\.2\.99: UNAVAILABLE: no release source archive, and the Go module proxy refuses it/);
    expect(lines[0]).toContain("github.com/terraform-providers/terraform-provider-null@v3.2.99: module lookup disabled by GOPROXY=off");
    expect(lines[0]).toContain("save it as terraform-provider-null-3.2.99.tar.gz");
    expect(lines[0]).toContain("in the folder named by PROVIDER_SOURCES");
    expect(mirrored(unreleased)).toBe(false);
  });

  test("the providers fetch their dependencies first and compile one after another, null, tls, then talos", async () => {
    // Release archives of the pinned names made here (a main package each, pinned by their own
    // sha256), and a go on PATH that logs each command's start and end before the real go.
    const sources = folder();
    const fakes = PINNED_PROVIDERS.map((pinned) => {
      const root = path.join(folder(), `${pinned.name.split("/")[1]}-source`);
      mkdirSync(root);
      writeFileSync(path.join(root, "go.mod"), "module example.com/provider\n\ngo 1.22\n");
      writeFileSync(path.join(root, "main.go"), "package main\n\nvar version string\n\nfunc main() { println(version) }\n");
      const archive = path.join(sources, archiveName(pinned));
      spawnSync("tar", ["-czf", archive, "-C", path.dirname(root), path.basename(root)]);
      return { ...pinned, sha256: createHash("sha256").update(readFileSync(archive)).digest("hex") };
    });
    const bin = folder();
    const log = path.join(bin, "go.log");
    const realGo = spawnSync("bash", ["-c", "command -v go"], { encoding: "utf8" }).stdout.trim();
    writeFileSync(
      path.join(bin, "go"),
      `#!/usr/bin/env bash\necho "start $1 \${PWD##*/}" >> ${log}\nstatus=0\n${realGo} "$@" || status=$?\necho "end $1 \${PWD##*/}" >> ${log}\nexit $status\n`,
      { mode: 0o755 },
    );

    const { status } = await provide(fakes, { ...process.env, PROVIDER_SOURCES: sources, PATH: `${bin}:${process.env.PATH}`, GOPROXY: "off" });
    expect(status).toBe(0);
    const events = readFileSync(log, "utf8").trim().split("\n");
    expect(events.filter((event) => / build /.test(event))).toEqual(
      ["null", "tls", "talos"].flatMap((type) => [`start build ${type}-source`, `end build ${type}-source`]),
    );
    for (const type of ["null", "tls", "talos"]) {
      expect(events.indexOf(`end list ${type}-source`)).toBeLessThan(events.indexOf(`start build ${type}-source`));
    }
  });

  test("PROVIDER_SOURCES that is no folder is a clear error", async () => {
    await expect(provide([NULL_PROVIDER_SOURCE], { ...process.env, PROVIDER_SOURCES: "/nonexistent/sources" })).rejects.toThrow(
      "PROVIDER_SOURCES=/nonexistent/sources is not a folder",
    );
  });
});

describeWith(["go", "null provider"])("a provider built from its release archive", () => {
  test("is built with the archive's own go.mod and go.sum into the mirror, and then cached", async () => {
    // The dependencies are in the Go module cache since npm run setup: this builds offline.
    const directory = mkdtempSync(path.join(tmpdir(), "providers-"));
    try {
      const lines: string[] = [];
      const report = (line: string) => lines.push(line);
      const env = { ...process.env, PROVIDER_SOURCES: SHARED_SOURCES };
      const first = await provideProviders({ directory, providers: [NULL_PROVIDER_SOURCE], env, report });
      // What terraform and tofu read, as the second setup finds it: every deploy sets up while others run.
      const opentofuMirror = path.join(directory, "mirror", "registry.opentofu.org", "hashicorp", "null", "3.2.4");
      const read = [path.join(directory, "terraformrc"), path.join(opentofuMirror, readdirOnly(opentofuMirror), "terraform-provider-null_v3.2.4")];
      const before = read.map((file) => statSync(file));
      const second = await provideProviders({ directory, providers: [NULL_PROVIDER_SOURCE], env, report });
      // Nothing was written again: no moment in which a running terraform finds a file half written or gone.
      expect(read.map((file) => [statSync(file).ino, statSync(file).mtimeMs])).toEqual(before.map((stat) => [stat.ino, stat.mtimeMs]));
      const archive = `archive ${path.relative(PROJECT_ROOT, path.join(SHARED_SOURCES, "terraform-provider-null-3.2.4.tar.gz"))}`;
      expect(lines[0]).toMatch(new RegExp(`^providers: hashicorp/null 3\\.2\\.4: built from ${archive} sha256 ${NULL_PROVIDER_SOURCE.sha256} \\(\\d+\\.\\d s\\)$`));
      expect(lines[1]).toBe(`providers: hashicorp/null 3.2.4: cached, built from ${archive} sha256 ${NULL_PROVIDER_SOURCE.sha256}`);
      expect([exitStatus(first), exitStatus(second)]).toEqual([0, 0]);

      const binary = path.join(directory, "mirror", "registry.terraform.io", "hashicorp", "null", "3.2.4");
      const version = spawnSync("go", ["version", "-m", path.join(binary, readdirOnly(binary), "terraform-provider-null_v3.2.4")], { encoding: "utf8" });
      expect(version.stdout).toMatch(/^\s+mod\s+github\.com\/terraform-providers\/terraform-provider-null\s/m);
      expect(version.stdout).toMatch(/^\s+build\s+-trimpath=true$/m);
      expect(version.stdout).toMatch(/^\s+build\s+CGO_ENABLED=0$/m);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describeWith(["talos provider", "null provider"])("npm run providers after npm run setup", () => {
  test("prints one line per provider: name, version, where it came from, cached; exit 0", () => {
    const run = spawnSync("npm", ["run", "--silent", "providers"], { cwd: PROJECT_ROOT, encoding: "utf8" });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
    const lines = run.stdout.trim().split("\n");
    for (const source of [TALOS_PROVIDER_SOURCE, NULL_PROVIDER_SOURCE]) {
      expect(lines).toContainEqual(
        expect.stringMatching(new RegExp(`^providers: ${source.name} ${source.version}: cached, built from archive \\S+ sha256 ${source.sha256}$`)),
      );
    }
  });
});

/** The one entry of a folder (the platform folder of a mirrored provider). */
function readdirOnly(folder: string): string {
  const entries = readdirSync(folder);
  expect(entries).toHaveLength(1);
  return entries[0];
}
