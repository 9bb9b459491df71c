package simulator

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/internal/clientcert"
)

// TestTheRealTalosctlHealthPassesTalosPreBootChecks runs Talos' own checks,
// talosctl health --server=false of a real talosctl v1.7, against a simulated
// cluster of three control planes and a worker, until it is past every
// pre-boot check: the Kubernetes checks that follow cannot pass without a
// Kubernetes API, which this simulator is not given (kube_test.go runs every
// check with one). Set TALOS_SIM_TALOSCTL to the talosctl to run it with.
func TestTheRealTalosctlHealthPassesTalosPreBootChecks(t *testing.T) {
	talosctl := os.Getenv("TALOS_SIM_TALOSCTL")
	if talosctl == "" {
		t.Skip("TALOS_SIM_TALOSCTL names no talosctl to run Talos' own checks with")
	}

	cluster := startCluster(t, "127.35.0", 3, 1, 0)
	endpoint := cluster.controlPlanes[0]
	cluster.bootstrap(t, cluster.client(t, endpoint))

	issuing := cluster.controlPlane.Machine().Security().IssuingCA()
	encode := base64.StdEncoding.EncodeToString

	signed, err := clientcert.Sign(encode(issuing.Crt), encode(issuing.Key), []string{"os:admin"}, time.Now().Add(-time.Minute), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}

	talosconfig := filepath.Join(t.TempDir(), "talosconfig")
	if err := os.WriteFile(talosconfig, []byte(fmt.Sprintf("context: sim\ncontexts:\n  sim:\n    endpoints: [%s]\n    nodes: [%s]\n    ca: %s\n    crt: %s\n    key: %s\n",
		cluster.node(endpoint).listening, endpoint, encode(issuing.Crt), signed.Certificate, signed.Key)), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	health := exec.CommandContext(ctx, talosctl, "--talosconfig", talosconfig, "health", "--server=false", //nolint:gosec // the test's own talosctl
		"--control-plane-nodes", strings.Join(cluster.controlPlanes, ","), "--worker-nodes", strings.Join(cluster.workers, ","),
		"--wait-timeout", "2m")

	stderr, err := health.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}

	if err := health.Start(); err != nil {
		t.Fatal(err)
	}

	defer health.Wait() //nolint:errcheck
	defer cancel()      // ends the talosctl this test started

	passed := map[string]bool{}
	lines := bufio.NewScanner(stderr)

	for lines.Scan() {
		line := lines.Text()
		t.Log(line)

		for _, check := range preBootChecks {
			if line == "waiting for "+check.name+": OK" {
				passed[check.name] = true
			}
		}

		if strings.HasPrefix(line, "waiting for all k8s nodes to report") {
			break // past the pre-boot checks
		}
	}

	for _, check := range preBootChecks {
		if !passed[check.name] {
			t.Errorf("talosctl health did not pass %q", check.name)
		}
	}
}
