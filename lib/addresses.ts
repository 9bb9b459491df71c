/**
 * The Terraform addresses of the stack's resources and data sources: the
 * contract between the constructs (which pin each element to its address)
 * and everything that reads a state or targets an element by address (npm
 * run deploy's recovery, secrets, reprovision, the tests). A state someone
 * deployed holds them: they never change.
 */

/** An element's address: its type and name, `data` for a data source. */
export interface Address {
  readonly type: string;
  readonly name: string;
  readonly mode?: "data";
}

/** Every address the stack pins, by what it is. */
export const ADDRESSES = {
  machineSecrets: { type: "talos_machine_secrets", name: "this" },
  clientConfiguration: { type: "talos_client_configuration", name: "this", mode: "data" },
  controlPlaneConfiguration: { type: "talos_machine_configuration", name: "controlplane", mode: "data" },
  workerConfiguration: { type: "talos_machine_configuration", name: "worker", mode: "data" },
  controlPlaneApply: { type: "talos_machine_configuration_apply", name: "controlplane" },
  workerApply: { type: "talos_machine_configuration_apply", name: "worker" },
  bootstrap: { type: "talos_machine_bootstrap", name: "this" },
  kubeconfig: { type: "talos_cluster_kubeconfig", name: "this", mode: "data" },
  clusterHealth: { type: "talos_cluster_health", name: "this", mode: "data" },
  adminKubeconfig: { type: "null_resource", name: "kubeconfig" },
  secretsBackup: { type: "null_resource", name: "secrets_backup" },
  adminKey: { type: "tls_private_key", name: "admin" },
  adminCertificateRequest: { type: "tls_cert_request", name: "admin" },
  adminCertificate: { type: "tls_locally_signed_cert", name: "admin" },
  deployed: { type: "null_resource", name: "deployed" },
  talosUpgrade: { type: "null_resource", name: "talos_upgrade" },
  kubernetesUpgrade: { type: "null_resource", name: "kubernetes_upgrade" },
} as const satisfies Record<string, Address>;

/** An address as terraform writes it, e.g. `talos_machine_bootstrap.this`, `data.talos_client_configuration.this`. */
export function addressText(address: Address): string {
  return `${address.mode === "data" ? "data." : ""}${address.type}.${address.name}`;
}

export const SECRETS_ADDRESS = addressText(ADDRESSES.machineSecrets);
export const BOOTSTRAP_ADDRESS = addressText(ADDRESSES.bootstrap);
export const CONTROL_PLANE_APPLY_ADDRESS = addressText(ADDRESSES.controlPlaneApply);
export const WORKER_APPLY_ADDRESS = addressText(ADDRESSES.workerApply);
export const TALOS_UPGRADE_ADDRESS = addressText(ADDRESSES.talosUpgrade);
export const KUBERNETES_UPGRADE_ADDRESS = addressText(ADDRESSES.kubernetesUpgrade);
export const ADMIN_CERTIFICATE_ADDRESS = addressText(ADDRESSES.adminCertificate);
export const ADMIN_KEY_ADDRESS = addressText(ADDRESSES.adminKey);
export const KUBECONFIG_ADDRESS = addressText(ADDRESSES.adminKubeconfig);
export const SECRETS_BACKUP_ADDRESS = addressText(ADDRESSES.secretsBackup);
export const DEPLOYED_ADDRESS = addressText(ADDRESSES.deployed);
export const CLUSTER_HEALTH_ADDRESS = addressText(ADDRESSES.clusterHealth);
