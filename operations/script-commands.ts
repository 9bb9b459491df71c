/** The --help of the commands written in shell or plain JavaScript: they ask npm run help for it. */
import { CommandSpec, STACK_ARGUMENT } from "./command-line";

export const SCRIPT_COMMANDS: readonly CommandSpec[] = [
  {
    name: "test",
    summary: "Type check, lint and run every test tier",
    usage: ["[<jest options>]"],
    description: [
      "The unit tier first (nothing built), then npm run setup, then type check, lint and the tiers in a loopback-only network namespace. A tier whose tools are missing is skipped and says why; with CI=true every tier is mandatory. docs/development.md has the tiers.",
    ],
    passesEverything: true,
    passThrough: "jest",
    maxPositionals: 0,
    environment: [
      { name: "CI", description: "true: every tier is mandatory" },
      { name: "TEST_PG_CONN_STR", description: "a PostgreSQL for the pg backend's tier" },
    ],
    exitStatuses: [
      { name: "0", description: "every test passed" },
      { name: "1", description: "a test failed, or the type check or lint" },
    ],
  },
  {
    name: "test:unit",
    summary: "Run the unit tier only (nothing built)",
    usage: ["[<jest options>]"],
    description: ["The pure logic: no Go build, terraform, network namespace or simulator; seconds."],
    passesEverything: true,
    passThrough: "jest",
    maxPositionals: 0,
    exitStatuses: [
      { name: "0", description: "every test passed" },
      { name: "1", description: "a test failed" },
    ],
  },
  {
    name: "lint",
    summary: "Type check (tsc) and lint (eslint)",
    usage: [""],
    description: ["tsc --noEmit over the whole project, then eslint (the generated .gen/ excluded)."],
    maxPositionals: 0,
    exitStatuses: [
      { name: "0", description: "clean" },
      { name: "1", description: "type errors or lint findings" },
      { name: "2", description: "bad input" },
    ],
  },
  {
    name: "get",
    summary: "Regenerate the provider bindings in .gen/",
    usage: ["[<dir>]"],
    description: [
      "cdktf get from siderolabs/talos 0.5.0 as setup finds it: the binary in the project's mirror, else as terraform installs it (the registry, or your terraform configuration). Commit the result.",
    ],
    arguments: [{ name: "<dir>", description: "where the bindings go (default: .gen)" }],
    exitStatuses: [
      { name: "0", description: "generated" },
      { name: "1", description: "cdktf get failed" },
      { name: "2", description: "bad input" },
    ],
  },
  {
    name: "synth",
    summary: "Synthesize the stacks to plain Terraform JSON",
    usage: [""],
    description: [
      "Every stack to cdktf.out/stacks/<stack>/cdk.tf.json, the hand-off to plain terraform or tofu (docs/from-seed-terraform.md); also the app cdktf runs. Reads the stack's settings from the environment as a deploy does.",
    ],
    maxPositionals: 0,
    environment: [
      { name: "CDKTF_OUTDIR", description: "where to synthesize (default: cdktf.out)" },
      { name: "CLOUDKOFFER_STATE_ENCRYPTION", description: "passphrase: an encrypted state (OpenTofu)" },
      { name: "CLOUDKOFFER_BACKEND", description: "pg: the state in PostgreSQL" },
      { name: "CLOUDKOFFER_ENGINE", description: "tofu: for OpenTofu" },
    ],
    exitStatuses: [
      { name: "0", description: "synthesized" },
      { name: "1", description: "a stack did not synthesize (its error names stack and input)" },
      { name: "2", description: "bad input" },
    ],
  },
];

/** The stacks, as every stack command takes them: for the help's header. */
export const STACKS_LINE = `Stacks: ${STACK_ARGUMENT.description}.`;
