import { TerraformDataSource, TerraformElement, TerraformResource } from "cdktf";
import { Address, addressText } from "./addresses";

/**
 * Pins an element to its Terraform address (lib/addresses.ts): the logical id
 * is the address in somebody's state, so it must not carry cdktf's hash
 * suffix. A resource or data source must be of the address's type.
 */
export function atAddress<T extends TerraformElement>(element: T, address: Address | string): T {
  if (typeof address !== "string") {
    const what =
      element instanceof TerraformDataSource
        ? `data source ${element.terraformResourceType}`
        : element instanceof TerraformResource
          ? `resource ${element.terraformResourceType}`
          : element.constructor.name;
    const wanted = `${address.mode === "data" ? "data source" : "resource"} ${address.type}`;
    if (what !== wanted) throw new Error(`${element.node.path}: a ${what} cannot have the address of a ${wanted} (${addressText(address)})`);
  }
  element.overrideLogicalId(typeof address === "string" ? address : address.name);
  return element;
}

/** The Terraform address of a resource, e.g. `talos_machine_bootstrap.this`. */
export function addressOf(resource: TerraformResource): string {
  return `${resource.terraformResourceType}.${resource.friendlyUniqueId}`;
}
