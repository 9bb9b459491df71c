/**
 * npm run reprovision -- <stack> [--output cdktf.out] [--auto-approve]
 *
 * A Cloudkoffer is often re-imaged between uses, and provider 0.5.0 never
 * notices: applies and bootstrap do nothing on read. This re-applies every
 * node's machine configuration and bootstraps again, by replacing
 * talos_machine_configuration_apply.* and talos_machine_bootstrap.this in one
 * terraform apply of the freshly synthesized stack. The cluster secrets stay:
 * talos_machine_secrets.this is not touched, so talosconfig and PKI survive.
 * Exit status: terraform's, or 2 for bad input.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { parseArgs } from "util";
import { selectStack } from "../lib/deploy-target";

const root = path.resolve(__dirname, "..");

function run(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): string {
  const result = spawnSync(command, args, { ...options, encoding: "utf8", stdio: ["inherit", "pipe", "inherit"] });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (${result.status ?? result.signal})`);
  }
  return result.stdout;
}

try {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { output: { type: "string", default: "cdktf.out" }, "auto-approve": { type: "boolean", default: false } },
  });
  const stack = selectStack(positionals[0]);
  const output = path.resolve(root, values.output);
  const dir = path.join(output, "stacks", stack.name);

  run(process.execPath, ["-r", "esbuild-register", "main.ts"], { cwd: root, env: { ...process.env, CDKTF_OUTDIR: output } });
  run("terraform", ["init", "-input=false", "-no-color"], { cwd: dir });
  const replaced = run("terraform", ["state", "list"], { cwd: dir })
    .split("\n")
    .filter((address) => address.startsWith("talos_machine_configuration_apply.") || address === "talos_machine_bootstrap.this");
  if (!replaced.includes("talos_machine_bootstrap.this")) {
    throw new Error(`${stack.name} has no deployed cluster in its state; deploy it first (npm run deploy -- ${stack.name})`);
  }
  console.log(`reprovision ${stack.name}: applying the configuration to ${replaced.length - 1} nodes again and bootstrapping, keeping the secrets`);
  const apply = spawnSync(
    "terraform",
    ["apply", "-input=false", ...(values["auto-approve"] ? ["-auto-approve"] : []), ...replaced.map((address) => `-replace=${address}`)],
    { cwd: dir, stdio: "inherit" },
  );
  process.exitCode = apply.status ?? 1;
} catch (error) {
  console.error(`reprovision: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}
