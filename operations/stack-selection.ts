import { CLOUDKOFFER_PROFILES, CLOUDKOFFER_VERSIONS, CloudkofferProfile, stackName } from "../lib/cloudkoffer-profile";
import { UsageError } from "./command-line";
import { ClusterNodes, parseNodesVariable } from "./nodes-input";

/** A stack the user named on the command line, with the nodes it deploys to. */
export interface SelectedStack {
  readonly name: string;
  readonly profile: CloudkofferProfile;
  /** `TF_VAR_nodes` when set, else the profile's nodes. */
  readonly nodes: ClusterNodes;
}

/**
 * Resolves a stack name (or its short name: v1, v2, v3) given to one of the
 * project's commands, and the nodes it targets, as `cdktf deploy <stack>`
 * would with the same environment. Throws one line that says what to do
 * (a UsageError: bad input).
 */
export function selectStack(name: string | undefined, env: NodeJS.ProcessEnv = process.env): SelectedStack {
  const names = CLOUDKOFFER_VERSIONS.map(stackName);
  // The short names: the Cloudkoffer's version is what a user of the case calls it.
  const version = CLOUDKOFFER_VERSIONS.find((candidate) => stackName(candidate) === name || candidate === name);
  const choices = `${names.join(", ")} (or ${CLOUDKOFFER_VERSIONS.join(", ")})`;
  if (version === undefined) {
    throw new UsageError(name === undefined ? `name the stack, one of ${choices}` : `unknown stack "${name}"; the stacks are ${choices}`);
  }
  const profile = CLOUDKOFFER_PROFILES[version];
  const nodes = env.TF_VAR_nodes !== undefined ? nodesVariable(env.TF_VAR_nodes) : { controlplane: [...profile.controlPlanes], worker: [...profile.workers] };
  return { name: stackName(version), profile, nodes };
}

/** TF_VAR_nodes parsed; one that does not parse is bad input. */
function nodesVariable(text: string): ClusterNodes {
  try {
    return parseNodesVariable(text);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
