/**
 * Talos' own secrets.yaml (what `talosctl gen secrets` writes and
 * `talosctl gen config --with-secrets` reads), from the secrets the provider
 * keeps in the state: `npm run secrets -- export` writes it, and `npm run
 * deploy` restores the stack's secrets backup in it.
 */
import { stringify } from "yaml";

interface CertAndKey {
  readonly cert: string;
  readonly key: string;
}

/** talos_machine_secrets.machine_secrets as the provider keeps it. */
export interface MachineSecrets {
  readonly cluster: { readonly id: string; readonly secret: string };
  readonly secrets: {
    readonly bootstrap_token: string;
    readonly secretbox_encryption_secret: string;
    readonly aescbc_encryption_secret?: string | null;
  };
  readonly trustdinfo: { readonly token: string };
  readonly certs: {
    readonly etcd: CertAndKey;
    readonly k8s: CertAndKey;
    readonly k8s_aggregator: CertAndKey;
    readonly k8s_serviceaccount: { readonly key: string };
    readonly os: CertAndKey;
  };
}

/** The machine secrets in Talos' secrets.yaml layout (secrets.Bundle). */
export function secretsYaml(secrets: MachineSecrets): string {
  const pair = ({ cert, key }: CertAndKey) => ({ crt: cert, key });
  return stringify({
    cluster: { id: secrets.cluster.id, secret: secrets.cluster.secret },
    secrets: {
      bootstraptoken: secrets.secrets.bootstrap_token,
      ...(secrets.secrets.aescbc_encryption_secret ? { aescbcencryptionsecret: secrets.secrets.aescbc_encryption_secret } : {}),
      secretboxencryptionsecret: secrets.secrets.secretbox_encryption_secret,
    },
    trustdinfo: { token: secrets.trustdinfo.token },
    certs: {
      etcd: pair(secrets.certs.etcd),
      k8s: pair(secrets.certs.k8s),
      k8saggregator: pair(secrets.certs.k8s_aggregator),
      k8sserviceaccount: { key: secrets.certs.k8s_serviceaccount.key },
      os: pair(secrets.certs.os),
    },
  });
}

