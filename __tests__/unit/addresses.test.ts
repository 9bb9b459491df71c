import { DataNullDataSource } from "@cdktf/provider-null/lib/data-null-data-source";
import { Resource } from "@cdktf/provider-null/lib/resource";
import { Testing, TerraformOutput, TerraformStack } from "cdktf";
import {
  ADDRESSES,
  addressText,
  ADMIN_CERTIFICATE_ADDRESS,
  ADMIN_KEY_ADDRESS,
  BOOTSTRAP_ADDRESS,
  CONTROL_PLANE_APPLY_ADDRESS,
  DEPLOYED_ADDRESS,
  KUBECONFIG_ADDRESS,
  KUBERNETES_UPGRADE_ADDRESS,
  SECRETS_ADDRESS,
  SECRETS_BACKUP_ADDRESS,
  TALOS_UPGRADE_ADDRESS,
  WORKER_APPLY_ADDRESS,
} from "../../lib/addresses";
import { addressOf, atAddress } from "../../lib/terraform-address";
import { testingApp } from "../support/testing-app";
import { recordedShow } from "./support/recorded-state";

describe("addressText", () => {
  test("a resource's address is its type and name", () => {
    expect(addressText({ type: "talos_machine_bootstrap", name: "this" })).toBe("talos_machine_bootstrap.this");
    expect(addressText(ADDRESSES.adminCertificate)).toBe("tls_locally_signed_cert.admin");
  });

  test("a data source's address starts with data.", () => {
    expect(addressText({ type: "talos_client_configuration", name: "this", mode: "data" })).toBe("data.talos_client_configuration.this");
    expect(addressText(ADDRESSES.controlPlaneConfiguration)).toBe("data.talos_machine_configuration.controlplane");
  });

  test("the named addresses are the state's, as terraform writes them", () => {
    expect({
      SECRETS_ADDRESS,
      BOOTSTRAP_ADDRESS,
      CONTROL_PLANE_APPLY_ADDRESS,
      WORKER_APPLY_ADDRESS,
      TALOS_UPGRADE_ADDRESS,
      KUBERNETES_UPGRADE_ADDRESS,
      ADMIN_CERTIFICATE_ADDRESS,
      ADMIN_KEY_ADDRESS,
      KUBECONFIG_ADDRESS,
      SECRETS_BACKUP_ADDRESS,
      DEPLOYED_ADDRESS,
    }).toEqual({
      SECRETS_ADDRESS: "talos_machine_secrets.this",
      BOOTSTRAP_ADDRESS: "talos_machine_bootstrap.this",
      CONTROL_PLANE_APPLY_ADDRESS: "talos_machine_configuration_apply.controlplane",
      WORKER_APPLY_ADDRESS: "talos_machine_configuration_apply.worker",
      TALOS_UPGRADE_ADDRESS: "null_resource.talos_upgrade",
      KUBERNETES_UPGRADE_ADDRESS: "null_resource.kubernetes_upgrade",
      ADMIN_CERTIFICATE_ADDRESS: "tls_locally_signed_cert.admin",
      ADMIN_KEY_ADDRESS: "tls_private_key.admin",
      KUBECONFIG_ADDRESS: "null_resource.kubeconfig",
      SECRETS_BACKUP_ADDRESS: "null_resource.secrets_backup",
      DEPLOYED_ADDRESS: "null_resource.deployed",
    });
  });

  test("every address the stack pins is in the recorded state of a deployed stack, and nothing else is", () => {
    const shown = recordedShow().values.root_module.resources.map((resource) => resource.address.replace(/\[[^\]]*\]$/, ""));
    expect([...new Set(shown)].sort()).toEqual(Object.values(ADDRESSES).map(addressText).sort());
  });

  test("no two elements share an address", () => {
    const texts = Object.values(ADDRESSES).map(addressText);
    expect(new Set(texts).size).toBe(texts.length);
  });
});

describe("atAddress", () => {
  test("pins a resource to the address's name, without cdktf's hash suffix", () => {
    const stack = new TerraformStack(testingApp(), "unit");
    const resource = new Resource(stack, "deployed-marker");
    expect(atAddress(resource, ADDRESSES.deployed)).toBe(resource);
    expect(addressOf(resource)).toBe(DEPLOYED_ADDRESS);
    const synthesized = JSON.parse(Testing.synth(stack)) as { resource: Record<string, Record<string, unknown>> };
    expect(Object.keys(synthesized.resource.null_resource)).toEqual(["deployed"]);
  });

  test("pins a data source of the address's type", () => {
    const stack = new TerraformStack(testingApp(), "unit");
    const source = new DataNullDataSource(stack, "inputs");
    atAddress(source, { type: "null_data_source", name: "inputs", mode: "data" });
    const synthesized = JSON.parse(Testing.synth(stack)) as { data: Record<string, Record<string, unknown>> };
    expect(Object.keys(synthesized.data.null_data_source)).toEqual(["inputs"]);
  });

  test("refuses a resource of another type, naming the element and both types", () => {
    const stack = new TerraformStack(testingApp(), "unit");
    expect(() => atAddress(new Resource(stack, "secrets"), ADDRESSES.machineSecrets)).toThrow(
      new Error("unit/secrets: a resource null_resource cannot have the address of a resource talos_machine_secrets (talos_machine_secrets.this)"),
    );
  });

  test("refuses a data source of another type", () => {
    const stack = new TerraformStack(testingApp(), "unit");
    expect(() => atAddress(new DataNullDataSource(stack, "client"), ADDRESSES.clientConfiguration)).toThrow(
      new Error("unit/client: a data source null_data_source cannot have the address of a data source talos_client_configuration (data.talos_client_configuration.this)"),
    );
  });

  test("refuses a resource at a data source's address, and a data source at a resource's", () => {
    const stack = new TerraformStack(testingApp(), "unit");
    expect(() => atAddress(new Resource(stack, "inputs"), { type: "null_resource", name: "inputs", mode: "data" })).toThrow(
      new Error("unit/inputs: a resource null_resource cannot have the address of a data source null_resource (data.null_resource.inputs)"),
    );
    expect(() => atAddress(new DataNullDataSource(stack, "source"), { type: "null_data_source", name: "source" })).toThrow(
      new Error("unit/source: a data source null_data_source cannot have the address of a resource null_data_source (null_data_source.source)"),
    );
  });

  test("refuses an element that is neither resource nor data source", () => {
    const stack = new TerraformStack(testingApp(), "unit");
    expect(() => atAddress(new TerraformOutput(stack, "out", { value: "x" }), ADDRESSES.deployed)).toThrow(
      new Error("unit/out: a TerraformOutput cannot have the address of a resource null_resource (null_resource.deployed)"),
    );
  });

  test("a plain name pins any element without a type check", () => {
    const stack = new TerraformStack(testingApp(), "unit");
    const output = atAddress(new TerraformOutput(stack, "out", { value: "x" }), "kubeconfig");
    expect(output.friendlyUniqueId).toBe("kubeconfig");
  });
});
