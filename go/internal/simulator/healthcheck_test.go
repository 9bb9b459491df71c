package simulator

import (
	"context"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	clusterapi "github.com/siderolabs/talos/pkg/machinery/api/cluster"
	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/resources/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// healthStream is the server stream of a HealthCheck call: what the node sends.
type healthStream struct {
	grpc.ServerStream

	ctx  context.Context //nolint:containedctx // a stream has one
	sent []*clusterapi.HealthCheckProgress
}

func (s *healthStream) Context() context.Context { return s.ctx }

func (s *healthStream) Send(message *clusterapi.HealthCheckProgress) error {
	s.sent = append(s.sent, message)

	return nil
}

func (s *healthStream) messages() []string {
	var messages []string

	for _, message := range s.sent {
		messages = append(messages, message.GetMessage())
	}

	return messages
}

// sharedControlPlane is one control plane configuration the tests that
// start no node share: generating one takes a while.
var sharedControlPlane = sync.OnceValues(func() (config.Provider, error) {
	controlPlane, _, err := generateConfigs("https://127.0.0.254:6443")

	return controlPlane, err
})

// healthNode is a configured control plane of a simulator with the settings,
// booted (its API's address made up: talosctl is a script here).
func healthNode(t *testing.T, settings Settings) *Node {
	t.Helper()

	controlPlane, err := sharedControlPlane()
	if err != nil {
		t.Fatal(err)
	}

	sim := &Simulator{settings: settings, nodes: map[string]*Node{}}
	node := configuredNode(sim, "127.0.0.1", controlPlane)
	sim.nodes[node.address], sim.order = node, []string{node.address}
	node.listening = &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 50000}

	boot, err := newBootSession(runtime.MachineStageRunning)
	if err != nil {
		t.Fatal(err)
	}

	node.session = boot

	return node
}

// fakeTalosctl is a script standing in for talosctl: it prints its arguments
// as a progress report, then what it is given, and exits with code.
func fakeTalosctl(t *testing.T, output string, code int) string {
	t.Helper()

	path := filepath.Join(t.TempDir(), "talosctl")
	script := "#!/bin/sh\necho \"waiting for arguments: $*\" >&2\ncat >&2 <<'EOF'\n" + output + "EOF\nexit " + string(rune('0'+code)) + "\n"

	if err := os.WriteFile(path, []byte(script), 0o700); err != nil { //nolint:gosec // the test's own script
		t.Fatal(err)
	}

	return path
}

func TestHealthCheckSaysWhatTheSimulatorWasNotGiven(t *testing.T) {
	for _, tc := range []struct {
		settings Settings
		want     []string
		not      string
	}{
		{Settings{}, []string{"-talosctl", "-kube-apiserver"}, ""},
		{Settings{KubeAPIServer: "/bin/true"}, []string{"without -talosctl"}, "-kube-apiserver"},
		{Settings{Talosctl: "/bin/true"}, []string{"without -kube-apiserver"}, "-talosctl"},
	} {
		node := healthNode(t, tc.settings)
		err := (&clusterService{node: node}).HealthCheck(&clusterapi.HealthCheckRequest{}, &healthStream{ctx: context.Background()})

		if status.Code(err) != codes.FailedPrecondition {
			t.Fatalf("%+v: %v, want FailedPrecondition", tc.settings, err)
		}

		for _, want := range tc.want {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%+v: %v, want it to name %s", tc.settings, err, want)
			}
		}

		if tc.not != "" && strings.Contains(err.Error(), tc.not) {
			t.Errorf("%+v: %v names %s, which it was given", tc.settings, err, tc.not)
		}

		// Named in "nodes", as talosctl health asks: apid hands the error on in the metadata.
		stream := &healthStream{ctx: metadata.NewIncomingContext(context.Background(), metadata.Pairs("nodes", node.address))}
		if err := (&clusterService{node: node}).HealthCheck(&clusterapi.HealthCheckRequest{}, stream); err != nil || len(stream.sent) != 1 ||
			!strings.HasPrefix(stream.sent[0].GetMetadata().GetError(), "rpc error: code = FailedPrecondition desc = the simulator cannot run") {
			t.Errorf("%+v, asked naming the node: %v, %v", tc.settings, err, stream.sent)
		}
	}
}

func TestHealthCheckRefusesAddressesThatAreNotLoopback(t *testing.T) {
	node := healthNode(t, Settings{Talosctl: fakeTalosctl(t, "", 0), KubeAPIServer: "/bin/true"})

	for _, info := range []*clusterapi.ClusterInfo{
		{ControlPlaneNodes: []string{"127.0.0.1", "192.168.1.10"}},
		{ControlPlaneNodes: []string{"127.0.0.1"}, WorkerNodes: []string{"node-1"}},
		{ControlPlaneNodes: []string{"127.0.0.1"}, ForceEndpoint: "https://10.5.0.1:6443"},
		{ControlPlaneNodes: []string{"127.0.0.1"}, ForceEndpoint: "kubernetes.example.com"},
	} {
		stream := &healthStream{ctx: context.Background()}
		err := (&clusterService{node: node}).HealthCheck(&clusterapi.HealthCheckRequest{ClusterInfo: info}, stream)

		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "loopback") || len(stream.sent) != 0 {
			t.Errorf("%v: %v (sent %v), want InvalidArgument, nothing run", info, err, stream.messages())
		}
	}
}

func TestHealthCheckRunsTalosctlHealthAndReportsItsErrorAsMachinedAndApidDo(t *testing.T) {
	output := "waiting for etcd to be healthy: ...\n" +
		"waiting for etcd to be healthy: OK\n" +
		"waiting for all k8s nodes to report ready: some nodes are not ready: [127.0.0.2]\n" +
		"context deadline exceeded\n"

	node := healthNode(t, Settings{Talosctl: fakeTalosctl(t, output, 1), KubeAPIServer: "/bin/true"})
	request := &clusterapi.HealthCheckRequest{
		WaitTimeout: durationpb.New(3 * time.Second),
		ClusterInfo: &clusterapi.ClusterInfo{ControlPlaneNodes: []string{"127.0.0.1"}, WorkerNodes: []string{"127.0.0.2"}, ForceEndpoint: "https://127.0.0.9:6443"},
	}

	wantMessages := []string{
		`discovered nodes: ["127.0.0.1" "127.0.0.2"]`,
		"waiting for arguments: --talosconfig " + "TALOSCONFIG" + " health --server=false --control-plane-nodes=127.0.0.1 --worker-nodes=127.0.0.2 --wait-timeout=3s --k8s-endpoint=https://127.0.0.9:6443",
		"waiting for etcd to be healthy: ...",
		"waiting for etcd to be healthy: OK",
		"waiting for all k8s nodes to report ready: some nodes are not ready: [127.0.0.2]",
	}

	checkMessages := func(t *testing.T, got []string) {
		t.Helper()

		if len(got) > 1 {
			// The talosconfig is in a temporary folder: its path varies.
			fields := strings.Fields(got[1])
			if len(fields) > 4 && strings.HasSuffix(fields[4], "/talosconfig") {
				fields[4] = "TALOSCONFIG"
				got[1] = strings.Join(fields, " ")
			}
		}

		if !slices.Equal(got, wantMessages) {
			t.Fatalf("messages\n%q\nwant\n%q", got, wantMessages)
		}
	}

	t.Run("asked with no node named (the provider): the stream ends with the error", func(t *testing.T) {
		stream := &healthStream{ctx: context.Background()}
		err := (&clusterService{node: node}).HealthCheck(request, stream)

		if status.Code(err) != codes.DeadlineExceeded || status.Convert(err).Message() != "context deadline exceeded" {
			t.Fatalf("%v, want DeadlineExceeded: context deadline exceeded", err)
		}

		checkMessages(t, stream.messages())

		if stream.sent[0].GetMetadata() != nil {
			t.Errorf("metadata %v, want none: no node was named", stream.sent[0].GetMetadata())
		}
	})

	t.Run("asked naming the node in nodes (talosctl health): the last message carries the error", func(t *testing.T) {
		stream := &healthStream{ctx: metadata.NewIncomingContext(context.Background(), metadata.Pairs("nodes", "127.0.0.1"))}

		if err := (&clusterService{node: node}).HealthCheck(request, stream); err != nil {
			t.Fatal(err)
		}

		last := stream.sent[len(stream.sent)-1]
		if last.GetMetadata().GetError() != "rpc error: code = DeadlineExceeded desc = context deadline exceeded" || last.GetMetadata().GetHostname() != "127.0.0.1" {
			t.Fatalf("last message %v, want the error", last)
		}

		checkMessages(t, stream.messages()[:len(stream.sent)-1])

		for _, message := range stream.sent {
			if message.GetMetadata().GetHostname() != "127.0.0.1" {
				t.Errorf("%v: not marked with the node", message)
			}
		}
	})

	t.Run("talosctl passing: the stream ends", func(t *testing.T) {
		passing := healthNode(t, Settings{Talosctl: fakeTalosctl(t, "waiting for all k8s nodes to report schedulable: OK\n", 0), KubeAPIServer: "/bin/true"})
		stream := &healthStream{ctx: context.Background()}

		if err := (&clusterService{node: passing}).HealthCheck(request, stream); err != nil {
			t.Fatal(err)
		}

		if got := stream.messages(); got[len(got)-1] != "waiting for all k8s nodes to report schedulable: OK" {
			t.Fatalf("messages %q", got)
		}
	})
}

func TestHealthCheckEndsTalosctlWhenTheCallerGoesAway(t *testing.T) {
	path := filepath.Join(t.TempDir(), "talosctl")
	if err := os.WriteFile(path, []byte("#!/bin/sh\necho 'waiting for etcd to be healthy: ...' >&2\nexec sleep 60\n"), 0o700); err != nil { //nolint:gosec // the test's own script
		t.Fatal(err)
	}

	node := healthNode(t, Settings{Talosctl: path, KubeAPIServer: "/bin/true"})

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)

	started := time.Now()
	err := (&clusterService{node: node}).HealthCheck(&clusterapi.HealthCheckRequest{
		WaitTimeout: durationpb.New(time.Minute),
		ClusterInfo: &clusterapi.ClusterInfo{ControlPlaneNodes: []string{"127.0.0.1"}},
	}, &healthStream{ctx: ctx})

	if status.Code(err) != codes.Canceled || time.Since(started) > 10*time.Second {
		t.Fatalf("%v after %s, want Canceled at once", err, time.Since(started))
	}
}

func TestTalosctlHealthReportsAreForwardedOneMessageEach(t *testing.T) {
	output := strings.Join([]string{
		"waiting for etcd to be healthy: ...",
		"waiting for etcd to be healthy: 2 errors occurred:",
		"    * 127.0.0.2: service \"etcd\" not in expected state \"Running\": current state [Finished]",
		"    * 127.0.0.3: service is not healthy: etcd",
		"",
		"a line of something else",
		"waiting for etcd to be healthy: OK",
		"1 error occurred:",
		"\t* context deadline exceeded",
		"",
	}, "\n")

	var sent []string

	result := forwardHealthReports(strings.NewReader(output), func(message string) error {
		sent = append(sent, message)

		return nil
	})

	want := []string{
		"waiting for etcd to be healthy: ...",
		"waiting for etcd to be healthy: 2 errors occurred:\n    * 127.0.0.2: service \"etcd\" not in expected state \"Running\": current state [Finished]\n    * 127.0.0.3: service is not healthy: etcd",
		"a line of something else",
		"waiting for etcd to be healthy: OK",
	}

	if !slices.Equal(sent, want) || result.trailer != "1 error occurred:\n\t* context deadline exceeded" || result.sendErr != nil {
		t.Fatalf("sent %q, trailer %q (%v)", sent, result.trailer, result.sendErr)
	}
}

func TestHealthCheckRefusesAClusterEndpointOutsideLoopback(t *testing.T) {
	node := healthNode(t, Settings{Talosctl: fakeTalosctl(t, "", 0), KubeAPIServer: "/bin/true"})
	endpoint, err := url.Parse("https://192.168.1.101:6443")
	if err != nil {
		t.Fatal(err)
	}

	// A copy: the shared configuration stays as the other tests know it.
	cfg := node.config.Clone()
	cfg.RawV1Alpha1().ClusterConfig.ControlPlane.Endpoint.URL = endpoint
	node.config = cfg
	stream := &healthStream{ctx: context.Background()}
	err = (&clusterService{node: node}).HealthCheck(&clusterapi.HealthCheckRequest{ClusterInfo: &clusterapi.ClusterInfo{ControlPlaneNodes: []string{"127.0.0.1"}}}, stream)

	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), `"https://192.168.1.101:6443" is not on a loopback address`) || len(stream.sent) != 0 {
		t.Errorf("%v (sent %v): want FailedPrecondition naming the endpoint, talosctl never run", err, stream.messages())
	}
}
