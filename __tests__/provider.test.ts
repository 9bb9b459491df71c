/**
 * What only the real siderolabs/talos 0.5.0, built from its release source,
 * shows: run on the seed's own plain Terraform (fixtures/seed, as the seed
 * writes it) and on the synthesized stacks. Only the half of the graph that
 * needs no node is planned or applied (-target), and npm test runs in a
 * loopback-only network namespace: the seed's node addresses are real ones.
 */
import { execFileSync } from "child_process";
import { readFileSync, rmSync, writeFileSync } from "fs";
import * as path from "path";
import { isNode, parseAllDocuments, visit } from "yaml";
import { CLOUDKOFFER_PROFILES } from "../lib/cloudkoffer-profile";
import { formatNodesVariable } from "../operations/nodes-input";
import { DEFAULT_TALOS_TOOL } from "../operations/talos-tool";
import { TALOS_SIM } from "../testing/simulator";
import { TALOS_PROVIDER_SOURCE } from "../setup/release-sources";
import { LOCAL_HALF, synthApp, TerraformWorkspace } from "../testing/terraform";
import { describeWith, mirroredProviderBinary, PROJECT_ROOT } from "./support/tiers";

/** The seed's plain Terraform and its two patches, verbatim. */
const SEED = path.join(__dirname, "fixtures", "seed");

/** The seed's .envrc for a Cloudkoffer v3, Terraform tab. */
const SEED_ENVRC = {
  TF_VAR_talos_version: "1.7.4",
  TF_VAR_kubernetes_version: "1.30.1",
  TF_VAR_nodes: formatNodesVariable({ controlplane: CLOUDKOFFER_PROFILES.v3.controlPlanes, worker: CLOUDKOFFER_PROFILES.v3.workers }),
};

/** The comments of a YAML text (not what merely looks like one inside a string, e.g. an inline manifest). */
function yamlComments(yaml: string): string[] {
  const comments: string[] = [];
  const keep = (comment: string | null | undefined) => {
    if (comment) comments.push(comment);
  };
  for (const document of parseAllDocuments(yaml)) {
    keep(document.commentBefore);
    keep(document.comment);
    visit(document, (_key, node) => {
      if (isNode(node)) {
        keep(node.commentBefore);
        keep(node.comment);
      }
    });
  }
  return comments;
}

describeWith(["terraform", "talos provider", "null provider", "tls provider", "talos schema"])(
  `what only the real siderolabs/talos ${TALOS_PROVIDER_SOURCE.version} shows`,
  () => {
    let stacks: string;
    const workspaces: TerraformWorkspace[] = [];
    const keep = (workspace: TerraformWorkspace) => {
      workspaces.push(workspace);
      workspace.init();
      return workspace;
    };
    const seedCopy = () => keep(TerraformWorkspace.copyOfTree(SEED, "terraform"));
    const stackCopy = () => keep(TerraformWorkspace.copyOf(path.join(stacks, "cloudkoffer-v3")));

    beforeAll(() => {
      stacks = synthApp();
    });
    afterAll(() => {
      workspaces.forEach((workspace) => workspace.remove());
      rmSync(path.dirname(stacks), { recursive: true, force: true });
    });

    test("the seed's .envrc spelling TF_VAR_talos_version=1.7.4: 0.5.0 refuses the seed's Terraform, our stack applies", () => {
      const seed = seedCopy();
      const refused = seed.run(["plan", "-no-color", ...LOCAL_HALF], SEED_ENVRC);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain("Error: Invalid version");
      expect(refused.stderr).toContain('error parsing version "1.7.4"');
      // The same graph with the "v" applies: it is only the spelling that 0.5.0 refuses.
      seed.ok(["apply", "-auto-approve", "-no-color", ...LOCAL_HALF], { ...SEED_ENVRC, TF_VAR_talos_version: "v1.7.4" });

      const ours = stackCopy();
      ours.ok(["apply", "-auto-approve", "-no-color", ...LOCAL_HALF], SEED_ENVRC);
      expect(ours.values("talos_machine_secrets.this")?.talos_version).toBe("v1.7.4");
    });

    test("Kubernetes 1.31.0 with Talos v1.7.4: 0.5.0's own check refuses the seed's Terraform; our validation names the value first", () => {
      const env = { ...SEED_ENVRC, TF_VAR_talos_version: "v1.7.4", TF_VAR_kubernetes_version: "1.31.0" };
      const seed = seedCopy();
      const refused = seed.run(["apply", "-auto-approve", "-no-color", ...LOCAL_HALF], env);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain("Error: talos_version is not compatible with kubernetes_version");
      expect(refused.stderr).toContain("version of Kubernetes 1.31.0 is too new to be used with Talos 1.7.4");
      // The provider checks only once the secrets exist: the seed's graph has created them by then.
      expect(seed.stateList()).toContain("talos_machine_secrets.this");

      const ours = stackCopy();
      const plan = ours.run(["plan", "-no-color"], env);
      expect(plan.status).toBe(1);
      // terraform wraps its messages: compare with single spaces.
      expect(plan.stderr.replace(/\s+/g, " ")).toContain(
        "Kubernetes 1.31.0 is not supported by Talos v1.7.4: Talos 1.7 supports Kubernetes 1.25 to 1.30 (kubernetes_version).",
      );
      expect(plan.stderr).not.toContain("talos_version is not compatible");
      expect(ours.stateList()).toEqual([]);
    });

    test("0.5.0 embeds documentation and examples unless docs and examples are false; our configurations carry none", () => {
      const env = { ...SEED_ENVRC, TF_VAR_talos_version: "v1.7.4" };
      const seed = seedCopy();
      const main = path.join(seed.dir, "main.tf");
      writeFileSync(main, readFileSync(main, "utf8").replace(/^\s*(docs|examples)\s*=\s*false\n/gm, ""));
      seed.ok(["apply", "-auto-approve", "-no-color", ...LOCAL_HALF], env);
      const withDocs = String(seed.values("data.talos_machine_configuration.worker")?.machine_configuration);
      expect(yamlComments(withDocs).length).toBeGreaterThan(20);
      expect(withDocs).toContain("# Indicates the schema used to decode the contents.");

      const ours = stackCopy();
      ours.ok(["apply", "-auto-approve", "-no-color", ...LOCAL_HALF], env);
      const outputs = ours.outputs();
      for (const name of ["machineconfig_controlplane", "machineconfig_worker"]) {
        const configuration = String(outputs[name].value);
        expect(configuration).toContain("machine:");
        expect({ name, comments: yamlComments(configuration) }).toEqual({ name, comments: [] });
      }
    });
  },
);

/** The version of a Go module a binary was built with (`go version -m`). */
function builtWith(binary: string, module: string): string | undefined {
  const info = execFileSync("go", ["version", "-m", binary], { encoding: "utf8" });
  return new RegExp(`^\\s+dep\\s+${module.replace(/\./g, "\\.")}\\s+(\\S+)`, "m").exec(info)?.[1];
}

describeWith(["go", "provider built from source", "simulator"])("Talos' machinery: one version for the provider and the project's Talos tool", () => {
  const MACHINERY = "github.com/siderolabs/talos/pkg/machinery";

  test("the Talos tool and the simulator are built with the machinery provider 0.5.0 generates configurations with", () => {
    const provider = mirroredProviderBinary(TALOS_PROVIDER_SOURCE) ?? "";
    const providerMachinery = builtWith(provider, MACHINERY);
    // Pinned in the provider's release go.mod, and in go/go.mod for the Talos tool and the simulator.
    const pinned = /^\s+github\.com\/siderolabs\/talos\/pkg\/machinery (\S+)$/m.exec(
      readFileSync(path.join(PROJECT_ROOT, "go", "go.mod"), "utf8"),
    )?.[1];
    expect(providerMachinery).toBe("v1.7.0");
    expect({ goMod: pinned, talosTool: builtWith(DEFAULT_TALOS_TOOL, MACHINERY), simulator: builtWith(TALOS_SIM, MACHINERY) }).toEqual({
      goMod: providerMachinery,
      talosTool: providerMachinery,
      simulator: providerMachinery,
    });
  });

  test("every other module they are built with is at the provider's version too: they compile from the packages its build cached", () => {
    const modules = (binary: string) =>
      Object.fromEntries([...execFileSync("go", ["version", "-m", binary], { encoding: "utf8" }).matchAll(/^\s+dep\s+(\S+)\s+(\S+)/gm)].map(([, module, version]) => [module, version]));
    const provider = modules(mirroredProviderBinary(TALOS_PROVIDER_SOURCE) ?? "");
    // The Talos tool has every module of its own at the provider's version. The simulator runs a real
    // etcd besides, whose modules the provider does not have: for it, the modules both have, but
    // go-logr/logr, which only etcd links, at the version go.mod has required all along (v1.4.4, where
    // the provider links v1.3.0).
    for (const [binary, onlyShared] of [
      [DEFAULT_TALOS_TOOL, false],
      [TALOS_SIM, true],
    ] as const) {
      const own = modules(binary);
      // yaml.v3 is replaced by Talos' own fork in go/go.mod: Talos' config loader parses with it, the provider does not.
      const shared = Object.keys(own).filter(
        (module) => module !== "gopkg.in/yaml.v3" && (!onlyShared || (module in provider && module !== "github.com/go-logr/logr")),
      );
      expect({ binary, modules: Object.fromEntries(shared.map((module) => [module, own[module]])) }).toEqual({
        binary,
        modules: Object.fromEntries(shared.map((module) => [module, provider[module]])),
      });
    }
  });
});
