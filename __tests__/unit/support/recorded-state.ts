/**
 * The recorded state of a deployed cloudkoffer-v1 (fixtures/README.md), as
 * fresh copies the unit tests edit into the states they need: without the
 * secrets, without the stack's own admin certificate, mid-roll, ...
 */
import { readFileSync } from "fs";
import * as path from "path";

/** One instance of a resource in a state file (format 4). */
export interface RecordedInstance {
  readonly index_key?: string | number;
  attributes: Record<string, unknown>;
  readonly [field: string]: unknown;
}

/** One resource in a state file (format 4). */
export interface RecordedResource {
  readonly mode: "managed" | "data";
  readonly type: string;
  readonly name: string;
  instances: RecordedInstance[];
  readonly [field: string]: unknown;
}

/** A local state file (format 4), as far as the tests edit it. */
export interface RecordedState {
  readonly version: number;
  readonly outputs: Record<string, { readonly value: unknown }>;
  resources: RecordedResource[];
  readonly [field: string]: unknown;
}

/** One resource instance in `terraform show -json`. */
export interface ShownResource {
  /** With its instance key, e.g. `talos_machine_configuration_apply.worker["127.91.0.4"]`. */
  readonly address: string;
  readonly mode: "managed" | "data";
  readonly type: string;
  readonly name: string;
}

/** `terraform show -json` of the recorded state, as far as the tests read it. */
export interface RecordedShow {
  readonly values: { readonly root_module: { readonly resources: readonly ShownResource[] } };
}

const FIXTURES = path.join(__dirname, "..", "fixtures");

/** The recorded local state file. */
export const RECORDED_STATE_FILE = path.join(FIXTURES, "state-cloudkoffer-v1.json");

const STATE_TEXT = readFileSync(RECORDED_STATE_FILE, "utf8");
const SHOW_TEXT = readFileSync(path.join(FIXTURES, "show-cloudkoffer-v1.json"), "utf8");

/** The recorded state file's text, as terraform wrote it. */
export function recordedStateText(): string {
  return STATE_TEXT;
}

/** A fresh copy of the recorded state, to edit. */
export function recordedState(): RecordedState {
  return JSON.parse(STATE_TEXT) as RecordedState;
}

/** `terraform show -json` of the recorded state. */
export function recordedShow(): RecordedShow {
  return JSON.parse(SHOW_TEXT) as RecordedShow;
}

/** `type.name` of a managed resource, as lib/addresses.ts writes it. */
function addressOfResource(resource: RecordedResource): string {
  return `${resource.type}.${resource.name}`;
}

/** The state without these managed resources (addresses as lib/addresses.ts writes them). */
export function withoutResources(state: RecordedState, ...addresses: string[]): RecordedState {
  state.resources = state.resources.filter((resource) => resource.mode !== "managed" || !addresses.includes(addressOfResource(resource)));
  return state;
}

/** The attributes of a managed resource's first instance, to read or edit in place. */
export function attributesOf(state: RecordedState, address: string): Record<string, unknown> {
  const resource = state.resources.find((candidate) => candidate.mode === "managed" && addressOfResource(candidate) === address);
  const attributes = resource?.instances[0]?.attributes;
  if (!attributes) throw new Error(`the recorded state has no ${address}`);
  return attributes;
}
