import { execFileSync } from "child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../lib/project-paths";

/** Every file below `dir`, by relative path, with its content. */
function tree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (relative: string) => {
    for (const entry of readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const child = path.join(relative, entry.name);
      if (entry.isDirectory()) walk(child);
      else files.set(child, readFileSync(path.join(dir, child), "utf8"));
    }
  };
  walk("");
  return files;
}

test("the committed .gen/ is exactly what `npm run get` generates", () => {
  const out = mkdtempSync(path.join(tmpdir(), "gen-"));
  try {
    execFileSync(path.join(PROJECT_ROOT, "commands", "get.sh"), [out], { cwd: PROJECT_ROOT, stdio: "pipe" });
    const fresh = tree(out);
    const committed = tree(path.join(PROJECT_ROOT, ".gen"));
    expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
    for (const [file, content] of fresh) {
      expect({ file, content: committed.get(file) }).toEqual({ file, content });
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
