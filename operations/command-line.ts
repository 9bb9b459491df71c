import * as path from "path";
import { parseArgs } from "util";
import { CLOUDKOFFER_VERSIONS, stackName } from "../lib/cloudkoffer-profile";
import { PROJECT_ROOT } from "../lib/project-paths";

/** One line of a command's help: an argument, an environment variable or an exit status. */
export interface HelpEntry {
  readonly name: string;
  readonly description: string;
}

/** An option a command accepts: `--name VALUE` or the flag `--name`. */
export interface CommandOption {
  readonly type: "string" | "boolean";
  readonly description: string;
  /** The value's name in the help, e.g. DIR. @default "VALUE" */
  readonly value?: string;
  /** A one-letter alias, e.g. "o" for -o. @default none */
  readonly short?: string;
  /** The value when not given. @default undefined (a flag: false) */
  readonly default?: string;
  /** An old spelling that keeps working but is not shown in the help. @default false */
  readonly hidden?: boolean;
}

/** What a command is, takes and answers: its `--help`, and what its arguments are checked against. */
export interface CommandSpec {
  /** The npm script. */
  readonly name: string;
  /** One line for `npm run help`, at most 50 characters. */
  readonly summary: string;
  /** The arguments after `npm run <name> --`, e.g. "<stack> [options]". */
  readonly usage: readonly string[];
  /** Paragraphs after the usage: what it does and why. */
  readonly description: readonly string[];
  readonly arguments?: readonly HelpEntry[];
  readonly options?: Readonly<Record<string, CommandOption>>;
  /** The environment variables it reads. */
  readonly environment?: readonly HelpEntry[];
  readonly exitStatuses: readonly HelpEntry[];
  /** At most this many positional arguments. @default 1 */
  readonly maxPositionals?: number;
  /** Where the arguments after a literal `--` go (e.g. "cdktf deploy"); without it they are refused. @default none */
  readonly passThrough?: string;
  /** Its arguments are not checked here: they all go to `passThrough` (npm test to jest). @default false */
  readonly passesEverything?: boolean;
}

/** Bad arguments: exit status 2, nothing touched. */
export class UsageError extends Error {}

/** The `<stack>` argument every stack command takes. */
export const STACK_ARGUMENT: HelpEntry = {
  name: "<stack>",
  description: `${CLOUDKOFFER_VERSIONS.map(stackName).join(", ")}, or ${CLOUDKOFFER_VERSIONS.join(", ")} for short`,
};

/** The folder cdktf synthesizes into, where each stack's working directory and local state live. */
export const OUTPUT_OPTION: CommandOption = {
  type: "string",
  value: "DIR",
  default: "cdktf.out",
  description: "cdktf's output folder, relative to the project; a local state is the file terraform.<stack>.tfstate beside it",
};

/** Where the state is, for the commands that read it. */
export const STATE_ENVIRONMENT: readonly HelpEntry[] = [
  { name: "TF_VAR_nodes", description: "the nodes, when not the Cloudkoffer's (docs/configuration.md)" },
  { name: "CLOUDKOFFER_BACKEND", description: "pg: the state is in PostgreSQL (PG_CONN_STR)" },
  { name: "CLOUDKOFFER_ENGINE", description: "tofu: OpenTofu instead of terraform" },
  { name: "TF_VAR_state_passphrase", description: "the passphrase of an encrypted state" },
];

/** What the commands that plan or apply the stack read: its variables, and where its state is. */
export const STACK_ENVIRONMENT: readonly HelpEntry[] = [
  { name: "TF_VAR_*", description: "the stack's variables (docs/configuration.md)" },
  ...STATE_ENVIRONMENT.filter((entry) => entry.name !== "TF_VAR_nodes"),
];

/** The exit statuses every stack command shares. */
export const BAD_INPUT_STATUS: HelpEntry = { name: "2", description: "bad input or refused; nothing was touched" };

/** A command's arguments as given, checked against its spec. */
export interface CommandArguments {
  readonly positionals: readonly string[];
  /** The arguments after a literal `--`, for `passThrough`. */
  readonly passThrough: readonly string[];
  /** A string option's value, else its default (undefined without one). */
  string(option: string): string | undefined;
  /** A string option's value, else its default: for an option that has one. */
  value(option: string): string;
  /** cdktf's output folder ({@link OUTPUT_OPTION}), relative to the project. */
  outputFolder(): string;
  flag(option: string): boolean;
}

const HELP_OPTION: CommandOption = { type: "boolean", short: "h", description: "print this help" };

/** Every option, --help included. */
function optionsOf(spec: CommandSpec): Record<string, CommandOption> {
  return { ...spec.options, help: HELP_OPTION };
}

/** A path the user gave, as they meant it: relative to where npm was run (npm runs scripts in the project's folder). */
export function userPath(given: string): string {
  return path.resolve(process.env.INIT_CWD ?? process.cwd(), given);
}

/** Whether the arguments ask for the help (before any literal `--`). */
export function asksForHelp(argv: readonly string[]): boolean {
  const own = argv.includes("--") ? argv.slice(0, argv.indexOf("--")) : argv;
  return own.includes("--help") || own.includes("-h");
}

/**
 * Checks `argv` against the spec. An unknown option, an option without its
 * value, a value for a flag or a positional too many is a {@link UsageError}
 * naming it.
 */
export function parseCommandArguments(spec: CommandSpec, argv: readonly string[]): CommandArguments {
  if (spec.passesEverything) {
    const none = () => {
      throw new Error(`${spec.name} passes every argument on`);
    };
    return { positionals: [], passThrough: argv, string: () => undefined, value: none, outputFolder: none, flag: () => false };
  }
  const split = argv.indexOf("--");
  const own = split >= 0 ? argv.slice(0, split) : argv;
  const passThrough = split >= 0 ? argv.slice(split + 1) : [];
  if (split >= 0 && !spec.passThrough) throw new UsageError(`unexpected "--": ${spec.name} passes no arguments on`);
  const options = optionsOf(spec);
  const { tokens } = parseArgs({
    args: [...own],
    strict: false,
    allowPositionals: true,
    tokens: true,
    options: Object.fromEntries(Object.entries(options).map(([name, option]) => [name, { type: option.type, ...(option.short ? { short: option.short } : {}) }])),
  });
  const values = new Map<string, string | boolean>();
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") positionals.push(token.value);
    if (token.kind !== "option") continue;
    const option = options[token.name];
    if (!option) throw new UsageError(`unknown option ${token.rawName}; ${invocation(spec)} -- --help lists the options`);
    if (option.type === "string" && token.value === undefined) throw new UsageError(`${token.rawName} needs a value (${token.rawName} ${option.value ?? "VALUE"})`);
    if (option.type === "boolean" && token.value !== undefined) throw new UsageError(`${token.rawName} takes no value ("${token.rawName}=${token.value}")`);
    values.set(token.name, token.value ?? true);
  }
  const maxPositionals = spec.maxPositionals ?? 1;
  if (positionals.length > maxPositionals) throw new UsageError(`unexpected argument "${positionals[maxPositionals]}"; usage: ${usageLines(spec)[0]}`);
  const known = (name: string, type: CommandOption["type"]): CommandOption => {
    const option = options[name];
    if (option?.type !== type) throw new Error(`${spec.name} has no ${type} option --${name}`);
    return option;
  };
  const string = (name: string) => {
    const value = values.get(name) ?? known(name, "string").default;
    return typeof value === "string" ? value : undefined;
  };
  const value = (name: string) => {
    const given = string(name);
    if (given === undefined) throw new Error(`${spec.name}'s option --${name} has no default`);
    return given;
  };
  return {
    positionals,
    passThrough,
    string,
    value,
    outputFolder: () => path.resolve(PROJECT_ROOT, value("output")),
    flag: (name) => known(name, "boolean") !== undefined && values.get(name) === true,
  };
}

/** How the command is run: `npm start` and `npm test` are npm's own; the others are `npm run`. */
export function invocation(spec: CommandSpec): string {
  return spec.name === "start" || spec.name === "test" ? `npm ${spec.name}` : `npm run ${spec.name}`;
}

function usageLines(spec: CommandSpec): string[] {
  return spec.usage.map((usage) => (usage === "" ? invocation(spec) : `${invocation(spec)} -- ${usage}`));
}

/** Words of `text` in lines of at most `width` characters, each after `indent`. */
export function wrap(text: string, width: number, indent = ""): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== "" && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(indent + line);
  return lines;
}

/** A definition list: names in a column, descriptions wrapped beside them. */
function entries(items: readonly HelpEntry[], width: number): string[] {
  const column = Math.min(24, Math.max(...items.map((item) => item.name.length)) + 4);
  return items.flatMap((item) => {
    const [first = "", ...rest] = wrap(item.description, width - column);
    const head = `  ${item.name}`;
    const lead = head.length + 2 <= column ? [`${head.padEnd(column)}${first}`] : [head, `${" ".repeat(column)}${first}`];
    return [...lead, ...rest.map((line) => `${" ".repeat(column)}${line}`)];
  });
}

/** The name of an option as the help shows it: "-o, --output DIR". */
function optionName(name: string, option: CommandOption): string {
  const long = option.type === "string" ? `--${name} ${option.value ?? "VALUE"}` : `--${name}`;
  return option.short ? `-${option.short}, ${long}` : long;
}

/** The `--help` of a command, at most 80 columns wide. */
export function renderHelp(spec: CommandSpec, width = 80): string {
  const [first, ...more] = usageLines(spec);
  const options = Object.entries(optionsOf(spec))
    .filter(([, option]) => !option.hidden)
    .map(([name, option]) => ({
      name: optionName(name, option),
      description: option.default !== undefined ? `${option.description} (default: ${option.default})` : option.description,
    }));
  const sections: string[][] = [
    [`Usage: ${first}`, ...more.map((line) => `       ${line}`)],
    [...wrap(`${spec.summary}.`, width), ...spec.description.flatMap((paragraph) => ["", ...wrap(paragraph, width)])],
  ];
  if (spec.arguments?.length) sections.push(["Arguments:", ...entries(spec.arguments, width)]);
  sections.push(["Options:", ...entries(options, width)]);
  if (spec.passThrough) sections.push(wrap(`Arguments after "--" go to ${spec.passThrough}.`, width));
  if (spec.environment?.length) sections.push(["Environment:", ...entries(spec.environment, width)]);
  sections.push(["Exit status:", ...entries(spec.exitStatuses, width)]);
  return sections.map((lines) => lines.join("\n")).join("\n\n");
}
