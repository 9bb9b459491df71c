import { SetupError } from "../setup/setup";
import { asksForHelp, CommandArguments, CommandSpec, parseCommandArguments, renderHelp, UsageError } from "../operations/command-line";

/**
 * npm prints a banner (the script and its arguments) before every script;
 * only `--silent` hides it, and a project-wide silent loglevel would hide
 * npm's own errors too. On a terminal the help takes the banner's rows back.
 */
export function eraseNpmBanner(): void {
  const { npm_lifecycle_event: event, npm_lifecycle_script: script, npm_package_name: name, npm_package_version: version } = process.env;
  const silent = process.env.npm_config_loglevel === "silent";
  // npx (npm exec) prints no banner, and sets the event to npx.
  if (!process.stdout.isTTY || !event || event === "npx" || !script || silent) return;
  const args = process.argv.slice(2);
  const lines = ["", `> ${name}@${version} ${event}`, `> ${script}${args.length ? ` ${args.join(" ")}` : ""}`, ""];
  const columns = process.stdout.columns || 80;
  const rows = lines.reduce((sum, line) => sum + Math.max(1, Math.ceil(line.length / columns)), 0);
  process.stdout.write(`\x1b[${rows}F\x1b[J`);
}

/**
 * How every command starts and ends. First its arguments: `--help` prints
 * the help (exit 0); arguments that do not fit the spec are one line naming
 * the problem (exit 2). Then `main`, and the exit status it returns; or for
 * an error one line `<command>: <message>` and a status: a set-up step's own
 * (3: no way to the providers or a release source; 1: a build failed), 2 for
 * a {@link UsageError}, else `failure` (2 by default: bad input, or a state
 * that cannot be deployed safely; nothing was touched).
 */
export function runCommand(spec: CommandSpec, main: (args: CommandArguments) => number | Promise<number>, failure = 2): void {
  const argv = process.argv.slice(2);
  if (!spec.passesEverything && asksForHelp(argv)) {
    eraseNpmBanner();
    console.log(renderHelp(spec));
    return;
  }
  Promise.resolve()
    .then(() => main(parseCommandArguments(spec, argv)))
    .then(
      (status) => {
        process.exitCode = status;
      },
      (error: unknown) => {
        console.error(`${spec.name}: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = error instanceof SetupError ? error.status : error instanceof UsageError ? 2 : failure;
      },
    );
}
