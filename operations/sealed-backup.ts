/**
 * The secrets backup as it is kept beside an encrypted state: sealed with the
 * state's passphrase by the project's Talos tool (cloudkoffer-talos seal and
 * unseal; PBKDF2-SHA512 and AES-256-GCM, as OpenTofu encrypts the state).
 */
import { spawnSync } from "child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";

/** What a sealed backup says it is (go/internal/sealedbackup). */
const SEALED_FORMAT = "cloudkoffer sealed secrets backup v1";

/** Whether a secrets backup is sealed (and not a plain secrets.yaml). */
export function isSealedBackup(file: string): boolean {
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as { format?: unknown }).format === SEALED_FORMAT;
  } catch {
    return false;
  }
}

/** Runs the Talos tool with the passphrase in its environment, never on its command line. */
function talos(talosTool: string, args: readonly string[], passphrase: string, input?: string): string {
  const result = spawnSync(talosTool, args, { input, encoding: "utf8", env: { ...process.env, CLOUDKOFFER_SECRETS_PASSPHRASE: passphrase } });
  if (result.status !== 0) throw new Error(`${path.basename(talosTool)} ${args[0]}: ${(result.stderr || result.error?.message || "").trim()}`);
  return result.stdout;
}

/** Seals a secrets.yaml into the backup file (atomically, mode 0600). */
export function sealSecretsBackup(file: string, secretsYaml: string, passphrase: string, talosTool: string): void {
  talos(talosTool, ["seal", "-file", file], passphrase, secretsYaml);
}

/**
 * Hands `use` the secrets.yaml sealed in the backup, as a file in a folder
 * only its owner reads, and removes it afterwards, whatever `use` does.
 */
export function withUnsealedBackup<T>(file: string, passphrase: string, talosTool: string, use: (secretsYaml: string) => T): T {
  const folder = mkdtempSync(path.join(tmpdir(), "cloudkoffer-unsealed-"));
  try {
    const unsealed = path.join(folder, "secrets.yaml");
    talos(talosTool, ["unseal", "-file", file, "-out", unsealed], passphrase);
    return use(unsealed);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
