package probe

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/internal/simulator"
	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/generate"
	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"
)

// freePort is a port nothing listens on at 127.0.0.1, for now.
func freePort(t *testing.T) int {
	t.Helper()

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()

	return listener.Addr().(*net.TCPAddr).Port //nolint:forcetypeassert
}

// maintenanceNode is a simulated node in maintenance mode on 127.0.0.1, and its port.
func maintenanceNode(t *testing.T) int {
	t.Helper()

	port := freePort(t)

	server, err := simulator.Start(simulator.Options{
		Nodes:    []string{"127.0.0.1"},
		Control:  "127.0.0.1:0",
		Settings: simulator.Settings{Port: port, TalosVersion: "v1.7.4"},
	})
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(server.Close)

	return port
}

// talosconfig is a talosconfig of a cluster the node knows nothing of.
func talosconfig(t *testing.T) string {
	t.Helper()

	bundle, err := secrets.NewBundle(secrets.NewFixedClock(time.Now()), config.TalosVersionCurrent)
	if err != nil {
		t.Fatal(err)
	}

	input, err := generate.NewInput("cloudkoffer", "https://127.0.0.254:6443", "1.30.1", generate.WithSecretsBundle(bundle), generate.WithEndpointList([]string{"127.0.0.1"}))
	if err != nil {
		t.Fatal(err)
	}

	cfg, err := input.Talosconfig()
	if err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(t.TempDir(), "talosconfig")
	if err := cfg.Save(path); err != nil {
		t.Fatal(err)
	}

	return path
}

func TestANodeInMaintenanceAnswersWithoutACertificate(t *testing.T) {
	port := maintenanceNode(t)
	target := Target{Node: "127.0.0.1", Port: port, Timeout: 5 * time.Second}

	result, err := Probe(Options{Target: target, Insecure: true})
	if err != nil || result != (ProbeResult{Node: "127.0.0.1", Answers: true, Mode: modeMaintenance}) {
		t.Fatalf("insecure: %+v, %v", result, err)
	}

	// With a talosconfig the node refuses, and not strict: asked again without one.
	target.Talosconfig = talosconfig(t)

	result, err = Probe(Options{Target: target})
	if err != nil || result != (ProbeResult{Node: "127.0.0.1", Answers: true, Mode: modeMaintenance}) {
		t.Fatalf("with a talosconfig: %+v, %v", result, err)
	}

	// Strict: the refusal is all there is; the node answered nothing.
	result, err = Probe(Options{Target: target, Strict: true})
	if err == nil || result.Answers || result.Error == "" {
		t.Fatalf("strict: %+v, %v", result, err)
	}

	// A maintenance node runs no etcd, and does not say so over mTLS.
	bootstrap, err := Bootstrapped(target)
	if err == nil || err.Error() != "node 127.0.0.1 did not say whether it is bootstrapped" || bootstrap.Bootstrapped || bootstrap.Error == "" {
		t.Fatalf("bootstrapped: %+v, %v", bootstrap, err)
	}
}

func TestANodeThatIsNotThereDoesNotAnswer(t *testing.T) {
	target := Target{Node: "127.0.0.1", Port: freePort(t), Timeout: 500 * time.Millisecond}

	result, err := Probe(Options{Target: target, Insecure: true})
	if err == nil || err.Error() != "node 127.0.0.1 did not answer" || result.Answers || result.Mode != "" || result.Error == "" {
		t.Fatalf("probe: %+v, %v", result, err)
	}

	target.Talosconfig = filepath.Join(t.TempDir(), "missing")

	// Talos reads a talosconfig that is not there as an empty one.
	bootstrap, err := Bootstrapped(target)
	if err == nil || !strings.Contains(bootstrap.Error, "talos config file is empty") || bootstrap.Etcd != "" {
		t.Fatalf("bootstrapped without a talosconfig: %+v, %v", bootstrap, err)
	}
}
