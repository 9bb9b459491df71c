import { App } from "cdktf";
import { CLOUDKOFFER_PROFILES, CLOUDKOFFER_VERSIONS, stackName } from "./lib/cloudkoffer-profile";
import { CloudkofferStack } from "./lib/cloudkoffer-stack";

const app = new App();
for (const version of CLOUDKOFFER_VERSIONS) {
  new CloudkofferStack(app, stackName(version), { profile: CLOUDKOFFER_PROFILES[version] });
}
app.synth();
