import { assertLoopbackTalosconfig, isLoopback, loopbackDeployEnvironment } from "../tools/harness/loopback";

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
