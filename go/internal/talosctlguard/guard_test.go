package talosctlguard

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseReadsAddressFlagsAsTalosctlDoes(t *testing.T) {
	inv, err := Parse([]string{"upgrade", "--image=ghcr.io/siderolabs/installer:v1.7.5", "-n", "127.0.0.2", "--endpoints", "127.0.0.3,127.0.0.4", "-n127.0.0.5", "--talosconfig=/tmp/tc", "--stage"})
	if err != nil {
		t.Fatal(err)
	}

	if inv.Command != "upgrade" || strings.Join(inv.Nodes, " ") != "127.0.0.2 127.0.0.5" || strings.Join(inv.Endpoints, " ") != "127.0.0.3 127.0.0.4" || inv.Talosconfig != "/tmp/tc" {
		t.Fatalf("parsed %+v", inv)
	}

	if inv.Flags["image"] != "ghcr.io/siderolabs/installer:v1.7.5" || inv.Flags["stage"] != "" {
		t.Fatalf("flags %+v", inv.Flags)
	}
}

func TestCheckRefusesAnythingButLoopback(t *testing.T) {
	t.Setenv("TALOSCONFIG", "")
	t.Setenv("HOME", t.TempDir())

	for _, args := range [][]string{
		{"version", "--nodes=192.168.1.1"},
		{"version", "-n", "127.0.0.1", "-e", "10.0.0.1:50000"},
		{"version", "--nodes=talos-node.local"},
		{"get", "machinestatus", "--nodes=192.168.1.2", "--insecure"},
	} {
		inv, err := Parse(args)
		if err != nil {
			t.Fatal(err)
		}

		if err := inv.Check(); err == nil || !strings.Contains(err.Error(), "not a loopback address") {
			t.Errorf("%v: want a refusal, got %v", args, err)
		}
	}

	inv, _ := Parse([]string{"version", "--nodes=127.1.2.3", "--endpoints=[::1]:50000"})
	if err := inv.Check(); err != nil {
		t.Errorf("loopback refused: %v", err)
	}
}

func TestCheckReadsTheTalosconfigsContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "talosconfig")
	talosconfig := "context: koffer\ncontexts:\n  koffer:\n    endpoints: [192.168.1.101]\n    nodes: [127.0.0.1]\n"

	if err := os.WriteFile(path, []byte(talosconfig), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Setenv("TALOSCONFIG", path)

	inv, _ := Parse([]string{"version"})
	if err := inv.Check(); err == nil || !strings.Contains(err.Error(), `endpoints of context "koffer"`) {
		t.Errorf("the context's endpoint went unchecked: %v", err)
	}

	// --endpoints overrides the context's: what talosctl dials is then loopback only.
	inv, _ = Parse([]string{"version", "--endpoints=127.0.0.1"})
	if err := inv.Check(); err != nil {
		t.Errorf("overridden endpoints refused: %v", err)
	}
}

func TestGuardHandsACheckedCommandLineToTheRealTalosctl(t *testing.T) {
	t.Setenv("TALOSCONFIG", "")
	t.Setenv("HOME", t.TempDir())

	result, err := Guard("/usr/bin/talosctl", []string{"version", "--nodes=127.0.0.1"})
	if err != nil || result.Answered || strings.Join(result.Exec, " ") != "/usr/bin/talosctl version --nodes=127.0.0.1" {
		t.Fatalf("Guard = %+v, %v", result, err)
	}

	if _, err := Guard("", []string{"version", "--nodes=127.0.0.1"}); err == nil || err.Error() != "no talosctl to run: name the real talosctl first" {
		t.Fatalf("without a talosctl: %v", err)
	}

	if _, err := Guard("/usr/bin/talosctl", []string{"version", "--nodes=192.168.1.1"}); err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		t.Fatalf("not loopback: %v", err)
	}
}

func TestTheUpgradeK8sDoubleChecksWhatTheRealOneChecksFirst(t *testing.T) {
	t.Setenv("TALOSCONFIG", "")
	t.Setenv("HOME", t.TempDir())

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"upgrade-k8s", "--to=1.30", "--nodes=127.0.0.1"}, `--to "1.30" is not a Kubernetes version`},
		{[]string{"upgrade-k8s", "--to=1.30.2", "--nodes=127.0.0.1,127.0.0.2"}, "upgrade-k8s: name the one control plane with --nodes"},
		{[]string{"upgrade-k8s", "--to=1.30.2", "--nodes=127.0.0.1"}, "no talosconfig: set TALOSCONFIG or --talosconfig"},
	} {
		// The double answers even without a real talosctl.
		if result, err := Guard("", tc.args); err == nil || err.Error() != tc.want {
			t.Errorf("%v: %+v, %v; want %q", tc.args, result, err, tc.want)
		}
	}
}

func TestHealthsClusterNodesAndKubernetesEndpointAreCheckedToo(t *testing.T) {
	for _, args := range [][]string{
		{"health", "--nodes=127.0.0.1", "--control-plane-nodes=127.0.0.1,192.168.1.2"},
		{"health", "--nodes=127.0.0.1", "--worker-nodes", "192.168.1.4"},
		{"health", "--nodes=127.0.0.1", "--init-node=10.0.0.1"},
		{"health", "--nodes=127.0.0.1", "--k8s-endpoint=https://192.168.1.101:6443"},
	} {
		inv, err := Parse(args)
		if err != nil {
			t.Fatal(err)
		}

		if err := inv.Check(); err == nil || !strings.Contains(err.Error(), "not a loopback address") {
			t.Errorf("%v: want a refusal, got %v", args, err)
		}
	}

	inv, _ := Parse([]string{
		"health", "--nodes=127.0.0.1", "--endpoints=127.0.0.1", "--control-plane-nodes=127.0.0.1,127.0.0.2",
		"--worker-nodes=127.0.0.3", "--k8s-endpoint=https://127.0.0.254:6443", "--server=false",
	})
	if err := inv.Check(); err != nil {
		t.Errorf("loopback refused: %v", err)
	}
}
