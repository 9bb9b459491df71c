import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { PatchPipeline } from "../lib/patch-pipeline";
import { PROJECT_ROOT } from "../lib/project-paths";
import { loadTalosConfigSchema, talosChecks } from "../operations/talos-checks";
import { describeSchemaViolation, readTalosPatch } from "../lib/talos-patch";
import { terraformLiteral } from "../lib/terraform-literal";
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
    expect(readTalosPatch(patchFile("ok.yaml", yaml), { displayRoot: dir })).toEqual({ source: "ok.yaml", yaml, schemaViolations: [] });
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
  const schema = loadTalosConfigSchema();
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "patches-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const violations = (yaml: string) => {
    const file = path.join(dir, "all.yaml");
    writeFileSync(file, yaml);
    const patch = readTalosPatch(file, { displayRoot: dir, schema });
    return patch.schemaViolations.map((violation) => describeSchemaViolation(patch.source, violation));
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
  ])("with %s: the violation names file, line and field", (_case, yaml, message) => {
    expect(violations(yaml)).toEqual([message]);
  });

  test("of another kind is checked against its own definition", () => {
    expect(violations("apiVersion: v1alpha1\nkind: WatchdogTimerConfig\ndevice: /dev/watchdog0\n")).toEqual([]);
    expect(violations("apiVersion: v1alpha1\nkind: WatchdogTimerConfig\ndevise: /dev/watchdog0\n")).toEqual([
      "all.yaml:3: devise: unknown field",
    ]);
  });

  test("the project's own patches have no violation", () => {
    for (const file of ["all.yaml", "controlplane.yaml"]) {
      expect(readTalosPatch(path.join(__dirname, "..", "patches", file), { schema }).schemaViolations).toEqual([]);
    }
  });

  test("a violation Talos refuses too fails the synth of its stack, so nothing can be applied", () => {
    writeFileSync(path.join(dir, "controlplane.yaml"), "cluster:\n  apiServer:\n    certSANs: kube.case.local\n");
    writeFileSync(path.join(dir, "all.yaml"), "machine: {}\n");
    expect(() => synthCloudkoffer("v3", { patchesDirectory: dir, talosChecks: talosChecks() })).toThrow(
      /controlplane\.yaml:3: cluster\.apiServer\.certSANs: must be array/,
    );
  });
});

describeWith(["talos schema", "simulator"])("Talos decides what a schema violation stops", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "patches-"));
    writeFileSync(path.join(dir, "controlplane.yaml"), "cluster: {}\n");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const synthWithAll = (yaml: string) => {
    writeFileSync(path.join(dir, "all.yaml"), yaml);
    return synthCloudkoffer("v3", { patchesDirectory: dir, talosChecks: talosChecks() });
  };

  test("the seed's unquoted rotate-server-certificates: true, which Talos reads as \"true\": a warning with the fix, once", () => {
    const { warnings, config } = synthWithAll("machine:\n  kubelet:\n    extraArgs:\n      rotate-server-certificates: true\n");
    const source = path.relative(process.cwd(), path.join(dir, "all.yaml"));
    expect(warnings).toEqual([
      `${source}:4: machine.kubelet.extraArgs.rotate-server-certificates: must be string; ` +
        'Talos reads true as the string "true": quote it, rotate-server-certificates: "true"',
    ]);
    // and it reaches Talos as written
    expect(config.data.talos_machine_configuration.worker.config_patches).toContainEqual(expect.stringContaining("rotate-server-certificates: true"));
  });

  test.each([
    ["an unknown field", "machine:\n  instal:\n    disk: /dev/sda\n", /all\.yaml:2: machine\.instal: unknown field/, /unknown keys found during decoding/],
    ["a list where Talos wants a string", "machine:\n  kubelet:\n    extraArgs:\n      rotate-server-certificates: [true]\n", /all\.yaml:4: machine\.kubelet\.extraArgs\.rotate-server-certificates: must be string/, /cannot unmarshal !!seq into string/],
  ])("%s, which Talos refuses too, stops synth with the schema's file, line and field, and Talos' own words", (_case, yaml, schemaMessage, talosMessage) => {
    expect(() => synthWithAll(yaml)).toThrow(schemaMessage);
    expect(() => synthWithAll(yaml)).toThrow(talosMessage);
  });
});

describeWith(["talos schema", "simulator"])("the seed's own patches, verbatim (fixtures/seed/patches)", () => {
  /** The fixes docs/from-seed-terraform.md lists for the seed's patches: what synth warns about each. */
  const documentedFixes = (): string[] => {
    const document = readFileSync(path.join(PROJECT_ROOT, "docs", "from-seed-terraform.md"), "utf8");
    const section = document.slice(document.indexOf("<!-- seed-patch-fixes:start -->"), document.indexOf("<!-- seed-patch-fixes:end -->"));
    return [...section.matchAll(/Synth warns:\s+`([^`]+)`/g)].map(([, warning]) => warning.replace(/\s+/g, " "));
  };

  test.each(["v2", "v3"] as const)("synthesize cloudkoffer-%s, and the only warnings are the fixes docs/from-seed-terraform.md lists, once each", (version) => {
    const fixes = documentedFixes();
    expect(fixes).toHaveLength(3);
    const { warnings } = synthCloudkoffer(version, { patchesDirectory: path.join(__dirname, "fixtures", "seed", "patches"), talosChecks: talosChecks() });
    expect(warnings).toHaveLength(fixes.length);
    for (const fix of fixes) {
      expect({ fix, warned: warnings.filter((warning) => warning.includes(fix)).length }).toEqual({ fix, warned: 1 });
    }
  });
});

describeWith(["talos schema", "simulator"])("the patch pipeline on its own (read, Talos' schema, Talos' validation)", () => {
  const pipeline = (directory: string) =>
    new PatchPipeline(
      {
        stackName: "cloudkoffer-v3",
        clusterName: "cloudkoffer",
        clusterEndpoint: "https://192.168.1.101:6443",
        directory,
        controlPlaneFiles: ["controlplane.yaml", "all.yaml"],
        workerFiles: ["all.yaml"],
        installDisk: "/dev/nvme0n1",
        placeholders: { cilium_cli_image: "quay.io/cilium/cilium-cli:v0.16.10", cluster_vip: "192.168.1.101" },
        talos: talosChecks(),
      },
      "v1.7.4",
    );

  test("the seed's patches: what reading finds, and what Talos decides, each once", () => {
    const seed = pipeline(path.join(__dirname, "fixtures", "seed", "patches"));
    expect(seed.readWarnings).toEqual([
      expect.stringMatching(/controlplane\.yaml:80: image quay\.io\/cilium\/cilium-cli-ci:latest is not pinned/),
      expect.stringMatching(/controlplane\.yaml:109: machine\.network\.interfaces\[0\]\.interface: eth0 is a kernel name/),
    ]);
    const verdict = seed.judge({ talosVersion: "1.7.4", kubernetesVersion: "1.30.1" }, false);
    expect(verdict.errors).toEqual([]);
    expect(verdict.warnings).toEqual([expect.stringMatching(/all\.yaml:28: machine\.kubelet\.extraArgs\.rotate-server-certificates: must be string; Talos reads true/)]);
  });

  test("the project's patches: nothing to say, for the versions the stack installs", () => {
    const own = pipeline(path.join(PROJECT_ROOT, "patches"));
    expect(own.readWarnings).toEqual([]);
    expect(own.judge({ talosVersion: "v1.7.4", kubernetesVersion: "1.30.1" }, false)).toEqual({ errors: [], warnings: [] });
    expect(own.job({ talosVersion: "1.7.4", kubernetesVersion: "1.30.1" }).talosVersion).toBe("v1.7.4");
  });
});
