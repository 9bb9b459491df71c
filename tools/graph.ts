/**
 * npm run graph: draws the resource graph of cloudkoffer-v3 from its
 * synthesized JSON into the README (between the resource-graph markers).
 * A test fails when the README's picture is not the current graph.
 */
import { readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { Testing } from "cdktf";
import { CLOUDKOFFER_PROFILES } from "../lib/cloudkoffer-profile";
import { CloudkofferStack } from "../lib/cloudkoffer-stack";
import { resourceGraph, TerraformConfigJson, withGraph } from "./resource-graph";

/** The graph of the cloudkoffer-v3 stack, as synthesized. */
export function cloudkofferGraph(): string {
  const stack = new CloudkofferStack(Testing.app(), "cloudkoffer-v3", { profile: CLOUDKOFFER_PROFILES.v3 });
  return resourceGraph(JSON.parse(Testing.synth(stack)) as TerraformConfigJson);
}

if (require.main === module) {
  const readme = path.join(__dirname, "..", "README.md");
  writeFileSync(readme, withGraph(readFileSync(readme, "utf8"), cloudkofferGraph()));
  console.log(`graph: drew the resource graph of cloudkoffer-v3 into ${readme}`);
}
