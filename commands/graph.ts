/**
 * npm run graph: redraws the resource graph of cloudkoffer-v3, as
 * synthesized, into the README (a test compares the two).
 * Exit status: 0 drawn; 2 it could not be.
 */
import { readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { cloudkofferGraph, withGraph } from "../operations/resource-graph";
import { runCommand } from "./command";

runCommand("graph", () => {
  const readme = path.join(__dirname, "..", "README.md");
  writeFileSync(readme, withGraph(readFileSync(readme, "utf8"), cloudkofferGraph()));
  console.log(`graph: drew the resource graph of cloudkoffer-v3 into ${readme}`);
  return 0;
});
