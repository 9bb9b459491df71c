package simulator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/hashicorp/go-multierror"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/client"
	"github.com/siderolabs/talos/pkg/machinery/resources/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// nodeErrors are the per-node errors of a reply to several nodes, by node.
func nodeErrors(err error) map[string]error {
	errs := []error{err}

	var multi *multierror.Error
	if errors.As(err, &multi) {
		errs = multi.Errors
	}

	byNode := map[string]error{}

	for _, err := range errs {
		var nodeErr *client.NodeError
		if errors.As(err, &nodeErr) {
			byNode[nodeErr.Node] = nodeErr.Err
		}
	}

	return byNode
}

func TestApidAnswersForEveryNodeNamedThroughEachNodesOwnAdmission(t *testing.T) {
	cluster := startCluster(t, "127.33.0", 2, 1, 1)
	endpoint, other, worker, maintenance := cluster.controlPlanes[0], cluster.controlPlanes[1], cluster.workers[0], cluster.maintenance[0]
	unknown := "127.33.0.99"
	talos := cluster.client(t, endpoint)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	t.Run("one-to-many: every node's messages, marked with its address, in the order named", func(t *testing.T) {
		reply, err := talos.Version(client.WithNodes(ctx, worker, endpoint, other))
		if err != nil {
			t.Fatal(err)
		}

		var hostnames []string
		for _, message := range reply.GetMessages() {
			hostnames = append(hostnames, message.GetMetadata().GetHostname())

			if message.GetVersion().GetTag() != "v1.7.4" || message.GetPlatform().GetMode() != "metal" {
				t.Errorf("%s: %v", message.GetMetadata().GetHostname(), message)
			}
		}

		if !slices.Equal(hostnames, []string{worker, endpoint, other}) {
			t.Fatalf("hostnames %v", hostnames)
		}
	})

	t.Run("a node that does not answer is one message with its error, as apid reports it", func(t *testing.T) {
		reply, err := talos.MachineClient.Version(client.WithNodes(ctx, endpoint, maintenance, unknown), &emptypb.Empty{})
		if err != nil {
			t.Fatal(err)
		}

		if len(reply.GetMessages()) != 3 || reply.GetMessages()[0].GetMetadata().GetError() != "" {
			t.Fatalf("reply: %v", reply)
		}

		for i, want := range map[int]string{
			1: `rpc error: code = Unavailable desc = connection error: desc = "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority"`,
			2: `rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 127.33.0.99:50000: connect: connection refused"`,
		} {
			metadata := reply.GetMessages()[i].GetMetadata()
			if metadata.GetError() != want || codes.Code(metadata.GetStatus().GetCode()) != codes.Unavailable {
				t.Errorf("message %d: %v, want error %q", i, metadata, want)
			}
		}

		// The client sees them as node errors, and the answer of the node that answered.
		filtered, err := talos.Version(client.WithNodes(ctx, endpoint, maintenance))
		if errs := nodeErrors(err); len(errs) != 1 || status.Code(errs[maintenance]) != codes.Unavailable || len(filtered.GetMessages()) != 1 {
			t.Fatalf("filtered: %v, %v", filtered, err)
		}
	})

	t.Run("a node powered off: connection refused, one-to-many and one-to-one", func(t *testing.T) {
		if err := cluster.node(other).setDown(true); err != nil {
			t.Fatal(err)
		}

		_, err := talos.Version(client.WithNodes(ctx, endpoint, other))
		if errs := nodeErrors(err); !strings.Contains(fmt.Sprint(errs[other]), "connect: connection refused") {
			t.Fatalf("one-to-many: %v", err)
		}

		if _, err := talos.Version(client.WithNode(ctx, other)); status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "connection refused") {
			t.Fatalf("one-to-one: %v", err)
		}

		if err := cluster.node(other).setDown(false); err != nil {
			t.Fatal(err)
		}

		if _, err := talos.Version(client.WithNodes(ctx, endpoint, other)); err != nil {
			t.Fatalf("powered on again: %v", err)
		}
	})

	t.Run("the target's faults and records apply to what is forwarded to it", func(t *testing.T) {
		target := cluster.node(worker)
		target.setFaults(Faults{RejectCode: "ResourceExhausted", RejectMethod: "ServiceList"})

		_, err := talos.ServiceList(client.WithNodes(ctx, endpoint, worker))
		if errs := nodeErrors(err); status.Code(errs[worker]) != codes.ResourceExhausted || len(errs) != 1 {
			t.Fatalf("ServiceList with %s rejecting it: %v", worker, err)
		}

		target.setFaults(Faults{})

		calls := target.status().Calls
		last := calls[len(calls)-1]
		digest := sha256.Sum256(talosClientCertificate(t, cluster))

		if last.Method != "ServiceList" || last.Code != "ResourceExhausted" || last.ClientCertificate != hex.EncodeToString(digest[:]) {
			t.Fatalf("%s recorded %+v, want the forwarded ServiceList with the client's certificate", worker, last)
		}

		// A hold on the target stops the forwarded call there.
		if err := target.hold("Version", HoldBefore); err != nil {
			t.Fatal(err)
		}

		done := make(chan error, 1)

		go func() {
			_, err := talos.Version(client.WithNode(ctx, worker))
			done <- err
		}()

		if err := target.waitHeld("Version", HoldBefore, 10*time.Second); err != nil {
			t.Fatal(err)
		}

		target.releaseHolds("Version")

		if err := <-done; err != nil {
			t.Fatalf("released: %v", err)
		}
	})

	t.Run("what a node lacks, it answers for itself", func(t *testing.T) {
		_, err := talos.EtcdMemberList(client.WithNodes(ctx, endpoint, worker), &machine.EtcdMemberListRequest{})
		if errs := nodeErrors(err); status.Code(errs[worker]) != codes.Unimplemented || !strings.Contains(errs[worker].Error(), "member list is only available on control plane nodes") {
			t.Fatalf("member list of a worker: %v", err)
		}
	})

	t.Run("streams: one-to-many marked per node, one-to-one as the node sends them", func(t *testing.T) {
		streamCtx, stop := context.WithCancel(ctx)
		defer stop()

		events, err := talos.MachineClient.Events(client.WithNodes(streamCtx, endpoint, worker), &machine.EventsRequest{TailEvents: -1})
		if err != nil {
			t.Fatal(err)
		}

		booted := map[string]bool{}

		for len(booted) < 2 {
			event, err := events.Recv()
			if err != nil {
				t.Fatalf("events: %v (so far %v)", err, booted)
			}

			if strings.HasSuffix(event.GetData().GetTypeUrl(), "machine.MachineStatusEvent") {
				booted[event.GetMetadata().GetHostname()] = true
			}
		}

		if !booted[endpoint] || !booted[worker] {
			t.Fatalf("boot events from %v", booted)
		}

		stop()

		read, err := talos.MachineClient.Read(client.WithNode(ctx, worker), &machine.ReadRequest{Path: bootIDPath})
		if err != nil {
			t.Fatal(err)
		}

		data, err := read.Recv()
		if err != nil {
			t.Fatal(err)
		}

		if _, err := read.Recv(); !errors.Is(err, io.EOF) {
			t.Fatalf("after the boot ID: %v", err)
		}

		boot, _ := cluster.node(worker).currentBoot() //nolint:errcheck
		if got := strings.TrimSpace(string(data.GetBytes())); got != boot.id {
			t.Fatalf("boot ID through the endpoint %q, %s's %q", got, worker, boot.id)
		}
	})

	t.Run("COSI: one-to-one only", func(t *testing.T) {
		status1, err := safe.StateGetByID[*runtime.MachineStatus](client.WithNode(ctx, worker), talos.COSI, runtime.MachineStatusID)
		if err != nil || status1.TypedSpec().Stage != runtime.MachineStageRunning {
			t.Fatalf("MachineStatus of %s: %v", worker, err)
		}

		if _, err := safe.StateGetByID[*runtime.MachineStatus](client.WithNodes(ctx, endpoint, worker), talos.COSI, runtime.MachineStatusID); status.Code(err) != codes.InvalidArgument ||
			!strings.Contains(err.Error(), "one-2-many proxying is not supported for COSI methods") {
			t.Fatalf("one-to-many COSI: %v", err)
		}

		if _, err := talos.Version(metadata.AppendToOutgoingContext(ctx, "node", endpoint, "node", worker)); status.Code(err) != codes.InvalidArgument {
			t.Fatalf("two values of node: %v", err)
		}
	})

	t.Run("the target checks the client certificate at the nodes' clock", func(t *testing.T) {
		// The client's connection to the endpoint stays; its certificate expires meanwhile.
		if err := cluster.sim.advanceClock(2 * time.Hour); err != nil {
			t.Fatal(err)
		}

		_, err := talos.Version(client.WithNodes(ctx, endpoint, other))
		if errs := nodeErrors(err); len(errs) != 1 || !strings.Contains(fmt.Sprint(errs[other]), "authentication handshake failed: remote error: tls: expired certificate") {
			t.Fatalf("with an expired certificate: %v", err)
		}
	})
}

// talosClientCertificate is the DER of the certificate cluster.client uses.
func talosClientCertificate(t *testing.T, cluster *testCluster) []byte {
	t.Helper()

	cert := cluster.lastClientCertificate
	if cert == nil {
		t.Fatal("no client made yet")
	}

	return cert
}
