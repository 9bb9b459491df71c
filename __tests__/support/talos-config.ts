import { parseAllDocuments } from "yaml";

/** The parts of a generated Talos v1alpha1 machine configuration the tests read. */
export interface TalosMachineConfig {
  readonly machine: {
    readonly type: string;
    readonly install: { readonly disk: string; readonly image: string; readonly extraKernelArgs?: string[] };
    readonly kubelet: {
      readonly image: string;
      readonly extraArgs?: Record<string, string>;
      readonly extraMounts?: unknown[];
    };
    readonly files?: unknown[];
    readonly network?: { readonly interfaces?: unknown[] };
  };
  readonly cluster: {
    readonly clusterName?: string;
    readonly controlPlane: { readonly endpoint: string };
    readonly discovery: { readonly registries: unknown };
    readonly network: { readonly cni?: unknown };
    readonly proxy: { readonly disabled?: boolean };
    readonly apiServer?: { readonly image: string; readonly certSANs?: string[] };
    readonly controllerManager?: { readonly image: string };
    readonly scheduler?: { readonly image: string };
    readonly extraManifests?: string[];
    readonly inlineManifests?: { readonly name: string; readonly contents: string }[];
  };
}

/** A talosconfig (talosctl client configuration). */
export interface TalosClientConfig {
  readonly context: string;
  readonly contexts: Record<string, { readonly endpoints: string[]; readonly nodes?: string[] }>;
}

/** The v1alpha1 document of a machine configuration the provider generated. */
export function machineConfig(yaml: unknown): TalosMachineConfig {
  const [v1alpha1] = parseAllDocuments(String(yaml)).map((document) => document.toJS() as TalosMachineConfig);
  return v1alpha1;
}
