import { Resource } from "@cdktf/provider-null/lib/resource";
import { Fn, Op, TerraformStack, Token } from "cdktf";
import { Construct } from "constructs";
import { MachineSecrets } from "../.gen/providers/talos/machine-secrets";
import { addressOf, atAddress } from "./terraform-address";

/** Properties of a {@link SecretsBackup}. */
export interface SecretsBackupProps {
  /** `talos_machine_secrets.this`. */
  readonly machineSecrets: MachineSecrets;
  /**
   * The backup file, relative to the stack's working directory (where
   * terraform runs, as for the local state's path); a token.
   */
  readonly file: string;
}

/**
 * Where a stack's secrets backup is, relative to its synthesized folder: beside
 * its local state, e.g. `../../../terraform.cloudkoffer-v3.secrets.yaml`.
 */
export function defaultSecretsBackupPath(stack: string): string {
  return `../../../terraform.${stack}.secrets.yaml`;
}

/** Writes the secrets file atomically, mode 0600, keeping a different one it would replace. */
const WRITE_BACKUP = `set -euo pipefail
umask 077
file="$SECRETS_BACKUP_FILE"
mkdir -p "$(dirname "$file")"
partial="$(mktemp "$file.XXXXXX")"
trap 'rm -f "$partial"' EXIT
printf '%s\\n' "$SECRETS_YAML" >"$partial"
sync "$partial"
if [ -f "$file" ] && ! cmp -s "$partial" "$file"; then
  kept="$file.replaced-$(date -u +%Y%m%dT%H%M%SZ)"
  mv "$file" "$kept"
  echo "secrets backup: $file held other secrets; kept as $kept"
fi
mv "$partial" "$file"
sync "$(dirname "$file")"
echo "secrets backup: the cluster secrets are in $file (mode 0600); keep it as safe as the state"`;

/**
 * Makes the cluster secrets durable before any node receives a configuration,
 * however a deploy ends (a kill, a dead battery, terraform killed while it
 * rewrites the local state in place):
 *
 * - `null_resource.secrets_backup` writes them as Talos' own secrets.yaml (what
 *   `talosctl gen secrets` writes, what `npm run secrets -- import` reads),
 *   atomically and mode 0600, once per set of secrets. The configuration
 *   applies depend on it.
 * - an `import` block adopts that file into a state without
 *   `talos_machine_secrets.this` (emptied, truncated, lost), so that a deploy
 *   never creates new secrets while the nodes hold the old ones. With the
 *   secrets in the state it does nothing; without the file, neither.
 *
 * Delete the file to start a cluster with new secrets.
 */
export class SecretsBackup extends Construct {
  /** `null_resource.secrets_backup`. */
  readonly resource: Resource;

  constructor(scope: Construct, id: string, props: SecretsBackupProps) {
    super(scope, id);
    const { cluster, secrets, trustdinfo, certs } = props.machineSecrets.machineSecrets;
    const pair = ({ cert, key }: { cert: string; key: string }) => ({ crt: cert, key });
    // Talos' secrets.yaml (secrets.Bundle); the aescbc secret only where the secrets have one.
    const secretsYaml = Fn.yamlencode({
      cluster: { id: cluster.id, secret: cluster.secret },
      secrets: Fn.merge([
        { bootstraptoken: secrets.bootstrapToken, secretboxencryptionsecret: secrets.secretboxEncryptionSecret },
        Fn.conditional(
          Op.eq(secrets.aescbcEncryptionSecret, Token.nullValue()),
          {},
          { aescbcencryptionsecret: secrets.aescbcEncryptionSecret },
        ),
      ]),
      trustdinfo: { token: trustdinfo.token },
      certs: {
        etcd: pair(certs.etcd),
        k8s: pair(certs.k8S),
        k8saggregator: pair(certs.k8SAggregator),
        k8sserviceaccount: { key: certs.k8SServiceaccount.key },
        os: pair(certs.os),
      },
    });

    this.resource = atAddress(
      new Resource(this, "secrets-backup", {
        // A digest: the trigger names which secrets were backed up, never what they are.
        triggers: { secrets: Fn.sha256(Fn.jsonencode(props.machineSecrets.machineSecrets)), file: props.file },
        provisioners: [
          {
            type: "local-exec",
            interpreter: ["/bin/bash", "-c"],
            command: WRITE_BACKUP,
            environment: { SECRETS_BACKUP_FILE: props.file, SECRETS_YAML: secretsYaml },
          },
        ],
      }),
      "secrets_backup",
    );

    TerraformStack.of(this).addOverride("import", [
      {
        for_each: Fn.conditional(Fn.fileexists(props.file), Fn.toset([props.file]), Fn.toset([])),
        to: addressOf(props.machineSecrets),
        id: "${each.value}",
      },
    ]);
  }
}
