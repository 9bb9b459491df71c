import { spawnSync } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { synthCloudkoffer, untemplated } from "./support/synth";
import { describeWith, PROJECT_ROOT } from "./support/tiers";

/** Every shell script of the project, as git knows them. */
function shellScripts(): string[] {
  const listed = spawnSync("git", ["ls-files", "*.sh", ".ci/run"], { cwd: PROJECT_ROOT, encoding: "utf8" });
  return listed.stdout.split("\n").filter(Boolean);
}

describeWith(["shellcheck"])("the shell scripts", () => {
  test("are shellcheck-clean (warnings and worse)", () => {
    const scripts = shellScripts();
    expect(scripts).toEqual(expect.arrayContaining([".ci/run", "testing/loopback-only.sh", "lib/maintenance/talos-upgrade.sh"]));
    // The maintenance scripts are inlined into bash -c commands: no shebang, bash.
    const run = spawnSync("shellcheck", ["--severity=warning", "--shell=bash", "--format=gcc", ...scripts], { cwd: PROJECT_ROOT, encoding: "utf8" });
    expect({ status: run.status, findings: run.stdout.trim() }).toEqual({ status: 0, findings: "" });
  });

  test("every local-exec command of the stacks is shellcheck-clean, the sealed secrets backup's too", () => {
    type Provisioned = { provisioner?: { "local-exec": { command: string } }[] };
    const folder = mkdtempSync(path.join(tmpdir(), "local-exec-"));
    try {
      const files: string[] = [];
      for (const [name, props] of [
        ["plain", {}],
        ["sealed", { engine: "tofu", stateEncryption: "passphrase" }],
      ] as const) {
        const resources = synthCloudkoffer("v1", props).config.resource.null_resource as Record<string, Provisioned>;
        for (const [address, resource] of Object.entries(resources)) {
          for (const [i, provisioner] of (resource.provisioner ?? []).entries()) {
            files.push(path.join(folder, `${name}-${address}-${i}.sh`));
            writeFileSync(files[files.length - 1], untemplated(provisioner["local-exec"].command));
          }
        }
      }
      expect(files.map((file) => path.basename(file))).toEqual(expect.arrayContaining(["plain-secrets_backup-0.sh", "sealed-secrets_backup-0.sh"]));
      const run = spawnSync("shellcheck", ["--severity=warning", "--shell=bash", "--format=gcc", ...files], { encoding: "utf8" });
      expect({ status: run.status, findings: run.stdout.trim() }).toEqual({ status: 0, findings: "" });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
