import { execFileSync } from "child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { CLOUDKOFFER_VERSIONS } from "../lib/cloudkoffer-profile";
import { PROJECT_ROOT } from "../lib/project-paths";
import { lockFor, providerLockFor } from "../lib/provider-lock";

describe("npm run synth (main.ts)", () => {
  const out = mkdtempSync(path.join(tmpdir(), "cdktf-out-"));
  beforeAll(() => {
    execFileSync("npm", ["run", "--silent", "synth"], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, CDKTF_OUTDIR: out },
      stdio: "pipe",
    });
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test("synthesizes the three Cloudkoffer stacks", () => {
    expect(readdirSync(path.join(out, "stacks")).sort()).toEqual(CLOUDKOFFER_VERSIONS.map((v) => `cloudkoffer-${v}`));
  });

  test.each(CLOUDKOFFER_VERSIONS)("cloudkoffer-%s is one self-contained JSON file and its dependency lock, naming no path of this machine", (v) => {
    const folder = path.join(out, "stacks", `cloudkoffer-${v}`);
    expect(readdirSync(folder)).toEqual([".terraform.lock.hcl", "cdk.tf.json"]);
    const lock = readFileSync(path.join(folder, ".terraform.lock.hcl"), "utf8");
    // The official hashes, or the mirror's own where terraform installs from the project's mirror.
    expect(lock).toBe(lockFor(readFileSync(providerLockFor(process.env), "utf8"), "terraform"));
    const json = readFileSync(path.join(folder, "cdk.tf.json"), "utf8");
    for (const local of [PROJECT_ROOT, out, tmpdir()]) {
      expect(json).not.toContain(local);
      expect(lock).not.toContain(local);
    }
  });
});
