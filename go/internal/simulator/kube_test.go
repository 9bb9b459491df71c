package simulator

import (
	"bytes"
	"context"
	"crypto/tls"
	stdx509 "crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cosi-project/runtime/pkg/safe"
	clusterapi "github.com/siderolabs/talos/pkg/machinery/api/cluster"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/client"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	"github.com/siderolabs/talos/pkg/machinery/resources/k8s"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"gopkg.in/yaml.v3"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/internal/clientcert"
)

// realBinary is the real binary a test runs: the path the environment
// variable names, else the project's build (.build/bin, where npm run setup
// puts it); the test skips, saying so, when there is none.
func realBinary(t *testing.T, variable, name string) string {
	t.Helper()

	if path := os.Getenv(variable); path != "" {
		return path
	}

	built, err := filepath.Abs(filepath.Join("..", "..", "..", ".build", "bin", name))
	if err != nil {
		t.Fatal(err)
	}

	if info, err := os.Stat(built); err == nil && !info.IsDir() {
		return built
	}

	t.Skipf("no real %s: set %s to one, or build %s (npm run setup)", name, variable, built)

	return ""
}

// kubeTestCluster is a cluster with its Kubernetes API, the real
// kube-apiserver, and the real talosctl to check it with.
type kubeTestCluster struct {
	*testCluster

	talosctl string
	endpoint string
	// bootstrapped is when the bootstrap was answered.
	bootstrapped time.Time
}

// startKubeCluster starts a cluster whose endpoint is
// https://<prefix>.253:6443, with the real kube-apiserver and talosctl, and
// bootstraps it.
func startKubeCluster(t *testing.T, prefix string, controlPlanes, workers int, patches ...string) *kubeTestCluster {
	t.Helper()

	return startKubeClusterWith(t, prefix, controlPlanes, workers, Settings{}, patches...)
}

// startKubeClusterWith is startKubeCluster with settings on top (a fixed port).
func startKubeClusterWith(t *testing.T, prefix string, controlPlanes, workers int, settings Settings, patches ...string) *kubeTestCluster {
	t.Helper()

	kubeAPIServer := realBinary(t, "TALOS_SIM_KUBE_APISERVER", "kube-apiserver")
	talosctl := realBinary(t, "TALOS_SIM_TALOSCTL", "talosctl")
	endpoint := "https://" + prefix + ".253:6443"

	cluster := startClusterWith(t, prefix, controlPlanes, workers, 0, endpoint, Settings{KubeAPIServer: kubeAPIServer, Talosctl: talosctl, Port: settings.Port}, patches...)
	cluster.bootstrap(t, cluster.client(t, cluster.controlPlanes[0]))

	return &kubeTestCluster{testCluster: cluster, talosctl: talosctl, endpoint: endpoint, bootstrapped: time.Now()}
}

// kubeAPI is the cluster's Kubernetes API as the simulator has it, nil if none.
func (c *kubeTestCluster) kubeAPI() *kubeCluster {
	return c.sim.kubeAPIFor(c.controlPlane.Cluster().ID())
}

// waitKubeReady waits until the cluster's kube-apiserver answered /readyz, and returns how long that took from the bootstrap.
func (c *kubeTestCluster) waitKubeReady(t *testing.T) time.Duration {
	t.Helper()

	var status KubeStatus

	eventually(t, 2*time.Minute, func() error {
		api := c.kubeAPI()
		if api == nil {
			return fmt.Errorf("no Kubernetes API for the cluster")
		}

		if status = api.status(); !status.Ready {
			return fmt.Errorf("the Kubernetes API is not ready: %+v", status)
		}

		return nil
	})

	return status.ReadyAt.Sub(c.bootstrapped)
}

// kube is a client of the cluster's Kubernetes API with the admin kubeconfig
// the Kubeconfig API hands out.
func (c *kubeTestCluster) kube(t *testing.T) *http.Client {
	t.Helper()

	content, err := adminKubeconfig(c.controlPlane, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	var kc kubeconfig
	if err := yaml.Unmarshal(content, &kc); err != nil {
		t.Fatal(err)
	}

	if server := kc.Clusters[0].Cluster.Server; server != c.endpoint {
		t.Fatalf("the kubeconfig names %s, want %s", server, c.endpoint)
	}

	decode := func(value string) []byte {
		data, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			t.Fatal(err)
		}

		return data
	}

	cert, err := tls.X509KeyPair(decode(kc.Users[0].User.ClientCertificateData), decode(kc.Users[0].User.ClientKeyData))
	if err != nil {
		t.Fatal(err)
	}

	roots := stdx509.NewCertPool()
	roots.AppendCertsFromPEM(decode(kc.Clusters[0].Cluster.CertificateAuthorityData))

	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		Proxy:           nil,
		TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: roots, MinVersion: tls.VersionTLS12},
	}}
}

// get reads a Kubernetes API path into into.
func (c *kubeTestCluster) get(t *testing.T, kube *http.Client, path string, into any) error {
	t.Helper()

	response, err := kube.Get(c.endpoint + path)
	if err != nil {
		return err
	}
	defer response.Body.Close()

	body, err := io.ReadAll(response.Body)
	if err != nil {
		return err
	}

	if response.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", path, response.StatusCode, body)
	}

	return json.Unmarshal(body, into)
}

// talosconfig writes a talosconfig for talosctl: endpoint the first control
// plane, an os:admin certificate of the cluster.
func (c *kubeTestCluster) talosconfig(t *testing.T) string {
	t.Helper()

	issuing := c.controlPlane.Machine().Security().IssuingCA()
	encode := base64.StdEncoding.EncodeToString

	signed, err := clientcert.Sign(encode(issuing.Crt), encode(issuing.Key), []string{"os:admin"}, time.Now().Add(-time.Minute), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}

	endpoint := c.controlPlanes[0]
	path := filepath.Join(t.TempDir(), "talosconfig")

	if err := os.WriteFile(path, []byte(fmt.Sprintf("context: sim\ncontexts:\n  sim:\n    endpoints: [%s]\n    nodes: [%s]\n    ca: %s\n    crt: %s\n    key: %s\n",
		c.node(endpoint).listening, endpoint, encode(issuing.Crt), signed.Certificate, signed.Key)), 0o600); err != nil {
		t.Fatal(err)
	}

	return path
}

// healthRun is one `talosctl health`: its output, error and duration.
type healthRun struct {
	output   string
	err      error
	duration time.Duration
}

// health runs the real talosctl health, server-side (ClusterService.HealthCheck
// of the endpoint) or not (talosctl runs the checks), for the cluster's nodes.
func (c *kubeTestCluster) health(t *testing.T, talosconfig string, server bool, waitTimeout time.Duration) healthRun {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout+time.Minute)
	defer cancel()

	cmd := exec.CommandContext(ctx, c.talosctl, "--talosconfig", talosconfig, "health", fmt.Sprintf("--server=%t", server), //nolint:gosec // the test's own talosctl
		"--control-plane-nodes", strings.Join(c.controlPlanes, ","), "--worker-nodes", strings.Join(c.workers, ","),
		"--wait-timeout", waitTimeout.String())
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}

	var output bytes.Buffer

	cmd.Stdout, cmd.Stderr = &output, &output

	started := time.Now()
	err := cmd.Run()

	return healthRun{output: output.String(), err: err, duration: time.Since(started)}
}

// defaultClusterChecks are the checks of Talos 1.7.4's
// check.DefaultClusterChecks, by the names talosctl reports them under.
var defaultClusterChecks = []string{
	"etcd to be healthy",
	"etcd members to be consistent across nodes",
	"etcd members to be control plane nodes",
	"apid to be ready",
	"all nodes memory sizes",
	"all nodes disk sizes",
	"kubelet to be healthy",
	"all nodes to finish boot sequence",
	"all k8s nodes to report",
	"all k8s nodes to report ready",
	"all control plane static pods to be running",
	"all control plane components to be ready",
	"kube-proxy to report ready",
	"coredns to report ready",
	"all k8s nodes to report schedulable",
}

// passedEveryCheck fails the test unless the run passed and reported every
// default check OK (kube-proxy skipped: the configuration disables it).
func passedEveryCheck(t *testing.T, mode string, run healthRun) {
	t.Helper()

	if run.err != nil {
		t.Fatalf("talosctl health (%s) failed after %s: %v\n%s", mode, run.duration, run.err, run.output)
	}

	lines := strings.Split(run.output, "\n")

	for _, check := range defaultClusterChecks {
		want := "waiting for " + check + ": OK"
		if check == "kube-proxy to report ready" {
			want = "waiting for " + check + ": SKIP"
		}

		if !slices.Contains(lines, want) {
			t.Errorf("talosctl health (%s) did not report %q:\n%s", mode, want, run.output)
		}
	}
}

// failedNaming fails the test unless the run failed, reporting want (which names the node).
func failedNaming(t *testing.T, mode string, run healthRun, want string) {
	t.Helper()

	if run.err == nil {
		t.Fatalf("talosctl health (%s) passed, want it to fail with %q:\n%s", mode, want, run.output)
	}

	if !strings.Contains(run.output, want) {
		t.Fatalf("talosctl health (%s) failed without %q:\n%s", mode, want, run.output)
	}
}

// TestTheRealTalosctlHealthPassesEveryDefaultCheckAndFailsNamingTheNodeUnderEachFault
// drives Talos' own cluster checks (check.DefaultClusterChecks, by the real
// talosctl v1.7.4) against a simulated cluster of three control planes and
// two workers with its Kubernetes API (the real kube-apiserver): both
// server-side (ClusterService.HealthCheck) and in talosctl.
func TestTheRealTalosctlHealthPassesEveryDefaultCheckAndFailsNamingTheNodeUnderEachFault(t *testing.T) {
	// Beside the other tests of a cluster (their own addresses): it mostly waits.
	t.Parallel()

	started := time.Now()

	// As the project's patches configure it: no kube-proxy.
	cluster := startKubeCluster(t, "127.37.0", 3, 2, "cluster:\n  proxy:\n    disabled: true\n")
	talosconfig := cluster.talosconfig(t)

	t.Logf("cluster configured and bootstrapped: %s", cluster.bootstrapped.Sub(started).Round(time.Millisecond))
	t.Logf("bootstrap to kube-apiserver ready: %s", cluster.waitKubeReady(t).Round(time.Millisecond))

	// The etcd members join meanwhile: talosctl would poll again only 5 s later.
	talos := cluster.client(t, cluster.controlPlanes[0])

	eventually(t, time.Minute, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()

		return runPreBootChecks(ctx, talos, cluster.controlPlanes, cluster.workers)
	})
	t.Logf("bootstrap to every pre-boot check passing: %s", time.Since(cluster.bootstrapped).Round(time.Millisecond))

	// The first run may wait for what the simulator registers; the next ones take what a healthy cluster's take.
	if run := cluster.health(t, talosconfig, false, time.Minute); run.err != nil {
		t.Fatalf("talosctl health did not pass within a minute of the API server being ready: %v\n%s", run.err, run.output)
	} else {
		t.Logf("the first talosctl health, once the pre-boot checks pass: %s", run.duration.Round(time.Millisecond))
	}

	for _, server := range []bool{true, false} {
		mode := map[bool]string{true: "server-side", false: "--server=false"}[server]
		run := cluster.health(t, talosconfig, server, time.Minute)

		passedEveryCheck(t, mode, run)
		t.Logf("talosctl health (%s) on a healthy cluster: %s", mode, run.duration.Round(time.Millisecond))
	}

	t.Run("the kubelets' reports: Nodes, mirror pods, CoreDNS, StaticPodStatus", func(t *testing.T) {
		kube := cluster.kube(t)

		var nodes struct {
			Items []struct {
				Metadata struct {
					Name   string            `json:"name"`
					Labels map[string]string `json:"labels"`
				} `json:"metadata"`
				Spec struct {
					Unschedulable bool `json:"unschedulable"`
				} `json:"spec"`
				Status struct {
					Addresses []struct {
						Type    string `json:"type"`
						Address string `json:"address"`
					} `json:"addresses"`
					NodeInfo struct {
						KubeletVersion string `json:"kubeletVersion"`
						BootID         string `json:"bootID"`
					} `json:"nodeInfo"`
				} `json:"status"`
			} `json:"items"`
		}

		if err := cluster.get(t, kube, "/api/v1/nodes", &nodes); err != nil {
			t.Fatal(err)
		}

		var names []string

		for _, node := range nodes.Items {
			names = append(names, node.Metadata.Name)

			_, controlPlane := node.Metadata.Labels[constants.LabelNodeRoleControlPlane]
			if controlPlane != slices.Contains(cluster.controlPlanes, node.Metadata.Name) || node.Metadata.Labels["kubernetes.io/hostname"] != node.Metadata.Name {
				t.Errorf("%s: labels %v", node.Metadata.Name, node.Metadata.Labels)
			}

			if len(node.Status.Addresses) == 0 || node.Status.Addresses[0].Type != "InternalIP" || node.Status.Addresses[0].Address != node.Metadata.Name {
				t.Errorf("%s: addresses %+v", node.Metadata.Name, node.Status.Addresses)
			}

			boot, err := cluster.node(node.Metadata.Name).currentBoot()
			if err != nil || node.Status.NodeInfo.KubeletVersion != "v1.30.1" || node.Status.NodeInfo.BootID != boot.id || node.Spec.Unschedulable {
				t.Errorf("%s: %+v, %+v (%v)", node.Metadata.Name, node.Spec, node.Status.NodeInfo, err)
			}
		}

		slices.Sort(names)

		if !slices.Equal(names, cluster.nodes()) {
			t.Errorf("Nodes %v, want %v", names, cluster.nodes())
		}

		var pods struct {
			Items []struct {
				Metadata struct {
					Name        string            `json:"name"`
					Labels      map[string]string `json:"labels"`
					Annotations map[string]string `json:"annotations"`
				} `json:"metadata"`
				Spec struct {
					NodeName string `json:"nodeName"`
				} `json:"spec"`
			} `json:"items"`
		}

		if err := cluster.get(t, kube, "/api/v1/namespaces/kube-system/pods", &pods); err != nil {
			t.Fatal(err)
		}

		var mirror, coredns []string

		for _, pod := range pods.Items {
			switch {
			case pod.Metadata.Annotations["kubernetes.io/config.mirror"] != "":
				if want := pod.Metadata.Labels["k8s-app"] + "-" + pod.Spec.NodeName; pod.Metadata.Name != want || pod.Metadata.Labels["tier"] != "control-plane" {
					t.Errorf("mirror pod %s: %v on %s", pod.Metadata.Name, pod.Metadata.Labels, pod.Spec.NodeName)
				}

				mirror = append(mirror, pod.Metadata.Name)
			case pod.Metadata.Labels["k8s-app"] == "kube-dns":
				coredns = append(coredns, pod.Metadata.Name)
			default:
				t.Errorf("unexpected pod %s", pod.Metadata.Name)
			}
		}

		if len(mirror) != 3*len(cluster.controlPlanes) || len(coredns) != 2 {
			t.Errorf("mirror pods %v, CoreDNS pods %v", mirror, coredns)
		}

		var daemonSets struct {
			Items []any `json:"items"`
		}

		if err := cluster.get(t, kube, "/apis/apps/v1/namespaces/kube-system/daemonsets", &daemonSets); err != nil || len(daemonSets.Items) != 0 {
			t.Errorf("DaemonSets %v (%v), want none: the configuration disables kube-proxy", daemonSets.Items, err)
		}

		// Through the endpoint to each control plane, as the checks read them.
		talos := cluster.client(t, cluster.controlPlanes[0])

		for _, address := range cluster.controlPlanes {
			statuses, err := safe.StateListAll[*k8s.StaticPodStatus](client.WithNode(context.Background(), address), talos.COSI)
			if err != nil {
				t.Fatalf("%s: %v", address, err)
			}

			var ids []string

			for it := statuses.Iterator(); it.Next(); {
				ids = append(ids, it.Value().Metadata().ID())
			}

			want := []string{"kube-system/kube-apiserver-" + address, "kube-system/kube-controller-manager-" + address, "kube-system/kube-scheduler-" + address}
			if !slices.Equal(ids, want) {
				t.Errorf("%s: StaticPodStatus %v, want %v", address, ids, want)
			}
		}
	})

	t.Run("HealthCheck as the provider's talos_cluster_health calls it: no node named; a failure ends the stream", func(t *testing.T) {
		talos := cluster.client(t, cluster.controlPlanes[0])
		info := &clusterapi.ClusterInfo{ControlPlaneNodes: cluster.controlPlanes, WorkerNodes: cluster.workers}

		receive := func(timeout time.Duration) ([]string, error) {
			stream, err := talos.ClusterHealthCheck(context.Background(), timeout, info)
			if err != nil {
				return nil, err
			}

			var messages []string

			for {
				message, err := stream.Recv()
				if err != nil {
					return messages, err
				}

				if message.GetMetadata().GetError() != "" {
					return messages, fmt.Errorf("metadata error: %s", message.GetMetadata().GetError())
				}

				messages = append(messages, message.GetMessage())
			}
		}

		messages, err := receive(time.Minute)
		if !errors.Is(err, io.EOF) || len(messages) == 0 || !strings.HasPrefix(messages[0], "discovered nodes: [") ||
			messages[len(messages)-1] != "waiting for all k8s nodes to report schedulable: OK" {
			t.Fatalf("healthy: %q, %v; want every check, then the end of the stream", messages, err)
		}

		postFaults(t, cluster.testCluster, cluster.workers[1], `{"nodeNotReady": true}`)
		defer postFaults(t, cluster.testCluster, cluster.workers[1], `{}`)

		messages, err = receive(3 * time.Second)
		want := "waiting for all k8s nodes to report ready: some nodes are not ready: [" + cluster.workers[1] + "]"

		if status.Code(err) != codes.DeadlineExceeded || !slices.Contains(messages, want) {
			t.Fatalf("a node not ready: %q, %v; want %q, then DeadlineExceeded", messages, err, want)
		}
	})

	const failing = 4 * time.Second // how long a check that cannot pass is given: the checks before it pass within a second

	for _, tc := range []struct {
		fault, node, faults string
		server              bool
		want                string
	}{
		{"kubeletDown on a worker", cluster.workers[0], `{"kubeletDown": true}`, true,
			"waiting for all k8s nodes to report ready: some nodes are not ready: [" + cluster.workers[0] + "]"},
		{"nodeNotReady", cluster.controlPlanes[1], `{"nodeNotReady": true}`, false,
			"waiting for all k8s nodes to report ready: some nodes are not ready: [" + cluster.controlPlanes[1] + "]"},
		{"etcdStopped", cluster.controlPlanes[2], `{"etcdStopped": true}`, true,
			cluster.controlPlanes[2] + `: service "etcd" not in expected state "Running": current state [Finished]`},
		{"staticPodDown", cluster.controlPlanes[0], `{"staticPodDown": "kube-scheduler"}`, false,
			"waiting for all control plane components to be ready: some pods are not ready for kube-scheduler: [kube-scheduler-" + cluster.controlPlanes[0] + "]"},
	} {
		t.Run(tc.fault+" fails the checks naming the node; cleared, they pass", func(t *testing.T) {
			mode := map[bool]string{true: "server-side", false: "--server=false"}[tc.server]

			postFaults(t, cluster.testCluster, tc.node, tc.faults)
			defer postFaults(t, cluster.testCluster, tc.node, `{}`) // also when the test fails: the next ones need a healthy cluster

			if tc.fault == "etcdStopped" {
				eventually(t, 10*time.Second, func() error {
					if boot, err := cluster.node(tc.node).currentBoot(); err != nil || boot.services.state("etcd") != ServiceFinished {
						return fmt.Errorf("etcd of %s not stopped yet (%v)", tc.node, err)
					}

					return nil
				})
			}

			run := cluster.health(t, talosconfig, tc.server, failing)
			failedNaming(t, mode, run, tc.want)

			if tc.server && !strings.Contains(run.output, "healthcheck error: rpc error: code = DeadlineExceeded desc = context deadline exceeded") {
				t.Errorf("server-side, the error is not machined's, through apid:\n%s", run.output)
			}

			postFaults(t, cluster.testCluster, tc.node, `{}`)

			passedEveryCheck(t, mode, cluster.health(t, talosconfig, tc.server, time.Minute))
		})
	}

	t.Run("a control plane rebooted is NotReady until it is back, then healthy", func(t *testing.T) {
		rebooted := cluster.controlPlanes[1]
		boots := cluster.node(rebooted).status().Boots
		talos := cluster.client(t, cluster.controlPlanes[0])

		if err := cluster.node(rebooted).setDown(true); err != nil {
			t.Fatal(err)
		}

		kube := cluster.kube(t)

		eventually(t, 10*time.Second, func() error {
			var node struct {
				Status struct {
					Conditions []struct {
						Type, Status, Reason string
					} `json:"conditions"`
				} `json:"status"`
			}

			if err := cluster.get(t, kube, "/api/v1/nodes/"+rebooted, &node); err != nil {
				return err
			}

			for _, condition := range node.Status.Conditions {
				if condition.Type == "Ready" && condition.Status == "Unknown" && condition.Reason == "NodeStatusUnknown" {
					return nil
				}
			}

			return fmt.Errorf("%s powered off: %+v", rebooted, node.Status.Conditions)
		})

		if err := cluster.node(rebooted).setDown(false); err != nil {
			t.Fatal(err)
		}

		if _, err := talos.MachineClient.Reboot(client.WithNode(context.Background(), rebooted), &machine.RebootRequest{}); err != nil {
			t.Fatal(err)
		}

		eventually(t, 10*time.Second, func() error {
			if status := cluster.node(rebooted).status(); status.Boots < boots+2 || status.Mode != ModeConfigured {
				return fmt.Errorf("%s did not boot again: %d boots, %s", rebooted, status.Boots, status.Mode)
			}

			return nil
		})

		passedEveryCheck(t, "server-side", cluster.health(t, talosconfig, true, time.Minute))
	})

	t.Run("a node re-imaged leaves; the cluster re-imaged away, its kube-apiserver stops and its folder goes", func(t *testing.T) {
		kube := cluster.kube(t)
		api := cluster.kubeAPI()

		api.mu.Lock()
		dir := api.dir
		api.mu.Unlock()

		if _, err := os.Stat(filepath.Join(dir, "kube-apiserver.log")); err != nil {
			t.Fatalf("the kube-apiserver's log: %v", err)
		}

		left := cluster.workers[1]
		if err := cluster.node(left).reimage(); err != nil {
			t.Fatal(err)
		}

		eventually(t, 10*time.Second, func() error {
			var node map[string]any
			if err := cluster.get(t, kube, "/api/v1/nodes/"+left, &node); err == nil || !strings.Contains(err.Error(), ": 404 ") {
				return fmt.Errorf("the Node of %s re-imaged: %v", left, err)
			}

			return nil
		})

		for _, address := range cluster.nodes() {
			if err := cluster.node(address).reimage(); err != nil {
				t.Fatal(err)
			}
		}

		if api := cluster.kubeAPI(); api != nil {
			t.Fatalf("the cluster's Kubernetes API is still there: %+v", api.status())
		}

		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Fatalf("%s is still there (%v)", dir, err)
		}

		if _, err := kube.Get(cluster.endpoint + "/readyz"); err == nil {
			t.Fatal("the kube-apiserver still answers")
		}
	})
}
