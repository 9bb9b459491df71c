import { readdirSync, readFileSync } from "fs";
import * as path from "path";
import { HELP_HEADER } from "../../commands/help";
import { PROJECT_ROOT } from "../../lib/project-paths";
import { commandsMarkdown, commandSpecs, helpListing } from "../../operations/command-help";
import { asksForHelp, CommandSpec, parseCommandArguments, renderHelp, UsageError } from "../../operations/command-line";
import { SCRIPT_COMMANDS } from "../../operations/script-commands";

const EXAMPLE: CommandSpec = {
  name: "example",
  summary: "An example command",
  usage: ["<stack> [options]"],
  description: ["What it does."],
  options: {
    output: { type: "string", value: "DIR", default: "cdktf.out", description: "where", short: "o" },
    yes: { type: "boolean", description: "do not ask" },
    stack: { type: "string", description: "old spelling", hidden: true },
  },
  passThrough: "cdktf deploy",
  exitStatuses: [{ name: "0", description: "done" }],
};

const parse = (...argv: string[]) => parseCommandArguments(EXAMPLE, argv);
const usageError = (argv: string[]) => {
  try {
    parse(...argv);
  } catch (error) {
    return error instanceof UsageError ? error.message : `not a UsageError: ${String(error)}`;
  }
  return "accepted";
};

describe("a command's arguments, checked against its spec", () => {
  test("the stack is positional; options take their values, defaults fill in; what follows -- is passed on", () => {
    const args = parse("v3", "-o", "out", "--yes", "--", "--parallelism=2");
    expect(args.positionals).toEqual(["v3"]);
    expect(args.string("output")).toBe("out");
    expect(args.flag("yes")).toBe(true);
    expect(args.passThrough).toEqual(["--parallelism=2"]);
    expect(parse("v3").string("output")).toBe("cdktf.out");
    expect(parse("v3", "--output=elsewhere").string("output")).toBe("elsewhere");
    expect(parse("v3").flag("yes")).toBe(false);
    expect(parse("--stack", "v1").string("stack")).toBe("v1");
    expect(parse("v3").value("output")).toBe("cdktf.out");
    expect(() => parse("v3").value("stack")).toThrow("example's option --stack has no default");
    expect(parse("v3", "-o", "out").outputFolder()).toBe(path.join(PROJECT_ROOT, "out"));
  });

  test.each([
    [["v3", "--bogus"], 'unknown option --bogus; npm run example -- --help lists the options'],
    [["v3", "-x"], "unknown option -x; npm run example -- --help lists the options"],
    [["v3", "--output"], "--output needs a value (--output DIR)"],
    [["v3", "--yes=no"], '--yes takes no value ("--yes=no")'],
    [["v3", "v2"], 'unexpected argument "v2"; usage: npm run example -- <stack> [options]'],
  ])("%j is refused, naming the argument", (argv, message) => {
    expect(usageError(argv)).toBe(message);
  });

  test("a command that passes nothing on refuses --", () => {
    expect(() => parseCommandArguments({ ...EXAMPLE, passThrough: undefined }, ["v3", "--", "x"])).toThrow(new UsageError('unexpected "--": example passes no arguments on'));
  });

  test("--help and -h ask for the help, unless they are passed on after --", () => {
    expect(asksForHelp(["v3", "--help"])).toBe(true);
    expect(asksForHelp(["-h"])).toBe(true);
    expect(asksForHelp(["v3", "--", "--help"])).toBe(false);
  });

  test("the help says usage, arguments, options with defaults, what is passed on, and exit statuses; hidden spellings stay out", () => {
    const help = renderHelp(EXAMPLE);
    expect(help).toMatch(/^Usage: npm run example -- <stack> \[options\]\n\nAn example command\.\n\nWhat it does\.\n/);
    expect(help).toContain("  -o, --output DIR  where (default: cdktf.out)");
    expect(help).toContain("  -h, --help        print this help");
    expect(help).toContain('Arguments after "--" go to cdktf deploy.');
    expect(help).toContain("Exit status:\n  0  done");
    expect(help).not.toContain("--stack");
  });
});

describe("every command's help", () => {
  const specs = commandSpecs(SCRIPT_COMMANDS);

  test("every npm script has one, named as the script", () => {
    const scripts = Object.keys((JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { scripts: object }).scripts);
    expect(specs.map((spec) => spec.name)).toEqual(scripts);
  });

  test.each(commandSpecs(SCRIPT_COMMANDS).map((spec) => [spec.name, spec] as const))("%s: at most 80 columns, with usage, summary and exit statuses", (_name, spec) => {
    const help = renderHelp(spec);
    expect(help.split("\n").filter((line) => line.length > 80)).toEqual([]);
    expect(help).toMatch(/^Usage: npm /);
    expect(help).toContain("\nExit status:\n  0  ");
    expect(spec.summary.length).toBeLessThanOrEqual(50);
    for (const [name, option] of Object.entries(spec.options ?? {})) if (!option.hidden) expect(help).toContain(`--${name}`);
  });

  test("the file help is npm run help's listing, and docs/commands.md every command's --help (npm run help -- --write)", () => {
    expect(readFileSync(path.join(PROJECT_ROOT, "help"), "utf8")).toBe(helpListing(specs, HELP_HEADER));
    expect(readFileSync(path.join(PROJECT_ROOT, "docs", "commands.md"), "utf8")).toBe(commandsMarkdown(specs));
    expect(helpListing(specs, HELP_HEADER).split("\n").filter((line) => line.length > 80)).toEqual([]);
  });
});

test("every option README.md and docs/ give a command is one of that command's options", () => {
  const specs = new Map(commandSpecs(SCRIPT_COMMANDS).map((spec) => [spec.name, spec]));
  const documents = ["README.md", ...readdirSync(path.join(PROJECT_ROOT, "docs")).map((file) => path.join("docs", file))];
  const unknown: string[] = [];
  for (const document of documents) {
    const text = readFileSync(path.join(PROJECT_ROOT, document), "utf8");
    // `npm run <command> -- <arguments>` up to the end of the code span, a comment or the line.
    for (const [, name, given] of text.matchAll(/\bnpm (?:run (?:-s |--silent )?)?([a-z][\w:-]*) -- ([^`#\n|]*)/g)) {
      const spec = specs.get(name);
      if (!spec || spec.passesEverything) continue;
      const own = given.split(/ -- /)[0];
      for (const [option] of own.matchAll(/(?<=^|\s)--[a-z][\w-]*/g)) {
        const known = Object.keys(spec.options ?? {}).includes(option.slice(2).replace(/=.*/, "")) || option === "--help";
        if (!known) unknown.push(`${document}: npm run ${name} -- ... ${option}`);
      }
    }
  }
  expect([...new Set(unknown)]).toEqual([]);
});
