/**
 * npm start's simulated Cloudkoffer, the main job without hardware, as
 * `talosctl cluster create` is for Talos: a simulated Cloudkoffer (v3 by default: 3 control planes and 7 workers) on
 * loopback addresses, the real stack deployed to it with cdktf (`npm run
 * deploy`'s way), then a table of the nodes, what the real talosctl (the
 * user's own, or one built from Talos' release source) says of the first control
 * plane with the talosconfig written, where talosconfig and kubeconfig
 * were written (mode 0600) and how to look at the nodes. The simulated
 * cluster stays up until Ctrl-C (or, with --once, it stops after the table).
 *
 * The table needs no talosctl: where it can be built and is not yet, npm start builds it
 * beside the demo at the lowest CPU priority and says when it is ready (with
 * --once it stops that build at the exit; Go's build cache keeps what was
 * compiled).
 *
 * Its state, talosconfig and kubeconfig live in the git-ignored demo folder
 * (.demo/<stack>), never beside a real stack's state; each run starts a fresh
 * case from the factory, so the folder is emptied first. Every address it
 * uses, the cluster VIP included, is a loopback address. It sets up what it
 * needs first (npm run setup, on the machine's network), then runs the demo
 * in a loopback-only network namespace (testing/loopback-only.sh).
 */
import { spawn } from "child_process";
import { mkdirSync, readFileSync, rmSync } from "fs";
import * as path from "path";
import { CLOUDKOFFER_PROFILES } from "../lib/cloudkoffer-profile";
import { selectStack } from "../operations/stack-selection";
import { formatNodesVariable } from "../operations/nodes-input";
import { PROJECT_ROOT } from "../lib/project-paths";
import { DEFAULT_TALOS_TOOL } from "../operations/talos-tool";
import { parse as parseYaml } from "yaml";
import { assertLoopbackTalosconfig, assertLoopbackUrl, loopbackDeployEnvironment } from "./loopback";
import { loopbackAddresses, SimulatedNode, TALOS_SIM, TalosSimulator } from "./simulator";
import { isolatedEnvironment } from "./terraform";
import { deploySteps, ensureSetup, terraformCliEnvironment } from "../setup/setup";
import { KUBE_APISERVER_RELEASE, TALOS_SOURCE } from "../setup/release-sources";
import { findTalosctl, FoundTalosctl, noTalosctlMessage, TALOSCTL, talosctlBuildable } from "../operations/talosctl";
import { StackDeploy } from "../operations/stack-deploy";
import { writeFileAtomically } from "../operations/atomic-file";
import { runProgram } from "../operations/program";
import { BackgroundBuild } from "../setup/background-build";
import { engineBinary } from "../operations/engine";
import { healthArguments } from "../operations/health";
import { kubernetesAccess, listNodes, nodesTable } from "../operations/kubernetes-nodes";
import { ClusterNodes } from "../operations/nodes-input";
import { KUBE_APISERVER, kubeApiserverBuilt } from "../setup/kube-apiserver";

/** npm start's command, which launch() runs again inside a loopback-only namespace. */
const START_COMMAND = path.join(PROJECT_ROOT, "commands", "start.ts");

/** The simulated nodes' addresses by default: 127.77.0.1 and up, the VIP 127.77.0.254. */
export const DEFAULT_PREFIX = "127.77.0";

/** A path as the user best reads it: relative to the project when inside it. */
function shown(file: string): string {
  const relative = path.relative(PROJECT_ROOT, file);
  return relative.startsWith("..") ? file : relative;
}

/** The nodes as a table: address, role, mode, Talos version, install disk, installer image. */
export function nodeTable(nodes: readonly SimulatedNode[]): string {
  const rows = [
    ["ADDRESS", "ROLE", "MODE", "TALOS", "INSTALL DISK", "INSTALLER IMAGE"],
    ...nodes.map((node) => [node.address, node.role || "-", node.mode, node.talosVersion, node.installDisk || "-", node.installImage || "-"]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd()).join("\n");
}

/** How another shell runs a command among the simulated nodes, in this process's network namespace. */
function inNamespace(command: string): string {
  switch (process.env.LOOPBACK_ONLY) {
    case "net":
    case "inherited":
      return `nsenter --target ${process.pid} --net -- ${command}`;
    case "user+net":
      return `nsenter --target ${process.pid} --user --net --preserve-credentials -- ${command}`;
    default:
      return command;
  }
}

/**
 * `npm run setup -- <step>` beside the demo: minutes of compiling the first
 * time, which must not slow the way to the table (the providers' compile, the
 * deploy).
 */
function buildInBackground(step: "talosctl" | "kube-apiserver", binary: string, then: string): BackgroundBuild {
  return new BackgroundBuild(process.execPath, ["-r", "esbuild-register", path.join(PROJECT_ROOT, "commands", "setup.ts"), step], {
    ready: (output) => console.log(`${output.trimEnd()}\nstart: ${shown(binary)} is ready${then}`),
    failed: (status, output) => console.error(`start: building ${step} failed (${status}); npm run setup -- ${step} tries again:\n${output.trimEnd()}`),
  });
}

/**
 * Outside the namespace: sets up, then runs the demo inside one and waits for
 * it, building talosctl beside it when it is not built. A Ctrl-C reaches both
 * processes; the demo stops cleanly, and this one ends with its exit status.
 */
async function launch(args: readonly string[]): Promise<number> {
  await ensureSetup(deploySteps());
  // The user's own talosctl of Talos v1.7 serves; else one is built where Talos' release source is.
  const talosctl = findTalosctl() || !talosctlBuildable() ? undefined : buildInBackground("talosctl", TALOSCTL, "");
  // The simulated Kubernetes API: built from Go modules, as the simulator is.
  const kubeApiserver = kubeApiserverBuilt() ? undefined : buildInBackground("kube-apiserver", KUBE_APISERVER, HEALTH_NEXT_TIME);
  const building = [...(talosctl ? ["talosctl"] : []), ...(kubeApiserver ? ["kube-apiserver"] : [])];
  const demo = spawn(
    path.join(PROJECT_ROOT, "testing", "loopback-only.sh"),
    [process.execPath, "-r", "esbuild-register", START_COMMAND, ...args],
    { stdio: "inherit", env: { ...process.env, CLOUDKOFFER_SET_UP: "1", CLOUDKOFFER_BUILDING: building.join(",") } },
  );
  const ignore = () => undefined;
  process.on("SIGINT", ignore);
  process.on("SIGTERM", ignore);
  const status = await new Promise<number>((resolve) => demo.once("close", (code) => resolve(code ?? 1)));
  for (const [step, build] of [
    ["talosctl", talosctl],
    ["kube-apiserver", kubeApiserver],
  ] as const) {
    if (build?.stop()) {
      console.log(`start: stopped building ${step} (what compiled stays in Go's build cache): npm run setup -- ${step}, or the next npm start, finishes it`);
    }
  }
  return status;
}

/** What npm start says after a background build is ready when it leaves the health checks to the next run. */
const HEALTH_NEXT_TIME = "; the next npm start serves the Kubernetes API and waits for the cluster to be healthy";

/** How a binary that is not built yet gets built: in the background now, or by a command. */
function howBuilt(step: "talosctl" | "kube-apiserver", once: boolean): string {
  const building = (process.env.CLOUDKOFFER_BUILDING ?? "").split(",").includes(step);
  return building && !once
    ? "npm start builds it in the background and says when it is ready (minutes the first time on 2 cores)"
    : `npm run setup -- ${step} builds it (minutes the first time on 2 cores)`;
}

/**
 * Why npm start cannot wait for the cluster's health, or undefined when it
 * can: the simulator answers Talos' health checks with the real talosctl
 * and serves Kubernetes with the real kube-apiserver.
 */
function healthUnavailable(talosctl: FoundTalosctl | undefined, once: boolean): string | undefined {
  const missing = [
    ...(talosctl ? [] : ["talosctl (see above), which runs Talos' checks"]),
    ...(kubeApiserverBuilt() ? [] : [`${shown(KUBE_APISERVER)}, the real kube-apiserver ${KUBE_APISERVER_RELEASE.version}, which serves Kubernetes: ${howBuilt("kube-apiserver", once)}`]),
  ];
  return missing.length === 0 ? undefined : `health: not waited for (TF_VAR_health_wait=false), as the simulated nodes lack ${missing.join(", and ")}`;
}

/**
 * The seed's last steps on the simulated case: `talosctl health` run by the
 * first control plane, its checks as talosctl prints them, then the nodes as
 * `kubectl get nodes` lists them, read from the API server with the kubeconfig.
 */
async function healthReport(talosctl: FoundTalosctl, credentials: { talosconfig: string; kubeconfig: string }, nodes: ClusterNodes): Promise<string> {
  assertLoopbackTalosconfig(parseYaml(readFileSync(credentials.talosconfig, "utf8")), credentials.talosconfig);
  const first = nodes.controlplane[0];
  const health = runProgram(
    TALOS_SIM,
    ["talosctl", talosctl.command, "--talosconfig", credentials.talosconfig, ...healthArguments(nodes, { server: true, waitTimeout: "1m" })],
    { timeout: 90000 },
  );
  if (health.status !== 0) throw new Error(`talosctl health through ${first} failed:\n${health.stdout}${health.stderr}`);
  const access = kubernetesAccess(readFileSync(credentials.kubeconfig, "utf8"));
  assertLoopbackUrl(access.server, credentials.kubeconfig);
  const table = nodesTable(await listNodes(access));
  return [
    `talosctl health, run by ${first}: every check passed`,
    (health.stdout + health.stderr).trimEnd().replace(/^/gm, "  "),
    `Kubernetes nodes, from the API server at ${access.server} (kube-apiserver ${KUBE_APISERVER_RELEASE.version}):`,
    table.replace(/^/gm, "  "),
  ].join("\n");
}

/** What the real talosctl says of `node`, or why it was not asked (and how to get one). */
function talosctlVersion(talosctl: FoundTalosctl | undefined, talosconfig: string, node: string, once: boolean): string {
  if (!talosctl) {
    if (!talosctlBuildable()) return `talosctl: ${noTalosctlMessage()}`;
    return `talosctl: ${shown(TALOSCTL)}, the real talosctl ${TALOS_SOURCE.version}, is not built yet: ${howBuilt("talosctl", once)}`;
  }
  // Handed a talosconfig that names loopback addresses only (checked, and checked again by
  // talos-sim's guard before talosctl runs).
  assertLoopbackTalosconfig(parseYaml(readFileSync(talosconfig, "utf8")), talosconfig);
  const run = runProgram(TALOS_SIM, ["talosctl", talosctl.command, "--talosconfig", talosconfig, "--nodes", node, "--endpoints", node, "version"], {
    timeout: 30000,
  });
  if (run.status !== 0) throw new Error(`talosctl version against ${node} failed: ${run.stderr}`);
  const which = talosctl.origin === "PATH" ? `your own talosctl ${talosctl.command}` : `the real talosctl ${shown(talosctl.command)}`;
  return `talosctl version, ${which} with the talosconfig, against ${node}:\n${run.stdout.trimEnd().replace(/^/gm, "  ")}`;
}

/** What npm start was asked for (commands/start.ts checks its arguments). */
export interface DemoOptions {
  /** The stack, or its short name. */
  readonly stack: string;
  /** Exit after the table. */
  readonly once: boolean;
  /** Where the demo's state, talosconfig and kubeconfig go. @default .demo/<stack> */
  readonly demoDir?: string;
  /** The loopback /24 of the simulated nodes, e.g. {@link DEFAULT_PREFIX}. */
  readonly prefix: string;
}

/** npm start: `argv` is what it runs again with inside a loopback-only namespace (see the module's comment). */
export async function start(options: DemoOptions, argv: readonly string[]): Promise<number> {
  if (process.env.LOOPBACK_ONLY === undefined) return launch(argv);
  // Already in a loopback-only namespace (e.g. in npm test): set up here, unless launch() did.
  if (process.env.CLOUDKOFFER_SET_UP !== "1") await ensureSetup(deploySteps());
  // Another simulated case may run beside this one (tests): loopback /24s only.
  if (!/^127\.\d{1,3}\.\d{1,3}$/.test(options.prefix)) throw new Error(`--prefix ${options.prefix}: not a loopback /24 such as ${DEFAULT_PREFIX}`);
  const PREFIX = options.prefix as `127.${number}.${number}`;
  const started = process.hrtime.bigint();
  const stack = selectStack(options.stack, {});
  const profile = CLOUDKOFFER_PROFILES[stack.profile.version];
  const demo = path.resolve(PROJECT_ROOT, options.demoDir ?? path.join(".demo", stack.name));
  const addresses = loopbackAddresses(PREFIX, profile.controlPlanes.length + profile.workers.length);
  const nodes = { controlplane: addresses.slice(0, profile.controlPlanes.length), worker: addresses.slice(profile.controlPlanes.length) };

  // A fresh case from the factory: nodes in maintenance mode, and no state that knows other secrets.
  rmSync(demo, { recursive: true, force: true });
  mkdirSync(demo, { recursive: true, mode: 0o700 });
  process.umask(0o077);
  console.log(`start: a simulated Cloudkoffer ${profile.version}: ${nodes.controlplane.length} control planes and ${nodes.worker.length} workers on ${PREFIX}.x`);
  const talosctl = findTalosctl();
  const noHealth = healthUnavailable(talosctl, options.once);
  const simulator = await TalosSimulator.start({ nodes: addresses, rebootDelay: "500ms" });
  const stop = () => simulator.stop();
  try {
    // Only what the demo means: none of the user's TF_VAR_* (the seed's .envrc names the real case).
    // The providers come the way setup decided (terraformCliEnvironment): the mirror, the user's configuration or the registry.
    const env = terraformCliEnvironment(
      isolatedEnvironment(
        loopbackDeployEnvironment({
          TF_VAR_nodes: formatNodesVariable(nodes),
          TF_VAR_cluster_vip: `${PREFIX}.254`,
          ...(noHealth ? { TF_VAR_health_wait: "false" } : {}),
        }),
      ),
    );
    const output = path.join(demo, "cdktf.out");
    const deployStarted = process.hrtime.bigint();
    const status = await new StackDeploy({ stack: { ...stack, nodes }, output, cdktfArgs: ["--auto-approve", "--output", output], env }).run();
    const deploySeconds = Number(process.hrtime.bigint() - deployStarted) / 1e9;
    if (status !== 0) {
      console.error(`start: the deploy of ${stack.name} to the simulated nodes failed (${status})`);
      return 1;
    }

    const stackDir = path.join(output, "stacks", stack.name);
    const credentials: Record<string, string> = {};
    for (const [output_, file] of [
      ["talosconfig", "talosconfig"],
      ["kubeconfig_raw", "kubeconfig"],
    ]) {
      const read = runProgram(engineBinary(env), ["output", "-raw", output_], { cwd: stackDir, env });
      if (read.status !== 0) throw new Error(`${engineBinary(env)} output ${output_} failed: ${read.stderr}`);
      credentials[file] = path.join(demo, file);
      writeFileAtomically(credentials[file], read.stdout);
    }

    const first = nodes.controlplane[0];
    const talosctlLines = talosctlVersion(talosctl, credentials.talosconfig, first, options.once);
    const healthLines = noHealth ?? (await healthReport(talosctl as FoundTalosctl, { talosconfig: credentials.talosconfig, kubeconfig: credentials.kubeconfig }, nodes));

    const status_ = await simulator.status();
    const table = addresses.map((address) => status_[address]);
    const bootstrapped = table.filter((node) => node.bootstraps > 0).map((node) => node.address);
    console.log("");
    console.log(nodeTable(table));
    console.log("");
    console.log(`bootstrapped: ${bootstrapped.join(", ") || "none"}`);
    console.log(`deployed in ${deploySeconds.toFixed(1)} s (npm start: ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s)`);
    console.log(talosctlLines);
    console.log(healthLines);
    const apiServer = noHealth ? "where no Kubernetes API answers yet" : "where the simulated cluster's kube-apiserver answers";
    console.log(`talosconfig: ${shown(credentials.talosconfig)} (mode 0600)`);
    console.log(`kubeconfig:  ${shown(credentials.kubeconfig)} (mode 0600; its server is the VIP ${PREFIX}.254, ${apiServer})`);
    console.log(`state:       ${shown(path.join(demo, `terraform.${stack.name}.tfstate`))}`);
    console.log("");
    console.log("Look at the nodes, from another terminal (they live in this process's loopback-only network namespace):");
    console.log(`  ${inNamespace(`${shown(DEFAULT_TALOS_TOOL)} probe -node ${nodes.controlplane[0]} -talosconfig ${shown(credentials.talosconfig)}`)}`);
    console.log(`  ${inNamespace(`curl -s ${simulator.controlUrl}/status`)}`);
    console.log(`  ${inNamespace(`${shown(talosctl?.command ?? "talosctl")} --talosconfig ${shown(credentials.talosconfig)} --nodes ${first} --endpoints ${first} get machinestatus`)}`);
    if (!noHealth) console.log(`  ${inNamespace(`kubectl --kubeconfig ${shown(credentials.kubeconfig)} get nodes`)}`);
    console.log(`simulator control: ${simulator.controlUrl}`);

    if (options.once) return 0;
    // Listening before saying so: a Ctrl-C right after the line must find the handler. Kept while
    // stopping: npm hands the terminal's Ctrl-C on to this process a second time.
    const interrupted = new Promise<void>((resolve) => {
      process.on("SIGINT", resolve);
      process.on("SIGTERM", resolve);
    });
    console.log("The simulated Cloudkoffer runs until Ctrl-C.");
    await interrupted;
    console.log("\nstart: stopping the simulated Cloudkoffer");
    return 0;
  } finally {
    await stop();
  }
}

