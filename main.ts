import { App } from "cdktf";
import { CLOUDKOFFER_PROFILES, CLOUDKOFFER_VERSIONS, CloudkofferStack, engineOf, providerLockFor, stackName, StateBackend, StateEncryptionKind } from "./lib";
import { talosChecks } from "./operations/talos-checks";

try {
  const app = new App();
  // Talos' schema and the project's Talos tool check every patch at synth (npm run setup builds them).
  const checks = talosChecks();
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
      talosChecks: checks,
    });
  }
  app.synth();
} catch (error) {
  // Configuration mistakes are the user's to fix: one line, no stack trace.
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
