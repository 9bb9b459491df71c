import { spawnSync } from "child_process";
import * as path from "path";
import { describeWith, PROJECT_ROOT } from "./support/tiers";

/** The project's Go module: the project's Talos tool and the node simulator. */
const MODULE = path.join(PROJECT_ROOT, "go");

/**
 * Runs a Go command in the module, offline: every dependency is in the module
 * cache since npm run setup. With setup/talos-build.sh's flags (no cgo,
 * -trimpath), which compiled every dependency into Go's build cache already.
 */
function go(command: string, args: readonly string[]) {
  return spawnSync(command, [...args], {
    cwd: MODULE,
    encoding: "utf8",
    env: { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-mod=readonly -trimpath", GOPROXY: "off", GOTOOLCHAIN: "local" },
  });
}

describeWith(["go"])("the Go code (go)", () => {
  test("is gofmt-formatted", () => {
    const run = go("gofmt", ["-l", "."]);
    expect({ status: run.status, unformatted: run.stdout.trim() }).toEqual({ status: 0, unformatted: "" });
  });

  test("passes go vet", () => {
    const run = go("go", ["vet", "./..."]);
    expect({ status: run.status, output: run.stderr.trim() }).toEqual({ status: 0, output: "" });
  });

  test("passes its unit tests", () => {
    // go vet ran above, with all its checks: go test's own subset would analyse every dependency again.
    const run = go("go", ["test", "-vet=off", "./..."]);
    if (run.status !== 0) throw new Error(`go test failed:\n${run.stdout}${run.stderr}`);
    expect(run.stdout).toMatch(/^ok\s/m);
  });
});
