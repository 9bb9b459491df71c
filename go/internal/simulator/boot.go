package simulator

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/cosi-project/runtime/pkg/resource/meta"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/cosi-project/runtime/pkg/state/impl/inmem"
	"github.com/cosi-project/runtime/pkg/state/impl/namespaced"
	"github.com/cosi-project/runtime/pkg/state/registry"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	"github.com/siderolabs/talos/pkg/machinery/resources/k8s"
	"github.com/siderolabs/talos/pkg/machinery/resources/runtime"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// bootSession is what a node has from one boot to the next, as Talos does:
// a boot ID (/proc/sys/kernel/random/boot_id), the COSI resources talosctl
// reads (MachineStatus, MountStatus, and on a control plane whose cluster
// has a Kubernetes API, StaticPodStatus: kubeobjects.go), and the machine
// events since boot. A reboot ends it:
// event streams end, and the next boot starts another.
type bootSession struct {
	id        string
	resources state.State
	// services is what machined reports of its services (configured mode only, else nil).
	services *serviceTable
	// api is the node's Talos API of this boot, as registered on its gRPC
	// server, for calls another node forwards to it in-process (proxy.go).
	api []apiService
	// etcdDone is closed once the etcd service of this boot stopped (nil: none runs).
	etcdDone chan struct{}
	// powerOff: the boot ends without a shutdown (power off, re-image, the
	// simulator stopping): etcd stops at once, without handing its
	// leadership over as a member shutting down does.
	powerOff atomic.Bool

	ctx    context.Context //nolint:containedctx // ends the boot's streams
	cancel context.CancelFunc

	mu          sync.Mutex
	events      []*machine.Event
	subscribers map[chan *machine.Event]struct{}
}

// newBootSession starts a boot in a stage: maintenance, or running (configured).
func newBootSession(stage runtime.MachineStage) (*bootSession, error) {
	id, err := randomUUID()
	if err != nil {
		return nil, err
	}

	resources, err := machineResources(stage)
	if err != nil {
		return nil, err
	}

	ctx, cancel := context.WithCancel(context.Background())
	session := &bootSession{id: id, resources: resources, ctx: ctx, cancel: cancel, subscribers: map[chan *machine.Event]struct{}{}}

	// What machined publishes once the boot is done: the stage, ready. talosctl's action tracker
	// waits for a running, ready machine after an upgrade or a reboot.
	session.publish("", &machine.MachineStatusEvent{
		Stage:  machine.MachineStatusEvent_MachineStage(stage),
		Status: &machine.MachineStatusEvent_MachineStatus{Ready: true},
	})

	return session, nil
}

// end ends the boot: its event streams close.
func (s *bootSession) end() {
	s.cancel()
}

// machineResources is a COSI state as machined's, with the resources talosctl
// asks for: the resource definitions it resolves names with, and MachineStatus.
func machineResources(stage runtime.MachineStage) (state.State, error) {
	ctx := context.Background()
	resources := state.WrapCore(namespaced.NewState(func(ns resource.Namespace) state.CoreState {
		return inmem.NewStateWithOptions()(ns)
	}))

	namespaces := registry.NewNamespaceRegistry(resources)
	if err := namespaces.RegisterDefault(ctx); err != nil {
		return nil, err
	}

	if err := namespaces.Register(ctx, runtime.NamespaceName, "Talos runtime."); err != nil {
		return nil, err
	}

	if err := namespaces.Register(ctx, k8s.NamespaceName, "Kubernetes all node types: the kubelet, static pods."); err != nil {
		return nil, err
	}

	definitions := registry.NewResourceRegistry(resources)
	if err := definitions.RegisterDefault(ctx); err != nil {
		return nil, err
	}

	for _, definition := range []meta.ResourceWithRD{&runtime.MachineStatus{}, &runtime.MountStatus{}, &k8s.StaticPodStatus{}} {
		if err := definitions.Register(ctx, definition); err != nil {
			return nil, err
		}
	}

	status := runtime.NewMachineStatus()
	status.TypedSpec().Stage = stage
	status.TypedSpec().Status.Ready = true

	if err := resources.Create(ctx, status); err != nil {
		return nil, err
	}

	return resources, nil
}

// Partitions Talos makes on its install disk (EFI, BIOS, BOOT, META, STATE)
// before EPHEMERAL (/var), which takes the rest: 6th partition.
const (
	systemPartitionsSize = (100 + 1 + 1000 + 1 + 100) * 1024 * 1024
	ephemeralPartition   = 6
)

// partitionOf names a partition of a disk as Linux does: /dev/sda6, /dev/nvme0n1p6.
func partitionOf(disk string, number int) string {
	if last := disk[len(disk)-1]; last >= '0' && last <= '9' {
		return fmt.Sprintf("%sp%d", disk, number)
	}

	return fmt.Sprintf("%s%d", disk, number)
}

// addEphemeralMount records the mount of the EPHEMERAL partition of the
// install disk on /var (MountStatus), as machined does once installed: the
// cluster checks look it up among the node's mounts for its size.
func (s *bootSession) addEphemeralMount(source string) error {
	mount := runtime.NewMountStatus(runtime.NamespaceName, constants.EphemeralPartitionLabel)
	mount.TypedSpec().Source = source
	mount.TypedSpec().Target = "/var"
	mount.TypedSpec().FilesystemType = "xfs"

	return s.resources.Create(context.Background(), mount)
}

// publish records a machine event of this boot, tagged with the actor that
// caused it, and hands it to every stream. The type URL is Talos':
// talos/runtime/machine.<Message>.
func (s *bootSession) publish(actorID string, payload proto.Message) {
	value, err := proto.Marshal(payload)
	if err != nil {
		panic(err) // the simulator's own messages always marshal
	}

	s.mu.Lock()
	defer s.mu.Unlock()

	event := &machine.Event{
		Data:    &anypb.Any{TypeUrl: "talos/runtime/" + string(payload.ProtoReflect().Descriptor().FullName()), Value: value},
		Id:      strconv.Itoa(len(s.events) + 1),
		ActorId: actorID,
	}
	s.events = append(s.events, event)

	for subscriber := range s.subscribers {
		select {
		case subscriber <- event:
		default: // a stream that does not read: it misses events, as with Talos' ring buffer
		}
	}
}

// subscribe returns the events of this boot a stream asks for (tail: 0 none,
// -1 all, N the last N) and a channel of the events to come.
func (s *bootSession) subscribe(tail int32) ([]*machine.Event, chan *machine.Event, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()

	var past []*machine.Event

	switch {
	case tail < 0:
		past = append(past, s.events...)
	case tail > 0:
		past = append(past, s.events[max(0, len(s.events)-int(tail)):]...)
	}

	ch := make(chan *machine.Event, 64)
	s.subscribers[ch] = struct{}{}

	return past, ch, func() {
		s.mu.Lock()
		defer s.mu.Unlock()

		delete(s.subscribers, ch)
	}
}

// randomUUID is a version 4 UUID, as the kernel's boot_id.
func randomUUID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}

	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80

	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}
