import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { TalosConfigSchema } from "../lib/talos-config-schema";
import { readTalosPatch, terraformLiteral } from "../lib/talos-patch";
import { synthCloudkoffer, untemplated } from "./support/synth";
import { describeWith } from "./support/tiers";

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
    expect(readTalosPatch(patchFile("ok.yaml", yaml), { displayRoot: dir })).toEqual({ source: "ok.yaml", yaml });
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
    expect(() => readTalosPatch(patchFile("broken.yaml", yaml), { displayRoot: dir })).toThrow(message);
  });

  test.each([
    ["misspells a section", "machin:\n  install: {}\n", /^broken\.yaml:1: unknown top-level section "machin" \(did you mean "machine"\?\)/],
    ["has a section that is no section", "kubernetes:\n  version: 1.30.1\n", /^broken\.yaml:1: unknown top-level section "kubernetes";/],
  ])("that %s is rejected, naming file and line", (_case, yaml, message) => {
    expect(() => readTalosPatch(patchFile("broken.yaml", yaml), { displayRoot: dir })).toThrow(message);
  });

  test("that is missing is rejected with what to do", () => {
    expect(() => readTalosPatch(path.join(dir, "missing.yaml"), { displayRoot: dir })).toThrow(
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

describeWith(["talos schema"])("a patch checked against Talos' machine-configuration schema", () => {
  const schema = TalosConfigSchema.load();
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "patches-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const read = (yaml: string) => {
    const file = path.join(dir, "all.yaml");
    writeFileSync(file, yaml);
    return readTalosPatch(file, { displayRoot: dir, schema });
  };

  test.each([
    ["an unknown field", "machine:\n  install:\n    disk: /dev/sda\n  instal:\n    wipe: true\n", "all.yaml:4: machine.instal: unknown field"],
    [
      "a wrong type",
      "machine:\n  kubelet:\n    extraArgs:\n      rotate-server-certificates: true\n",
      "all.yaml:4: machine.kubelet.extraArgs.rotate-server-certificates: must be string",
    ],
    [
      "a wrong type in a list",
      "machine:\n  network:\n    interfaces:\n      - deviceSelector:\n          physical: true\n        dhcp: yes please\n",
      "all.yaml:6: machine.network.interfaces[0].dhcp: must be boolean",
    ],
    ["a value Talos does not know", "cluster:\n  network:\n    cni:\n      name: calico\n", 'all.yaml:4: cluster.network.cni.name: must be one of "flannel", "custom", "none"'],
    ["a document of unknown kind", "apiVersion: v1alpha1\nkind: NoSuchConfig\n", 'all.yaml:2: kind: unknown document kind "NoSuchConfig"'],
    ["a delete directive (Talos 1.8+)", "machine:\n  network:\n    $patch: delete\n", "all.yaml:3: machine.network.$patch: unknown field"],
  ])("with %s is rejected, naming file, line and field", (_case, yaml, message) => {
    expect(() => read(yaml)).toThrow(message);
  });

  test("of another kind is checked against its own definition", () => {
    expect(() => read("apiVersion: v1alpha1\nkind: WatchdogTimerConfig\ndevice: /dev/watchdog0\n")).not.toThrow();
    expect(() => read("apiVersion: v1alpha1\nkind: WatchdogTimerConfig\ndevise: /dev/watchdog0\n")).toThrow(
      "all.yaml:3: devise: unknown field",
    );
  });

  test("the project's own patches pass", () => {
    for (const file of ["all.yaml", "controlplane.yaml"]) {
      expect(() => readTalosPatch(path.join(__dirname, "..", "patches", file), { schema })).not.toThrow();
    }
  });

  test("that is wrong fails the synth of its stack, so nothing can be applied", () => {
    writeFileSync(path.join(dir, "controlplane.yaml"), "cluster:\n  apiServer:\n    certSANs: kube.case.local\n");
    writeFileSync(path.join(dir, "all.yaml"), "machine: {}\n");
    expect(() => synthCloudkoffer("v3", { patchesDirectory: dir })).toThrow(
      /controlplane\.yaml:3: cluster\.apiServer\.certSANs: must be array/,
    );
  });
});
