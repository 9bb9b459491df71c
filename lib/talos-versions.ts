/** The Talos version the seed installs. */
export const DEFAULT_TALOS_VERSION = "v1.7.4";
/** The Kubernetes version the seed installs. */
export const DEFAULT_KUBERNETES_VERSION = "1.30.1";
