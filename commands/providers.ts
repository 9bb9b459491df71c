/**
 * npm run providers: builds the pinned providers from their release sources
 * into the project's filesystem mirror (setup/providers.ts), one line per
 * provider: name, version, where it came from, built or cached.
 * Exit status: 0 every pinned provider is in the mirror; 3 a provider has no
 * release source and the Go module proxy refuses it; 1 any other failure.
 */
import * as path from "path";
import { exitStatus, provideProviders, PROVIDERS_DIRECTORY } from "../setup/providers";
import { shown } from "../setup/release-sources";
import { runCommand } from "./command";

runCommand(
  "providers",
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
