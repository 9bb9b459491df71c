import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { VerdictCache } from "../../operations/verdict-cache";

/** A key as synth makes them: everything the verdict depends on. */
const KEY = { tool: "cloudkoffer-talos 0.1.0", talosVersion: "v1.7.4", patches: ["machine:\n  install:\n    disk: /dev/sda\n"] };
const VERDICT = [{ name: "cloudkoffer-v1", role: "controlplane", valid: true }];

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "verdict-cache-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("VerdictCache", () => {
  test("a key never kept is a miss, and asking creates nothing", () => {
    const cache = new VerdictCache(path.join(dir, "verdicts"));
    expect(cache.get(KEY)).toBeUndefined();
    expect(existsSync(cache.directory)).toBe(false);
  });

  test("a verdict kept is given back for its key, in a folder created on the first verdict", () => {
    const cache = new VerdictCache(path.join(dir, "verdicts"));
    cache.set(KEY, VERDICT);
    expect(cache.get(KEY)).toEqual(VERDICT);
    expect(readdirSync(cache.directory)).toHaveLength(1);
  });

  test("another cache on the same folder reads it: the verdicts live on disk", () => {
    new VerdictCache(dir).set(KEY, VERDICT);
    expect(new VerdictCache(dir).get(KEY)).toEqual(VERDICT);
  });

  test("keys go by content: an equal key hits, a key that differs in anything misses", () => {
    const cache = new VerdictCache(dir);
    cache.set(KEY, VERDICT);
    expect(cache.get(JSON.parse(JSON.stringify(KEY)))).toEqual(VERDICT);
    expect(cache.get({ ...KEY, talosVersion: "v1.8.0" })).toBeUndefined();
    expect(cache.get({ ...KEY, patches: [`${KEY.patches[0]} `] })).toBeUndefined();
    expect(cache.get("a string key")).toBeUndefined();
  });

  test("each key has its own entry, and setting a key again replaces its verdict", () => {
    const cache = new VerdictCache(dir);
    cache.set("first", { valid: true });
    cache.set("second", { valid: false });
    cache.set("first", { valid: false, errors: ["again"] });
    expect(cache.get("first")).toEqual({ valid: false, errors: ["again"] });
    expect(cache.get("second")).toEqual({ valid: false });
    expect(readdirSync(dir)).toHaveLength(2);
  });

  test("entries are named by the sha256 of the key, written as 0644 at most (no secrets in a verdict)", () => {
    const cache = new VerdictCache(dir);
    cache.set(KEY, VERDICT);
    const [entry] = readdirSync(dir);
    expect(entry).toMatch(/^[0-9a-f]{64}\.json$/);
    expect(JSON.parse(readFileSync(path.join(dir, entry), "utf8"))).toEqual(VERDICT);
    // The umask may narrow 0644, never widen it.
    const mode = statSync(path.join(dir, entry)).mode & 0o777;
    expect(mode & 0o600).toBe(0o600);
    expect(mode & ~0o644).toBe(0);
  });

  test("an entry that does not parse counts as none", () => {
    const cache = new VerdictCache(dir);
    cache.set(KEY, VERDICT);
    const [entry] = readdirSync(dir);
    writeFileSync(path.join(dir, entry), '[{"name": "cloudkoffer-v1", "ro');
    expect(cache.get(KEY)).toBeUndefined();
    writeFileSync(path.join(dir, entry), "");
    expect(cache.get(KEY)).toBeUndefined();
  });

  test("a verdict that is no object is kept as it is", () => {
    const cache = new VerdictCache(dir);
    cache.set("number", 0);
    cache.set("null", null);
    cache.set("false", false);
    expect(cache.get("number")).toBe(0);
    expect(cache.get("null")).toBeNull();
    expect(cache.get("false")).toBe(false);
  });

  test("no partial files are left beside the entries", () => {
    const cache = new VerdictCache(dir);
    for (let i = 0; i < 5; i++) cache.set({ run: i }, { ...VERDICT[0], run: i });
    const entries = readdirSync(dir);
    expect(entries).toHaveLength(5);
    expect(entries.every((entry) => /^[0-9a-f]{64}\.json$/.test(entry))).toBe(true);
  });
});
