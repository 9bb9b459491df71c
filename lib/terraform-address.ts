import { TerraformDataSource, TerraformElement, TerraformResource } from "cdktf";
import { Address } from "./addresses";

/**
 * Pins an element to its Terraform address (lib/addresses.ts): the logical id
 * is the address in somebody's state, so it must not carry cdktf's hash
 * suffix. A resource or data source must be of the address's type.
 */
export function atAddress<T extends TerraformElement>(element: T, address: Address | string): T {
  if (typeof address !== "string") {
    const type = element instanceof TerraformResource || element instanceof TerraformDataSource ? element.terraformResourceType : undefined;
    if (type !== address.type) throw new Error(`${element.node.path}: a ${type} cannot have the address of a ${address.type}`);
  }
  element.overrideLogicalId(typeof address === "string" ? address : address.name);
  return element;
}

/** The Terraform address of a resource, e.g. `talos_machine_bootstrap.this`. */
export function addressOf(resource: TerraformResource): string {
  return `${resource.terraformResourceType}.${resource.friendlyUniqueId}`;
}
