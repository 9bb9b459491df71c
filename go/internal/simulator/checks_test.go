package simulator

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/hashicorp/go-multierror"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/client"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	"github.com/siderolabs/talos/pkg/machinery/resources/runtime"
)

// The calls and verdicts of Talos 1.7.4's PreBootSequenceChecks
// (pkg/cluster/check: default.go, service.go, etcd.go, apid.go, nodes.go,
// events.go), transcribed: that package is in Talos' main module, which this
// module does not depend on. Each asks through one endpoint with the nodes
// in gRPC metadata, as the checks do, and fails naming the node.

// preBootCheck is one check, by the name Talos reports it under.
type preBootCheck struct {
	name  string
	check func(ctx context.Context, c *client.Client, controlPlanes, workers []string) error
}

var preBootChecks = []preBootCheck{
	{"etcd to be healthy", func(ctx context.Context, c *client.Client, controlPlanes, _ []string) error {
		return serviceHealthAssertion(ctx, c, "etcd", controlPlanes)
	}},
	{"etcd members to be consistent across nodes", func(ctx context.Context, c *client.Client, controlPlanes, _ []string) error {
		return etcdConsistentAssertion(ctx, c, controlPlanes)
	}},
	{"etcd members to be control plane nodes", func(ctx context.Context, c *client.Client, controlPlanes, _ []string) error {
		return etcdControlPlaneNodesAssertion(ctx, c, controlPlanes)
	}},
	{"apid to be ready", func(ctx context.Context, c *client.Client, controlPlanes, workers []string) error {
		_, err := c.Version(client.WithNodes(ctx, append(slices.Clone(controlPlanes), workers...)...))

		return err
	}},
	{"all nodes memory sizes", allNodesMemorySizes},
	{"all nodes disk sizes", allNodesDiskSizes},
	{"kubelet to be healthy", func(ctx context.Context, c *client.Client, controlPlanes, _ []string) error {
		return serviceHealthAssertion(ctx, c, "kubelet", controlPlanes)
	}},
	{"all nodes to finish boot sequence", func(ctx context.Context, c *client.Client, controlPlanes, workers []string) error {
		return allNodesBootedAssertion(ctx, c, append(slices.Clone(controlPlanes), workers...))
	}},
}

// runPreBootChecks runs every check once, in Talos' order, and returns the first failure.
func runPreBootChecks(ctx context.Context, c *client.Client, controlPlanes, workers []string) error {
	for _, check := range preBootChecks {
		if err := check.check(ctx, c, controlPlanes, workers); err != nil {
			return fmt.Errorf("%s: %w", check.name, err)
		}
	}

	return nil
}

func serviceHealthAssertion(ctx context.Context, c *client.Client, service string, nodes []string) error {
	servicesInfo, err := c.ServiceInfo(client.WithNodes(ctx, nodes...), service)
	if err != nil {
		return err
	}

	if len(servicesInfo) != len(nodes) {
		return fmt.Errorf("expected a response with %d node(s), got %d", len(nodes), len(servicesInfo))
	}

	sort.Slice(servicesInfo, func(i, j int) bool {
		return servicesInfo[i].Metadata.GetHostname() < servicesInfo[j].Metadata.GetHostname()
	})

	var multiErr *multierror.Error

	for _, serviceInfo := range servicesInfo {
		node := serviceInfo.Metadata.GetHostname()

		if len(serviceInfo.Service.Events.Events) == 0 {
			multiErr = multierror.Append(multiErr, fmt.Errorf("%s: no events recorded yet for service %q", node, service))

			continue
		}

		lastEvent := serviceInfo.Service.Events.Events[len(serviceInfo.Service.Events.Events)-1]
		if lastEvent.State != "Running" {
			multiErr = multierror.Append(multiErr, fmt.Errorf("%s: service %q not in expected state %q: current state [%s] %s", node, service, "Running", lastEvent.State, lastEvent.Msg))

			continue
		}

		if !serviceInfo.Service.GetHealth().GetHealthy() {
			multiErr = multierror.Append(multiErr, fmt.Errorf("%s: service is not healthy: %s", node, service))
		}
	}

	return multiErr.ErrorOrNil()
}

func etcdConsistentAssertion(ctx context.Context, c *client.Client, controlPlanes []string) error {
	resp, err := c.EtcdMemberList(client.WithNodes(ctx, controlPlanes...), &machine.EtcdMemberListRequest{})
	if err != nil {
		return err
	}

	type data struct {
		hostname  string
		id        uint64
		isLearner bool
	}

	knownMembers := map[data]struct{}{}

	messages := resp.GetMessages()
	if len(messages) == 0 {
		return errors.New("no messages returned")
	}

	sort.Slice(messages, func(i, j int) bool {
		return messages[i].GetMetadata().GetHostname() < messages[j].GetMetadata().GetHostname()
	})

	for i, message := range messages {
		if i == 0 {
			for _, member := range message.Members {
				knownMembers[data{member.Hostname, member.Id, member.IsLearner}] = struct{}{}
			}

			continue
		}

		node := message.Metadata.GetHostname()

		if len(message.Members) != len(knownMembers) {
			return fmt.Errorf("%s: expected to have %d members, got %d", node, len(knownMembers), len(message.Members))
		}

		for _, member := range message.Members {
			if _, found := knownMembers[data{member.Hostname, member.Id, member.IsLearner}]; !found {
				return fmt.Errorf("%s: found unexpected etcd member %s", node, member.Hostname)
			}
		}
	}

	return nil
}

func etcdControlPlaneNodesAssertion(ctx context.Context, c *client.Client, controlPlanes []string) error {
	// No nodes in the metadata: the endpoint answers.
	resp, err := c.EtcdMemberList(ctx, &machine.EtcdMemberListRequest{})
	if err != nil {
		return err
	}

	var memberIPs []string

	for _, member := range resp.GetMessages()[0].GetMembers() {
		for _, peerURL := range member.GetPeerUrls() {
			parsed, err := url.Parse(peerURL)
			if err != nil {
				return err
			}

			memberIPs = append(memberIPs, parsed.Hostname())
		}
	}

	for _, ip := range memberIPs {
		if !slices.Contains(controlPlanes, ip) {
			return fmt.Errorf("etcd member ips %q are not subset of control plane node ips %q", memberIPs, controlPlanes)
		}
	}

	return nil
}

// Talos' minimums (pkg/minimal of Talos 1.7.4).
const (
	minimalControlPlaneMemory = 2*1024*1024*1024 - 150*1024*1024
	minimalWorkerMemory       = 1*1024*1024*1024 - 150*1024*1024
	minimalDiskSize           = 6 * 1024 * 1024 * 1024
)

// nonContainerNodes asks every node its version, and keeps those not in a container.
func nonContainerNodes(ctx context.Context, c *client.Client, nodes []string) ([]string, error) {
	resp, err := c.Version(client.WithNodes(ctx, nodes...))
	if err != nil {
		return nil, fmt.Errorf("error getting version: %w", err)
	}

	var result []string

	for _, msg := range resp.Messages {
		if msg.Metadata == nil {
			return nil, errors.New("got empty metadata")
		}

		if msg.Platform.Mode != "container" {
			result = append(result, msg.Metadata.Hostname)
		}
	}

	return result, nil
}

func allNodesMemorySizes(ctx context.Context, c *client.Client, controlPlanes, workers []string) error {
	nodes, err := nonContainerNodes(ctx, c, append(slices.Clone(controlPlanes), workers...))
	if err != nil {
		return err
	}

	resp, err := c.Memory(client.WithNodes(ctx, nodes...))
	if err != nil {
		return fmt.Errorf("error getting nodes memory: %w", err)
	}

	var resultErr error

	for _, msg := range resp.Messages {
		if msg.Metadata == nil {
			return errors.New("no metadata in the response")
		}

		hostname := msg.Metadata.Hostname

		var minimum uint64

		switch {
		case slices.Contains(controlPlanes, hostname):
			minimum = minimalControlPlaneMemory
		case slices.Contains(workers, hostname):
			minimum = minimalWorkerMemory
		default:
			return fmt.Errorf("unexpected node %q in response", hostname)
		}

		if totalMemory := msg.Meminfo.Memtotal * 1024; totalMemory < minimum {
			resultErr = multierror.Append(resultErr, fmt.Errorf("node %q does not meet memory requirements: expected at least %d MiB, actual %d MiB",
				hostname, minimum/1024/1024, totalMemory/1024/1024))
		}
	}

	return resultErr
}

func allNodesDiskSizes(ctx context.Context, c *client.Client, controlPlanes, workers []string) error {
	nodes, err := nonContainerNodes(ctx, c, append(slices.Clone(controlPlanes), workers...))
	if err != nil {
		return err
	}

	ctx = client.WithNodes(ctx, nodes...)

	mounts, err := c.Mounts(ctx)
	if err != nil {
		return fmt.Errorf("error getting nodes mounts: %w", err)
	}

	sizes := map[string]map[string]uint64{}

	for _, msg := range mounts.Messages {
		if msg.Metadata == nil {
			return errors.New("no metadata in response")
		}

		if len(msg.GetStats()) == 0 {
			return fmt.Errorf("no mounts found for node %q", msg.Metadata.Hostname)
		}

		sizes[msg.Metadata.Hostname] = map[string]uint64{}
		for _, mount := range msg.GetStats() {
			sizes[msg.Metadata.Hostname][mount.Filesystem] = mount.Size
		}
	}

	var resultErr error

	for _, node := range nodes {
		// One node at a time: COSI calls are not proxied one-to-many.
		items, err := safe.StateListAll[*runtime.MountStatus](client.WithNode(ctx, node), c.COSI)
		if err != nil {
			resultErr = multierror.Append(resultErr, fmt.Errorf("error listing mounts for node %q: %w", node, err))

			continue
		}

		source := ""

		for it := items.Iterator(); it.Next(); {
			if it.Value().Metadata().ID() == constants.EphemeralPartitionLabel {
				source = it.Value().TypedSpec().Source
			}
		}

		size, ok := sizes[node][source]

		switch {
		case source == "":
			resultErr = multierror.Append(resultErr, fmt.Errorf("no ephemeral partition found for node '%s'", node))
		case !ok:
			resultErr = multierror.Append(resultErr, fmt.Errorf("ephemeral partition %q not found for node %q", source, node))
		case size+1400*1024*1024 < minimalDiskSize:
			resultErr = multierror.Append(resultErr, fmt.Errorf("ephemeral partition %q for node %q is too small", source, node))
		}
	}

	return resultErr
}

func allNodesBootedAssertion(ctx context.Context, c *client.Client, nodes []string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type eventWithNode struct {
		node  string
		event state.Event
	}

	eventCh := make(chan eventWithNode)

	for _, node := range nodes {
		nodeEventCh := make(chan state.Event)

		if err := c.COSI.Watch(client.WithNode(ctx, node), runtime.NewMachineStatus().Metadata(), nodeEventCh); err != nil {
			return err
		}

		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case ev := <-nodeEventCh:
					select {
					case eventCh <- eventWithNode{node: node, event: ev}:
					case <-ctx.Done():
						return
					}
				}
			}
		}()
	}

	stages := map[string]runtime.MachineStage{}

	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev := <-eventCh:
			switch ev.event.Type {
			case state.Created, state.Updated:
				machineStatus, ok := ev.event.Resource.(*runtime.MachineStatus)
				if !ok {
					return fmt.Errorf("unexpected resource type: %T", ev.event.Resource)
				}

				stages[ev.node] = machineStatus.TypedSpec().Stage
			case state.Destroyed, state.Bootstrapped:
			case state.Errored:
				return fmt.Errorf("error watching machine %s status: %w", ev.node, ev.event.Error)
			}
		}

		if len(stages) < len(nodes) {
			continue
		}

		var notRunning []string

		for node, stage := range stages {
			if stage != runtime.MachineStageRunning {
				notRunning = append(notRunning, fmt.Sprintf("%s: %s", node, stage))
			}
		}

		if len(notRunning) == 0 {
			return nil
		}

		slices.Sort(notRunning)

		return fmt.Errorf("nodes are not running: %s", strings.Join(notRunning, ", "))
	}
}
