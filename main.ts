import { App } from "cdktf";
import { CLOUDKOFFER_PROFILES, CLOUDKOFFER_VERSIONS, stackName } from "./lib/cloudkoffer-profile";
import { CloudkofferStack, StateBackend } from "./lib/cloudkoffer-stack";
import { providerLockFor } from "./lib/provider-lock";
import { StateEncryptionKind } from "./lib/state-encryption";
import { engineOf } from "./lib/terraform-engine";

try {
  const app = new App();
  for (const version of CLOUDKOFFER_VERSIONS) {
    new CloudkofferStack(app, stackName(version), {
      profile: CLOUDKOFFER_PROFILES[version],
      // Only to destroy a cluster for good: the secrets are protected from destruction otherwise.
      protectSecrets: process.env.CLOUDKOFFER_DESTROY_SECRETS !== "yes",
      // local (a file in the project) or pg (PostgreSQL, locked; PG_CONN_STR in the environment)
      backend: (process.env.CLOUDKOFFER_BACKEND || undefined) as StateBackend | undefined,
      // terraform, or OpenTofu (TERRAFORM_BINARY_NAME=tofu or CLOUDKOFFER_ENGINE=tofu), which alone encrypts state
      engine: engineOf(process.env),
      stateEncryption: (process.env.CLOUDKOFFER_STATE_ENCRYPTION || undefined) as StateEncryptionKind | undefined,
      stateEncryptionMigration: process.env.CLOUDKOFFER_STATE_ENCRYPTION_MIGRATE === "yes",
      // The official releases' hashes, or the mirror's own where terraform installs from the project's mirror
      providerLockFile: providerLockFor(process.env),
    });
  }
  app.synth();
} catch (error) {
  // Configuration mistakes are the user's to fix: one line, no stack trace.
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
