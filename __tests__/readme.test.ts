import { execFileSync } from "child_process";
import { existsSync, readFileSync } from "fs";
import * as path from "path";
import { cloudkofferGraph } from "../operations/resource-graph";
import { GRAPH_END, GRAPH_START } from "../operations/resource-graph";

/** docs/architecture.md: the resource graph and the layout. */
const ARCHITECTURE = path.join(__dirname, "..", "docs", "architecture.md");

test("the resource graph in docs/architecture.md is the graph of the synthesized cloudkoffer-v3 (npm run graph)", () => {
  const architecture = readFileSync(ARCHITECTURE, "utf8");
  const block = architecture.slice(architecture.indexOf(GRAPH_START) + GRAPH_START.length, architecture.indexOf(GRAPH_END));
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

/** The folders whose every file the layout names. */
const LISTED_FOLDERS = ["lib", "commands", "operations", "setup", "testing"];

test("the Layout in docs/architecture.md names every file at the top and in lib/, commands/, operations/, setup/ and testing/, and nothing that is not there", () => {
  const root = path.join(__dirname, "..");
  const architecture = readFileSync(ARCHITECTURE, "utf8");
  const block = architecture.slice(architecture.indexOf("<!-- layout:start -->"), architecture.indexOf("<!-- layout:end -->"));
  const named: string[] = [];
  let folder = "";
  for (const line of block.split("\n")) {
    const entry = /^( *)(\S+)\s{2,}/.exec(line);
    if (!entry) continue;
    const [, indent, name] = entry;
    if (indent === "") folder = name.endsWith("/") ? name : "";
    named.push(indent === "" ? name.replace(/\/$/, "") : `${folder}${name.replace(/\/$/, "")}`);
  }
  for (const name of named) expect({ name, exists: existsSync(path.join(root, name)) }).toEqual({ name, exists: true });

  const tracked = execFileSync("git", ["ls-files"], { cwd: root, encoding: "utf8" }).split("\n").filter(Boolean);
  const expected = new Set(
    tracked.flatMap((file) => {
      const [top, second] = file.split("/");
      if (!file.includes("/")) return [file];
      return LISTED_FOLDERS.includes(top) ? [`${top}/${second}`] : [];
    }),
  );
  expect([...expected].filter((entry) => !named.includes(entry)).sort()).toEqual([]);
});
