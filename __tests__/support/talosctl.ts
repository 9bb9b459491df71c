import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { TALOS_SIM } from "../../testing/simulator";
import { findTalosctl } from "../../operations/talosctl";

/**
 * talosctl on PATH for a test: the real talosctl of Talos 1.7 (the user's own
 * on PATH, or the one npm run setup builds from Talos' release source; see
 * operations/talosctl.ts), run through talos-sim's guard,
 * which first checks that every address it would dial (flags and
 * talosconfig) is loopback. It records its arguments and the mode of the
 * talosconfig file it was given.
 *
 * One command is a double: `upgrade-k8s` rolls new images out through every
 * node's configuration and waits for the static pods and kubelets to run
 * them, which no simulated node does (go/internal/talosctlguard/upgradek8s.go).
 * `health` is real: the simulated cluster answers Talos' checks.
 */
export class Talosctl {
  readonly bin = mkdtempSync(path.join(tmpdir(), "talosctl-"));

  constructor() {
    const real = findTalosctl();
    if (!real) throw new Error("no talosctl of Talos v1.7 to run: the tier needs one (npm run setup -- talosctl)");
    writeFileSync(
      path.join(this.bin, "talosctl"),
      [
        "#!/bin/sh",
        `echo "$*" >> "${this.bin}/calls"`,
        `[ -n "$TALOSCONFIG" ] && stat -c '%a %n' "$TALOSCONFIG" >> "${this.bin}/talosconfigs"`,
        `exec "${TALOS_SIM}" talosctl "${real.command}" "$@"`,
        "",
      ].join("\n"),
    );
    chmodSync(path.join(this.bin, "talosctl"), 0o755);
  }

  /** PATH with this talosctl first. */
  get path(): string {
    return `${this.bin}:${process.env.PATH}`;
  }

  /** The calls since the last one, and forget them. */
  takeCalls(): string[] {
    const file = path.join(this.bin, "calls");
    const calls = existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean) : [];
    rmSync(file, { force: true });
    return calls;
  }

  /** Every talosconfig file talosctl was given: mode and path. */
  talosconfigs(): { mode: string; file: string }[] {
    const file = path.join(this.bin, "talosconfigs");
    if (!existsSync(file)) return [];
    return readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((line) => ({ mode: line.split(" ")[0], file: line.split(" ")[1] }));
  }

  remove(): void {
    rmSync(this.bin, { recursive: true, force: true });
  }
}
