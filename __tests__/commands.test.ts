/**
 * The commands as a user types them, through npm: every one answers --help
 * and refuses an unknown option by name, before anything runs; the stack is
 * given the same way everywhere; old spellings keep working.
 */
import { spawnSync } from "child_process";
import { readFileSync } from "fs";
import * as path from "path";
import { describeWith, PROJECT_ROOT } from "./support/tiers";

const SCRIPTS = Object.keys((JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { scripts: object }).scripts);
/** npm test and test:unit hand every argument to jest, which names an unknown one itself. */
const CHECKED = SCRIPTS.filter((script) => script !== "test" && script !== "test:unit");

function npm(args: readonly string[], env: Record<string, string> = {}) {
  const run = spawnSync("npm", args, { cwd: PROJECT_ROOT, encoding: "utf8", env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("every command answers --help and refuses what it does not know", () => {
  test.each(SCRIPTS)("npm run %s -- --help: usage, exit 0, at most 80 columns", (script) => {
    const run = npm(["run", "--silent", script, "--", "--help"]);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
    expect(run.stdout).toMatch(/^Usage: npm (run )?\S+/);
    expect(run.stdout).toContain("\nExit status:\n");
    expect(run.stdout.split("\n").filter((line) => line.length > 80)).toEqual([]);
  });

  test.each(CHECKED)("npm run %s -- --no-such-option: exit 2, naming it", (script) => {
    const run = npm(["run", "--silent", script, "--", "--no-such-option"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^${script}: unknown (option|argument) --no-such-option; npm (run )?${script} -- --help`));
    expect(run.stdout).toBe("");
  });

  test("npm run help lists every command with its summary, without npm's banner on a terminal", () => {
    const listing = npm(["run", "--silent", "help"]);
    expect(listing.status).toBe(0);
    for (const script of SCRIPTS) expect(listing.stdout).toMatch(new RegExp(`^  npm (run )?${script.replace(":", "\\:")} +\\S`, "m"));
    // On a terminal (script(1) gives it one) the help takes back the rows of npm's banner.
    const terminal = spawnSync("script", ["-qec", "npm run help", "/dev/null"], { cwd: PROJECT_ROOT, encoding: "utf8", env: { ...process.env, COLUMNS: "80" } });
    expect(terminal.status).toBe(0);
    expect(terminal.stdout).toContain("> cloudkoffer-talos@0.1.0 help\r\n> node -r esbuild-register commands/help.ts\r\n\r\n\x1b[4F\x1b[J");
  });
});

describe("the stack, the same way in every command", () => {
  test.each(["health", "credentials", "configs", "backup", "restore", "diff", "destroy", "deploy", "preflight", "reprovision", "validate-patches"])(
    "npm run %s without a stack says to name one, with the short names",
    (script) => {
      const run = npm(["run", "--silent", script]);
      expect(run.status).toBe(2);
      expect(run.stderr).toBe(`${script}: name the stack, one of cloudkoffer-v1, cloudkoffer-v2, cloudkoffer-v3 (or v1, v2, v3)\n`);
    },
  );

  test("npm start takes the stack as the others do, and its old --stack still", () => {
    for (const args of [["v9"], ["--stack", "v9"]]) {
      const run = npm(["start", "--silent", "--", ...args]);
      expect({ args, status: run.status }).toEqual({ args, status: 2 });
      expect(run.stderr).toContain('start: unknown stack "v9"');
    }
  });
});

describeWith(["simulator"])("old spellings keep working", () => {
  test('npm run setup -- "talos tool": the talos-tool step', () => {
    const run = npm(["run", "--silent", "setup", "--", "talos tool", "talos schema"]);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
    expect(run.stdout).toMatch(/^setup: talos-schema: /m);
    expect(run.stdout).toMatch(/^setup: talos-tool: /m);
  });
});
