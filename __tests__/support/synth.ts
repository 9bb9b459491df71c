import { Testing } from "cdktf";
import { CLOUDKOFFER_PROFILES, CloudkofferVersion, stackName } from "../../lib/cloudkoffer-profile";
import { CloudkofferStack, CloudkofferStackProps } from "../../lib/cloudkoffer-stack";
import { testingApp } from "./testing-app";

/** The parts of a synthesized Terraform JSON configuration the tests read. */
export interface TerraformJson {
  readonly terraform: {
    readonly backend: Record<string, Record<string, unknown>>;
    readonly required_providers: Record<string, { source: string; version: string }>;
  };
  readonly variable: Record<string, Record<string, unknown>>;
  readonly locals: Record<string, string>;
  readonly resource: Record<string, Record<string, Record<string, unknown>>>;
  readonly data: Record<string, Record<string, Record<string, unknown>>>;
  readonly output: Record<string, { value: string; sensitive?: boolean }>;
  readonly provider: Record<string, unknown[]>;
}

/** A synthesized Cloudkoffer stack: the JSON text for cdktf's matchers, parsed, and what synth warned. */
export interface SynthesizedStack {
  readonly json: string;
  readonly config: TerraformJson;
  /** The warnings of every construct of the stack, validations included. */
  readonly warnings: readonly string[];
}

/** Synthesizes one Cloudkoffer stack as `cdktf synth` would, with validations. */
export function synthCloudkoffer(
  version: CloudkofferVersion,
  props: Partial<CloudkofferStackProps> = {},
): SynthesizedStack {
  const app = testingApp();
  const stack = new CloudkofferStack(app, stackName(version), { profile: CLOUDKOFFER_PROFILES[version], ...props });
  const json = Testing.synth(stack, true);
  const warnings = stack.node
    .findAll()
    .flatMap((construct) => construct.node.metadata)
    .filter((entry) => entry.type === "@cdktf/warn")
    .map((entry) => String(entry.data));
  return { json, config: JSON.parse(json) as TerraformJson, warnings };
}

/** Undoes the Terraform template escaping of a synthesized patch string. */
export function untemplated(text: string): string {
  return text.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");
}
