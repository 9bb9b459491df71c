/**
 * The decisions of an etcd backup and restore, without nodes: names, which
 * backups stay, what `talosctl service etcd` says, quorum, what is reset.
 */
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { backupFileName, describeSnapshot, stackBackups } from "../../operations/etcd-backup";
import { durationMs, EtcdService, hasQuorum, parseEtcdService, toReset, waitsForBootstrap } from "../../operations/etcd-restore";

const service = (node: string, state: string, health = "?"): EtcdService => ({ node, state, health });

describe("etcd backups", () => {
  test("named by stack and UTC time to the second, sortable; sealed ones say so", () => {
    const at = new Date("2026-12-05T23:04:05.678Z");
    expect(backupFileName("cloudkoffer-v3", at, false)).toBe("cloudkoffer-v3-20261205T230405Z.etcd.snapshot");
    expect(backupFileName("cloudkoffer-v3", at, true)).toBe("cloudkoffer-v3-20261205T230405Z.etcd.snapshot.sealed");
  });

  test("a stack's backups, oldest first: not another stack's, not a file being taken, not anything else", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "backups-"));
    try {
      for (const name of [
        "cloudkoffer-v3-20261205T230405Z.etcd.snapshot",
        "cloudkoffer-v3-20261204T010101Z.etcd.snapshot.sealed",
        "cloudkoffer-v1-20261203T010101Z.etcd.snapshot",
        "cloudkoffer-v3-latest.etcd.snapshot",
        "notes.txt",
      ]) {
        writeFileSync(path.join(dir, name), "");
      }
      expect(stackBackups(dir, "cloudkoffer-v3").map((file) => path.basename(file))).toEqual([
        "cloudkoffer-v3-20261204T010101Z.etcd.snapshot.sealed",
        "cloudkoffer-v3-20261205T230405Z.etcd.snapshot",
      ]);
      expect(stackBackups(path.join(dir, "none"), "cloudkoffer-v3")).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a snapshot's line: revision, keys, size, etcd's hash in hex", () => {
    expect(describeSnapshot({ hash: 0xc25fd181, revision: 4193, totalKey: 1287, totalSize: 3035136, sha256: true })).toBe(
      "revision 4193, 1287 keys, 3035136 bytes, hash c25fd181, SHA-256 verified",
    );
    expect(describeSnapshot({ hash: 7, revision: 1, totalKey: 2, totalSize: 4096, sha256: false })).toBe("revision 1, 2 keys, 4096 bytes, hash 00000007");
  });
});

describe("etcd on the control planes, as a restore sees it", () => {
  test("talosctl service etcd: STATE and HEALTH", () => {
    const output = ["NODE     127.0.0.1", "ID       etcd", "STATE    Preparing", "HEALTH   ?", "EVENTS   [Preparing]: Running pre state (17s ago)"].join("\n");
    expect(parseEtcdService("127.0.0.1", output)).toEqual({ node: "127.0.0.1", state: "Preparing", health: "?" });
    expect(waitsForBootstrap(parseEtcdService("127.0.0.1", output))).toBe(true);
    expect(parseEtcdService("127.0.0.2", "STATE    Running\nHEALTH   OK\n")).toEqual({ node: "127.0.0.2", state: "Running", health: "OK" });
  });

  test("quorum: more than half of the control planes run a healthy member", () => {
    expect(hasQuorum([service("a", "Running", "OK"), service("b", "Running", "OK"), service("c", "Failed", "Fail")])).toBe(true);
    expect(hasQuorum([service("a", "Running", "OK"), service("b", "Running", "Fail"), service("c", "Preparing")])).toBe(false);
    expect(hasQuorum([service("a", "Running", "OK")])).toBe(true);
    expect(hasQuorum([service("a", "Preparing")])).toBe(false);
  });

  test("only the control planes whose etcd does not wait for bootstrap yet are reset: running again goes on", () => {
    expect(toReset([service("a", "Running", "Fail"), service("b", "Preparing"), service("c", "Failed")])).toEqual(["a", "c"]);
    expect(toReset([service("a", "Preparing"), service("b", "Preparing")])).toEqual([]);
  });

  test("--wait-timeout: whole seconds, minutes or hours", () => {
    expect(durationMs("90s")).toBe(90000);
    expect(durationMs("10m")).toBe(600000);
    expect(durationMs("1h")).toBe(3600000);
    expect(() => durationMs("10 minutes")).toThrow("--wait-timeout 10 minutes: a duration such as 90s, 10m or 1h");
  });
});
