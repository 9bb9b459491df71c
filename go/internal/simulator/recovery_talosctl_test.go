package simulator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// talosctl runs the real talosctl with the test's talosconfig and returns its output (stdout and stderr).
func (c *kubeTestCluster) runTalosctl(t *testing.T, talosconfig string, args ...string) (string, error) {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	cmd := exec.CommandContext(ctx, c.talosctl, append([]string{"--talosconfig", talosconfig}, args...)...) //nolint:gosec // the test's own talosctl
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}

	var output bytes.Buffer

	cmd.Stdout, cmd.Stderr = &output, &output
	err := cmd.Run()

	t.Logf("$ talosctl %s\n%s", strings.Join(args, " "), output.String())

	return output.String(), err
}

// configMap creates a ConfigMap in the default namespace, or reads it (its HTTP status).
func (c *kubeTestCluster) configMap(t *testing.T, kube *http.Client, name string, create bool) (int, error) {
	t.Helper()

	var (
		response *http.Response
		err      error
	)

	if create {
		body := fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":%q},"data":{"written":"yes"}}`, name)
		response, err = kube.Post(c.endpoint+"/api/v1/namespaces/default/configmaps", "application/json", strings.NewReader(body))
	} else {
		response, err = kube.Get(c.endpoint + "/api/v1/namespaces/default/configmaps/" + name)
	}

	if err != nil {
		return 0, err
	}

	response.Body.Close() //nolint:errcheck

	return response.StatusCode, nil
}

// TestTheRealTalosctlRecoversEtcdFromASnapshot runs Talos' etcd disaster
// recovery (website/content/v1.7/advanced/disaster-recovery.md) with the
// real talosctl v1.7.4 against three simulated control planes and a worker
// with the real kube-apiserver: a snapshot, keys written after it, every
// control plane reset with EPHEMERAL wiped, etcd waiting, bootstrap
// --recover-from on the first, the others joining; the keys and Kubernetes
// objects from before the snapshot are back, those written after it gone.
// Then again from a copy of the database itself (--recover-skip-hash-check).
func TestTheRealTalosctlRecoversEtcdFromASnapshot(t *testing.T) {
	t.Parallel()

	// A fixed port: talosctl follows the nodes across their reboots.
	cluster := startKubeClusterWith(t, "127.45.0", 3, 1, Settings{Port: 50000}, "cluster:\n  proxy:\n    disabled: true\n")
	talosconfig := cluster.talosconfig(t)
	first := cluster.controlPlanes[0]
	all := strings.Join(cluster.controlPlanes, ",")
	talosctl := func(args ...string) string {
		t.Helper()

		output, err := cluster.runTalosctl(t, talosconfig, args...)
		if err != nil {
			t.Fatalf("talosctl %s: %v\n%s", strings.Join(args, " "), err, output)
		}

		return output
	}

	cluster.waitKubeReady(t)
	waitEtcdHealthy(t, cluster.testCluster, cluster.controlPlanes...)

	kube := cluster.kube(t)

	eventually(t, time.Minute, func() error {
		code, err := cluster.configMap(t, kube, "before", true)
		if err == nil && code != http.StatusCreated {
			err = fmt.Errorf("creating a ConfigMap: %d", code)
		}

		return err
	})

	putKeys(t, cluster.node(first), "/before/1", "/before/2")

	dir := t.TempDir()
	snapshotPath := filepath.Join(dir, "db.snapshot")

	if output := talosctl("-n", first, "etcd", "snapshot", snapshotPath); !strings.Contains(output, "snapshot info: hash") {
		t.Fatalf("talosctl etcd snapshot said:\n%s", output)
	}

	putKeys(t, cluster.node(first), "/after/1")

	if code, err := cluster.configMap(t, kube, "after", true); err != nil || code != http.StatusCreated {
		t.Fatalf("creating a ConfigMap after the snapshot: %d, %v", code, err)
	}

	talosctl("-n", all, "etcd", "status")

	data, err := os.ReadFile(snapshotPath)
	if err != nil {
		t.Fatal(err)
	}

	// A copy of the database itself has no hash: bootstrap --recover-skip-hash-check takes it.
	copyPath := filepath.Join(dir, "db")
	if err := os.WriteFile(copyPath, data[:len(data)-sha256.Size], 0o600); err != nil {
		t.Fatal(err)
	}

	for round, recovery := range [][]string{
		{"bootstrap", "--recover-from=" + snapshotPath},
		{"bootstrap", "--recover-from=" + copyPath, "--recover-skip-hash-check"},
	} {
		// Every control plane reset, EPHEMERAL (etcd's data) wiped: talosctl waits for the reboots.
		talosctl("-n", all, "reset", "--graceful=false", "--reboot", "--system-labels-to-wipe=EPHEMERAL")

		waitEtcdWaiting(t, cluster.testCluster, cluster.controlPlanes...)

		if output := talosctl("-n", all, "service", "etcd"); strings.Count(output, "Preparing") < 3 {
			t.Fatalf("etcd is not waiting everywhere:\n%s", output)
		}

		if output := talosctl(append([]string{"-n", first}, recovery...)...); !strings.Contains(output, "recovering from snapshot") {
			t.Fatalf("talosctl bootstrap --recover-from said:\n%s", output)
		}

		eventually(t, 2*time.Minute, func() error {
			output, err := cluster.runTalosctl(t, talosconfig, "-n", first, "etcd", "members")
			if err != nil {
				return err
			}

			lines := strings.Split(strings.TrimSpace(output), "\n")
			if len(lines) != 4 || slices.ContainsFunc(lines[1:], func(line string) bool { return strings.HasSuffix(strings.TrimSpace(line), "true") }) {
				return fmt.Errorf("members:\n%s", output)
			}

			return nil
		})

		// A member just promoted serves once it caught up.
		waitEtcdHealthy(t, cluster.testCluster, cluster.controlPlanes...)

		for _, address := range cluster.controlPlanes {
			eventually(t, 30*time.Second, func() error {
				before, err := keysOf(t, cluster.node(address), "/before/")
				if err != nil {
					return err
				}

				after, err := keysOf(t, cluster.node(address), "/after/")
				if err != nil {
					return err
				}

				if !slices.Equal(before, []string{"/before/1", "/before/2"}) || len(after) != 0 {
					return fmt.Errorf("round %d: keys through %s: before the snapshot %v, after it %v", round, address, before, after)
				}

				return nil
			})
		}

		// The kube-apiserver reads the restored data: what was written after the snapshot is gone.
		eventually(t, 2*time.Minute, func() error {
			before, err := cluster.configMap(t, kube, "before", false)
			if err != nil {
				return err
			}

			after, err := cluster.configMap(t, kube, "after", false)
			if err != nil {
				return err
			}

			if before != http.StatusOK || after != http.StatusNotFound {
				return fmt.Errorf("ConfigMaps: before %d, after %d", before, after)
			}

			return nil
		})

		talosctl("-n", all, "etcd", "status")

		if run := cluster.health(t, talosconfig, false, 2*time.Minute); run.err != nil {
			t.Fatalf("round %d: talosctl health --server=false: %v\n%s", round, run.err, run.output)
		}

		status := cluster.node(first).status()
		if status.Recoveries != round+1 || status.Bootstraps != 1 || status.Resets != round+1 {
			t.Fatalf("round %d: bootstraps %d, recoveries %d, resets %d", round, status.Bootstraps, status.Recoveries, status.Resets)
		}
	}
}
