/** npm run providers: the pinned providers built into the project's mirror (setup/providers.ts). Its help: `command` below. */
import * as path from "path";
import { exitStatus, provideProviders, PROVIDERS_DIRECTORY } from "../setup/providers";
import { shown } from "../setup/release-sources";
import { CommandSpec } from "../operations/command-line";
import { runCommand } from "./command";

export const command: CommandSpec = {
  name: "providers",
  summary: "Build the pinned providers into the local mirror",
  usage: [""],
  description: [
    "siderolabs/talos 0.5.0, hashicorp/null 3.2.4 and hashicorp/tls 4.1.0 built from their release sources into .providers/mirror, one line per provider: version, where it came from, built or cached. For machines without the Terraform registry (docs/offline.md).",
  ],
  maxPositionals: 0,
  environment: [{ name: "PROVIDER_SOURCES", description: "the folder with the providers' release archives" }],
  exitStatuses: [
    { name: "0", description: "every pinned provider is in the mirror" },
    { name: "1", description: "any other failure" },
    { name: "3", description: "a provider has no release source and the Go module proxy refuses it" },
  ],
};

if (require.main === module) {
  runCommand(
  command,
  async () => {
    const outcomes = await provideProviders({ report: (line) => (/UNAVAILABLE|FAILED|^providers:\s{3}/.test(line) ? console.error(line) : console.log(line)) });
    const status = exitStatus(outcomes);
    if (status === 0) {
      console.log(`providers: mirror at ${shown(path.join(PROVIDERS_DIRECTORY, "mirror"))}, terraform CLI config ${shown(path.join(PROVIDERS_DIRECTORY, "terraformrc"))}`);
    }
    return status;
  },
  1,
);
}
