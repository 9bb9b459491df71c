/**
 * The real kube-apiserver of Kubernetes 1.30.1, built from Go modules by npm
 * run setup (setup/kube-apiserver.ts), and the way it is built: a module
 * release whose go.mod replaces modules with folders its module zip lacks,
 * each placed from a module of its own and checked against its pinned hash.
 * That way is tried on a small fake release served by a Go module proxy in a
 * temporary folder (GOPROXY=file://...), offline and in seconds; the real
 * build takes minutes of CPU, and npm run setup does it before the tiers.
 */
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { DEFAULT_KUBERNETES_VERSION } from "../lib/talos-versions";
import { KUBE_APISERVER, kubeApiserverBuilt } from "../setup/kube-apiserver";
import { buildModuleRelease, builtFromModule, KUBE_APISERVER_RELEASE, ModuleRelease, PinnedModule } from "../setup/release-sources";
import { describeWith } from "./support/tiers";

/** A module version's files, by path inside the module. */
type ModuleFiles = Record<string, string>;

/** The go.sum hash of a module version's files: dirhash's Hash1, as go computes it for a module zip. */
function h1(module: string, version: string, files: ModuleFiles): string {
  const summary = Object.keys(files)
    .map((file) => `${module}@${version}/${file}`)
    .sort()
    .map((name) => `${createHash("sha256").update(files[name.slice(name.indexOf("/", module.length + 1) + 1)]).digest("hex")}  ${name}\n`)
    .join("");
  return `h1:${createHash("sha256").update(summary).digest("base64")}`;
}

/** Zips a folder's files under a prefix, as a module zip has them (Go's archive/zip: no zip tool needed). */
const ZIPPER = `package main

import (
	"archive/zip"
	"io/fs"
	"os"
	"path/filepath"
)

func main() {
	root, prefix, out := os.Args[1], os.Args[2], os.Args[3]
	file, err := os.Create(out)
	if err != nil {
		panic(err)
	}
	archive := zip.NewWriter(file)
	err = filepath.WalkDir(root, func(name string, entry fs.DirEntry, err error) error {
		if err != nil || entry.IsDir() {
			return err
		}
		relative, _ := filepath.Rel(root, name)
		content, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		writer, err := archive.Create(prefix + "/" + filepath.ToSlash(relative))
		if err != nil {
			return err
		}
		_, err = writer.Write(content)
		return err
	})
	if err != nil {
		panic(err)
	}
	if err := archive.Close(); err != nil {
		panic(err)
	}
	if err := file.Close(); err != nil {
		panic(err)
	}
}
`;

/**
 * A Go module proxy in a folder: each module version's list, info, go.mod and
 * zip, as GOPROXY=file://<folder> reads them.
 */
class FolderProxy {
  private readonly zipper: string;

  constructor(
    readonly root: string,
    work: string,
  ) {
    const source = path.join(work, "zipper.go");
    writeFileSync(source, ZIPPER);
    this.zipper = path.join(work, "zipper");
    const build = spawnSync("go", ["build", "-o", this.zipper, source], { encoding: "utf8", env: { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "" } });
    if (build.status !== 0) throw new Error(`building the zipper failed: ${build.stderr}`);
  }

  /** Serves a module version with these files; its go.sum hash. */
  serve(module: string, version: string, files: ModuleFiles, work: string): string {
    const at = path.join(this.root, module, "@v");
    mkdirSync(at, { recursive: true });
    const tree = mkdtempSync(path.join(work, "module-"));
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
      writeFileSync(path.join(tree, file), content);
    }
    const zip = spawnSync(this.zipper, [tree, `${module}@${version}`, path.join(at, `${version}.zip`)], { encoding: "utf8" });
    if (zip.status !== 0) throw new Error(`zipping ${module}@${version} failed: ${zip.stderr}`);
    writeFileSync(path.join(at, `${version}.mod`), files["go.mod"]);
    writeFileSync(path.join(at, `${version}.info`), JSON.stringify({ Version: version, Time: "2024-05-15T07:05:12Z" }));
    writeFileSync(path.join(at, "list"), `${version}\n`);
    return h1(module, version, files);
  }
}

/** A Go source file of a package. */
const goFile = (pkg: string, body: string) => `package ${pkg}\n\n${body}\n`;

describeWith(["go"])("a module release whose go.mod replaces modules with folders its zip lacks (Kubernetes' staging)", () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  let release: ModuleRelease;
  let pins: { a: PinnedModule; b: PinnedModule; aNeedingC: PinnedModule };
  let binary: string;
  let stamp: string;

  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), "kube-apiserver-test-"));
    const proxy = new FolderProxy(path.join(work, "proxy"), work);
    // The release, as k8s.io/kubernetes comes: go.mod requires a and b at v0.0.0 and replaces them (and a module it
    // does not require, which the proxy lacks, as sample-cli-plugin) with folders under staging/, which it lacks.
    const sum = proxy.serve(
      "example.com/fakekube",
      "v1.0.0",
      {
        "go.mod": [
          "module example.com/fakekube",
          "",
          "go 1.22",
          "",
          "require (",
          "\texample.com/a v0.0.0",
          "\texample.com/b v0.0.0",
          ")",
          "",
          "replace (",
          "\texample.com/a => ./staging/src/example.com/a",
          "\texample.com/b => ./staging/src/example.com/b",
          "\texample.com/unrequired => ./staging/src/example.com/unrequired",
          ")",
          "",
        ].join("\n"),
        "go.sum": "",
        "staging/README.md": "The staging modules are published as modules of their own.\n",
        "vendor/modules.txt": "# example.com/a v0.0.0 => ./staging/src/example.com/a\n## explicit\nexample.com/a\n",
        "cmd/fake/main.go": goFile("main", 'import (\n\t"fmt"\n\n\t"example.com/a"\n)\n\nvar version = "unset"\n\nfunc main() { fmt.Println(version, a.Hello()) }'),
      },
      work,
    );
    // Their published copies: a's own go.mod requires b at its published version, as the staging modules' do.
    pins = {
      a: {
        module: "example.com/a",
        version: "v0.1.0",
        sum: proxy.serve(
          "example.com/a",
          "v0.1.0",
          {
            "go.mod": "module example.com/a\n\ngo 1.22\n\nrequire example.com/b v0.1.0\n",
            "a.go": goFile("a", 'import "example.com/b"\n\nfunc Hello() string { return "a says " + b.Name }'),
          },
          work,
        ),
      },
      // A copy of a whose go.mod needs a module the release's go.sum does not name: go would resolve it anew.
      aNeedingC: {
        module: "example.com/a",
        version: "v0.2.0",
        sum: proxy.serve(
          "example.com/a",
          "v0.2.0",
          {
            "go.mod": "module example.com/a\n\ngo 1.22\n\nrequire (\n\texample.com/b v0.1.0\n\texample.com/c v0.1.0\n)\n",
            "a.go": goFile("a", 'import (\n\t"example.com/b"\n\t"example.com/c"\n)\n\nfunc Hello() string { return "a says " + b.Name + c.Name }'),
          },
          work,
        ),
      },
      b: {
        module: "example.com/b",
        version: "v0.1.0",
        sum: proxy.serve("example.com/b", "v0.1.0", { "go.mod": "module example.com/b\n\ngo 1.22\n", "b.go": goFile("b", 'const Name = "b"') }, work),
      },
    };
    proxy.serve("example.com/c", "v0.1.0", { "go.mod": "module example.com/c\n\ngo 1.22\n", "c.go": goFile("c", 'const Name = "c"') }, work);
    release = {
      name: "fakekube",
      version: "1.0.0",
      module: "example.com/fakekube",
      sum,
      ldflags: "-s -w -X main.version=v1.0.0",
      pkg: "./cmd/fake",
      placed: [pins.a, pins.b],
      remove: ["vendor"],
      mod: "mod",
    };
    // Offline: the proxy is the folder, the module cache a fresh one, and there is no checksum database to ask.
    env = { ...process.env, GOPROXY: `file://${proxy.root}`, GOSUMDB: "off", GOMODCACHE: path.join(work, "modcache") };
    binary = path.join(work, "bin", "fake");
    stamp = path.join(work, "built", "fake.json");
  });
  afterAll(() => {
    // The module cache is read-only, as go makes it.
    if (work) spawnSync("chmod", ["-R", "u+w", work]);
    rmSync(work, { recursive: true, force: true });
  });

  /** Builds with TMPDIR a fresh folder; the outcome, and what was left in that folder. */
  async function build(what: ModuleRelease): Promise<{ outcome: Awaited<ReturnType<typeof buildModuleRelease>>; left: string[] }> {
    const temporary = mkdtempSync(path.join(work, "tmp-"));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = temporary;
    try {
      const outcome = await buildModuleRelease(what, binary, stamp, { ...env, TMPDIR: temporary });
      return { outcome, left: readdirSync(temporary) };
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  }

  test("refuses a placed module whose hash is not the pinned one, naming it and both hashes, and builds nothing", async () => {
    const wrong = "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    const { outcome, left } = await build({ ...release, placed: [{ ...pins.a, sum: wrong }, pins.b] });
    expect(outcome).toEqual({
      status: "failed",
      message: `example.com/a@v0.1.0 has hash ${pins.a.sum}, but ${wrong} is pinned in setup/release-sources.ts`,
    });
    expect(left).toEqual([]);
    expect([existsSync(binary), existsSync(stamp)]).toEqual([false, false]);
  });

  test("refuses a release whose go.mod needs a folder that nothing pinned fills, or a pin it does not need, naming it", async () => {
    expect((await build({ ...release, placed: [pins.a] })).outcome).toEqual({
      status: "failed",
      message: "example.com/fakekube@v1.0.0's go.mod replaces example.com/b with ./staging/src/example.com/b, which the module lacks, and setup/release-sources.ts pins no version of it",
    });
    const extra = { module: "example.com/c", version: "v0.1.0", sum: pins.b.sum };
    expect((await build({ ...release, placed: [pins.a, pins.b, extra] })).outcome).toMatchObject({
      status: "failed",
      message: expect.stringContaining("example.com/c@v0.1.0 is pinned in setup/release-sources.ts, but") as unknown,
    });
  });

  test("refuses the release itself when its hash is not the pinned one", async () => {
    const { outcome } = await build({ ...release, sum: pins.b.sum });
    expect(outcome).toEqual({ status: "failed", message: `example.com/fakekube@v1.0.0 has hash ${release.sum}, but ${pins.b.sum} is pinned in setup/release-sources.ts` });
  });

  test("refuses a build that resolved a module the release's go.sum does not name, saying which", async () => {
    const { outcome, left } = await build({ ...release, placed: [pins.aNeedingC, pins.b] });
    expect(outcome).toMatchObject({ status: "failed", message: "go build of example.com/fakekube@v1.0.0 resolved modules its go.sum does not name (nothing may be resolved anew)" });
    expect("output" in outcome && outcome.output).toMatch(/^example\.com\/c v0\.1\.0 h1:/m);
    expect(left).toEqual([]);
    expect([existsSync(binary), existsSync(stamp)]).toEqual([false, false]);
  });

  test("places each pinned module into its folder and builds, stamped with every hash; then it is a no-op, until a pin changes", async () => {
    // The hashes go computes are the ones computed here from the files (each download checks them against the pins).
    const { outcome, left } = await build(release);
    expect(outcome).toMatchObject({ status: "built", from: { module: "example.com/fakekube@v1.0.0" } });
    expect(left).toEqual([]);
    const run = spawnSync(binary, [], { encoding: "utf8" });
    expect(run.stdout).toBe("v1.0.0 a says b\n");
    expect(JSON.parse(readFileSync(stamp, "utf8"))).toEqual({
      module: "example.com/fakekube@v1.0.0",
      sum: release.sum,
      placed: { "example.com/a@v0.1.0": pins.a.sum, "example.com/b@v0.1.0": pins.b.sum },
    });

    expect(builtFromModule(release, binary, stamp)).toEqual({ module: "example.com/fakekube@v1.0.0" });
    expect((await build({ ...release, placed: [pins.b, pins.a] })).outcome).toEqual({ status: "cached", from: { module: "example.com/fakekube@v1.0.0" }, seconds: 0 });
    expect(builtFromModule({ ...release, placed: [pins.a, { ...pins.b, sum: pins.a.sum }] }, binary, stamp)).toBeUndefined();
    expect(builtFromModule({ ...release, placed: [pins.a] }, binary, stamp)).toBeUndefined();
  });
});

describe("the pinned kube-apiserver release", () => {
  test("is the Kubernetes the stacks install, with its staging modules at the matching v0 version, and says so", () => {
    const [, minor, patch] = DEFAULT_KUBERNETES_VERSION.split(".");
    expect(KUBE_APISERVER_RELEASE).toMatchObject({ module: "k8s.io/kubernetes", version: DEFAULT_KUBERNETES_VERSION, pkg: "./cmd/kube-apiserver", remove: ["vendor"] });
    const placed = KUBE_APISERVER_RELEASE.placed ?? [];
    expect(placed.length).toBe(28);
    expect(placed.filter((pin) => !pin.module.startsWith("k8s.io/") || pin.version !== `v0.${minor}.${patch}` || !/^h1:[A-Za-z0-9+/]{43}=$/.test(pin.sum))).toEqual([]);
    expect(KUBE_APISERVER_RELEASE.ldflags).toContain(`-X k8s.io/component-base/version.gitVersion=v${DEFAULT_KUBERNETES_VERSION}`);
  });
});

/**
 * The real binary, where npm run setup built it (npm test runs it first). Where
 * it is not built the test skips, loudly; in CI (CI=true) that fails instead.
 */
const built = kubeApiserverBuilt();
if (!built) {
  if (process.env.CI === "true") throw new Error("CI=true and .build/bin/kube-apiserver is not built from the pinned modules (npm run setup -- kube-apiserver)");
  console.warn("SKIPPING a test tier: it needs .build/bin/kube-apiserver built from the pinned modules (npm run setup -- kube-apiserver)");
}
(built ? describe : describe.skip)("the kube-apiserver npm run setup built", () => {
  test(`says it is Kubernetes v${DEFAULT_KUBERNETES_VERSION}, and starts: its --help`, () => {
    const version = spawnSync(KUBE_APISERVER, ["--version"], { encoding: "utf8", timeout: 30000 });
    expect(version.stdout.trim()).toBe(`Kubernetes v${DEFAULT_KUBERNETES_VERSION}`);
    const help = spawnSync(KUBE_APISERVER, ["--help"], { encoding: "utf8", timeout: 30000 });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("--etcd-servers");
  });
});
