import { DEFAULT_TALOS_VERSION } from "./talos-versions";

/**
 * How to install the talosctl of the Talos release the stacks install, the
 * official ways (https://www.talos.dev/v1.7/talos-guides/install/talosctl/).
 * npm start, the tests and the maintenance scripts all say it where no
 * talosctl is there to use.
 */
export const TALOSCTL_INSTALL_HINT =
  `install talosctl ${DEFAULT_TALOS_VERSION}: download ` +
  `https://github.com/siderolabs/talos/releases/download/${DEFAULT_TALOS_VERSION}/talosctl-<os>-<arch> ` +
  "(e.g. talosctl-linux-amd64, talosctl-darwin-arm64) as talosctl into a folder on PATH and make it executable; " +
  "brew install siderolabs/tap/talosctl and curl -sL https://talos.dev/install | sh install the newest release instead " +
  "(https://www.talos.dev/v1.7/talos-guides/install/talosctl/)";
