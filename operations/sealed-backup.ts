/**
 * The secrets backup as it is kept beside an encrypted state: sealed with the
 * state's passphrase by the project's Talos tool (cloudkoffer-talos seal and
 * unseal; PBKDF2-SHA512 and AES-256-GCM, as OpenTofu encrypts the state).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { SEALED_BACKUP_FORMAT } from "../lib/talos-contract";
import { TalosTool } from "./talos-tool";


/** Whether a secrets backup is sealed (and not a plain secrets.yaml). */
export function isSealedBackup(file: string): boolean {
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as { format?: unknown }).format === SEALED_BACKUP_FORMAT;
  } catch {
    return false;
  }
}

/** Seals a secrets.yaml into the backup file (atomically, mode 0600). */
export function sealSecretsBackup(file: string, secretsYaml: string, passphrase: string, talosTool: string): void {
  new TalosTool(talosTool).seal(file, secretsYaml, passphrase);
}

/**
 * Hands `use` the secrets.yaml sealed in the backup, as a file in a folder
 * only its owner reads, and removes it afterwards, whatever `use` does.
 */
export function withUnsealedBackup<T>(file: string, passphrase: string, talosTool: string, use: (secretsYaml: string) => T): T {
  const folder = mkdtempSync(path.join(tmpdir(), "cloudkoffer-unsealed-"));
  try {
    const unsealed = path.join(folder, "secrets.yaml");
    new TalosTool(talosTool).unseal(file, unsealed, passphrase);
    return use(unsealed);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
