import { readFileSync } from "fs";
import * as path from "path";
import { cloudkofferGraph } from "../tools/graph";
import { GRAPH_END, GRAPH_START } from "../tools/resource-graph";

test("the README's resource graph is the graph of the synthesized cloudkoffer-v3 (npm run graph)", () => {
  const readme = readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
  const block = readme.slice(readme.indexOf(GRAPH_START) + GRAPH_START.length, readme.indexOf(GRAPH_END));
  expect(block.trim()).toBe(`\`\`\`mermaid\n${cloudkofferGraph()}\n\`\`\``);
});

test("the graph shows the seed's ordering: applies after secrets and configurations, bootstrap after the control planes, kubeconfig after bootstrap", () => {
  const graph = cloudkofferGraph();
  for (const edge of [
    "talos_machine_secrets_this --> data_talos_machine_configuration_controlplane",
    "data_talos_machine_configuration_controlplane --> talos_machine_configuration_apply_controlplane",
    "data_talos_machine_configuration_worker --> talos_machine_configuration_apply_worker",
    "talos_machine_configuration_apply_controlplane --> talos_machine_bootstrap_this",
    "talos_machine_bootstrap_this --> data_talos_cluster_kubeconfig_this",
  ]) {
    expect(graph).toContain(edge);
  }
  expect(graph).not.toContain("talos_machine_configuration_apply_worker --> talos_machine_bootstrap_this");
});
