/**
 * npm run bench [-- --runs 5] [--only quickstart,synth,deploy,scaling]
 *
 * Measures, each figure the median of several runs and each beside its
 * baseline in the same run, and prints a table (also bench/results.json):
 *  1. synth of all three stacks by the main job (npm run synth, commands/synth.js)
 *     against the cdktf template's runner (`cdktf synth` with `npx ts-node
 *     main.ts`, TypeScript 5) and against `node -e "require('cdktf')"`;
 *     targets: >= 5x faster than the template, <= 3x the floor; peak RSS.
 *  2. a full deploy of a simulated 3 + 7 Cloudkoffer: `cdktf deploy` against
 *     `terraform init && terraform apply` of the same JSON (target: <= 1.2x),
 *     and the node applies: wall time against the sum of the nodes' times.
 *  3. no-change redeploy and plan, for 10 and for 50 simulated workers.
 *  4. a fresh clone to the printed table, `npm ci && npm start -- --once`,
 *     cold (empty npm and Go caches) and warm, and a warm `npm start -- --once`;
 *     targets: warm npm start <= 15 s, cold <= 5 minutes. Cold twice: with the
 *     providers built from their release sources, and on a user's machine,
 *     from a registry (the test registry on loopback).
 * It sets up first; 4 runs on the machine's network (registries), 1 to 3 in a
 * loopback-only network namespace, talking to 127.0.0.0/8 only.
 */
import { spawnSync } from "child_process";
import { cpus, totalmem, tmpdir } from "os";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { formatNodesVariable } from "../operations/nodes-input";
import { loopbackDeployEnvironment } from "./loopback";
import { loopbackAddresses, TalosSimulator } from "./simulator";
import { TestRegistry } from "./registry";
import { TALOSCTL } from "../operations/talosctl";
import { cdktfDeploy, terraformEnvironment, TerraformWorkspace } from "./terraform";
import { PROJECT_ROOT } from "../lib/project-paths";
import { sourceFolders } from "../setup/release-sources";
import { ensureSetup } from "../setup/setup";

interface Sample {
  readonly seconds: number;
  readonly rssKb?: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Runs a command, timing it, with its peak RSS from GNU time. */
function timed(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd = PROJECT_ROOT): Sample {
  const started = process.hrtime.bigint();
  const run = spawnSync("/usr/bin/time", ["-f", "RSS %M", command, ...args], { cwd, env, encoding: "utf8", maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${run.status}):\n${run.stdout}${run.stderr}`);
  const rss = /RSS (\d+)/.exec(run.stderr);
  return { seconds, rssKb: rss ? Number(rss[1]) : undefined };
}

/** Median seconds (and peak RSS) of `runs` runs of `sample`, interleaved with the others'. */
function compare(runs: number, samplers: Record<string, () => Sample>): Record<string, { seconds: number; rssKb?: number; runs: number[] }> {
  const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(samplers).map((name) => [name, []]));
  for (let run = 0; run < runs; run++) {
    for (const [name, sampler] of Object.entries(samplers)) samples[name].push(sampler());
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, list]) => [
      name,
      {
        seconds: median(list.map((sample) => sample.seconds)),
        rssKb: list.some((sample) => sample.rssKb) ? Math.max(...list.map((sample) => sample.rssKb ?? 0)) : undefined,
        runs: list.map((sample) => Number(sample.seconds.toFixed(3))),
      },
    ]),
  );
}

const nodesVariable = (controlPlanes: readonly string[], workers: readonly string[]) =>
  formatNodesVariable({ controlplane: controlPlanes, worker: workers });

const simulators: TalosSimulator[] = [];

/** A simulator stopped however the bench ends. */
async function simulate(nodes: readonly string[], rebootDelay: string): Promise<TalosSimulator> {
  const simulator = await TalosSimulator.start({ nodes, rebootDelay });
  simulators.push(simulator);
  return simulator;
}

/** 1. synth of the three stacks: the main job against the cdktf template's runner and the floor. */
function measureSynth(runs: number, work: string): Record<string, unknown> {
  const out = (name: string) => ({ ...process.env, CHECKPOINT_DISABLE: "1", CDKTF_OUTDIR: path.join(work, name) });
  timed("node", ["commands/synth.js"], out("warm")); // builds the bundle and fills the verdict caches once
  const synth = compare(runs, {
    "main job (npm run synth)": () => timed("node", ["commands/synth.js"], out("main")),
    "cdktf template (cdktf synth, npx ts-node main.ts)": () =>
      timed("npx", ["cdktf", "synth", "--app", "npx ts-node main.ts", "--output", path.join(work, "ts-node")], out("ts-node")),
    "floor (node -e require('cdktf'))": () => timed("node", ["-e", "require('cdktf')"]),
  });
  const [main, template, floor] = Object.values(synth);
  return {
    ...synth,
    speedupOverTemplate: Number((template.seconds / main.seconds).toFixed(1)),
    timesFloor: Number((main.seconds / floor.seconds).toFixed(2)),
    peakRssMiB: Math.round((main.rssKb ?? 0) / 1024),
    targets: { speedupOverTemplate: ">= 5", timesFloor: "<= 3" },
  };
}

/** 2. full deploy of 3 + 7, cdktf deploy against terraform apply of the same JSON. */
async function measureDeploy(runs: number, work: string): Promise<Record<string, unknown>> {
  const all = loopbackAddresses("127.40.0", 10);
  const [controlPlanes, workers] = [all.slice(0, 3), all.slice(3)];
  // Installing and rebooting takes a real node minutes; 10 s here keeps the bench short but
  // the deploy dominated by the nodes, as it is on hardware.
  const simulator = await simulate(all, "10s");
  const env = { TF_VAR_nodes: nodesVariable(controlPlanes, workers) };
  const applySpans: { wall: number; sum: number; slowest: number }[] = [];
  const fresh = async (delay: string) => {
    for (const node of all) {
      await simulator.reimage(node);
      await simulator.faults(node, { delay });
    }
  };
  const recordApplies = async (since: number) => {
    const status = await simulator.status();
    const spans = all.map((node) => {
      const applies = status[node].calls.filter((call) => call.mode === "maintenance" && Date.parse(call.at) - call.ms >= since);
      const start = Math.min(...applies.map((call) => Date.parse(call.at) - call.ms));
      const end = Math.max(...applies.map((call) => Date.parse(call.at)));
      return { start, end };
    });
    applySpans.push({
      wall: (Math.max(...spans.map((span) => span.end)) - Math.min(...spans.map((span) => span.start))) / 1000,
      sum: spans.reduce((total, span) => total + span.end - span.start, 0) / 1000,
      slowest: Math.max(...spans.map((span) => span.end - span.start)) / 1000,
    });
  };
  let deployRun = 0;
  const deploySamples: Record<string, Sample[]> = { "cdktf deploy": [], "terraform init + apply": [] };
  for (let run = 0; run < runs; run++) {
    await fresh("500ms");
    const dir = path.join(work, `deploy-${deployRun++}`);
    mkdirSync(dir);
    const cdktfStarted = Date.now();
    const deployed = cdktfDeploy("cloudkoffer-v3", dir, env);
    if (deployed.status !== 0) throw new Error(`cdktf deploy failed:\n${deployed.text}`);
    deploySamples["cdktf deploy"].push({ seconds: deployed.seconds });
    await recordApplies(cdktfStarted);

    await fresh("500ms");
    const terraformStarted = Date.now();
    const copy = TerraformWorkspace.copyOf(path.join(dir, "cdktf.out", "stacks", "cloudkoffer-v3"));
    // The same JSON, handed off: without cdktf's working files
    rmSync(path.join(copy.dir, ".terraform"), { recursive: true, force: true });
    rmSync(path.join(copy.dir, ".terraform.lock.hcl"), { force: true });
    rmSync(path.join(copy.dir, "plan"), { force: true });
    const tfEnv = terraformEnvironment(loopbackDeployEnvironment(env));
    const started = process.hrtime.bigint();
    for (const args of [["init", "-input=false", `-backend-config=path=${copy.statePath}`], ["apply", "-auto-approve", "-input=false"]]) {
      const step = spawnSync("terraform", args, { cwd: copy.dir, env: tfEnv, encoding: "utf8", maxBuffer: 1 << 26 });
      if (step.status !== 0) throw new Error(`terraform ${args[0]} failed:\n${step.stdout}${step.stderr}`);
    }
    deploySamples["terraform init + apply"].push({ seconds: Number(process.hrtime.bigint() - started) / 1e9 });
    await recordApplies(terraformStarted);
    copy.remove();
  }
  const deployMedians = Object.fromEntries(
    Object.entries(deploySamples).map(([name, list]) => [
      name,
      { seconds: median(list.map((sample) => sample.seconds)), runs: list.map((sample) => Number(sample.seconds.toFixed(2))) },
    ]),
  );
  const deploy = {
    nodes: "3 control planes + 7 workers; every call 500 ms, install and reboot 10 s",
    ...deployMedians,
    overhead: Number((deployMedians["cdktf deploy"].seconds / deployMedians["terraform init + apply"].seconds).toFixed(2)),
    overheadSeconds: Number((deployMedians["cdktf deploy"].seconds - deployMedians["terraform init + apply"].seconds).toFixed(2)),
    nodeApplies: {
      wallSeconds: median(applySpans.map((span) => span.wall)),
      slowestNodeSeconds: median(applySpans.map((span) => span.slowest)),
      sumOfNodesSeconds: median(applySpans.map((span) => span.sum)),
    },
    targets: { overhead: "<= 1.2", nodeApplies: "wall close to the slowest node, far below the sum" },
  };
  await simulator.stop();
  return deploy;
}

/** 3. no-change redeploy and plan, 10 and 50 workers. */
async function measureScaling(runs: number, work: string): Promise<Record<string, unknown>> {
  const scaling: Record<string, unknown> = {};
  for (const [prefix, count] of [["127.41", 10], ["127.42", 50]] as const) {
    const nodes = loopbackAddresses(`${prefix}.0`, 3 + count);
    const sim = await simulate(nodes, "100ms");
    const dir = path.join(work, `scale-${count}`);
    mkdirSync(dir);
    const scaleEnv = { TF_VAR_nodes: nodesVariable(nodes.slice(0, 3), nodes.slice(3)) };
    const first = cdktfDeploy("cloudkoffer-v3", dir, scaleEnv);
    if (first.status !== 0) throw new Error(`cdktf deploy of ${count} workers failed:\n${first.text}`);
    const stackDir = path.join(dir, "cdktf.out", "stacks", "cloudkoffer-v3");
    const measured = compare(runs, {
      "no-change cdktf deploy": () => {
        const result = cdktfDeploy("cloudkoffer-v3", dir, scaleEnv);
        if (result.status !== 0) throw new Error(result.text);
        return { seconds: result.seconds };
      },
      // The same, without the seed's "wait until healthy": what one round of Talos' checks costs.
      "no-change cdktf deploy, health wait off": () => {
        const result = cdktfDeploy("cloudkoffer-v3", dir, { ...scaleEnv, TF_VAR_health_wait: "false" });
        if (result.status !== 0) throw new Error(result.text);
        return { seconds: result.seconds };
      },
      "no-change terraform plan": () => timed("terraform", ["plan", "-input=false", "-detailed-exitcode"], terraformEnvironment(loopbackDeployEnvironment(scaleEnv)), stackDir),
    });
    scaling[`${count} workers`] = { firstDeploySeconds: Number(first.seconds.toFixed(2)), ...measured };
    await sim.stop();
  }
  return scaling;
}

/** An environment without some variables. */
function without(env: NodeJS.ProcessEnv, ...names: string[]): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !names.includes(name)));
}

/** Runs `command` with bash in `cwd`; its wall time. */
function timedShell(command: string, cwd: string, env: NodeJS.ProcessEnv): number {
  const started = process.hrtime.bigint();
  const run = spawnSync("bash", ["-c", command], { cwd, env, encoding: "utf8", maxBuffer: 1 << 28 });
  if (run.status !== 0) throw new Error(`${command} failed (${run.status}) in ${cwd}:\n${run.stdout}${run.stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/**
 * 4. from a fresh clone to the printed table: `npm ci && npm start -- --once`,
 * cold (empty npm and Go caches) and warm, and a warm `npm start -- --once`
 * again in a set-up clone. Targets: warm npm start at most 15 s, cold at most
 * 5 minutes on 2 cores. Needs the network (npm registry, Go module proxy).
 * Both paths of the providers: built from their release sources (this
 * machine's, or an air-gapped site's), and a user's machine, where terraform
 * installs them from a registry (see {@link registryStart}).
 */
function measureQuickstart(runs: number, work: string): Record<string, unknown> {
  const cloneInto = (name: string, env: NodeJS.ProcessEnv) => {
    const clone = path.join(work, name, "main");
    const git = timedShell(`git clone --quiet ${JSON.stringify(PROJECT_ROOT)} ${JSON.stringify(clone)}`, work, env);
    const ci = timedShell("npm ci --no-audit --no-fund", clone, env);
    return { clone, git, ci };
  };
  const fromClone = (name: string, env: NodeJS.ProcessEnv) => {
    const { clone, git, ci } = cloneInto(name, env);
    const start = timedShell("npm start -- --once", clone, env);
    return { clone, seconds: { clone: git, npmCi: ci, npmStart: start, total: git + ci + start } };
  };
  const coldCaches = (name: string) => {
    const folder = path.join(work, name);
    return { npm_config_cache: path.join(folder, "npm"), GOMODCACHE: path.join(folder, "gomod"), GOCACHE: path.join(folder, "gocache") };
  };
  // The release sources where the project finds them; the clone has no ../shared beside it.
  const base = { ...process.env, CHECKPOINT_DISABLE: "1", PROVIDER_SOURCES: sourceFolders()[0] ?? "" };
  const cold = fromClone("cold", { ...base, ...coldCaches("cold-caches") });

  // A user's machine: no release sources, empty caches; npm ci and the Go modules over the network, then
  // npm start in a loopback-only namespace where the test registry serves the providers (the real registry
  // cannot be reached from here).
  const withoutSources = without(base, "PROVIDER_SOURCES");
  const userCaches = coldCaches("registry-caches");
  const user = cloneInto("registry", { ...withoutSources, ...userCaches });
  const modules = timedShell("go mod download", path.join(user.clone, "go"), { ...withoutSources, ...userCaches });
  const file = path.join(work, "registry-start.json");
  const inside = spawnSync(
    path.join(PROJECT_ROOT, "testing", "loopback-only.sh"),
    [process.execPath, "-r", "esbuild-register", BENCH_COMMAND, "--only", "registry-start", "--clone", user.clone, "--results-file", file],
    { cwd: PROJECT_ROOT, stdio: "inherit", env: { ...withoutSources, ...userCaches } },
  );
  if (inside.status !== 0) throw new Error(`npm start on the registry path failed (${inside.status})`);
  const { seconds: start } = JSON.parse(readFileSync(file, "utf8")) as { seconds: number };
  const registry = { clone: user.git, npmCi: user.ci, goModDownload: modules, npmStart: start, total: user.git + user.ci + modules + start };

  // Go keeps its module cache read-only.
  spawnSync("chmod", ["-R", "u+w", path.join(work, "cold-caches"), path.join(work, "registry-caches")]);
  const warm = fromClone("warm", base);
  const again = compare(runs, { "warm npm start -- --once": () => ({ seconds: timedShell("npm start -- --once", warm.clone, base) }) });
  return {
    cold: cold.seconds,
    registry,
    warm: warm.seconds,
    ...again,
    targets: { "warm npm start -- --once": "<= 15 s", "cold, from a fresh clone to the table": "<= 300 s" },
  };
}

/**
 * Inside a loopback-only namespace: the cold `npm start -- --once` of a
 * clone without release sources, the providers from the test registry (which
 * serves the providers built here; the clone carries the lock of its zips, as
 * a user's carries the official one) and the user's own talosctl on PATH.
 */
async function registryStart(clone: string): Promise<{ seconds: number }> {
  const registry = await TestRegistry.start();
  const bin = mkdtempSync(path.join(tmpdir(), "user-bin-"));
  try {
    writeFileSync(path.join(clone, ".terraform.lock.hcl"), registry.lockFile());
    symlinkSync(TALOSCTL, path.join(bin, "talosctl"));
    const env = { ...without(process.env, "TF_CLI_CONFIG_FILE"), ...registry.environment(), PATH: `${bin}:${process.env.PATH}` };
    return { seconds: timedShell("npm start -- --once", clone, env) };
  } finally {
    await registry.stop();
    rmSync(bin, { recursive: true, force: true });
  }
}

const SECTIONS = ["quickstart", "synth", "deploy", "scaling"] as const;
type Section = (typeof SECTIONS)[number];
/** What the bench runs of itself inside a loopback-only namespace, beside the sections. */
const INSIDE_ONLY = "registry-start";

/** The bench's command line: it runs itself again inside a loopback-only namespace. */
const BENCH_COMMAND = path.join(PROJECT_ROOT, "commands", "bench.ts");

/** npm run bench with its arguments (see the module's comment). */
export async function bench(args: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...args],
    options: { runs: { type: "string", default: "5" }, only: { type: "string" }, "results-file": { type: "string" }, clone: { type: "string" } },
  });
  if (values.only === INSIDE_ONLY && process.env.LOOPBACK_ONLY !== undefined && values.clone && values["results-file"]) {
    writeFileSync(values["results-file"], JSON.stringify(await registryStart(values.clone)));
    return;
  }
  const runs = Number(values.runs);
  const sections = (values.only?.split(",") ?? [...SECTIONS]) as Section[];
  const unknown = sections.filter((section) => !SECTIONS.includes(section));
  if (unknown.length > 0) throw new Error(`--only ${unknown.join(",")}: the sections are ${SECTIONS.join(", ")}`);
  const work = mkdtempSync(path.join(tmpdir(), "bench-"));
  try {
    if (process.env.LOOPBACK_ONLY !== undefined) {
      // Inside the loopback-only namespace: what starts simulated nodes.
      const results: Record<string, unknown> = {};
      if (sections.includes("synth")) results.synth = measureSynth(runs, work);
      if (sections.includes("deploy")) results.deploy = await measureDeploy(runs, work);
      if (sections.includes("scaling")) results.scaling = await measureScaling(runs, work);
      writeFileSync(values["results-file"] ?? path.join(work, "results.json"), JSON.stringify(results));
      return;
    }
    await ensureSetup();
    const results: Record<string, unknown> = {
      machine: {
        cpus: `${cpus().length} x ${cpus()[0]?.model ?? "unknown"}`,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        terraform: spawnSync("terraform", ["version"], { encoding: "utf8" }).stdout.split("\n")[0],
        date: new Date().toISOString(),
      },
    };
    // On the machine's network: a fresh clone installs from the registries.
    if (sections.includes("quickstart")) results.quickstart = measureQuickstart(Math.min(runs, 3), work);
    const inside = sections.filter((section) => section !== "quickstart");
    if (inside.length > 0) {
      const file = path.join(work, "inside.json");
      const run = spawnSync(
        path.join(PROJECT_ROOT, "testing", "loopback-only.sh"),
        [process.execPath, "-r", "esbuild-register", BENCH_COMMAND, "--runs", String(runs), "--only", inside.join(","), "--results-file", file],
        { cwd: PROJECT_ROOT, stdio: "inherit" },
      );
      if (run.status !== 0) throw new Error(`the sections ${inside.join(", ")} failed (${run.status})`);
      Object.assign(results, JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>);
    }
    mkdirSync(path.join(PROJECT_ROOT, "bench"), { recursive: true });
    writeFileSync(path.join(PROJECT_ROOT, "bench", "results.json"), `${JSON.stringify(results, null, 2)}\n`);
    printTable(results);
  } finally {
    await Promise.all(simulators.map((simulator) => simulator.stop()));
    rmSync(work, { recursive: true, force: true });
  }
}

function printTable(results: Record<string, unknown>): void {
  const r = JSON.parse(JSON.stringify(results)) as {
    machine: Record<string, string>;
    synth?: Record<string, { seconds: number; rssKb?: number }> & { speedupOverTemplate: number; timesFloor: number; peakRssMiB: number };
    deploy?: Record<string, { seconds: number }> & { overhead: number; overheadSeconds: number; nodeApplies: Record<string, number> };
    scaling?: Record<string, Record<string, { seconds: number }> & { firstDeploySeconds: number }>;
    quickstart?: Record<string, Record<string, number>> & { "warm npm start -- --once": { seconds: number } };
  };
  const rows: string[][] = [["measure", "median", "baseline / note"]];
  const s = (value: number) => `${value.toFixed(2)} s`;
  if (r.synth) {
    rows.push(["synth, main job (npm run synth)", s(r.synth["main job (npm run synth)"].seconds), `peak RSS ${r.synth.peakRssMiB} MiB`]);
    rows.push(["synth, cdktf template (ts-node)", s(r.synth["cdktf template (cdktf synth, npx ts-node main.ts)"].seconds), `main job ${r.synth.speedupOverTemplate}x faster (target >= 5x)`]);
    rows.push(["floor, node -e require('cdktf')", s(r.synth["floor (node -e require('cdktf'))"].seconds), `main job ${r.synth.timesFloor}x the floor (target <= 3x)`]);
  }
  if (r.deploy) {
    rows.push([
      "deploy 3+7, cdktf deploy",
      s(r.deploy["cdktf deploy"].seconds),
      `${r.deploy.overhead}x terraform, +${s(r.deploy.overheadSeconds)} (target <= 1.2x)`,
    ]);
    rows.push(["deploy 3+7, terraform init + apply", s(r.deploy["terraform init + apply"].seconds), "same JSON"]);
    rows.push([
      "node applies, wall time",
      s(r.deploy.nodeApplies.wallSeconds),
      `slowest node ${s(r.deploy.nodeApplies.slowestNodeSeconds)}, sum of nodes ${s(r.deploy.nodeApplies.sumOfNodesSeconds)}`,
    ]);
  }
  for (const [workers, measured] of Object.entries(r.scaling ?? {})) {
    const deploy = measured["no-change cdktf deploy"].seconds;
    rows.push([`no-change cdktf deploy, ${workers}`, s(deploy), `first deploy ${s(measured.firstDeploySeconds)}`]);
    const withoutHealth = measured["no-change cdktf deploy, health wait off"];
    if (withoutHealth) rows.push([`  the same, health wait off`, s(withoutHealth.seconds), `the health check costs ${s(deploy - withoutHealth.seconds)}`]);
    rows.push([`no-change terraform plan, ${workers}`, s(measured["no-change terraform plan"].seconds), ""]);
  }
  if (r.quickstart) {
    const parts = (seconds: Record<string, number>) => `clone ${s(seconds.clone)}, npm ci ${s(seconds.npmCi)}, npm start ${s(seconds.npmStart)}`;
    rows.push(["fresh clone to table, cold caches", s(r.quickstart.cold.total), `${parts(r.quickstart.cold)} (target <= 300 s)`]);
    const registry = r.quickstart.registry;
    rows.push([
      "the same, providers from a registry",
      s(registry.total),
      `clone ${s(registry.clone)}, npm ci ${s(registry.npmCi)}, go mod download ${s(registry.goModDownload)}, npm start ${s(registry.npmStart)}; no release sources`,
    ]);
    rows.push(["fresh clone to table, warm caches", s(r.quickstart.warm.total), parts(r.quickstart.warm)]);
    rows.push(["warm npm start -- --once", s(r.quickstart["warm npm start -- --once"].seconds), "set up already (target <= 15 s)"]);
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  console.log(`machine: ${r.machine.cpus}, ${r.machine.memoryGiB} GiB, ${r.machine.node}, ${r.machine.terraform}`);
  for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column])).join("  "));
  console.log("written to bench/results.json");
}
