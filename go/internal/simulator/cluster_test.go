package simulator

import (
	"context"
	"crypto/tls"
	stdx509 "crypto/x509"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/client"
	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/configpatcher"
	"github.com/siderolabs/talos/pkg/machinery/config/generate"
)

// testCluster is a simulator with configured nodes of one cluster: control
// planes and workers on loopback addresses, their Talos API on ports the
// system chose.
type testCluster struct {
	server        *Server
	sim           *Simulator
	controlPlane  config.Provider
	worker        config.Provider
	controlPlanes []string
	workers       []string
	maintenance   []string
	// lastClientCertificate is the DER of the client certificate clientWith used last.
	lastClientCertificate []byte
}

// startCluster starts a simulator with nodes <prefix>.1, .2, … (the control
// planes first, then the workers, then nodes left in maintenance mode),
// applies the configurations as a client in maintenance mode would, and waits
// until every configured node runs configured.
func startCluster(t *testing.T, prefix string, controlPlanes, workers, maintenance int) *testCluster {
	t.Helper()

	return startClusterWith(t, prefix, controlPlanes, workers, maintenance, "https://127.0.0.254:6443", Settings{})
}

// startClusterWith is startCluster for a cluster of that endpoint, with
// settings on top of the tests' own (the kube-apiserver, talosctl, a fixed
// port for the Talos API: one talosctl can follow across reboots), and
// configuration patches applied to both roles' configurations.
func startClusterWith(t *testing.T, prefix string, controlPlanes, workers, maintenance int, endpoint string, settings Settings, patches ...string) *testCluster {
	t.Helper()

	controlPlane, worker := configsFor(t, endpoint, generate.WithInstallDisk("/dev/sda"), generate.WithInstallImage("ghcr.io/siderolabs/installer:v1.7.4"))
	controlPlane, worker = patched(t, controlPlane, patches...), patched(t, worker, patches...)
	cluster := &testCluster{controlPlane: controlPlane, worker: worker}

	var nodes []string

	for i := 1; i <= controlPlanes+workers; i++ {
		address := fmt.Sprintf("%s.%d", prefix, i)
		nodes = append(nodes, address)

		if i <= controlPlanes {
			cluster.controlPlanes = append(cluster.controlPlanes, address)
		} else {
			cluster.workers = append(cluster.workers, address)
		}
	}

	for i := range maintenance {
		cluster.maintenance = append(cluster.maintenance, fmt.Sprintf("%s.%d", prefix, controlPlanes+workers+1+i))
	}

	server, err := Start(Options{
		Nodes:   append(slices.Clone(nodes), cluster.maintenance...),
		Control: prefix + ".254:0",
		Settings: Settings{
			Port:          settings.Port,
			RebootDelay:   10 * time.Millisecond,
			Disks:         []string{"/dev/sda", "/dev/nvme0n1"},
			TalosVersion:  "v1.7.4",
			KubeAPIServer: settings.KubeAPIServer,
			Talosctl:      settings.Talosctl,
		},
	})
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(server.Close)

	cluster.server, cluster.sim = server, server.sim

	for _, address := range nodes {
		cfg := worker
		if slices.Contains(cluster.controlPlanes, address) {
			cfg = controlPlane
		}

		cluster.apply(t, address, cfg)
	}

	cluster.waitConfigured(t, nodes...)

	return cluster
}

// patched is a configuration with (strategic merge) patches applied.
func patched(t *testing.T, cfg config.Provider, patches ...string) config.Provider {
	t.Helper()

	if len(patches) == 0 {
		return cfg
	}

	loaded, err := configpatcher.LoadPatches(patches)
	if err != nil {
		t.Fatal(err)
	}

	out, err := configpatcher.Apply(configpatcher.WithConfig(cfg), loaded)
	if err != nil {
		t.Fatal(err)
	}

	result, err := out.Config()
	if err != nil {
		t.Fatal(err)
	}

	return result
}

// apply applies a configuration to a node in maintenance mode, as a client
// would; the node then reboots into it.
func (c *testCluster) apply(t *testing.T, address string, cfg config.Provider) {
	t.Helper()

	data, err := cfg.Bytes()
	if err != nil {
		t.Fatal(err)
	}

	if _, err := (&machineService{node: c.node(address)}).ApplyConfiguration(context.Background(), &machine.ApplyConfigurationRequest{Data: data}); err != nil {
		t.Fatalf("%s: apply: %v", address, err)
	}
}

// waitConfigured waits until the nodes run configured.
func (c *testCluster) waitConfigured(t *testing.T, nodes ...string) {
	t.Helper()

	eventually(t, 30*time.Second, func() error {
		for _, address := range nodes {
			if mode := c.node(address).currentMode(); mode != ModeConfigured {
				return fmt.Errorf("%s is %s", address, mode)
			}
		}

		return nil
	})
}

func (c *testCluster) node(address string) *Node {
	return c.sim.node(address)
}

func (c *testCluster) nodes() []string {
	return append(append([]string{}, c.controlPlanes...), c.workers...)
}

// client is a Talos client as talosctl's, with an os:admin certificate of
// the cluster, talking to endpoint only.
func (c *testCluster) client(t *testing.T, endpoint string) *client.Client {
	t.Helper()

	now := time.Now()

	return c.clientWith(t, endpoint, osClientCertificate(t, c.controlPlane, "os:admin", now.Add(-time.Minute), now.Add(time.Hour)))
}

func (c *testCluster) clientWith(t *testing.T, endpoint string, cert tls.Certificate) *client.Client {
	t.Helper()

	roots := stdx509.NewCertPool()
	roots.AppendCertsFromPEM(c.controlPlane.Machine().Security().IssuingCA().Crt)

	c.lastClientCertificate = cert.Certificate[0]

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	talos, err := client.New(ctx,
		client.WithEndpoints(c.node(endpoint).listening.String()),
		client.WithTLSConfig(&tls.Config{
			Certificates: []tls.Certificate{cert},
			RootCAs:      roots,
			MinVersion:   tls.VersionTLS12,
		}),
	)
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() { talos.Close() }) //nolint:errcheck

	return talos
}

// bootstrap bootstraps the first control plane through the client.
func (c *testCluster) bootstrap(t *testing.T, talos *client.Client) {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if err := talos.Bootstrap(client.WithNode(ctx, c.controlPlanes[0]), &machine.BootstrapRequest{}); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
}

// eventually retries check until it passes, failing the test with its last error after timeout.
func eventually(t *testing.T, timeout time.Duration, check func() error) {
	t.Helper()

	deadline := time.Now().Add(timeout)

	for {
		err := check()
		if err == nil {
			return
		}

		if time.Now().After(deadline) {
			t.Fatalf("after %s: %v", timeout, err)
		}

		time.Sleep(100 * time.Millisecond)
	}
}
