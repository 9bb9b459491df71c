import { TerraformElement, TerraformResource } from "cdktf";

/**
 * Pins an element to its Terraform address: the logical id is the address in
 * somebody's state, so it must not carry cdktf's hash suffix.
 */
export function atAddress<T extends TerraformElement>(element: T, logicalId: string): T {
  element.overrideLogicalId(logicalId);
  return element;
}

/** The Terraform address of a resource, e.g. `talos_machine_bootstrap.this`. */
export function addressOf(resource: TerraformResource): string {
  return `${resource.terraformResourceType}.${resource.friendlyUniqueId}`;
}
