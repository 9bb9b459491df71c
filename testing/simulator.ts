import { readFileSync } from "fs";
import { parse } from "yaml";
import { ProbeResult } from "../lib/talos-contract";
import { ProbeRequest, TalosTool } from "../operations/talos-tool";
import { projectPath } from "../lib/project-paths";
import { assertLoopbackTalosconfig, isLoopback } from "./loopback";
import { ReadyProcess } from "./ready-process";
import { findTalosctl } from "../operations/talosctl";
import { KUBE_APISERVER, kubeApiserverBuilt } from "../setup/kube-apiserver";

/**
 * The talos-sim binary that `npm run setup` builds (go, cmd/talos-sim):
 * `talos-sim serve` serves the simulated nodes; `talos-sim talosctl` runs the
 * real talosctl behind a loopback guard, and a double only for upgrade-k8s.
 */
export const TALOS_SIM = projectPath(".build", "bin", "talos-sim");

/** One API call a simulated node saw. */
export interface SimulatedCall {
  readonly method: string;
  readonly mode: string;
  readonly code: string;
  /** When the call ended (ISO 8601). */
  readonly at: string;
  /** How long it took, in milliseconds, injected delays included. */
  readonly ms: number;
  /**
   * Lower-case hex SHA-256 of the DER of the client's certificate, "" without
   * one (maintenance mode): which credentials the client used.
   */
  readonly clientCertificate: string;
}

/** What the simulator reports of a node (go/internal/simulator/node.go NodeStatus). */
export interface SimulatedNode {
  readonly address: string;
  readonly mode: "maintenance" | "rebooting" | "waiting" | "configured" | "down";
  readonly role: "" | "controlplane" | "worker";
  readonly configDigest: string;
  readonly installDisk: string;
  readonly installImage: string;
  readonly talosVersion: string;
  readonly applies: number;
  /** Bootstraps of a new etcd cluster (recoveries not counted). */
  readonly bootstraps: number;
  /** Bootstraps that recovered etcd from a snapshot (talosctl bootstrap --recover-from). */
  readonly recoveries: number;
  /** Reset calls it carried out. */
  readonly resets: number;
  /** How often it booted (a reboot or an upgrade boots it again). */
  readonly boots: number;
  readonly upgrades: number;
  /** The Talos version of an upgrade staged for the next boot, "" without one. */
  readonly stagedVersion: string;
  /** Its faults as set (delay in nanoseconds). */
  readonly faults: {
    readonly down: boolean;
    readonly delay: number;
    readonly hang: boolean;
    readonly rejectCode: string;
    readonly rejectMethod: string;
    readonly loseReply: string;
    readonly kubeletDown: boolean;
    readonly etcdStopped: boolean;
    readonly etcdDataLost: boolean;
    readonly nodeNotReady: boolean;
    readonly staticPodDown: string;
  };
  /** The holds armed on it, and how many calls each holds now. */
  readonly holds: { readonly method: string; readonly at: HoldPoint; readonly held: number }[];
  readonly calls: SimulatedCall[];
}

/** The line `talos-sim serve` prints once every node listens. */
export interface SimulatorReady {
  /** The control API's URL. */
  readonly control: string;
  readonly nodes: string[];
}

/** Faults a node can be given. */
export interface SimulatedFaults {
  readonly delay?: string;
  readonly hang?: boolean;
  readonly rejectCode?: string;
  readonly rejectMethod?: string;
  /** The next call of this method is carried out, and its caller gets Unavailable. */
  readonly loseReply?: string;
  /** Its kubelet service fails (Talos' and Kubernetes' checks see it). */
  readonly kubeletDown?: boolean;
  /** A control plane's etcd server stops; cleared, it starts again and rejoins. */
  readonly etcdStopped?: boolean;
  /**
   * A control plane's etcd member stops and loses its data (two of three: no quorum); cleared, it starts empty:
   * it joins a healthy cluster, else waits for a bootstrap (talosctl bootstrap --recover-from).
   */
  readonly etcdDataLost?: boolean;
  /** Its Kubernetes node reports NotReady (its kubelet's own condition). */
  readonly nodeNotReady?: boolean;
  /** A control plane's static pod stops being ready. */
  readonly staticPodDown?: "kube-apiserver" | "kube-controller-manager" | "kube-scheduler";
}

/** Where a hold stops a call: before the node carries it out, or after (the reply not yet sent). */
export type HoldPoint = "before" | "after";

/** Options of {@link TalosSimulator.start}. */
export interface TalosSimulatorOptions {
  /** Loopback addresses, one per node. */
  readonly nodes: readonly string[];
  /**
   * How long a node is gone after applying a configuration.
   * @default "300ms"
   */
  readonly rebootDelay?: string;
  /**
   * Disks every node has.
   * @default ["/dev/sda", "/dev/nvme0n1"]
   */
  readonly disks?: readonly string[];
  /**
   * How long the admin client certificate of a kubeconfig from the Kubeconfig
   * API is valid, from the nodes' clock (Go duration).
   * @default "8760h"
   */
  readonly kubeconfigValidity?: string;
  /**
   * The real kube-apiserver the simulated cluster serves its Kubernetes API
   * with, once bootstrapped; undefined for none (Talos' Kubernetes checks
   * then fail).
   * @default `.build/bin/kube-apiserver` when it is built
   */
  readonly kubeApiserver?: string;
  /**
   * The real talosctl that runs Talos' health checks for ClusterService.HealthCheck.
   * @default the talosctl the project drives (operations/talosctl.ts), when there is one
   */
  readonly talosctl?: string;
}

/** The nodes' clock: real time plus how far {@link TalosSimulator.advanceClock} moved it. */
export interface SimulatedClock {
  /** The nodes' time (RFC 3339). */
  readonly now: string;
  /** How far it is ahead of real time (Go duration, e.g. "2h0m0s"). */
  readonly offset: string;
}

/** A flag and its value, or nothing when there is no value. */
function optionalFlag(flag: string, value: string | undefined): string[] {
  return value === undefined ? [] : [flag, value];
}

/** `count` loopback addresses 127.<a>.<b>.1, .2, ... */
export function loopbackAddresses(prefix: `127.${number}.${number}`, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}.${i + 1}`);
}

/**
 * A running talos-sim process: simulated Talos nodes on their own loopback
 * addresses, and its control API for status and faults.
 */
export class TalosSimulator {
  /** Starts the simulator and waits until every node listens. */
  static async start(options: TalosSimulatorOptions): Promise<TalosSimulator> {
    const process = await ReadyProcess.start<SimulatorReady>(
      TALOS_SIM,
      [
        "serve",
        "-nodes",
        options.nodes.join(","),
        "-reboot-delay",
        options.rebootDelay ?? "300ms",
        "-disks",
        (options.disks ?? ["/dev/sda", "/dev/nvme0n1"]).join(","),
        "-kubeconfig-validity",
        options.kubeconfigValidity ?? "8760h",
        ...optionalFlag("-kube-apiserver", "kubeApiserver" in options ? options.kubeApiserver : kubeApiserverBuilt() ? KUBE_APISERVER : undefined),
        ...optionalFlag("-talosctl", "talosctl" in options ? options.talosctl : findTalosctl()?.command),
      ],
    );
    return new TalosSimulator(process, process.ready.control);
  }

  private constructor(
    private readonly process: ReadyProcess<SimulatorReady>,
    readonly controlUrl: string,
  ) {}

  /** Every node's status, by address. */
  async status(): Promise<Record<string, SimulatedNode>> {
    return ((await this.request("GET", "/status")) as { nodes: Record<string, SimulatedNode> }).nodes;
  }

  /** One node's status. */
  async node(address: string): Promise<SimulatedNode> {
    return (await this.request("GET", `/nodes/${address}`)) as SimulatedNode;
  }

  /** Waits until a node is in `mode` (it reboots after applying a configuration). */
  async waitFor(address: string, mode: SimulatedNode["mode"], timeoutMs = 10000): Promise<SimulatedNode> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const node = await this.node(address);
      if (node.mode === mode) return node;
      if (Date.now() > deadline) throw new Error(`node ${address} is ${node.mode}, not ${mode}, after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Powers a node off: its port closes. */
  async down(address: string): Promise<void> {
    await this.request("POST", `/nodes/${address}/down`);
  }

  /** Powers a node on again. */
  async up(address: string): Promise<void> {
    await this.request("POST", `/nodes/${address}/up`);
  }

  /** Replaces a node's call faults. */
  async faults(address: string, faults: SimulatedFaults): Promise<void> {
    await this.request("POST", `/nodes/${address}/faults`, faults);
  }

  /** Stops every call of `method` at a node at `at`, until {@link release}. */
  async hold(address: string, method: string, at: HoldPoint): Promise<void> {
    await this.request("POST", `/nodes/${address}/hold`, { method, at });
  }

  /** Waits until a call is stopped at a hold: the moment a test means to act at. */
  async held(address: string, method: string, at: HoldPoint, timeout = "120s"): Promise<void> {
    await this.request("GET", `/nodes/${address}/held?method=${method}&at=${at}&timeout=${timeout}`);
  }

  /** Lets the calls held on `method` go on, and disarms the hold. */
  async release(address: string, method: string): Promise<void> {
    await this.request("POST", `/nodes/${address}/release`, { method });
  }

  /**
   * Moves the nodes' clock forward by a Go duration ("48h"); never back. Nodes
   * then check client certificates at that time, and date kubeconfigs from it.
   */
  async advanceClock(duration: string): Promise<void> {
    await this.request("POST", "/clock", { advance: duration });
  }

  /** The nodes' clock. */
  async clock(): Promise<SimulatedClock> {
    return (await this.request("GET", "/clock")) as SimulatedClock;
  }

  /** Wipes a node: maintenance mode, no configuration. */
  async reimage(address: string): Promise<void> {
    await this.request("POST", `/nodes/${address}/reimage`);
  }

  /** Stops the process and its nodes: SIGTERM, and SIGKILL if it has not ended within 10 s. */
  async stop(): Promise<void> {
    await this.process.stop();
  }

  private async request(method: string, route: string, body?: unknown): Promise<unknown> {
    const response = await fetch(this.controlUrl + route, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const payload = (await response.json()) as unknown;
    if (!response.ok) {
      throw new Error(`talos-sim ${method} ${route}: ${JSON.stringify(payload)}`);
    }
    return payload;
  }
}

/** Asks a node's Talos API as talosctl would, with the project's Talos tool (go/internal/probe), on loopback only. */
export function probe(node: string, request: ProbeRequest = {}): ProbeResult {
  // The probe is a real client: it goes where it is told.
  if (!isLoopback(node)) throw new Error(`refusing to probe ${node}: not a loopback address`);
  if (request.talosconfig) {
    assertLoopbackTalosconfig(parse(readFileSync(request.talosconfig, "utf8")) as Parameters<typeof assertLoopbackTalosconfig>[0], request.talosconfig);
  }
  return new TalosTool().probe(node, request);
}
