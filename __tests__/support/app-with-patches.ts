/**
 * The app as main.ts composes it, but for one stack with the patches of
 * TEST_PATCHES_DIRECTORY: `cdktf deploy --app` runs it to prove what a broken
 * patch does to a real deploy.
 */
import { App } from "cdktf";
import { CLOUDKOFFER_PROFILES } from "../../lib/cloudkoffer-profile";
import { CloudkofferStack } from "../../lib/cloudkoffer-stack";
import { talosChecks } from "../../operations/talos-checks";

try {
  const app = new App();
  new CloudkofferStack(app, "cloudkoffer-v3", {
    profile: CLOUDKOFFER_PROFILES.v3,
    patchesDirectory: process.env.TEST_PATCHES_DIRECTORY,
    talosChecks: talosChecks(),
  });
  app.synth();
} catch (error) {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
