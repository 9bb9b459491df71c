/** npm run graph: the resource graph of cloudkoffer-v3, as synthesized, into docs/architecture.md (a test compares the two). */
import { readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { CommandSpec } from "../operations/command-line";
import { cloudkofferGraph, withGraph } from "../operations/resource-graph";
import { runCommand } from "./command";

export const command: CommandSpec = {
  name: "graph",
  summary: "Redraw the resource graph in docs/architecture.md",
  usage: [""],
  description: ["The graph of cloudkoffer-v3 as synthesized, as Mermaid; run it after a change to the stack's resources."],
  maxPositionals: 0,
  exitStatuses: [
    { name: "0", description: "drawn" },
    { name: "2", description: "bad input, or it could not be drawn" },
  ],
};

if (require.main === module) {
  runCommand(command, () => {
    const architecture = path.join(__dirname, "..", "docs", "architecture.md");
    writeFileSync(architecture, withGraph(readFileSync(architecture, "utf8"), cloudkofferGraph()));
    console.log(`graph: drew the resource graph of cloudkoffer-v3 into ${architecture}`);
    return 0;
  });
}
