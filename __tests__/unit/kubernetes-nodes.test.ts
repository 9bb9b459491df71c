import { stringify } from "yaml";
import { KubernetesNode, kubectlAge, kubernetesAccess, nodesTable } from "../../operations/kubernetes-nodes";

const b64 = (text: string) => Buffer.from(text).toString("base64");

/** A kubeconfig as provider 0.5.0's kubeconfig_raw writes it: one context, data embedded. */
const kubeconfig = (overrides: Record<string, unknown> = {}) =>
  stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "cloudkoffer", cluster: { server: "https://127.77.0.254:6443", "certificate-authority-data": b64("CA") } }],
    users: [{ name: "admin@cloudkoffer", user: { "client-certificate-data": b64("CERT"), "client-key-data": b64("KEY") } }],
    contexts: [{ name: "admin@cloudkoffer", context: { cluster: "cloudkoffer", user: "admin@cloudkoffer" } }],
    "current-context": "admin@cloudkoffer",
    ...overrides,
  });

describe("kubernetesAccess: the current context of the stack's kubeconfig", () => {
  test("reads the server, the CA and the client certificate", () => {
    expect(kubernetesAccess(kubeconfig())).toEqual({ server: "https://127.77.0.254:6443", ca: "CA", cert: "CERT", key: "KEY" });
  });

  test("names what is missing", () => {
    expect(() => kubernetesAccess(kubeconfig({ "current-context": "other" }))).toThrow('the kubeconfig names no context "other"');
    expect(() => kubernetesAccess(kubeconfig({ users: [] }))).toThrow('the kubeconfig has no user "admin@cloudkoffer"');
    expect(() => kubernetesAccess(kubeconfig({ users: [{ name: "admin@cloudkoffer", user: {} }] }))).toThrow(
      "the kubeconfig has no client-certificate-data",
    );
  });
});

describe("kubectl get nodes, as kubectl prints it", () => {
  test.each([
    [0, "0s"],
    [119, "119s"],
    [120, "2m"],
    [310, "5m10s"],
    [600, "10m"],
    [3 * 3600, "3h"],
    [6 * 3600 + 20 * 60, "6h20m"],
    [30 * 3600, "30h"],
    [2 * 86400 + 5 * 3600, "2d5h"],
    [30 * 86400, "30d"],
  ])("an age of %i s is %s", (seconds, age) => {
    expect(kubectlAge(seconds)).toBe(age);
  });

  test("NAME, STATUS, ROLES, AGE, VERSION; nodes in address order, NotReady and cordoned shown", () => {
    const now = new Date("2026-01-01T00:10:00Z");
    const node = (name: string, ready: string, labels: Record<string, string> = {}, unschedulable = false): KubernetesNode => ({
      metadata: { name, creationTimestamp: "2026-01-01T00:00:00Z", labels },
      spec: { unschedulable },
      status: { conditions: [{ type: "Ready", status: ready }], nodeInfo: { kubeletVersion: "v1.30.1" } },
    });
    const table = nodesTable(
      [
        node("127.77.0.10", "True"),
        node("127.77.0.2", "Unknown", { "node-role.kubernetes.io/control-plane": "" }),
        node("127.77.0.1", "True", { "node-role.kubernetes.io/control-plane": "" }),
        node("127.77.0.4", "True", {}, true),
      ],
      now,
    );
    expect(table.split("\n")).toEqual([
      "NAME          STATUS                     ROLES           AGE   VERSION",
      "127.77.0.1    Ready                      control-plane   10m   v1.30.1",
      "127.77.0.2    NotReady                   control-plane   10m   v1.30.1",
      "127.77.0.4    Ready,SchedulingDisabled   <none>          10m   v1.30.1",
      "127.77.0.10   Ready                      <none>          10m   v1.30.1",
    ]);
  });
});
