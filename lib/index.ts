/**
 * The constructs of a Cloudkoffer's Talos cluster, and what they need to
 * synthesize: what main.ts composes and what a user of the constructs imports.
 */
export { CloudkofferStack, STATE_BACKENDS } from "./cloudkoffer-stack";
export type { CloudkofferStackProps, StateBackend } from "./cloudkoffer-stack";
export { CLOUDKOFFER_PROFILES, CLOUDKOFFER_VERSIONS, defaultStatePath, stackName } from "./cloudkoffer-profile";
export type { CloudkofferProfile, CloudkofferVersion } from "./cloudkoffer-profile";
export { DEFAULT_KUBERNETES_VERSION, DEFAULT_TALOS_VERSION } from "./talos-versions";
export { TalosCluster, DEFAULT_CLUSTER_NAME, DEFAULT_NODE_TIMEOUT } from "./talos-cluster";
export type { TalosClusterProps } from "./talos-cluster";
export { TalosMaintenance } from "./talos-maintenance";
export type { TalosMaintenanceProps } from "./talos-maintenance";
export { ClusterVariables, DEFAULT_CLUSTER_VIP } from "./cluster-variables";
export { SecretsBackup, defaultSecretsBackupPath } from "./secrets-backup";
export { AdminClientCertificate } from "./admin-client-certificate";
export { StateEncryption, STATE_ENCRYPTIONS } from "./state-encryption";
export type { StateEncryptionKind } from "./state-encryption";
export { ProviderLock, providerLockFor, OFFICIAL_PROVIDER_LOCK } from "./provider-lock";
export { ADDRESSES, addressText } from "./addresses";
export type { Address } from "./addresses";
export { WITHOUT_TALOS } from "./talos-checks";
export type { TalosChecks, VerdictStore } from "./talos-checks";
export type { TalosValidationJob, TalosValidationResult, TalosPatchSource, ProbeResult, BootstrapAnswer, SealedBackup } from "./talos-contract";
export { ENGINES, engineOf } from "./terraform-engine";
export type { Engine } from "./terraform-engine";
