package simulator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/client"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/etcdutl/v3/snapshot"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// etcdClient is a client of a control plane's etcd member, on its loopback client URL.
func etcdClient(t *testing.T, n *Node) *clientv3.Client {
	t.Helper()

	c, err := clientv3.New(clientv3.Config{Endpoints: []string{n.etcdClientURL()}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() { c.Close() }) //nolint:errcheck

	return c
}

// putKeys writes keys through a member, retrying until it serves.
func putKeys(t *testing.T, n *Node, keys ...string) {
	t.Helper()

	c := etcdClient(t, n)

	for _, key := range keys {
		eventually(t, 30*time.Second, func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()

			_, err := c.Put(ctx, key, "value of "+key)

			return err
		})
	}
}

// keysOf lists the keys under a prefix, read through a member.
func keysOf(t *testing.T, n *Node, prefix string) ([]string, error) {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()

	resp, err := etcdClient(t, n).Get(ctx, prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, err
	}

	var keys []string
	for _, kv := range resp.Kvs {
		keys = append(keys, string(kv.Key))
	}

	return keys, nil
}

// etcdService is the state of the node's etcd service and its last event's message.
func etcdService(n *Node) (state, message string) {
	boot, err := n.currentBoot()
	if err != nil || boot.services == nil {
		return "", ""
	}

	for _, service := range boot.services.list() {
		if service.GetId() == "etcd" {
			events := service.GetEvents().GetEvents()

			return service.GetState(), events[len(events)-1].GetMsg()
		}
	}

	return "", ""
}

// waitEtcdHealthy waits until the nodes' etcd members pass their health check.
func waitEtcdHealthy(t *testing.T, cluster *testCluster, nodes ...string) {
	t.Helper()

	eventually(t, 90*time.Second, func() error {
		for _, address := range nodes {
			if !cluster.node(address).etcd.healthyMember() {
				state, message := etcdService(cluster.node(address))

				return fmt.Errorf("etcd of %s is not healthy: %s (%s)", address, state, message)
			}
		}

		return nil
	})
}

// takeSnapshot streams a member's snapshot through the Talos API into a file.
func takeSnapshot(t *testing.T, talos *client.Client, node, path string) {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	reader, err := talos.EtcdSnapshot(client.WithNode(ctx, node), &machine.EtcdSnapshotRequest{})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close() //nolint:errcheck

	data, err := io.ReadAll(reader)
	if err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// resetEphemeral resets a node as talosctl reset --graceful=false --reboot --system-labels-to-wipe=EPHEMERAL does.
func resetEphemeral(t *testing.T, talos *client.Client, node string) {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if err := talos.ResetGeneric(client.WithNode(ctx, node), &machine.ResetRequest{
		Graceful: false, Reboot: true,
		SystemPartitionsToWipe: []*machine.ResetPartitionSpec{{Label: "EPHEMERAL", Wipe: true}},
	}); err != nil {
		t.Fatalf("reset %s: %v", node, err)
	}
}

// waitRebooted waits until the node booted again (boots above before) and runs configured.
func waitRebooted(t *testing.T, cluster *testCluster, node string, before int) {
	t.Helper()

	eventually(t, 30*time.Second, func() error {
		status := cluster.node(node).status()
		if status.Boots <= before || status.Mode != ModeConfigured {
			return fmt.Errorf("%s: %s after %d boots", node, status.Mode, status.Boots)
		}

		return nil
	})
}

// waitEtcdWaiting waits until the node's etcd service waits for a bootstrap: Preparing, no member running.
func waitEtcdWaiting(t *testing.T, cluster *testCluster, nodes ...string) {
	t.Helper()

	eventually(t, 30*time.Second, func() error {
		for _, address := range nodes {
			n := cluster.node(address)
			if state, message := etcdService(n); state != ServicePreparing || message != "Running pre state" || n.etcd.localClient() != nil {
				return fmt.Errorf("etcd of %s: %s (%s)", address, state, message)
			}
		}

		return nil
	})
}

// recoverFrom uploads a snapshot and bootstraps from it, as talosctl bootstrap --recover-from does.
func recoverFrom(ctx context.Context, talos *client.Client, node string, data []byte, skipHashCheck bool) error {
	ctx = client.WithNode(ctx, node)

	if _, err := talos.EtcdRecover(ctx, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("error uploading snapshot: %w", err)
	}

	return talos.Bootstrap(ctx, &machine.BootstrapRequest{RecoverEtcd: true, RecoverSkipHashCheck: skipHashCheck})
}

func TestAnEtcdSnapshotIsEtcdsOwnAndOnlyAControlPlaneWhoseEtcdRunsGivesOne(t *testing.T) {
	t.Parallel()

	cluster := startCluster(t, "127.40.0", 1, 1, 0)
	first := cluster.controlPlanes[0]
	talos := cluster.client(t, first)
	ctx := context.Background()

	// Before the bootstrap, nothing runs to take a snapshot of.
	_, err := io.ReadAll(must(talos.EtcdSnapshot(client.WithNode(ctx, first), &machine.EtcdSnapshotRequest{})))
	if err == nil || !strings.Contains(err.Error(), "failed reading etcd snapshot") {
		t.Fatalf("snapshot before the bootstrap: %v", err)
	}

	_, err = io.ReadAll(must(talos.EtcdSnapshot(client.WithNode(ctx, cluster.workers[0]), &machine.EtcdSnapshotRequest{})))
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("snapshot of a worker: %v", err)
	}

	cluster.bootstrap(t, talos)
	waitEtcdHealthy(t, cluster, first)
	putKeys(t, cluster.node(first), "/test/a", "/test/b", "/test/c")

	path := filepath.Join(t.TempDir(), "db.snapshot")
	takeSnapshot(t, talos, first, path)

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	// As talosctl checks: a bolt database (pages of 512 bytes) and the hash etcd appends.
	if len(data)%512 != sha256.Size {
		t.Fatalf("snapshot of %d bytes has no sha256 appended", len(data))
	}

	if sum := sha256.Sum256(data[:len(data)-sha256.Size]); !bytes.Equal(sum[:], data[len(data)-sha256.Size:]) {
		t.Fatal("the appended hash is not the database's sha256")
	}

	info, err := snapshot.NewV3(zap.NewNop()).Status(path)
	if err != nil {
		t.Fatal(err)
	}

	if info.TotalKey < 3 || info.Revision < 4 || info.Hash == 0 {
		t.Fatalf("snapshot status %+v: want the 3 keys written and their revisions", info)
	}
}

func TestAResetWipingEphemeralRebootsConfiguredWithEtcdWaitingForABootstrap(t *testing.T) {
	t.Parallel()

	cluster := startCluster(t, "127.41.0", 1, 0, 0)
	first := cluster.controlPlanes[0]
	n := cluster.node(first)
	talos := cluster.client(t, first)

	cluster.bootstrap(t, talos)
	waitEtcdHealthy(t, cluster, first)

	before := n.status()
	bootID := must(n.currentBoot()).id

	resetEphemeral(t, talos, first)
	waitRebooted(t, cluster, first, before.Boots)
	waitEtcdWaiting(t, cluster, first)

	talos = cluster.client(t, first) // its API listens on another port now (tests' ports are the system's choice)

	after := n.status()
	if after.ConfigDigest != before.ConfigDigest || after.Resets != 1 || after.Bootstraps != 1 {
		t.Fatalf("after the reset: %+v", after)
	}

	if must(n.currentBoot()).id == bootID {
		t.Fatal("the boot ID did not change")
	}

	if n.etcdHasData() {
		t.Fatal("the etcd data survived a reset wiping EPHEMERAL")
	}

	// It keeps waiting: nothing to join.
	time.Sleep(2 * etcdRetryInterval)
	waitEtcdWaiting(t, cluster, first)

	if !slices.ContainsFunc(after.Calls, func(c Call) bool { return c.Method == "Reset" && c.Code == "OK" }) {
		t.Fatalf("the reset is not among the calls: %+v", after.Calls)
	}

	// A plain bootstrap starts a new, empty cluster again.
	cluster.bootstrap(t, talos)
	waitEtcdHealthy(t, cluster, first)

	// Unknown labels and contradictory modes are refused, as machined does.
	ctx := client.WithNode(context.Background(), first)
	if err := talos.ResetGeneric(ctx, &machine.ResetRequest{SystemPartitionsToWipe: []*machine.ResetPartitionSpec{{Label: "DATA", Wipe: true}}}); err == nil ||
		!strings.Contains(err.Error(), `label "DATA" is not supported`) {
		t.Fatalf("reset of an unknown label: %v", err)
	}

	if err := talos.ResetGeneric(ctx, &machine.ResetRequest{Mode: machine.ResetRequest_USER_DISKS, SystemPartitionsToWipe: []*machine.ResetPartitionSpec{{Label: "EPHEMERAL", Wipe: true}}}); err == nil {
		t.Fatal("a USER_DISKS reset of a system partition was not refused")
	}
}

func TestAResetWithoutLabelsWipesTheSystemDiskIntoMaintenanceMode(t *testing.T) {
	t.Parallel()

	cluster := startCluster(t, "127.42.0", 1, 0, 0)
	first := cluster.controlPlanes[0]
	talos := cluster.client(t, first)

	cluster.bootstrap(t, talos)
	waitEtcdHealthy(t, cluster, first)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// Graceful, the last member cannot leave its cluster: refused, as Talos' reset fails.
	if err := talos.ResetGeneric(client.WithNode(ctx, first), &machine.ResetRequest{Reboot: true, Graceful: true}); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("graceful reset of the last member: %v", err)
	}

	if err := talos.ResetGeneric(client.WithNode(ctx, first), &machine.ResetRequest{Reboot: true}); err != nil {
		t.Fatal(err)
	}

	eventually(t, 30*time.Second, func() error {
		if status := cluster.node(first).status(); status.Mode != ModeMaintenance || status.ConfigDigest != "" {
			return fmt.Errorf("%s, config %q", status.Mode, status.ConfigDigest)
		}

		return nil
	})

	if cluster.node(first).etcdHasData() {
		t.Fatal("the etcd data survived a full reset")
	}
}

func TestARecoveryRestoresTheSnapshotsKeysAndDropsLaterOnes(t *testing.T) {
	t.Parallel()

	cluster := startCluster(t, "127.43.0", 1, 0, 0)
	first := cluster.controlPlanes[0]
	n := cluster.node(first)
	talos := cluster.client(t, first)
	ctx := context.Background()

	cluster.bootstrap(t, talos)
	waitEtcdHealthy(t, cluster, first)
	putKeys(t, n, "/before/1", "/before/2")

	path := filepath.Join(t.TempDir(), "db.snapshot")
	takeSnapshot(t, talos, first, path)
	putKeys(t, n, "/after/1")

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	before := n.status().Boots
	resetEphemeral(t, talos, first)
	waitRebooted(t, cluster, first, before)
	waitEtcdWaiting(t, cluster, first)

	talos = cluster.client(t, first)

	// Without an upload, there is nothing to recover from.
	if err := talos.Bootstrap(client.WithNode(ctx, first), &machine.BootstrapRequest{RecoverEtcd: true}); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("recovery without a snapshot: %v", err)
	}

	// Truncated: its hash does not match; a raw database copy (no hash) needs the skip.
	for _, bad := range []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", data[:len(data)-sha256.Size-512], ""},
		{"corrupted", append(slices.Clone(data[:len(data)-1]), data[len(data)-1]^0xff), "expected sha256"},
		{"a database copy without its hash", data[:len(data)-sha256.Size], "snapshot missing hash"},
	} {
		err := recoverFrom(ctx, talos, first, bad.data, false)
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), bad.want) {
			t.Fatalf("recovery from a %s snapshot: %v", bad.name, err)
		}

		if status := n.status(); status.Recoveries != 0 || n.etcdHasData() {
			t.Fatalf("a refused recovery changed the node: %+v", status)
		}

		waitEtcdWaiting(t, cluster, first)
	}

	if err := recoverFrom(ctx, talos, first, data, false); err != nil {
		t.Fatal(err)
	}

	waitEtcdHealthy(t, cluster, first)

	if keys, err := keysOf(t, n, "/"); err != nil || !slices.Equal(keys, []string{"/before/1", "/before/2"}) {
		t.Fatalf("keys after the recovery: %v, %v", keys, err)
	}

	if status := n.status(); status.Recoveries != 1 || status.Bootstraps != 1 {
		t.Fatalf("after the recovery: bootstraps %d, recoveries %d", status.Bootstraps, status.Recoveries)
	}

	// Recovered, it has data: another bootstrap is refused.
	if err := recoverFrom(ctx, talos, first, data, false); status.Code(err) != codes.AlreadyExists {
		t.Fatalf("a second recovery: %v", err)
	}

	// A copy of the database itself (no hash) recovers with the hash check skipped.
	before = n.status().Boots
	resetEphemeral(t, talos, first)
	waitRebooted(t, cluster, first, before)
	waitEtcdWaiting(t, cluster, first)

	talos = cluster.client(t, first)

	if err := recoverFrom(ctx, talos, first, data[:len(data)-sha256.Size], true); err != nil {
		t.Fatal(err)
	}

	waitEtcdHealthy(t, cluster, first)

	if keys, err := keysOf(t, n, "/before/"); err != nil || len(keys) != 2 {
		t.Fatalf("keys after the recovery from a database copy: %v, %v", keys, err)
	}
}

func TestLosingTheDataOfTwoOfThreeMembersLosesQuorumAndAllResetRecoverFromASnapshot(t *testing.T) {
	t.Parallel()

	cluster := startCluster(t, "127.44.0", 3, 0, 0)
	first := cluster.controlPlanes[0]
	talos := cluster.client(t, first)
	ctx := context.Background()

	cluster.bootstrap(t, talos)
	waitEtcdHealthy(t, cluster, cluster.controlPlanes...)
	putKeys(t, cluster.node(first), "/before/1")

	path := filepath.Join(t.TempDir(), "db.snapshot")
	takeSnapshot(t, talos, first, path)
	putKeys(t, cluster.node(first), "/after/1")

	for _, address := range cluster.controlPlanes[1:] {
		if status := postFaults(t, cluster, address, `{"etcdDataLost": true}`); !status.Faults.EtcdDataLost {
			t.Fatalf("fault not set: %+v", status.Faults)
		}
	}

	// The last member has no quorum: its health check fails; the others failed, their data gone.
	eventually(t, 30*time.Second, func() error {
		if cluster.node(first).etcd.healthyMember() {
			return fmt.Errorf("etcd of %s is still healthy", first)
		}

		for _, address := range cluster.controlPlanes[1:] {
			n := cluster.node(address)
			if state, _ := etcdService(n); state != ServiceFailed || n.etcdHasData() || n.currentMode() != ModeConfigured {
				return fmt.Errorf("etcd of %s: %s, data %v", address, state, n.etcdHasData())
			}
		}

		return nil
	})

	// Cleared, they have no data and no healthy cluster to join: they wait.
	for _, address := range cluster.controlPlanes[1:] {
		postFaults(t, cluster, address, `{}`)
	}

	waitEtcdWaiting(t, cluster, cluster.controlPlanes[1:]...)

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	boots := map[string]int{}
	for _, address := range cluster.controlPlanes {
		boots[address] = cluster.node(address).status().Boots
	}

	reset := func() {
		resetCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()

		if err := talos.ResetGeneric(client.WithNodes(resetCtx, cluster.controlPlanes...), &machine.ResetRequest{
			Reboot: true, SystemPartitionsToWipe: []*machine.ResetPartitionSpec{{Label: "EPHEMERAL", Wipe: true}},
		}); err != nil {
			t.Fatal(err)
		}
	}

	reset()

	for _, address := range cluster.controlPlanes {
		waitRebooted(t, cluster, address, boots[address])
	}

	waitEtcdWaiting(t, cluster, cluster.controlPlanes...)

	talos = cluster.client(t, first)

	if err := recoverFrom(ctx, talos, first, data, false); err != nil {
		t.Fatal(err)
	}

	eventually(t, 120*time.Second, func() error {
		callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()

		if err := serviceHealthAssertion(callCtx, talos, "etcd", cluster.controlPlanes); err != nil {
			return err
		}

		byNode, err := members(callCtx, t, talos, first)
		if err != nil {
			return err
		}

		if list := byNode[first]; len(list) != 3 || slices.ContainsFunc(list, func(entry string) bool { return strings.HasSuffix(entry, "/learner") }) {
			return fmt.Errorf("members %v, want 3 voting ones", list)
		}

		return nil
	})

	for _, address := range cluster.controlPlanes {
		if keys, err := keysOf(t, cluster.node(address), "/"); err != nil || !slices.Equal(keys, []string{"/before/1"}) {
			t.Fatalf("keys through %s: %v, %v", address, keys, err)
		}
	}
}

// must returns a value, panicking on an error the test does not expect.
func must[T any](value T, err error) T {
	if err != nil {
		panic(err)
	}

	return value
}

func TestAResetWipingEphemeralEndsTheDataLossOfItsMember(t *testing.T) {
	t.Parallel()

	cluster := startCluster(t, "127.47.0", 1, 0, 0)
	first := cluster.controlPlanes[0]
	n := cluster.node(first)
	talos := cluster.client(t, first)

	cluster.bootstrap(t, talos)
	waitEtcdHealthy(t, cluster, first)

	// The control API answers once the member has failed: a test acts on it next.
	postFaults(t, cluster, first, `{"etcdDataLost": true}`)

	if state, _ := etcdService(n); state != ServiceFailed {
		t.Fatalf("etcd after the fault answered: %s, want %s", state, ServiceFailed)
	}

	before := n.status()
	resetEphemeral(t, talos, first)
	waitRebooted(t, cluster, first, before.Boots)
	waitEtcdWaiting(t, cluster, first)

	if n.status().Faults.EtcdDataLost {
		t.Fatal("the fault etcdDataLost outlived the wipe of the member's data")
	}
}
