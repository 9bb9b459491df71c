import { CLOUDKOFFER_PROFILES, CLOUDKOFFER_VERSIONS, CloudkofferProfile, stackName } from "../lib/cloudkoffer-profile";
import { ClusterNodes, parseNodesVariable } from "./nodes-input";

/** A stack the user named on the command line, with the nodes it deploys to. */
export interface SelectedStack {
  readonly name: string;
  readonly profile: CloudkofferProfile;
  /** `TF_VAR_nodes` when set, else the profile's nodes. */
  readonly nodes: ClusterNodes;
}

/**
 * Resolves a stack name given to one of the project's commands, and the nodes
 * it targets, as `cdktf deploy <stack>` would with the same environment.
 * Throws one line that says what to do.
 */
export function selectStack(name: string | undefined, env: NodeJS.ProcessEnv = process.env): SelectedStack {
  const names = CLOUDKOFFER_VERSIONS.map(stackName);
  const version = CLOUDKOFFER_VERSIONS.find((candidate) => stackName(candidate) === name);
  if (version === undefined) {
    throw new Error(
      name === undefined
        ? `name the stack, one of ${names.join(", ")}`
        : `unknown stack "${name}"; the stacks are ${names.join(", ")}`,
    );
  }
  const profile = CLOUDKOFFER_PROFILES[version];
  const nodes =
    env.TF_VAR_nodes !== undefined
      ? parseNodesVariable(env.TF_VAR_nodes)
      : { controlplane: [...profile.controlPlanes], worker: [...profile.workers] };
  return { name: stackName(version), profile, nodes };
}
