import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { stringify } from "yaml";
import { writeFileAtomically } from "./atomic-file";
import { ClientConfiguration } from "./state";

/**
 * Hands `use` a talosconfig with the state's client certificate for these
 * endpoints and nodes, in a 0600 file in a folder of its own, gone afterwards
 * whatever `use` does.
 */
export async function withTalosconfig<T>(
  client: ClientConfiguration,
  endpoints: readonly string[],
  nodes: readonly string[],
  use: (talosconfig: string) => T | Promise<T>,
): Promise<T> {
  const work = mkdtempSync(path.join(tmpdir(), "talosconfig-"));
  try {
    const talosconfig = path.join(work, "talosconfig");
    const context = { endpoints, nodes, ca: client.ca_certificate, crt: client.client_certificate, key: client.client_key };
    writeFileAtomically(talosconfig, stringify({ context: "cloudkoffer", contexts: { cloudkoffer: context } }));
    return await use(talosconfig);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
