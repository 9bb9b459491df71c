package simulator

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/generate"
	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"
	talosmachine "github.com/siderolabs/talos/pkg/machinery/config/machine"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// configs generates a control plane's and a worker's configuration of one cluster.
func configs(t *testing.T, options ...generate.Option) (controlPlane, worker config.Provider) {
	t.Helper()

	return configsFor(t, "https://127.0.0.254:6443", options...)
}

// configsFor generates the configurations of a cluster whose endpoint is endpoint.
func configsFor(t *testing.T, endpoint string, options ...generate.Option) (controlPlane, worker config.Provider) {
	t.Helper()

	controlPlane, worker, err := generateConfigs(endpoint, options...)
	if err != nil {
		t.Fatal(err)
	}

	return controlPlane, worker
}

// generateConfigs generates the configurations of a new cluster (new secrets).
func generateConfigs(endpoint string, options ...generate.Option) (controlPlane, worker config.Provider, err error) {
	bundle, err := secrets.NewBundle(secrets.NewFixedClock(time.Now()), config.TalosVersionCurrent)
	if err != nil {
		return nil, nil, err
	}

	input, err := generate.NewInput("cloudkoffer", endpoint, "1.30.1", append(options, generate.WithSecretsBundle(bundle))...)
	if err != nil {
		return nil, nil, err
	}

	if controlPlane, err = input.Config(talosmachine.TypeControlPlane); err != nil {
		return nil, nil, err
	}

	if worker, err = input.Config(talosmachine.TypeWorker); err != nil {
		return nil, nil, err
	}

	return controlPlane, worker, nil
}

// configuredNode is a node running a configuration, as after an apply and a reboot.
func configuredNode(sim *Simulator, address string, cfg config.Provider) *Node {
	n := newNode(sim, address)
	n.config, n.mode = cfg, ModeConfigured

	return n
}

// asClient is a context of a call whose client certificate carries the given Talos roles.
func asClient(roles ...string) context.Context {
	cert := &x509.Certificate{Subject: pkix.Name{Organization: roles}}

	return peer.NewContext(context.Background(), &peer.Peer{
		AuthInfo: credentials.TLSInfo{State: tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert}}},
	})
}

func TestConfiguredNodesCheckTheClientsTalosRole(t *testing.T) {
	controlPlane, _ := configs(t)
	n := configuredNode(&Simulator{}, "127.0.0.1", controlPlane)

	for _, tc := range []struct {
		roles  []string
		method string
		want   codes.Code
	}{
		{[]string{"os:admin"}, "ApplyConfiguration", codes.OK},
		{[]string{"os:admin"}, "Bootstrap", codes.OK},
		{[]string{"os:reader"}, "Version", codes.OK},
		{[]string{"os:reader"}, "ServiceList", codes.OK},
		{[]string{"os:reader"}, "ApplyConfiguration", codes.PermissionDenied},
		{[]string{"os:operator"}, "Upgrade", codes.OK},
		{[]string{"os:operator"}, "Kubeconfig", codes.PermissionDenied},
		{nil, "Version", codes.PermissionDenied},
	} {
		if got := status.Code(n.admit(asClient(tc.roles...), tc.method, time.Now())); got != tc.want {
			t.Errorf("%v calling %s: %s, want %s", tc.roles, tc.method, got, tc.want)
		}
	}
}

func TestBootstrapWorksOnceOnAControlPlaneOnly(t *testing.T) {
	cluster := startCluster(t, "127.34.0", 2, 1, 0)
	cp, joining, w := cluster.node(cluster.controlPlanes[0]), cluster.node(cluster.controlPlanes[1]), cluster.node(cluster.workers[0])

	etcd := func(n *Node) string {
		reply, err := (&machineService{node: n}).ServiceList(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}

		for _, service := range reply.Messages[0].Services {
			if service.Id == "etcd" {
				return service.State
			}
		}

		return ""
	}

	if state := etcd(cp); state != "Preparing" {
		t.Fatalf("etcd before bootstrap: %s, want Preparing", state)
	}

	if _, err := (&machineService{node: w}).Bootstrap(context.Background(), &machine.BootstrapRequest{}); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("bootstrap of a worker: %v, want FailedPrecondition", err)
	}

	if _, err := (&machineService{node: cp}).Bootstrap(context.Background(), &machine.BootstrapRequest{}); err != nil {
		t.Fatalf("first bootstrap: %v", err)
	}

	_, err := (&machineService{node: cp}).Bootstrap(context.Background(), &machine.BootstrapRequest{})
	if status.Code(err) != codes.AlreadyExists || !strings.Contains(err.Error(), "etcd data directory is not empty") {
		t.Fatalf("second bootstrap: %v, want AlreadyExists as Talos answers", err)
	}

	// etcd starts meanwhile; the other control plane joins it.
	eventually(t, 30*time.Second, func() error {
		if state, other := etcd(cp), etcd(joining); state != "Running" || other != "Running" {
			return fmt.Errorf("etcd %s on the bootstrapped node, %s on the other", state, other)
		}

		return nil
	})

	if cp.status().Bootstraps != 1 || joining.status().Bootstraps != 0 {
		t.Fatalf("bootstraps: %d, %d; want 1, 0", cp.status().Bootstraps, joining.status().Bootstraps)
	}

	// A member has data: Talos refuses to bootstrap it.
	eventually(t, 10*time.Second, func() error {
		if _, err := (&machineService{node: joining}).Bootstrap(context.Background(), &machine.BootstrapRequest{}); status.Code(err) != codes.AlreadyExists {
			return fmt.Errorf("bootstrap of the member that joined: %w, want AlreadyExists", err)
		}

		return nil
	})
}

func TestInjectedFaultsRejectDelayAndLeaveOtherMethodsAlone(t *testing.T) {
	n := newNode(&Simulator{}, "127.0.0.1")
	n.setFaults(Faults{RejectCode: "Unavailable", RejectMethod: "ApplyConfiguration", Delay: 50 * time.Millisecond})

	started := time.Now()
	if err := n.admit(context.Background(), "ApplyConfiguration", started); status.Code(err) != codes.Unavailable {
		t.Fatalf("rejected method: %v, want Unavailable", err)
	}

	if took := time.Since(started); took < 50*time.Millisecond {
		t.Fatalf("the delay was not applied: %s", took)
	}

	if err := n.admit(context.Background(), "Disks", time.Now()); err != nil {
		t.Fatalf("another method was rejected: %v", err)
	}

	if codeNamed("InvalidArgument") != codes.InvalidArgument || codeNamed("NoSuchCode") != codes.Unavailable {
		t.Fatal("gRPC codes are not read by their names")
	}
}
