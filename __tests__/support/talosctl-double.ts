import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { TALOS_SIM } from "../../tools/harness/simulator";

/**
 * A talosctl on PATH that records its arguments (and the mode of the
 * talosconfig file it was given) and answers as talosctl does, through
 * talos-sim's talosctl double (tools/talos/internal/talosctldouble), against the simulated nodes.
 */
export class TalosctlDouble {
  readonly bin = mkdtempSync(path.join(tmpdir(), "talosctl-"));

  constructor() {
    writeFileSync(
      path.join(this.bin, "talosctl"),
      [
        "#!/bin/sh",
        `echo "$*" >> "${this.bin}/calls"`,
        `[ -n "$TALOSCONFIG" ] && stat -c '%a %n' "$TALOSCONFIG" >> "${this.bin}/talosconfigs"`,
        `exec "${TALOS_SIM}" talosctl "$@"`,
        "",
      ].join("\n"),
    );
    chmodSync(path.join(this.bin, "talosctl"), 0o755);
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

