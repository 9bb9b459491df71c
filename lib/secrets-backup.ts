import { Resource } from "@cdktf/provider-null/lib/resource";
import { Fn, Op, TerraformStack, Token } from "cdktf";
import { Construct } from "constructs";
import { MachineSecrets } from "../.gen/providers/talos/machine-secrets";
import { ADDRESSES } from "./addresses";
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
  /**
   * The state's passphrase (a token of the sensitive `var.state_passphrase`)
   * when the state is encrypted: the backup is then sealed with it, encrypted
   * at rest as the state is, and npm run deploy adopts it (the provider's
   * import reads plain secrets.yaml only).
   * @default a plain secrets.yaml, adopted by an `import` block
   */
  readonly sealedWith?: string;
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
 * Seals the secrets file with the state's passphrase (the project's Talos
 * tool: cloudkoffer-talos seal, atomically, mode 0600), replacing a plain copy
 * of the same secrets; stops when the file holds other secrets.
 */
const SEAL_BACKUP = `set -euo pipefail
umask 077
tool="$(printenv CLOUDKOFFER_TALOS_TOOL || command -v cloudkoffer-talos || echo ../../../.build/bin/cloudkoffer-talos)"
if [ ! -x "$tool" ]; then
  echo "secrets backup: sealing it with the state's passphrase needs the project's Talos tool, and $tool is none: run npm run setup, or set CLOUDKOFFER_TALOS_TOOL. Nothing was applied to any node." >&2
  exit 1
fi
printf '%s\\n' "$SECRETS_YAML" | "$tool" seal -file "$SECRETS_BACKUP_FILE"`;

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
 * With an encrypted state the file is sealed with the state's passphrase
 * instead, and `npm run deploy` adopts it (there is no `import` block: the
 * provider reads plain files only). A state that lost the secrets then stops
 * at the backup, before any node, when it made new ones.
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
        // Sealing is a trigger too: turning state encryption on seals the plain file.
        triggers: {
          secrets: Fn.sha256(Fn.jsonencode(props.machineSecrets.machineSecrets)),
          file: props.file,
          ...(props.sealedWith === undefined ? {} : { sealed: "pbkdf2-sha512 aes-256-gcm" }),
        },
        provisioners: [
          {
            type: "local-exec",
            interpreter: ["/bin/bash", "-c"],
            command: props.sealedWith === undefined ? WRITE_BACKUP : SEAL_BACKUP,
            environment: {
              SECRETS_BACKUP_FILE: props.file,
              SECRETS_YAML: secretsYaml,
              ...(props.sealedWith === undefined ? {} : { CLOUDKOFFER_SECRETS_PASSPHRASE: props.sealedWith }),
            },
          },
        ],
      }),
      ADDRESSES.secretsBackup,
    );

    if (props.sealedWith !== undefined) return;
    TerraformStack.of(this).addOverride("import", [
      {
        for_each: Fn.conditional(Fn.fileexists(props.file), Fn.toset([props.file]), Fn.toset([])),
        to: addressOf(props.machineSecrets),
        id: "${each.value}",
      },
    ]);
  }
}
