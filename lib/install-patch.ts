/** Registry of the Talos installer image; the tag is the Talos version. */
export const TALOS_INSTALLER_IMAGE = "ghcr.io/siderolabs/installer";

/**
 * The patch that pins what a node installs: the profile's disk and the
 * installer of the requested Talos version.
 *
 * Without the image, provider 0.5.0 installs its built-in installer (v1.7.0)
 * whatever `talos_version` says; the seed's CLI path passes `--install-image`
 * for the same reason.
 *
 * @param installDisk the Cloudkoffer's install disk, e.g. `/dev/nvme0n1`
 * @param talosVersion the Talos version with its leading "v" (may be a token)
 */
export function installPatch(installDisk: string, talosVersion: string): string {
  return [
    "machine:",
    "  install:",
    `    disk: ${installDisk}`,
    `    image: ${TALOS_INSTALLER_IMAGE}:${talosVersion}`,
    "",
  ].join("\n");
}
