import { spawnSync } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { assertLoopbackTalosconfig, isLoopback, loopbackDeployEnvironment } from "../testing/loopback";
import { Talosctl } from "./support/talosctl";
import { describeWith } from "./support/tiers";

/** Tests and the demo hand real clients (the provider, talosctl, the probe) configurations: loopback only. */
describe("every test and demo configuration names loopback endpoints only", () => {
  test("a deploy to simulated nodes gets a loopback VIP when it names none", () => {
    expect(loopbackDeployEnvironment({ TF_VAR_nodes: '{"controlplane"=["127.9.0.1"],"worker"=["127.9.0.2"]}' })).toEqual({
      TF_VAR_nodes: '{"controlplane"=["127.9.0.1"],"worker"=["127.9.0.2"]}',
      TF_VAR_cluster_vip: "127.9.0.254",
    });
  });

  test.each([
    ["the seed's VIP", { TF_VAR_nodes: '{"controlplane"=["127.9.0.1"],"worker"=[]}', TF_VAR_cluster_vip: "192.168.1.101" }, "192.168.1.101"],
    ["a real node", { TF_VAR_nodes: '{"controlplane"=["127.9.0.1"],"worker"=["10.0.0.4"]}' }, "10.0.0.4"],
  ])("a deploy naming %s fails before anything runs", (_case, env, address) => {
    expect(() => loopbackDeployEnvironment(env)).toThrow(`refusing a deploy that names addresses outside loopback: ${address}`);
  });

  test("a deploy without TF_VAR_nodes would go to the real case's default addresses: refused", () => {
    expect(() => loopbackDeployEnvironment({})).toThrow("must set TF_VAR_nodes");
  });

  test("a talosconfig naming a real endpoint is never handed to a client", () => {
    const talosconfig = { contexts: { cloudkoffer: { endpoints: ["127.9.0.1", "192.168.1.2"], nodes: ["127.9.0.1"] } } };
    expect(() => assertLoopbackTalosconfig(talosconfig, "talosconfig")).toThrow("it names 192.168.1.2, outside loopback");
    expect(() => assertLoopbackTalosconfig({ contexts: { c: { endpoints: ["127.9.0.1:50000"] } } }, "talosconfig")).not.toThrow();
  });

  test.each([
    ["127.0.0.1", true],
    ["127.255.1.2", true],
    ["::1", true],
    ["128.0.0.1", false],
    ["192.168.1.101", false],
    ["fd00::1", false],
  ])("%s is loopback: %s", (address, loopback) => {
    expect(isLoopback(address)).toBe(loopback);
  });
});

describeWith(["simulator", "talosctl"])("the real talosctl of the tests dials loopback addresses only", () => {
  let talosctl: Talosctl;
  let dir: string;
  beforeAll(() => {
    talosctl = new Talosctl();
    dir = mkdtempSync(path.join(tmpdir(), "talosconfig-"));
  });
  afterAll(() => {
    talosctl.remove();
    rmSync(dir, { recursive: true, force: true });
  });
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync("talosctl", args, { env: { ...process.env, PATH: talosctl.path, HOME: dir, ...env }, encoding: "utf8" });

  test.each([
    ["the seed's first control plane", ["version", "--nodes=192.168.1.1"], '--nodes names "192.168.1.1"'],
    ["an endpoint with a port", ["version", "-n", "127.9.0.1", "-e", "10.0.0.1:50000"], '--endpoints names "10.0.0.1:50000"'],
    ["a name, which could resolve anywhere", ["get", "machinestatus", "--nodes=talos.local", "--insecure"], '--nodes names "talos.local"'],
  ])("%s: refused before talosctl runs", (_case, args, named) => {
    const result = run(args);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`refusing to run talosctl: ${named}, which is not a loopback address`);
  });

  test("a talosconfig whose endpoint is the seed's VIP: refused, naming the file and the context", () => {
    const talosconfig = path.join(dir, "talosconfig");
    writeFileSync(talosconfig, "context: cloudkoffer\ncontexts:\n  cloudkoffer:\n    endpoints: [192.168.1.101]\n    nodes: [127.9.0.1]\n", { mode: 0o600 });
    const result = run(["version"], { TALOSCONFIG: talosconfig });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`endpoints of context "cloudkoffer" in ${talosconfig} names "192.168.1.101"`);
  });

  test("loopback addresses reach the real talosctl", () => {
    const result = run(["version", "--client"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Client:\n\tTag:\s+v1\.7\.4/);
  });
});
