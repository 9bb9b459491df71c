/**
 * Talos' etcd disaster recovery (Talos 1.7, "Disaster Recovery"), for a
 * deployed stack, with talosctl: check everything first (the snapshot opens
 * and verifies, every control plane answers, etcd has really lost its
 * quorum unless forced), reset the control planes' EPHEMERAL partition,
 * wait until etcd on each waits to be bootstrapped, `talosctl bootstrap
 * --recover-from` on the first, then wait for the others to join and the
 * cluster to be healthy. Each step looks at the nodes first, so running the
 * same restore again finishes one that was stopped half way.
 *
 * The Terraform state is not touched: the nodes keep their configuration,
 * and talos_machine_bootstrap.this stays in the state, so the next deploy
 * plans no changes and never bootstraps again.
 */
import { existsSync, mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { describeSnapshot, SnapshotStatus, snapshotStatus } from "./etcd-backup";
import { checkHealth } from "./health";
import { ClusterNodes } from "./nodes-input";
import { isSealedBackup } from "./sealed-backup";
import { ClientConfiguration } from "./state";
import { StackTalosctl } from "./talosctl";
import { DEFAULT_TALOS_TOOL, TalosTool } from "./talos-tool";

/** What etcd on a control plane does, as `talosctl service etcd` says. */
export interface EtcdService {
  readonly node: string;
  /** Running, Preparing, Waiting, Failed, ..., or "unreachable". */
  readonly state: string;
  /** OK, Fail or ? */
  readonly health: string;
}

/** Reads `talosctl service etcd`'s STATE and HEALTH lines. */
export function parseEtcdService(node: string, output: string): EtcdService {
  const field = (name: string) => new RegExp(`^${name}\\s+(\\S+)`, "m").exec(output)?.[1] ?? "?";
  return { node, state: field("STATE"), health: field("HEALTH") };
}

/** Whether etcd on a control plane waits to be bootstrapped, as after its EPHEMERAL partition was wiped. */
export function waitsForBootstrap(service: EtcdService): boolean {
  return service.state === "Preparing";
}

/**
 * Whether the etcd members that run healthy are a quorum of the control
 * planes: then the cluster has not lost its etcd, and a restore would only
 * throw away what was written since the snapshot.
 */
export function hasQuorum(services: readonly EtcdService[]): boolean {
  const healthy = services.filter((service) => service.state === "Running" && service.health === "OK").length;
  return healthy > services.length / 2;
}

/** The control planes a restore resets: those whose etcd does not wait for bootstrap yet. */
export function toReset(services: readonly EtcdService[]): string[] {
  return services.filter((service) => !waitsForBootstrap(service)).map((service) => service.node);
}

/** etcd on a control plane, or "unreachable" when the node does not answer. */
export async function etcdService(talosctl: StackTalosctl, node: string): Promise<EtcdService> {
  const finished = await talosctl.run(node, ["service", "etcd"], 30000);
  return finished.status === 0 ? parseEtcdService(node, finished.stdout) : { node, state: "unreachable", health: "?" };
}

/** etcd on every control plane. */
export function etcdServices(talosctl: StackTalosctl, nodes: ClusterNodes): Promise<EtcdService[]> {
  return Promise.all(nodes.controlplane.map((node) => etcdService(talosctl, node)));
}

/** Waits until `ready` holds, asking every `intervalMs`, or throws `what` after `timeoutMs`. */
export async function waitUntil(what: string, ready: () => Promise<boolean>, timeoutMs: number, intervalMs = 1000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ready()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** How a restore runs. */
export interface RestoreOptions {
  readonly nodes: ClusterNodes;
  readonly talosctl: StackTalosctl;
  /** The snapshot to restore, plain (unsealed already) and checked. */
  readonly snapshot: string;
  /** Its revision, to say what a forced restore of a healthy cluster loses. */
  readonly snapshotRevision: number;
  /** A raw copy of the db file: restored without etcd's hash check. */
  readonly skipHashCheck: boolean;
  /** Restore even when etcd still has its quorum. */
  readonly force: boolean;
  /** Asks the user to go on, naming what is reset; false stops before any node is touched. */
  readonly confirm: (question: string) => Promise<boolean>;
  /** The current revision of a healthy cluster (a fresh snapshot's), for the refusal's message. */
  readonly currentRevision: (node: string) => Promise<number | undefined>;
  readonly say: (line: string) => void;
  /** How long to wait for each stage (nodes back, etcd waiting, members joined, health). */
  readonly waitMs: number;
}

/** Why a restore stopped before it touched a node. */
export class RestoreRefused extends Error {}

/**
 * Talos' disaster recovery on the stack's control planes (see the module's
 * comment). Throws {@link RestoreRefused} when it stops before touching a node.
 */
export async function restoreEtcd(options: RestoreOptions): Promise<void> {
  const { nodes, talosctl, say } = options;
  const [first] = nodes.controlplane;

  // Every control plane answers: a restore needs all of them.
  const services = await etcdServices(talosctl, nodes);
  const unreachable = services.filter((service) => service.state === "unreachable").map((service) => service.node);
  if (unreachable.length > 0) {
    throw new RestoreRefused(`control plane ${unreachable.join(", ")} does not answer: every control plane must be up for a restore. Nothing was touched.`);
  }
  say(`restore: etcd now: ${services.map((service) => `${service.node} ${service.state}${service.health === "?" ? "" : ` (${service.health})`}`).join(", ")}`);

  if (hasQuorum(services) && !options.force) {
    const now = await options.currentRevision(services.find((service) => service.state === "Running")?.node ?? first);
    const lost = now === undefined ? "whatever was written since the snapshot" : `revisions ${options.snapshotRevision + 1} to ${now}, written since the snapshot`;
    throw new RestoreRefused(
      `etcd on the control planes is healthy with quorum (revision ${now ?? "unknown"} now, the snapshot's ${options.snapshotRevision}): ` +
        `a restore would lose ${lost}. --force restores anyway. Nothing was touched.`,
    );
  }

  const resets = toReset(services);
  if (resets.length > 0) {
    const question = `restore: this resets the EPHEMERAL partition (etcd's data) of control plane${resets.length > 1 ? "s" : ""} ${resets.join(", ")}, then recovers etcd on ${first} from ${options.snapshot}. Go on?`;
    if (!(await options.confirm(question))) throw new RestoreRefused("not confirmed. Nothing was touched.");
    for (const node of resets) {
      say(`restore: ${node}: talosctl reset --graceful=false --reboot --system-labels-to-wipe=EPHEMERAL`);
      await talosctl.ok(node, ["reset", "--graceful=false", "--reboot", "--system-labels-to-wipe=EPHEMERAL", "--wait=false"]);
    }
  } else {
    say(`restore: etcd on every control plane waits to be bootstrapped already (a restore stopped half way): recovering`);
  }

  await waitUntil(
    "etcd waiting to be bootstrapped on every control plane",
    async () => (await etcdServices(talosctl, nodes)).every(waitsForBootstrap),
    options.waitMs,
  );
  say(`restore: etcd waits to be bootstrapped on ${nodes.controlplane.join(", ")}`);

  say(`restore: ${first}: talosctl bootstrap --recover-from=${options.snapshot}${options.skipHashCheck ? " --recover-skip-hash-check" : ""}`);
  await talosctl.ok(first, ["bootstrap", `--recover-from=${options.snapshot}`, ...(options.skipHashCheck ? ["--recover-skip-hash-check"] : [])]);

  await waitUntil(
    "every control plane's etcd running and healthy again",
    async () => (await etcdServices(talosctl, nodes)).every((service) => service.state === "Running" && service.health === "OK"),
    options.waitMs,
  );
  say(`restore: etcd runs on ${nodes.controlplane.join(", ")} again, from the snapshot`);
}

/** A restore of a stack, as npm run restore asks for it. */
export interface StackRestore {
  readonly stack: string;
  readonly nodes: ClusterNodes;
  readonly client: ClientConfiguration;
  readonly talosctl: string;
  /** The snapshot file, as the user named it. */
  readonly from: string;
  readonly skipHashCheck: boolean;
  readonly force: boolean;
  /** The state's passphrase, which opens a sealed backup. */
  readonly passphrase?: string;
  readonly confirm: (question: string) => Promise<boolean>;
  /** A Go duration of whole units: 90s, 10m, 1h. */
  readonly waitTimeout: string;
}

/** Milliseconds in a Go-style duration of whole units: 90s, 10m, 1h. */
export function durationMs(text: string): number {
  const match = /^(\d+)(s|m|h)$/.exec(text);
  if (!match) throw new RestoreRefused(`--wait-timeout ${text}: a duration such as 90s, 10m or 1h`);
  return Number(match[1]) * { s: 1000, m: 60000, h: 3600000 }[match[2] as "s" | "m" | "h"];
}

/**
 * Opens the snapshot (unsealed into a private folder when sealed), checks it
 * as etcd does, restores it (restoreEtcd) and waits for the cluster to be
 * healthy. Throws RestoreRefused, naming the input, before any node is touched.
 * @returns 0 restored and healthy; 1 it failed after nodes were touched (running it again goes on)
 */
export async function restoreStack(request: StackRestore): Promise<number> {
  const waitMs = durationMs(request.waitTimeout);
  const work = mkdtempSync(path.join(tmpdir(), "cloudkoffer-restore-"));
  try {
    if (!existsSync(request.from)) throw new RestoreRefused(`--from ${request.from}: no such file. Nothing was touched.`);
    let snapshot = request.from;
    if (isSealedBackup(request.from)) {
      if (!request.passphrase) throw new RestoreRefused(`--from ${request.from} is sealed with the state's passphrase: set TF_VAR_state_passphrase. Nothing was touched.`);
      snapshot = path.join(work, "snapshot");
      try {
        new TalosTool(DEFAULT_TALOS_TOOL).unseal(request.from, snapshot, request.passphrase);
      } catch (error: unknown) {
        throw new RestoreRefused(`--from ${request.from} does not open with TF_VAR_state_passphrase (${message(error)}). Nothing was touched.`);
      }
    }
    let status: SnapshotStatus;
    try {
      status = snapshotStatus(snapshot, { skipHashCheck: request.skipHashCheck });
    } catch (error: unknown) {
      throw new RestoreRefused(`--from ${request.from}: ${message(error).replace(`${snapshot}: `, "")}. Nothing was touched.`);
    }
    console.log(`restore: ${request.from}: ${describeSnapshot(status)}`);
    const talosctl = new StackTalosctl(request.talosctl, request.client);
    try {
      await restoreEtcd({
        nodes: request.nodes,
        talosctl,
        snapshot,
        snapshotRevision: status.revision,
        skipHashCheck: request.skipHashCheck,
        force: request.force,
        confirm: request.confirm,
        currentRevision: async (node) => {
          const fresh = path.join(work, "current");
          const taken = await talosctl.run(node, ["etcd", "snapshot", fresh], 60000);
          return taken.status === 0 ? snapshotStatus(fresh).revision : undefined;
        },
        say: (line) => console.log(line),
        waitMs,
      });
    } catch (error: unknown) {
      if (error instanceof RestoreRefused) throw error;
      console.error(`restore: ${message(error)}; run the same command again to go on`);
      return 1;
    }
    if ((await checkHealth(request.nodes, request.client, { talosctl: request.talosctl, waitTimeout: request.waitTimeout })) !== 0) {
      console.error(`restore: etcd is back, but the cluster did not become healthy (above); npm run health -- ${request.stack} asks again`);
      return 1;
    }
    console.log(`restore: ${request.stack} restored from ${request.from} and healthy`);
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
