import { spawnSync } from "child_process";
import { describeWith, PROJECT_ROOT } from "./support/tiers";

/** Every shell script of the project, as git knows them. */
function shellScripts(): string[] {
  const listed = spawnSync("git", ["ls-files", "*.sh", ".ci/run"], { cwd: PROJECT_ROOT, encoding: "utf8" });
  return listed.stdout.split("\n").filter(Boolean);
}

describeWith(["shellcheck"])("the shell scripts", () => {
  test("are shellcheck-clean (warnings and worse)", () => {
    const scripts = shellScripts();
    expect(scripts).toEqual(expect.arrayContaining([".ci/run", "tools/loopback-only.sh", "lib/maintenance/talos-upgrade.sh"]));
    // The maintenance scripts are inlined into bash -c commands: no shebang, bash.
    const run = spawnSync("shellcheck", ["--severity=warning", "--shell=bash", "--format=gcc", ...scripts], { cwd: PROJECT_ROOT, encoding: "utf8" });
    expect({ status: run.status, findings: run.stdout.trim() }).toEqual({ status: 0, findings: "" });
  });
});
