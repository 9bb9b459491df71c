import { TerraformStack, TerraformVariable, VariableType } from "cdktf";
import { atAddress } from "./terraform-address";

/** How the state is encrypted at rest: `passphrase` (OpenTofu's pbkdf2 key provider and AES-GCM). */
export const STATE_ENCRYPTIONS = ["passphrase"] as const;
/** One of {@link STATE_ENCRYPTIONS}. */
export type StateEncryptionKind = (typeof STATE_ENCRYPTIONS)[number];

/** Properties of {@link StateEncryption}. */
export interface StateEncryptionProps {
  /** How: `passphrase`. */
  readonly kind: StateEncryptionKind;
  /**
   * Read a state (or plan) that is not encrypted yet, once, to move it to
   * encryption (OpenTofu's fallback); written encrypted from then on.
   * @default false
   */
  readonly migrateFromPlain?: boolean;
}

/**
 * OpenTofu's client-side encryption of the state and of saved plans, with a
 * key derived from the passphrase in `var.state_passphrase` (sensitive, from
 * TF_VAR_state_passphrase; never in the JSON). Enforced: OpenTofu writes
 * nothing unencrypted, and refuses to read what it cannot decrypt, before
 * anything is planned. Terraform has no such block: a stack with it is for
 * OpenTofu only.
 */
export class StateEncryption {
  /** `var.state_passphrase`. */
  readonly passphrase: TerraformVariable;

  constructor(stack: TerraformStack, props: StateEncryptionProps) {
    this.passphrase = atAddress(
      new TerraformVariable(stack, "state_passphrase", {
        description: "Passphrase the state and saved plans are encrypted with (at least 16 characters; from TF_VAR_state_passphrase).",
        type: VariableType.STRING,
        nullable: false,
        sensitive: true,
      }),
      "state_passphrase",
    );
    const method = "method.aes_gcm.main";
    // The spelling OpenTofu 1.10 accepts in JSON: key provider as an expression, method as a bare reference.
    const target = props.migrateFromPlain
      ? { method, fallback: { method: "method.unencrypted.migrate" } }
      : { method, enforced: true };
    stack.addOverride("terraform.encryption", {
      key_provider: { pbkdf2: { main: { passphrase: "${var.state_passphrase}" } } },
      method: {
        aes_gcm: { main: { keys: "${key_provider.pbkdf2.main}" } },
        ...(props.migrateFromPlain ? { unencrypted: { migrate: {} } } : {}),
      },
      state: target,
      plan: target,
    });
  }
}
