/** npm run help: every command in one line each, from the commands' own --help (operations/command-help.ts). */
import { writeFileSync } from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../lib/project-paths";
import { commandsMarkdown, commandSpecs, helpListing } from "../operations/command-help";
import { CommandSpec, renderHelp, UsageError } from "../operations/command-line";
import { eraseNpmBanner, runCommand } from "./command";
import { SCRIPT_COMMANDS, STACKS_LINE } from "../operations/script-commands";

export const command: CommandSpec = {
  name: "help",
  summary: "List the commands, or show one's help",
  usage: ["[<command>]", "--write"],
  description: ["Without a command: one line each. The list is also in the file help, and every command's --help in docs/commands.md; --write writes both."],
  arguments: [{ name: "<command>", description: "print that command's --help" }],
  options: { write: { type: "boolean", description: "write the file help and docs/commands.md" } },
  exitStatuses: [
    { name: "0", description: "printed or written" },
    { name: "2", description: "bad input" },
  ],
};

/** The top of the listing. */
export const HELP_HEADER = [
  "Cloudkoffer: a Talos Linux Kubernetes cluster on a Cloudkoffer, with CDK for",
  "Terraform. Usage: npm run <command> -- [<stack>] [options]",
  STACKS_LINE,
];

if (require.main === module) {
  runCommand(command, (args) => {
    const specs = commandSpecs(SCRIPT_COMMANDS);
    const [name] = args.positionals;
    const spec = specs.find((candidate) => candidate.name === name);
    if (name !== undefined && !spec) throw new UsageError(`no command "${name}"; npm run help lists them`);
    if (args.flag("write")) {
      writeFileSync(path.join(PROJECT_ROOT, "help"), helpListing(specs, HELP_HEADER));
      writeFileSync(path.join(PROJECT_ROOT, "docs", "commands.md"), commandsMarkdown(specs));
      console.log("help: wrote help and docs/commands.md");
      return 0;
    }
    eraseNpmBanner();
    process.stdout.write(spec ? `${renderHelp(spec)}\n` : helpListing(specs, HELP_HEADER));
    return 0;
  });
}
