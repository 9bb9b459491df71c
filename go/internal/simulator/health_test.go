package simulator

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/client"
)

// members is what EtcdMemberList answers for each node named: its members'
// hostnames, IDs and peer hosts, learners marked.
func members(ctx context.Context, t *testing.T, talos *client.Client, nodes ...string) (map[string][]string, error) {
	t.Helper()

	reply, err := talos.EtcdMemberList(client.WithNodes(ctx, nodes...), &machine.EtcdMemberListRequest{})
	if err != nil {
		return nil, err
	}

	byNode := map[string][]string{}

	for _, message := range reply.GetMessages() {
		var list []string

		for _, member := range message.GetMembers() {
			peer, err := url.Parse(member.GetPeerUrls()[0])
			if err != nil {
				return nil, err
			}

			entry := fmt.Sprintf("%s/%x/%s", member.GetHostname(), member.GetId(), peer.Hostname())
			if member.GetIsLearner() {
				entry += "/learner"
			}

			list = append(list, entry)
		}

		slices.Sort(list)
		byNode[message.GetMetadata().GetHostname()] = list
	}

	return byNode, nil
}

// postFaults sets a node's faults through the control API and returns its status.
func postFaults(t *testing.T, cluster *testCluster, address, faults string) NodeStatus {
	t.Helper()

	response, err := http.Post(cluster.server.Control+"/nodes/"+address+"/faults", "application/json", strings.NewReader(faults))
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()

	var status NodeStatus
	if err := json.NewDecoder(response.Body).Decode(&status); err != nil || response.StatusCode != http.StatusOK {
		t.Fatalf("POST faults %s: %d, %v", faults, response.StatusCode, err)
	}

	return status
}

func TestAHealthyClusterPassesTalosPreBootChecksAndFaultsFailThemNamingTheNode(t *testing.T) {
	// Beside the other tests of a cluster (their own addresses): it mostly waits.
	t.Parallel()

	cluster := startCluster(t, "127.31.0", 3, 1, 0)
	endpoint := cluster.controlPlanes[0]
	talos := cluster.client(t, endpoint)
	ctx := context.Background()

	checksPass := func() error {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()

		return runPreBootChecks(ctx, talos, cluster.controlPlanes, cluster.workers)
	}

	if err := checksPass(); err == nil || !strings.Contains(err.Error(), "etcd to be healthy") {
		t.Fatalf("before bootstrap: %v, want etcd not healthy", err)
	}

	cluster.bootstrap(t, talos)
	eventually(t, 60*time.Second, checksPass)

	var before []string

	t.Run("every control plane lists the same three members, the control planes", func(t *testing.T) {
		byNode, err := members(ctx, t, talos, cluster.controlPlanes...)
		if err != nil {
			t.Fatal(err)
		}

		if len(byNode) != 3 {
			t.Fatalf("answers from %v, want the three control planes", byNode)
		}

		for _, address := range cluster.controlPlanes {
			list := byNode[address]
			if len(list) != 3 {
				t.Fatalf("%s lists %v, want three members", address, list)
			}

			for i, entry := range list {
				if parts := strings.Split(entry, "/"); len(parts) != 3 || parts[0] != cluster.controlPlanes[i] || parts[2] != cluster.controlPlanes[i] {
					t.Fatalf("%s lists %v, want the control planes by name and peer URL, none a learner", address, list)
				}
			}

			if !slices.Equal(list, byNode[cluster.controlPlanes[0]]) {
				t.Fatalf("%s lists %v, %s %v", address, list, cluster.controlPlanes[0], byNode[cluster.controlPlanes[0]])
			}
		}

		before = byNode[endpoint]
	})

	t.Run("ServiceList naming every node answers once per node, marked with its address", func(t *testing.T) {
		reply, err := talos.ServiceList(client.WithNodes(ctx, cluster.nodes()...))
		if err != nil {
			t.Fatal(err)
		}

		var hostnames []string

		for _, message := range reply.GetMessages() {
			hostnames = append(hostnames, message.GetMetadata().GetHostname())

			var ids []string
			for _, service := range message.GetServices() {
				ids = append(ids, service.GetId())
			}

			slices.Sort(ids)

			want := []string{"apid", "etcd", "kubelet", "machined", "trustd"}
			if slices.Contains(cluster.workers, message.GetMetadata().GetHostname()) {
				want = []string{"apid", "kubelet", "machined"}
			}

			if !slices.Equal(ids, want) {
				t.Errorf("%s: services %v, want %v", message.GetMetadata().GetHostname(), ids, want)
			}
		}

		if !slices.Equal(hostnames, cluster.nodes()) {
			t.Fatalf("answers from %v, want %v", hostnames, cluster.nodes())
		}
	})

	t.Run("kubeletDown fails the kubelet check naming the node, until cleared", func(t *testing.T) {
		node := cluster.node(cluster.controlPlanes[1])

		// Through the control API, as the tests outside set it.
		if status := postFaults(t, cluster, cluster.controlPlanes[1], `{"kubeletDown": true}`); !status.Faults.KubeletDown || status.Faults.EtcdStopped {
			t.Fatalf("faults in the status: %+v", status.Faults)
		}

		err := checksPass()
		want := cluster.controlPlanes[1] + `: service "kubelet" not in expected state "Running": current state [Failed] Failed to run service: simulated fault kubeletDown`

		if err == nil || !strings.Contains(err.Error(), "kubelet to be healthy") || !strings.Contains(err.Error(), want) {
			t.Fatalf("kubelet down: %v, want %q", err, want)
		}

		if status := postFaults(t, cluster, cluster.controlPlanes[1], `{}`); status.Faults.KubeletDown {
			t.Fatalf("faults in the status: %+v", status.Faults)
		}

		if err := checksPass(); err != nil {
			t.Fatalf("cleared: %v", err)
		}

		if boot, err := node.currentBoot(); err != nil || boot.services.state("kubelet") != ServiceRunning {
			t.Fatalf("kubelet not running after the fault was cleared (%v)", err)
		}
	})

	t.Run("etcdStopped fails the etcd check naming the node; cleared, the member rejoins", func(t *testing.T) {
		stopped := cluster.controlPlanes[2]
		node := cluster.node(stopped)
		node.setFaults(Faults{EtcdStopped: true})

		eventually(t, 10*time.Second, func() error {
			err := checksPass()
			want := stopped + `: service "etcd" not in expected state "Running": current state [Finished]`

			if err == nil || !strings.Contains(err.Error(), "etcd to be healthy") || !strings.Contains(err.Error(), want) {
				return fmt.Errorf("etcd stopped: %w, want %q", err, want)
			}

			return nil
		})

		// Its member list is its own etcd's: none while it is stopped.
		if _, err := members(ctx, t, talos, cluster.controlPlanes...); err == nil || !strings.Contains(err.Error(), stopped+": rpc error: code = Unavailable") {
			t.Fatalf("member list with %s stopped: %v, want its error", stopped, err)
		}

		node.setFaults(Faults{})
		eventually(t, 30*time.Second, checksPass)

		if after, err := members(ctx, t, talos, endpoint); err != nil || !slices.Equal(after[endpoint], before) {
			t.Fatalf("members after etcd started again: %v (%v), want %v", after, err, before)
		}
	})

	t.Run("a control plane rebooted keeps its member", func(t *testing.T) {
		rebooted := cluster.controlPlanes[1]
		boots := cluster.node(rebooted).status().Boots

		// Through the endpoint, as talosctl reboot --nodes <it> --endpoints <endpoint> does.
		if _, err := talos.MachineClient.Reboot(client.WithNode(ctx, rebooted), &machine.RebootRequest{}); err != nil {
			t.Fatal(err)
		}

		eventually(t, 10*time.Second, func() error {
			if status := cluster.node(rebooted).status(); status.Boots == boots || status.Mode != ModeConfigured {
				return fmt.Errorf("%s did not boot again: %d boots, %s", rebooted, status.Boots, status.Mode)
			}

			return nil
		})

		eventually(t, 60*time.Second, checksPass)

		if after, err := members(ctx, t, talos, endpoint); err != nil || !slices.Equal(after[endpoint], before) {
			t.Fatalf("members after the reboot: %v (%v), want %v", after, err, before)
		}
	})
}

func TestAControlPlaneConfiguredAfterTheBootstrapJoinsAndReimagedRejoinsAsANewMember(t *testing.T) {
	// Beside the other tests of a cluster (their own addresses): it mostly waits.
	t.Parallel()

	cluster := startCluster(t, "127.36.0", 2, 0, 1)
	late := cluster.maintenance[0]
	talos := cluster.client(t, cluster.controlPlanes[0])
	ctx := context.Background()

	cluster.bootstrap(t, talos)

	joined := func(controlPlanes ...string) func() error {
		return func() error {
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()

			if err := serviceHealthAssertion(ctx, talos, "etcd", controlPlanes); err != nil {
				return err
			}

			if err := etcdConsistentAssertion(ctx, talos, controlPlanes); err != nil {
				return err
			}

			byNode, err := members(ctx, t, talos, controlPlanes[0])
			if err != nil {
				return err
			}

			if list := byNode[controlPlanes[0]]; len(list) != len(controlPlanes) || slices.ContainsFunc(list, func(entry string) bool { return strings.HasSuffix(entry, "/learner") }) {
				return fmt.Errorf("members %v, want %d voting ones", list, len(controlPlanes))
			}

			return nil
		}
	}

	eventually(t, 60*time.Second, joined(cluster.controlPlanes...))

	all := append(slices.Clone(cluster.controlPlanes), late)

	cluster.apply(t, late, cluster.controlPlane)
	cluster.waitConfigured(t, late)
	eventually(t, 60*time.Second, joined(all...))

	memberOf := func(address string) string {
		byNode, err := members(ctx, t, talos, cluster.controlPlanes[0])
		if err != nil {
			t.Fatal(err)
		}

		for _, entry := range byNode[cluster.controlPlanes[0]] {
			if strings.HasPrefix(entry, address+"/") {
				return entry
			}
		}

		return ""
	}

	first := memberOf(late)

	// Wiped and configured again, it has no data: it replaces its old member.
	if err := cluster.node(late).reimage(); err != nil {
		t.Fatal(err)
	}

	cluster.apply(t, late, cluster.controlPlane)
	cluster.waitConfigured(t, late)
	eventually(t, 60*time.Second, joined(all...))

	if again := memberOf(late); again == first || again == "" {
		t.Fatalf("member after the re-image %q, before %q: want a new one", again, first)
	}
}
