import { readFileSync } from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../lib/project-paths";
import { CommandSpec, invocation, renderHelp, wrap } from "./command-line";

/** The commands in the order a user meets them, for `npm run help` and docs/commands.md. */
export const COMMAND_GROUPS: readonly (readonly [string, readonly string[]])[] = [
  ["Try it", ["start", "test"]],
  ["Install", ["preflight", "validate-patches", "diff", "deploy", "health", "configs"]],
  ["Day 2", ["backup", "restore", "credentials", "reprovision", "secrets", "destroy"]],
  ["Set up and develop", ["setup", "providers", "get", "synth", "lint", "test:unit", "graph", "bench", "help"]],
];

/** How npm runs a script that is a TypeScript command: its module in commands/. */
const TYPESCRIPT_COMMAND = /^(?:exec )?node -r esbuild-register (commands\/[\w-]+\.ts)$/;

/**
 * The spec of every npm script: a TypeScript command's own `command` export,
 * else the one in `others` (the shell and JavaScript commands). Throws naming
 * a script that has none.
 */
export function commandSpecs(others: readonly CommandSpec[]): CommandSpec[] {
  const scripts = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
  return Object.entries(scripts).map(([name, script]) => {
    const module = TYPESCRIPT_COMMAND.exec(script)?.[1];
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the commands are found by their npm script
    const spec = module ? (require(path.join(PROJECT_ROOT, module)) as { command?: CommandSpec }).command : others.find((other) => other.name === name);
    if (spec?.name !== name) throw new Error(`npm script "${name}" (${script}) has no --help: export its CommandSpec as \`command\``);
    return spec;
  });
}

/** One line per command, grouped, at most 80 columns: what `npm run help` prints. */
export function helpListing(specs: readonly CommandSpec[], header: readonly string[]): string {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const column = 4 + Math.max(...specs.map((spec) => invocation(spec).length));
  const lines = [...header, ""];
  for (const [group, names] of COMMAND_GROUPS) {
    lines.push(`${group}:`);
    for (const name of names) {
      const spec = byName.get(name);
      if (!spec) throw new Error(`npm run help lists "${name}", which is no npm script`);
      lines.push(...wrap(spec.summary, 80, " ".repeat(column)).map((line, i) => (i === 0 ? `  ${invocation(spec).padEnd(column - 2)}${line.trimStart()}` : line)));
    }
    lines.push("");
  }
  const listed = COMMAND_GROUPS.flatMap(([, names]) => names);
  const unlisted = specs.filter((spec) => !listed.includes(spec.name)).map((spec) => spec.name);
  if (unlisted.length > 0) throw new Error(`npm run help has no group for ${unlisted.join(", ")}`);
  lines.push("npm run <command> -- --help prints a command's usage, options, environment and", "exit statuses; docs/commands.md has them all.");
  return `${lines.join("\n")}\n`;
}

/** docs/commands.md: every command's --help, in the listing's order. */
export function commandsMarkdown(specs: readonly CommandSpec[]): string {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const parts = ["# Commands", "", "Generated from each command's `--help` by `npm run help -- --write`; a test keeps it so. Do not edit by hand.", ""];
  for (const [group, names] of COMMAND_GROUPS) {
    parts.push(`## ${group}`, "");
    for (const name of names) {
      const spec = byName.get(name);
      if (spec) parts.push(`### ${name}`, "", "```text", renderHelp(spec), "```", "");
    }
  }
  return parts.join("\n");
}
