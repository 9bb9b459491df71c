package simulator

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/constants"
)

// kubeTestSimulator is a simulator whose nodes run the configurations given
// (control planes first), without their Talos API.
func kubeTestSimulator(t *testing.T, settings Settings, nodes map[string]config.Provider) (*Simulator, *kubeCluster) {
	t.Helper()

	sim := &Simulator{settings: settings, nodes: map[string]*Node{}}

	addresses := make([]string, 0, len(nodes))
	for address := range nodes {
		addresses = append(addresses, address)
	}

	slices.Sort(addresses)

	var cluster string

	for _, address := range addresses {
		node := configuredNode(sim, address, nodes[address])
		sim.nodes[address], sim.order = node, append(sim.order, address)
		cluster = nodes[address].Cluster().ID()
	}

	return sim, &kubeCluster{sim: sim, id: cluster, state: newKubeState()}
}

func TestTheKubernetesAPIIsNotStartedOffLoopback(t *testing.T) {
	controlPlane, _ := configsFor(t, "https://10.5.0.1:6443")
	_, k := kubeTestSimulator(t, Settings{}, map[string]config.Provider{"127.0.0.1": controlPlane})

	if _, err := k.plan(); !errors.Is(err, errKubeRefused) || !strings.Contains(err.Error(), "https://10.5.0.1:6443 is not on a loopback address") {
		t.Fatalf("%v, want it refused", err)
	}
}

func TestTheKubeAPIServerServesTheClusterEndpointWithTheClustersCA(t *testing.T) {
	controlPlane, err := sharedControlPlane()
	if err != nil {
		t.Fatal(err)
	}

	_, k := kubeTestSimulator(t, Settings{}, map[string]config.Provider{"127.0.0.1": controlPlane, "127.0.0.2": controlPlane})

	plan, err := k.plan()
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()

	args, err := writeKubeFiles(dir, plan)
	if err != nil {
		t.Fatal(err)
	}

	for _, want := range []string{
		"--advertise-address=127.0.0.254", "--bind-address=127.0.0.254", "--secure-port=6443",
		"--etcd-servers=http://127.0.0.1:2379,http://127.0.0.2:2379",
		"--authorization-mode=Node,RBAC",
		"--client-ca-file=" + filepath.Join(dir, "client-ca.crt"),
		"--service-account-issuer=https://127.0.0.254:6443",
		"--service-account-signing-key-file=" + filepath.Join(dir, "service-account.key"),
		"--service-cluster-ip-range=10.96.0.0/12",
	} {
		if !slices.Contains(args, want) {
			t.Errorf("no %s in %v", want, args)
		}
	}

	content, err := os.ReadFile(filepath.Join(dir, "apiserver.crt"))
	if err != nil {
		t.Fatal(err)
	}

	block, _ := pem.Decode(content)

	serving, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(controlPlane.Cluster().IssuingCA().Crt)

	for _, name := range []string{"127.0.0.254", "127.0.0.1", "127.0.0.2", "localhost"} {
		if _, err := serving.Verify(x509.VerifyOptions{Roots: roots, DNSName: name}); err != nil {
			t.Errorf("the serving certificate for %s: %v", name, err)
		}
	}

	if key, err := os.ReadFile(filepath.Join(dir, "service-account.key")); err != nil || string(key) != string(controlPlane.Cluster().ServiceAccount().Key) {
		t.Errorf("the service account key is not the configuration's (%v)", err)
	}

	// The admin kubeconfig the Kubeconfig API hands out: signed by that CA, for system:masters, naming the endpoint.
	kc, err := adminKubeconfig(controlPlane, time.Now(), time.Hour)
	if err != nil || !strings.Contains(string(kc), "server: https://127.0.0.254:6443") {
		t.Fatalf("%s (%v)", kc, err)
	}
}

// objectsByKey are the objects by key.
func objectsByKey(objects []kubeObject) map[string]kubeObject {
	byKey := map[string]kubeObject{}
	for _, object := range objects {
		byKey[object.key] = object
	}

	return byKey
}

// condition is a condition's status, reason of an object's status.
func condition(t *testing.T, object kubeObject, kind string) (string, string) {
	t.Helper()

	conditions, _ := object.status["conditions"].([]any) //nolint:errcheck

	for _, c := range conditions {
		if c := c.(map[string]any); c["type"] == kind { //nolint:forcetypeassert
			reason, _ := c["reason"].(string) //nolint:errcheck

			return c["status"].(string), reason //nolint:forcetypeassert
		}
	}

	t.Fatalf("%s has no condition %s: %v", object.key, kind, object.status)

	return "", ""
}

func TestWhatTheKubeletsReportFollowsTheNodesAndTheirFaults(t *testing.T) {
	controlPlane, err := sharedControlPlane()
	if err != nil {
		t.Fatal(err)
	}

	for _, proxy := range []bool{true, false} {
		cfg := controlPlane
		if !proxy {
			cfg = patched(t, controlPlane, "cluster:\n  proxy:\n    disabled: true\n")
		}

		_, k := kubeTestSimulator(t, Settings{}, map[string]config.Provider{"127.0.0.1": cfg, "127.0.0.2": cfg, "127.0.0.3": cfg})
		now := time.Now()
		members := []kubeNodeFacts{
			{address: "127.0.0.1", controlPlane: true, up: true, staticPodDown: "kube-scheduler", talosVersion: "v1.7.4", cfg: cfg},
			{address: "127.0.0.2", controlPlane: true, up: false, talosVersion: "v1.7.4", cfg: cfg},
			{address: "127.0.0.3", controlPlane: true, up: true, notReady: true, talosVersion: "v1.7.4", cfg: cfg},
			{address: "127.0.0.4", up: true, kubeletDown: true, talosVersion: "v1.7.4", cfg: cfg},
			{address: "127.0.0.5", up: true, talosVersion: "v1.7.4", cfg: cfg},
		}

		owners := objectsByKey(k.owners(cfg, members, now))
		k.state.uids["replicaset/kube-system/coredns"], k.state.uids["daemonset/kube-system/kube-proxy"] = "rs-uid", "ds-uid"
		pods := objectsByKey(k.pods(cfg, members, now))

		for address, want := range map[string][2]string{
			"127.0.0.1": {"True", "KubeletReady"},
			"127.0.0.2": {"Unknown", "NodeStatusUnknown"},
			"127.0.0.3": {"False", "SimulatedNodeNotReady"},
			"127.0.0.4": {"Unknown", "NodeStatusUnknown"},
			"127.0.0.5": {"True", "KubeletReady"},
		} {
			node, ok := owners["node/"+address]
			if !ok {
				t.Fatalf("no Node %s", address)
			}

			if status, reason := condition(t, node, "Ready"); status != want[0] || reason != want[1] {
				t.Errorf("Node %s: Ready %s (%s), want %v", address, status, reason, want)
			}

			labels := node.body["metadata"].(map[string]any)["labels"].(map[string]any) //nolint:forcetypeassert
			if _, ok := labels[constants.LabelNodeRoleControlPlane]; ok != (address <= "127.0.0.3") || labels["kubernetes.io/hostname"] != address {
				t.Errorf("Node %s: labels %v", address, labels)
			}
		}

		for name, want := range map[string]string{
			"kube-apiserver-127.0.0.1":          "True",
			"kube-scheduler-127.0.0.1":          "False", // staticPodDown
			"kube-controller-manager-127.0.0.2": "False", // its node is off
			"kube-apiserver-127.0.0.3":          "False", // its node is not ready
		} {
			pod, ok := pods["pod/kube-system/"+name]
			if !ok {
				t.Fatalf("no mirror pod %s", name)
			}

			if status, _ := condition(t, pod, "Ready"); status != want {
				t.Errorf("%s: Ready %s, want %s", name, status, want)
			}
		}

		crashing := pods["pod/kube-system/kube-scheduler-127.0.0.1"].status["containerStatuses"].([]any)[0].(map[string]any) //nolint:forcetypeassert
		if crashing["state"].(map[string]any)["waiting"] == nil || crashing["ready"] != false {                              //nolint:forcetypeassert
			t.Errorf("the static pod down: %v", crashing)
		}

		if _, ok := owners["replicaset/kube-system/coredns"]; !ok || pods["pod/kube-system/coredns-0"].body == nil || pods["pod/kube-system/coredns-1"].body == nil {
			t.Errorf("no CoreDNS ReplicaSet with two pods")
		}

		for _, i := range []string{"0", "1"} {
			node := pods["pod/kube-system/coredns-"+i].body["spec"].(map[string]any)["nodeName"].(string) //nolint:forcetypeassert
			if node > "127.0.0.3" {
				t.Errorf("CoreDNS pod %s on %s, not a control plane", i, node)
			}
		}

		_, daemonSet := owners["daemonset/kube-system/kube-proxy"]
		proxyPods := 0

		for key := range pods {
			if strings.HasPrefix(key, "pod/kube-system/kube-proxy/") {
				proxyPods++
			}
		}

		if daemonSet != proxy || (proxy && proxyPods != len(members)) || (!proxy && proxyPods != 0) {
			t.Errorf("kube-proxy enabled %t: DaemonSet %t, %d pods", proxy, daemonSet, proxyPods)
		}
	}
}
