/**
 * The JSON that crosses between this project's TypeScript and its Talos tool
 * (`cloudkoffer-talos`, go/): described once here for TypeScript, in Go by the
 * types that marshal it, and pinned for both by the examples in go/contract/
 * (a Go test and a TypeScript test each check their side against them).
 */

/** A patch and where it came from. */
export interface TalosPatchSource {
  /** e.g. `patches/all.yaml` */
  readonly source: string;
  /** The YAML as Talos receives it (not Terraform-escaped). */
  readonly yaml: string;
}

/** One stack's machine configurations, as talos_machine_configuration generates them (`validate`'s input, a list). */
export interface TalosValidationJob {
  /** e.g. `cloudkoffer-v3` */
  readonly name: string;
  readonly clusterName: string;
  readonly clusterEndpoint: string;
  /** With its leading "v". */
  readonly talosVersion: string;
  readonly kubernetesVersion: string;
  /** Patches per role, in the order they are applied. */
  readonly roles: { readonly controlplane: readonly TalosPatchSource[]; readonly worker: readonly TalosPatchSource[] };
}

/** Talos' verdict on one role's merged configuration (`validate`'s output, a list). */
export interface TalosValidationResult {
  readonly name: string;
  readonly role: "controlplane" | "worker";
  readonly valid: boolean;
  /** The first patch after which the configuration no longer loads or validates. */
  readonly source?: string;
  readonly errors?: string[];
  readonly warnings?: string[];
}

/** What `probe` says of a node: whether its Talos API answers, and in which mode. */
export interface ProbeResult {
  readonly node: string;
  readonly answers: boolean;
  /** `maintenance` or `configured`. */
  readonly mode?: string;
  /** The Talos version a configured node runs, e.g. v1.7.4. */
  readonly version?: string;
  readonly error?: string;
}

/** What `bootstrapped` says of a control plane: whether etcd runs on it. */
export interface BootstrapAnswer {
  readonly node: string;
  readonly bootstrapped: boolean;
  /** etcd's state as the node reports it. */
  readonly etcd?: string;
  readonly error?: string;
}

/** What a sealed secrets backup says it is (`seal` writes it; `unseal` reads it). */
export const SEALED_BACKUP_FORMAT = "cloudkoffer sealed secrets backup v1";

/** A sealed secrets backup as `seal` writes it (bytes as base64). */
export interface SealedBackup {
  readonly format: typeof SEALED_BACKUP_FORMAT;
  readonly kdf: string;
  readonly iterations: number;
  readonly salt: string;
  readonly cipher: string;
  readonly nonce: string;
  readonly ciphertext: string;
}
