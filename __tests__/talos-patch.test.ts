import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { readTalosPatch, terraformLiteral } from "../lib/talos-patch";
import { synthCloudkoffer, untemplated } from "./support/synth";

describe("a patch file", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "patches-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const patchFile = (name: string, yaml: string): string => {
    const file = path.join(dir, name);
    writeFileSync(file, yaml);
    return file;
  };

  test("that is a YAML mapping is read as it is", () => {
    const yaml = "machine:\n  install:\n    wipe: true\n";
    expect(readTalosPatch(patchFile("ok.yaml", yaml), dir)).toEqual({ source: "ok.yaml", yaml });
  });

  test.each([
    [
      "mis-indented",
      "machine:\n  install:\n    disk: /dev/sda\n   wipe: true\n",
      /^broken\.yaml:4: invalid YAML: All mapping items must start at the same column$/,
    ],
    ["indented with a tab", "machine:\n\tinstall: {}\n", /^broken\.yaml:2: invalid YAML: Tabs are not allowed as indentation$/],
    ["a duplicate key", "machine: {}\nmachine: {}\n", /^broken\.yaml:2: invalid YAML: Map keys must be unique$/],
    ["a list instead of a mapping", "- machine: {}\n", /^broken\.yaml:1: a patch must be a YAML mapping/],
    ["a scalar", "machine\n", /^broken\.yaml:1: a patch must be a YAML mapping/],
    ["empty", "# nothing here\n", /^broken\.yaml: the patch is empty$/],
  ])("that is %s is rejected, naming file and line", (_case, yaml, message) => {
    expect(() => readTalosPatch(patchFile("broken.yaml", yaml), dir)).toThrow(message);
  });

  test("that is missing is rejected with what to do", () => {
    expect(() => readTalosPatch(path.join(dir, "missing.yaml"), dir)).toThrow(
      "missing.yaml: patch file not found; create it or remove it from the stack's patches",
    );
  });

  test("that is broken fails the synth of its stack", () => {
    patchFile("all.yaml", "machine: [\n");
    patchFile("controlplane.yaml", "cluster: {}\n");
    expect(() => synthCloudkoffer("v3", { patchesDirectory: dir })).toThrow(/all\.yaml:\d+: invalid YAML/);
  });

  test("reaches Talos literally, even where it looks like a Terraform template", () => {
    const content = 'machine:\n  files:\n    - content: "${HOME} %{if x}"\n      path: /var/f\n      op: create\n';
    patchFile("all.yaml", content);
    patchFile("controlplane.yaml", "cluster: {}\n");
    const { config } = synthCloudkoffer("v3", { patchesDirectory: dir });
    const patches = config.data.talos_machine_configuration.worker.config_patches as string[];
    expect(patches[1]).toBe(terraformLiteral(content));
    expect(patches[1]).toContain("$${HOME} %%{if x}");
    expect(untemplated(patches[1])).toBe(content);
  });
});
