/**
 * etcd backups of a deployed stack: `talosctl etcd snapshot` from a control
 * plane that answers, checked with etcd's own snapshot status (hash,
 * revision, keys), sealed with the state's passphrase when the state is
 * encrypted, kept in a backups folder (the newest N), named by stack and UTC
 * time, mode 0600.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "fs";
import * as path from "path";
import { DEFAULT_ETCD_BACKUP_KEEP } from "../lib/etcd-backups";
import { projectPath } from "../lib/project-paths";
import { ClusterNodes } from "./nodes-input";
import { ProgramError, runProgram } from "./program";
import { ClientConfiguration } from "./state";
import { StackTalosctl } from "./talosctl";
import { TalosTool } from "./talos-tool";

/** The project's etcd tool, built by `npm run setup` (the talos-tool step). */
export const DEFAULT_ETCD_TOOL = projectPath(".build", "bin", "cloudkoffer-etcd");

/** How many backups of a stack are kept, unless told otherwise. */
export const DEFAULT_BACKUP_KEEP = DEFAULT_ETCD_BACKUP_KEEP;

/** Where backups go, unless told otherwise: `backups/` beside the local state (git-ignored), as the stack's upgrades keep them. */
export const DEFAULT_BACKUP_DIRECTORY = projectPath("backups");

/** What etcd's snapshot status says of a snapshot (cloudkoffer-etcd status). */
export interface SnapshotStatus {
  /** CRC-32C of every bucket, key and value, as etcdutl computes it. */
  readonly hash: number;
  /** The key space's newest revision. */
  readonly revision: number;
  /** Keys in every bucket. */
  readonly totalKey: number;
  /** The database's size, in bytes. */
  readonly totalSize: number;
  /** Whether it carried etcd's SHA-256, which matched. */
  readonly sha256: boolean;
}

/** Checks a snapshot as etcd does and reads its status; throws, naming the file and what is wrong. */
export function snapshotStatus(file: string, options: { readonly skipHashCheck?: boolean; readonly etcdTool?: string } = {}): SnapshotStatus {
  const tool = options.etcdTool ?? DEFAULT_ETCD_TOOL;
  const run = runProgram(tool, ["status", "-file", file, ...(options.skipHashCheck ? ["-skip-hash-check"] : [])]);
  if (run.status !== 0) throw new Error(run.stderr.trim().replace(/^cloudkoffer-etcd: /, "") || `${file}: cloudkoffer-etcd status exited ${run.status}`);
  return JSON.parse(run.stdout) as SnapshotStatus;
}

/** One line of what a snapshot holds. */
export function describeSnapshot(status: SnapshotStatus): string {
  return `revision ${status.revision}, ${status.totalKey} keys, ${status.totalSize} bytes, hash ${status.hash.toString(16).padStart(8, "0")}${status.sha256 ? ", SHA-256 verified" : ""}`;
}

/** How a backup is taken. */
export interface BackupOptions {
  readonly stack: string;
  readonly nodes: ClusterNodes;
  /** The state's admin client certificate. */
  readonly client: ClientConfiguration;
  /** The talosctl to run. */
  readonly talosctl: string;
  /** @default DEFAULT_BACKUP_DIRECTORY */
  readonly directory?: string;
  /** @default DEFAULT_BACKUP_KEEP */
  readonly keep?: number;
  /** The state's passphrase: the backup is sealed with it (an encrypted state's backups are). */
  readonly passphrase?: string;
  /** Seals with it. @default DEFAULT_TALOS_TOOL */
  readonly talosTool?: string;
  /** @default DEFAULT_ETCD_TOOL */
  readonly etcdTool?: string;
  /** @default now */
  readonly now?: Date;
}

/** A backup written. */
export interface Backup {
  readonly file: string;
  /** The control plane it was taken from. */
  readonly node: string;
  readonly status: SnapshotStatus;
  readonly sealed: boolean;
  /** Older backups of the stack removed to keep the newest N. */
  readonly removed: readonly string[];
}

/** A backup's file name: the stack and the UTC time, sortable. */
export function backupFileName(stack: string, now: Date, sealed: boolean): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
  return `${stack}-${stamp}.etcd.snapshot${sealed ? ".sealed" : ""}`;
}

/** The stack's backups in a folder, oldest first. */
export function stackBackups(directory: string, stack: string): string[] {
  if (!existsSync(directory)) return [];
  const pattern = new RegExp(`^${stack.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-\\d{8}T\\d{6}Z\\.etcd\\.snapshot(\\.sealed)?$`);
  return readdirSync(directory)
    .filter((name) => pattern.test(name))
    .sort()
    .map((name) => path.join(directory, name));
}

/**
 * Takes a backup: a snapshot from the first control plane that gives one, in
 * a private folder, checked, then sealed or moved into the backups folder
 * atomically with mode 0600; then only the newest `keep` are kept.
 * @throws naming every control plane and why, when none gave a sound snapshot
 */
export async function takeBackup(options: BackupOptions): Promise<Backup> {
  const directory = options.directory ?? DEFAULT_BACKUP_DIRECTORY;
  const keep = options.keep ?? DEFAULT_BACKUP_KEEP;
  if (!Number.isInteger(keep) || keep < 1) throw new Error(`keep ${keep}: keep at least 1 backup`);
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const work = mkdtempSync(path.join(directory, ".taking-"));
  try {
    chmodSync(work, 0o700);
    const raw = path.join(work, "snapshot");
    const failures: string[] = [];
    const talosctl = new StackTalosctl(options.talosctl, options.client);
    for (const node of options.nodes.controlplane) {
      try {
        // A large etcd takes a while to stream.
        const snapshot = await talosctl.run(node, ["etcd", "snapshot", raw], 600000);
        if (snapshot.status !== 0) throw new Error((snapshot.stderr || snapshot.stdout).trim().split("\n").pop() ?? `exit ${snapshot.status}`);
        chmodSync(raw, 0o600);
        const status = snapshotStatus(raw, { etcdTool: options.etcdTool });
        const sealed = options.passphrase !== undefined;
        const file = path.join(directory, backupFileName(options.stack, options.now ?? new Date(), sealed));
        if (existsSync(file)) throw new Error(`${file} exists already`);
        if (sealed) {
          new TalosTool(options.talosTool).seal(file, readFileSync(raw), options.passphrase as string);
        } else {
          renameSync(raw, file);
        }
        const removed = stackBackups(directory, options.stack).slice(0, -keep);
        for (const old of removed) rmSync(old, { force: true });
        return { file, node, status, sealed, removed };
      } catch (error: unknown) {
        failures.push(`${node}: ${error instanceof ProgramError || error instanceof Error ? error.message : String(error)}`);
        rmSync(raw, { force: true });
      }
    }
    throw new Error(`no control plane gave a sound etcd snapshot (${failures.join("; ")})`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
