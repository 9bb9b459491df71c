import { CLOUDKOFFER_PROFILES } from "../../lib/cloudkoffer-profile";
import { selectStack } from "../../operations/stack-selection";

const EXAMPLE = `'{"controlplane"=["192.168.1.1"],"worker"=["192.168.1.4"]}'`;

describe("selectStack", () => {
  test.each(["v1", "v2", "v3"] as const)("cloudkoffer-%s is that Cloudkoffer's stack, deploying to its profile's nodes", (version) => {
    const profile = CLOUDKOFFER_PROFILES[version];
    expect(selectStack(`cloudkoffer-${version}`, {})).toEqual({
      name: `cloudkoffer-${version}`,
      profile,
      nodes: { controlplane: profile.controlPlanes, worker: profile.workers },
    });
  });

  test("the v1 stack deploys to 3 control planes and 2 workers", () => {
    expect(selectStack("cloudkoffer-v1", {}).nodes).toEqual({
      controlplane: ["192.168.1.1", "192.168.1.2", "192.168.1.3"],
      worker: ["192.168.1.4", "192.168.1.5"],
    });
  });

  test("the nodes are a copy: changing them leaves the profile as it is", () => {
    const selected = selectStack("cloudkoffer-v1", {});
    (selected.nodes.worker as string[]).push("192.168.1.99");
    expect(CLOUDKOFFER_PROFILES.v1.workers).toEqual(["192.168.1.4", "192.168.1.5"]);
  });

  test("TF_VAR_nodes overrides the profile's nodes, as it does for cdktf deploy", () => {
    const selected = selectStack("cloudkoffer-v3", { TF_VAR_nodes: '{"controlplane"=["127.91.0.1"],"worker"=["127.91.0.4","127.91.0.5"]}' });
    expect(selected.nodes).toEqual({ controlplane: ["127.91.0.1"], worker: ["127.91.0.4", "127.91.0.5"] });
    expect(selected.profile).toBe(CLOUDKOFFER_PROFILES.v3);
  });

  test("a TF_VAR_nodes that does not parse fails before anything runs, naming the variable", () => {
    expect(() => selectStack("cloudkoffer-v1", { TF_VAR_nodes: '{"controlplane"=["127.91.0.1"]}' })).toThrow(
      new Error(`TF_VAR_nodes has no "worker" list; write it as ${EXAMPLE}`),
    );
  });

  test("an empty TF_VAR_nodes counts as set, and does not parse", () => {
    expect(() => selectStack("cloudkoffer-v1", { TF_VAR_nodes: "" })).toThrow(
      new Error(`TF_VAR_nodes does not parse: expected "{" at character 1, found the end; write it as ${EXAMPLE}`),
    );
  });

  test.each(["v1", "v2", "v3"] as const)("%s is the short name of cloudkoffer-%s", (version) => {
    expect(selectStack(version, {}).name).toBe(`cloudkoffer-${version}`);
  });

  test("no stack named says to name one, listing them", () => {
    expect(() => selectStack(undefined, {})).toThrow(new Error("name the stack, one of cloudkoffer-v1, cloudkoffer-v2, cloudkoffer-v3 (or v1, v2, v3)"));
  });

  test("an unknown stack is named, with the stacks there are", () => {
    expect(() => selectStack("cloudkoffer-v4", {})).toThrow(new Error('unknown stack "cloudkoffer-v4"; the stacks are cloudkoffer-v1, cloudkoffer-v2, cloudkoffer-v3 (or v1, v2, v3)'));
    expect(() => selectStack("v4", {})).toThrow(new Error('unknown stack "v4"; the stacks are cloudkoffer-v1, cloudkoffer-v2, cloudkoffer-v3 (or v1, v2, v3)'));
    expect(() => selectStack("", {})).toThrow(new Error('unknown stack ""; the stacks are cloudkoffer-v1, cloudkoffer-v2, cloudkoffer-v3 (or v1, v2, v3)'));
  });

  test("an unknown stack is refused before TF_VAR_nodes is read", () => {
    expect(() => selectStack("cloudkoffer-v9", { TF_VAR_nodes: "not parsed" })).toThrow(/^unknown stack "cloudkoffer-v9"/);
  });
});
